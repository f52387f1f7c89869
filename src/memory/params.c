#include "memory/params.h"

#include "memory/extras.h"

#include <string.h>

#include "gguf/types.h"
#include "model/arch.h"
#include "util/error.h"

static uint64_t pad256(uint64_t x)
{
    return (x + 255) / 256 * 256;
}

void gp_run_params_default(gp_run_params *p, gp_app app)
{
    memset(p, 0, sizeof *p);
    p->app = app;
    p->n_ctx = -1;
    p->n_batch = 2048;
    p->n_ubatch = 512;
    p->n_parallel = -1;
    p->kv_unified = -1;
    p->flash_attn = GP_FA_AUTO;
    p->type_k = GP_TYPE_F16;
    p->type_v = GP_TYPE_F16;
    p->n_gpu_layers = GP_NGL_AUTO;
    p->split_mode = GP_SPLIT_LAYER;
    p->extras.image_min_tokens = p->extras.image_max_tokens = -1;
    p->extras.draft_ngl = GP_NGL_AUTO;
    p->extras.draft_type_k = p->extras.draft_type_v = GP_TYPE_F16;
    p->extras.draft_n_max = -1;
    p->extras.ngram_simple_m = p->extras.ngram_map_k_m = p->extras.ngram_map_k4v_m = -1;
    p->extras.ngram_mod_n_max = -1;
    p->cache_ram_mib = 8192;
    p->ctx_checkpoints = 32;
    p->checkpoint_min_step = 8192;
}

static bool is_quantized(uint32_t t)
{
    return t != GP_TYPE_F32 && t != GP_TYPE_F16 && t != GP_TYPE_BF16;
}

gp_status gp_spec_types(const gp_load_extras *x, uint32_t *n_max, bool *drafts, bool *rollback,
                        gp_error *err)
{
    static const struct {
        const char *name;
        int draft;    /* 1: drafts with a model (or the model's own MTP head) */
        int rollback; /* keeps rollback copies of recurrent state */
    } types[] = {
        {"none", 0, 0},         {"draft-simple", 1, 0}, {"draft-eagle3", 1, 1},  {"draft-mtp", 1, 1},
        {"draft-dflash", 1, 1}, {"draft-dspark", 1, 1}, {"ngram-simple", 0, 0},  {"ngram-map-k", 0, 0},
        {"ngram-map-k4v", 0, 0}, {"ngram-mod", 0, 0},   {"ngram-cache", 0, 0},
    };
    *n_max = 0;
    *drafts = *rollback = false;
    const char *auto_type = NULL;
    /* A draft file with its own NextN head turns on MTP by itself. */
    if (!x->spec_type[0] && x->files && x->files->draft && x->files->draft->hp.n_nextn > 0)
        auto_type = "draft-mtp";
    const char *list = auto_type ? auto_type : x->spec_type;
    for (const char *s = list; *s;) {
        size_t len = strcspn(s, ",");
        size_t k = 0;
        while (k < sizeof types / sizeof types[0] && !(strlen(types[k].name) == len && !strncmp(types[k].name, s, len)))
            k++;
        if (k == sizeof types / sizeof types[0])
            return gp_fail(err, GP_ERR_ARG, NULL, "--spec-type '%.*s': llama-server knows none, draft-simple, "
                           "draft-eagle3, draft-mtp, draft-dflash, draft-dspark, ngram-simple, ngram-map-k, "
                           "ngram-map-k4v, ngram-mod, ngram-cache", (int)len, s);
        int32_t n = 0;
        if (types[k].draft)
            n = x->draft_n_max >= 0 ? x->draft_n_max : 3;
        else if (!strcmp(types[k].name, "ngram-simple"))
            n = x->ngram_simple_m >= 0 ? x->ngram_simple_m : 48;
        else if (!strcmp(types[k].name, "ngram-map-k"))
            n = x->ngram_map_k_m >= 0 ? x->ngram_map_k_m : 48;
        else if (!strcmp(types[k].name, "ngram-map-k4v"))
            n = x->ngram_map_k4v_m >= 0 ? x->ngram_map_k4v_m : 48;
        else if (!strcmp(types[k].name, "ngram-mod"))
            n = x->ngram_mod_n_max >= 0 ? x->ngram_mod_n_max : 64;
        else if (!strcmp(types[k].name, "ngram-cache"))
            n = 8;
        if ((uint32_t)n > *n_max)
            *n_max = (uint32_t)n;
        *drafts = *drafts || types[k].draft;
        *rollback = *rollback || types[k].rollback;
        s += len;
        if (*s == ',')
            s++;
    }
    return GP_OK;
}

/* Architectures whose recurrent state can be rolled back for speculative
 * decoding (llama.cpp keeps n_max extra copies of it per sequence). */
static bool rolls_back(const char *arch)
{
    static const char *const archs[] = {"kimi-k3", "qwen35", "qwen35moe", "qwen4exp", "deepseek4",
                                        "nemotron_h", "nemotron_h_moe", "lfm2", "lfm2moe", "bailingmoe3"};
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
        if (!strcmp(arch, archs[i]))
            return true;
    return false;
}

gp_status gp_ctx_resolve(const gp_model *m, const gp_run_params *p, gp_ctx_shape *c,
                         gp_error *err)
{
    memset(c, 0, sizeof *c);
    /* Slots: llama-server's auto is 4 with a unified cache; an explicit -np
     * leaves the cache split per slot unless -kvu is given. The CLI tools
     * default to one sequence. */
    bool server = p->app == GP_APP_SERVER;
    if (p->n_parallel < 0) {
        c->n_seq = server ? 4 : 1;
        c->kv_unified = p->kv_unified >= 0 ? p->kv_unified : server;
    } else {
        c->n_seq = p->n_parallel > 0 ? (uint32_t)p->n_parallel : 1;
        c->kv_unified = p->kv_unified > 0;
    }
    if (c->n_seq > 256)
        return gp_fail(err, GP_ERR_CONFIG, m->path, "-np %u: llama.cpp allows at most 256 sequences", c->n_seq);

    c->n_ctx_req = p->n_ctx > 0 ? (uint64_t)p->n_ctx : m->hp.n_ctx_train;
    if (c->n_ctx_req == 0)
        return gp_fail(err, GP_ERR_MISSING, m->path,
                       "the model has no %s.context_length; give -c", m->arch);
    if (c->n_ctx_req > (1ull << 32))
        return gp_fail(err, GP_ERR_CONFIG, m->path, "context of %llu tokens is beyond what llama.cpp supports",
                       (unsigned long long)c->n_ctx_req);
    c->n_ctx = pad256(c->n_ctx_req);
    if (c->kv_unified) {
        c->n_ctx_seq = c->n_ctx;
        c->n_stream = 1;
    } else {
        c->n_ctx_seq = pad256(c->n_ctx / c->n_seq);
        c->n_ctx = c->n_ctx_seq * c->n_seq;
        c->n_stream = c->n_seq;
    }
    /* The batch is clamped to the context asked for, before padding. */
    c->n_batch = p->n_batch < c->n_ctx_req ? p->n_batch : (uint32_t)c->n_ctx_req;
    c->n_ubatch = p->n_ubatch < c->n_batch ? p->n_ubatch : c->n_batch;
    if (c->n_batch == 0 || c->n_ubatch == 0)
        return gp_fail(err, GP_ERR_CONFIG, m->path, "batch sizes must be at least 1");
    c->n_outputs_max = server ? c->n_seq : c->n_batch;
    c->rs_copies = 1;
    bool drafts, rollback;
    gp_status st = gp_spec_types(&p->extras, &c->spec_n_max, &drafts, &rollback, err);
    if (st != GP_OK)
        return st;
    if (server && c->spec_n_max > 0) {
        /* The server reserves logits for every drafted token of every slot
         * (server_output_limits): -b as given bounds it, not the clamped batch. */
        uint64_t want = (uint64_t)c->n_seq * (1 + c->spec_n_max);
        c->n_outputs_max = (uint32_t)(want < p->n_batch ? want : p->n_batch);
        if (c->n_outputs_max == 0)
            c->n_outputs_max = 1;
        if (rollback && rolls_back(m->arch))
            c->rs_copies = 1 + c->spec_n_max;
    }

    /* Flash attention "auto" resolves on for the CPU and for every GPU
     * backend of llama.cpp v0.5.0; some architectures turn it off or
     * cannot run with it (model/arch.h). */
    bool known;
    const gp_arch_flash_attn fa_rule = gp_arch_lookup(m->arch, &known)->flash_attn;
    c->flash_attn = p->flash_attn != GP_FA_OFF && fa_rule != GP_ARCH_FA_FORCED_OFF;
    if (c->flash_attn && fa_rule == GP_ARCH_FA_ABORTS)
        return gp_fail(err, GP_ERR_CONFIG, m->path,
                       "llama.cpp v0.5.0 aborts on a %s model with flash attention on (-fa %s): give -fa off",
                       m->arch, p->flash_attn == GP_FA_ON ? "on" : "auto, which resolves on");

    bool mla = false;
    for (uint32_t il = 0; il < m->hp.n_layer; il++)
        mla = mla || m->layers[il].kind == GP_LAYER_MLA;
    if (is_quantized(p->type_v) && !c->flash_attn && !mla)
        return gp_fail(err, GP_ERR_CONFIG, m->path,
                       "a quantized V cache (-ctv %s) needs flash attention (-fa on%s); llama.cpp refuses it",
                       gp_type_get(p->type_v)->name, p->flash_attn != GP_FA_OFF ? ", which Grok never runs" : "");
    if (mla && p->type_k != p->type_v)
        return gp_fail(err, GP_ERR_CONFIG, m->path,
                       "latent attention (MLA) needs -ctk and -ctv to be the same type");
    if (mla && !c->flash_attn && is_quantized(p->type_k))
        return gp_fail(err, GP_ERR_CONFIG, m->path,
                       "latent attention (MLA) with a quantized cache needs flash attention (-fa on)");
    return GP_OK;
}

uint64_t gp_ctx_swa_cells(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c)
{
    if (p->swa_full)
        return c->n_ctx_seq;
    uint64_t want = (uint64_t)m->hp.n_swa * (c->kv_unified ? c->n_seq : 1) + c->n_ubatch;
    uint64_t cells = c->n_ctx_seq < want ? c->n_ctx_seq : want;
    return pad256(cells);
}
