#include "args/llama_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "util/error.h"

static int cmp_flag(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const gp_llama_flag *)elem)->name);
}

const gp_llama_flag *gp_llama_flag_find(const char *name)
{
    return bsearch(name, gp_llama_flags, gp_llama_flag_count, sizeof gp_llama_flags[0], cmp_flag);
}

static bool is(const char *a, const char *s1, const char *s2, const char *s3)
{
    return (s1 && strcmp(a, s1) == 0) || (s2 && strcmp(a, s2) == 0) || (s3 && strcmp(a, s3) == 0);
}

static gp_status bad_value(gp_error *err, const char *flag, const char *value, const char *want)
{
    return gp_fail(err, GP_ERR_ARG, NULL, "%s: invalid value '%s' (expected %s)", flag, value, want);
}

static bool parse_long(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* llama.cpp's truthy / falsey / auto spellings. */
static int tristate(const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "enabled") || !strcmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "off") || !strcmp(v, "disabled") || !strcmp(v, "false") || !strcmp(v, "0"))
        return 0;
    if (!strcmp(v, "auto"))
        return -1;
    return -2;
}

static gp_status cache_type(const char *flag, const char *v, uint32_t *out, gp_error *err)
{
    /* The cache types llama.cpp accepts for -ctk/-ctv. */
    static const char *allowed[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(v, allowed[i]) == 0) {
            *out = (uint32_t)gp_type_from_name(v);
            return GP_OK;
        }
    return bad_value(err, flag, v, "f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0 or q5_1");
}

/* The routed-expert tensors --cpu-moe and --n-cpu-moe move to the CPU. */
#define MOE_EXPERTS "\\.ffn_(up|down|gate|gate_up)_(ch|)exps"

/* A list of tensor overrides: the main model's or the draft model's. */
typedef struct override_list {
    gp_override *items;
    uint32_t *n;
    uint32_t cap;
} override_list;

static override_list main_overrides(gp_run_params *p)
{
    return (override_list){p->overrides, &p->n_overrides, GP_MAX_OVERRIDES};
}

static override_list draft_overrides(gp_run_params *p)
{
    return (override_list){p->extras.draft_overrides, &p->extras.n_draft_overrides, GP_MAX_DRAFT_OVERRIDES};
}

static gp_status add_override(override_list l, const char *pattern, size_t plen, const char *buft,
                              size_t blen, const char *flag, gp_error *err)
{
    if (*l.n >= l.cap)
        return gp_fail(err, GP_ERR_ARG, NULL, "%s: more than %u tensor overrides", flag, l.cap);
    gp_override *o = &l.items[*l.n];
    if (plen >= sizeof o->pattern || blen >= sizeof o->buft || blen == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "%s: override too long or without buffer type", flag);
    memcpy(o->pattern, pattern, plen);
    o->pattern[plen] = 0;
    memcpy(o->buft, buft, blen);
    o->buft[blen] = 0;
    (*l.n)++;
    return GP_OK;
}

/* "re1=B1,re2=B2": split on commas, each at its first '='. */
static gp_status parse_overrides(override_list l, const char *flag, const char *v, gp_error *err)
{
    const char *s = v;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq)
            return bad_value(err, flag, v, "PATTERN=BUFFER_TYPE[,...]");
        gp_status st = add_override(l, s, (size_t)(eq - s), eq + 1, len - (size_t)(eq - s) - 1, flag, err);
        if (st != GP_OK)
            return st;
        if (!comma)
            return GP_OK;
        s = comma + 1;
    }
}

static gp_status add_block_overrides(override_list l, long long n, const char *suffix,
                                     const char *flag, gp_error *err)
{
    for (long long i = 0; i < n; i++) {
        char pat[128];
        int len = snprintf(pat, sizeof pat, "blk\\.%lld%s", i, suffix);
        gp_status st = add_override(l, pat, (size_t)len, "CPU", 3, flag, err);
        if (st != GP_OK)
            return st;
    }
    return GP_OK;
}

/* The overrides from `first` on came from one flag: it is what is printed
   back (a command keeps the user's spelling). */
static void mark_flag(gp_run_params *p, uint32_t first, const char *flag, long long n)
{
    for (uint32_t i = first; i < p->n_overrides; i++) {
        snprintf(p->overrides[i].flag, sizeof p->overrides[i].flag, "%s", flag);
        p->overrides[i].flag_n = n;
    }
}

static gp_status parse_split(gp_run_params *p, const char *flag, const char *v, gp_error *err)
{
    p->n_tensor_split = 0;
    const char *s = v;
    while (*s) {
        if (*s == ',' || *s == '/') {
            s++;
            continue;
        }
        char *end;
        errno = 0;
        float f = strtof(s, &end);
        if (end == s || errno || f < 0)
            return bad_value(err, flag, v, "fractions like 3,1");
        if (p->n_tensor_split >= GP_MAX_DEVICES - 1)
            return gp_fail(err, GP_ERR_ARG, NULL, "%s: too many values", flag);
        p->tensor_split[p->n_tensor_split++] = f;
        s = end;
        if (*s && *s != ',' && *s != '/')
            return bad_value(err, flag, v, "fractions like 3,1");
    }
    p->user_set_ts = true;
    return GP_OK;
}

static void keep_extra(gp_run_params *p, const char *a, const char *v)
{
    if (p->n_extra + 2 > sizeof p->extra / sizeof p->extra[0])
        return;
    p->extra[p->n_extra++] = a;
    if (v)
        p->extra[p->n_extra++] = v;
}

static const char *const load_extra_flags[] = {
    "-mm", "--mmproj", "-mmu", "--mmproj-url", "--no-mmproj", "--no-mmproj-auto", "--mmproj-auto",
    "--no-mmproj-offload", "--mmproj-offload", "-mmdev", "--mmproj-device", "--image-min-tokens",
    "--image-max-tokens", "-md", "--model-draft", "--spec-draft-model", "-hfd", "-hfrd", "--hf-repo-draft",
    "--spec-draft-hf", "-ngld", "--spec-draft-ngl",
    "--gpu-layers-draft", "--n-gpu-layers-draft", "-devd", "--spec-draft-device", "--device-draft", "-ctkd",
    "--spec-draft-type-k", "--cache-type-k-draft", "-ctvd", "--spec-draft-type-v", "--cache-type-v-draft",
    "-otd", "--spec-draft-override-tensor", "--override-tensor-draft", "-cmoed", "--spec-draft-cpu-moe",
    "--cpu-moe-draft", "-ncmoed", "--spec-draft-n-cpu-moe", "--spec-draft-ncmoe", "--n-cpu-moe-draft",
    "--spec-draft-n-max", "--spec-type", "--spec-default", "--spec-ngram-simple-size-m",
    "--spec-ngram-map-k-size-m", "--spec-ngram-map-k4v-size-m", "--spec-ngram-mod-n-max", "--lora", "--lora-scaled",
};

/* Flags llama-server v0.5.0 still lists but refuses ("the argument has been
 * removed"), with what replaces them. */
static const struct {
    const char *flag, *use;
} removed_flags[] = {
    {"--draft", "--spec-draft-n-max or --spec-ngram-mod-n-max"},
    {"--draft-n", "--spec-draft-n-max or --spec-ngram-mod-n-max"},
    {"--draft-max", "--spec-draft-n-max or --spec-ngram-mod-n-max"},
    {"--draft-min", "--spec-draft-n-min or --spec-ngram-mod-n-min"},
    {"--draft-n-min", "--spec-draft-n-min or --spec-ngram-mod-n-min"},
    {"--spec-ngram-size-n", "the respective --spec-ngram-*-size-n"},
    {"--spec-ngram-size-m", "the respective --spec-ngram-*-size-m"},
    {"--spec-ngram-min-hits", "the respective --spec-ngram-*-min-hits"},
};

static bool is_load_extra(const char *a)
{
    for (size_t k = 0; k < sizeof load_extra_flags / sizeof load_extra_flags[0]; k++)
        if (!strcmp(a, load_extra_flags[k]))
            return true;
    return false;
}

bool gp_llama_flag_loads_extra(const char *flag)
{
    return is_load_extra(flag);
}

char **gp_llama_args_append_extras(char **args, const gp_run_params *p)
{
    size_t n = 0;
    while (args && args[n])
        n++;
    char **out = realloc(args, (n + p->n_extra + 1) * sizeof *out);
    if (!out) {
        for (size_t i = 0; i < n; i++)
            free(args[i]);
        free(args);
        return NULL;
    }
    for (uint32_t k = 0; k < p->n_extra; k++) {
        if (!is_load_extra(p->extra[k]))
            continue;
        const gp_llama_flag *f = gp_llama_flag_find(p->extra[k]);
        out[n++] = strdup(p->extra[k]);
        if (f && f->takes_value && k + 1 < p->n_extra)
            out[n++] = strdup(p->extra[++k]);
    }
    out[n] = NULL;
    return out;
}

static gp_status copy_value(char *dst, size_t size, const char *flag, const char *v, gp_error *err)
{
    if (strlen(v) >= size)
        return bad_value(err, flag, v, "a shorter value");
    snprintf(dst, size, "%s", v);
    return GP_OK;
}

/* --lora A,B and --lora-scaled A:0.5,B:1: the files, in order. */
static gp_status add_loras(gp_load_extras *x, const char *flag, const char *v, bool scaled, gp_error *err)
{
    for (const char *s = v; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (scaled) {
            const char *colon = memchr(s, ':', len);
            if (!colon)
                return bad_value(err, flag, v, "FILE:SCALE[,...]");
            len = (size_t)(colon - s);
        }
        if (len == 0 || len >= sizeof x->lora[0])
            return bad_value(err, flag, v, "adapter files");
        if (x->n_lora >= GP_MAX_LORA)
            return gp_fail(err, GP_ERR_ARG, NULL, "%s: more than %d LoRA adapters", flag, GP_MAX_LORA);
        memcpy(x->lora[x->n_lora], s, len);
        x->lora[x->n_lora++][len] = 0;
        if (!comma)
            break;
        s = comma + 1;
    }
    return GP_OK;
}

static gp_status apply_load_extra(gp_run_params *p, const char *a, const char *v, gp_error *err)
{
    gp_load_extras *x = &p->extras;
    long long n;
    if (is(a, "-mm", "--mmproj", NULL))
        return copy_value(x->mmproj, sizeof x->mmproj, a, v, err);
    if (is(a, "-mmu", "--mmproj-url", NULL))
        return copy_value(x->mmproj_url, sizeof x->mmproj_url, a, v, err);
    if (is(a, "--no-mmproj", "--no-mmproj-auto", NULL))
        x->no_mmproj = true;
    else if (is(a, "--mmproj-auto", NULL, NULL))
        x->no_mmproj = false;
    else if (is(a, "--no-mmproj-offload", NULL, NULL))
        x->mmproj_cpu = true;
    else if (is(a, "--mmproj-offload", NULL, NULL))
        x->mmproj_cpu = false;
    else if (is(a, "-mmdev", "--mmproj-device", NULL)) {
        x->mmproj_cpu = !strcmp(v, "none");
        return copy_value(x->mmproj_device, sizeof x->mmproj_device, a, x->mmproj_cpu ? "" : v, err);
    } else if (is(a, "--image-min-tokens", "--image-max-tokens", NULL)) {
        if (!parse_long(v, 0, 1 << 24, &n))
            return bad_value(err, a, v, "a number of tokens");
        *(strstr(a, "min") ? &x->image_min_tokens : &x->image_max_tokens) = (int32_t)n;
    } else if (is(a, "-md", "--model-draft", "--spec-draft-model"))
        return copy_value(x->draft, sizeof x->draft, a, v, err);
    else if (is(a, "-hfd", "-hfrd", "--hf-repo-draft") || is(a, "--spec-draft-hf", NULL, NULL))
        return copy_value(x->draft_hf, sizeof x->draft_hf, a, v, err);
    else if (is(a, "-ngld", "--spec-draft-ngl", NULL) || is(a, "--gpu-layers-draft", "--n-gpu-layers-draft", NULL)) {
        if (!strcmp(v, "auto"))
            x->draft_ngl = GP_NGL_AUTO;
        else if (!strcmp(v, "all"))
            x->draft_ngl = GP_NGL_ALL;
        else if (parse_long(v, -2, 1 << 20, &n))
            x->draft_ngl = n == -1 ? GP_NGL_AUTO : n < -1 ? GP_NGL_ALL : (int32_t)n;
        else
            return bad_value(err, a, v, "a number of layers, auto or all");
    } else if (is(a, "-devd", "--spec-draft-device", "--device-draft"))
        return copy_value(x->draft_devices, sizeof x->draft_devices, a, v, err);
    else if (is(a, "-ctkd", "--spec-draft-type-k", "--cache-type-k-draft"))
        return cache_type(a, v, &x->draft_type_k, err);
    else if (is(a, "-ctvd", "--spec-draft-type-v", "--cache-type-v-draft"))
        return cache_type(a, v, &x->draft_type_v, err);
    else if (is(a, "-otd", "--spec-draft-override-tensor", "--override-tensor-draft"))
        return parse_overrides(draft_overrides(p), a, v, err);
    else if (is(a, "-cmoed", "--spec-draft-cpu-moe", "--cpu-moe-draft")) {
        static const char exps[] = MOE_EXPERTS;
        return add_override(draft_overrides(p), exps, sizeof exps - 1, "CPU", 3, a, err);
    } else if (is(a, "-ncmoed", "--spec-draft-n-cpu-moe", NULL) || is(a, "--spec-draft-ncmoe", "--n-cpu-moe-draft", NULL)) {
        if (!parse_long(v, 0, GP_MAX_DRAFT_OVERRIDES, &n))
            return bad_value(err, a, v, "a number of layers (at most 16 for a draft model)");
        return add_block_overrides(draft_overrides(p), n, MOE_EXPERTS, a, err);
    } else if (is(a, "--spec-draft-n-max", "--spec-ngram-simple-size-m", "--spec-ngram-map-k-size-m") ||
               is(a, "--spec-ngram-map-k4v-size-m", "--spec-ngram-mod-n-max", NULL)) {
        if (!parse_long(v, 0, 1 << 16, &n))
            return bad_value(err, a, v, "a number of draft tokens");
        int32_t *dst = !strcmp(a, "--spec-draft-n-max")           ? &x->draft_n_max
                       : !strcmp(a, "--spec-ngram-simple-size-m") ? &x->ngram_simple_m
                       : !strcmp(a, "--spec-ngram-map-k-size-m")  ? &x->ngram_map_k_m
                       : !strcmp(a, "--spec-ngram-map-k4v-size-m") ? &x->ngram_map_k4v_m
                                                                    : &x->ngram_mod_n_max;
        *dst = (int32_t)n;
    } else if (is(a, "--spec-type", "--spec-default", NULL)) {
        /* Each list is appended to the ones before (--spec-default adds
         * ngram-mod); the names are checked when they are priced. */
        const char *add = strcmp(a, "--spec-default") ? v : "ngram-mod";
        size_t used = strlen(x->spec_type);
        if (used + strlen(add) + 2 > sizeof x->spec_type)
            return bad_value(err, a, add, "fewer speculative types");
        snprintf(x->spec_type + used, sizeof x->spec_type - used, "%s%s", used ? "," : "", add);
        if (!strcmp(a, "--spec-default") && x->ngram_mod_n_max < 0)
            x->ngram_mod_n_max = 64;
    }
    else if (is(a, "--lora", NULL, NULL))
        return add_loras(x, a, v, false, err);
    else if (is(a, "--lora-scaled", NULL, NULL))
        return add_loras(x, a, v, true, err);
    return GP_OK;
}

gp_status gp_llama_args_apply(gp_run_params *p, int argc, char *const *argv, int *i, gp_error *err)
{
    const char *a = argv[*i];
    const gp_llama_flag *f = gp_llama_flag_find(a);
    if (!f)
        return gp_fail(err, GP_ERR_ARG, NULL, "unknown flag '%s' (llama-server does not accept it)", a);
    for (size_t k = 0; k < sizeof removed_flags / sizeof removed_flags[0]; k++)
        if (!strcmp(a, removed_flags[k].flag))
            return gp_fail(err, GP_ERR_ARG, NULL, "%s was removed from llama-server (it refuses to start); use %s", a,
                           removed_flags[k].use);
    const char *v = NULL;
    if (f->takes_value) {
        if (*i + 1 >= argc)
            return gp_fail(err, GP_ERR_ARG, NULL, "%s needs a value", a);
        v = argv[*i + 1];
    }
    *i += f->takes_value ? 2 : 1;
    long long n;

    if (is(a, "-c", "--ctx-size", NULL)) {
        if (!parse_long(v, 0, 1ll << 32, &n))
            return bad_value(err, a, v, "a context size");
        p->n_ctx = n;
        p->user_set_ctx = true;
    } else if (is(a, "-b", "--batch-size", NULL)) {
        if (!parse_long(v, 1, 1 << 24, &n))
            return bad_value(err, a, v, "a positive batch size");
        p->n_batch = (uint32_t)n;
        p->user_set_b = true;
    } else if (is(a, "-ub", "--ubatch-size", NULL)) {
        if (!parse_long(v, 1, 1 << 24, &n))
            return bad_value(err, a, v, "a positive micro-batch size");
        p->n_ubatch = (uint32_t)n;
        p->user_set_ub = true;
    } else if (is(a, "-np", "--parallel", NULL)) {
        if (!parse_long(v, -1, 256, &n))
            return bad_value(err, a, v, "a number of slots, or -1 for auto");
        p->n_parallel = (int32_t)n;
        p->user_set_np = true;
    } else if (is(a, "-kvu", "--kv-unified", NULL)) {
        p->kv_unified = 1;
        p->user_set_kvu = true;
    } else if (is(a, "-no-kvu", "--no-kv-unified", NULL)) {
        p->kv_unified = 0;
        p->user_set_kvu = true;
    } else if (is(a, "-fa", "--flash-attn", NULL)) {
        int t = tristate(v);
        if (t == -2)
            return bad_value(err, a, v, "on, off or auto");
        p->flash_attn = t == 1 ? GP_FA_ON : t == 0 ? GP_FA_OFF : GP_FA_AUTO;
        p->user_set_fa = true;
    } else if (is(a, "-ctk", "--cache-type-k", NULL)) {
        p->user_set_ctk = true;
        return cache_type(a, v, &p->type_k, err);
    } else if (is(a, "-ctv", "--cache-type-v", NULL)) {
        p->user_set_ctv = true;
        return cache_type(a, v, &p->type_v, err);
    } else if (is(a, "--swa-full", NULL, NULL)) {
        p->swa_full = true;
    } else if (is(a, "-ngl", "--gpu-layers", "--n-gpu-layers")) {
        if (strcmp(v, "auto") == 0)
            p->n_gpu_layers = GP_NGL_AUTO;
        else if (strcmp(v, "all") == 0)
            p->n_gpu_layers = GP_NGL_ALL;
        else if (parse_long(v, -2, 1 << 20, &n))
            p->n_gpu_layers = n == -1 ? GP_NGL_AUTO : n < -1 ? GP_NGL_ALL : (int32_t)n;
        else
            return bad_value(err, a, v, "a number of layers, auto or all");
        p->user_set_ngl = true;
    } else if (is(a, "-ts", "--tensor-split", NULL)) {
        return parse_split(p, a, v, err);
    } else if (is(a, "-sm", "--split-mode", NULL)) {
        if (!strcmp(v, "none")) p->split_mode = GP_SPLIT_NONE;
        else if (!strcmp(v, "layer")) p->split_mode = GP_SPLIT_LAYER;
        else if (!strcmp(v, "row")) p->split_mode = GP_SPLIT_ROW;
        else if (!strcmp(v, "tensor")) p->split_mode = GP_SPLIT_TENSOR;
        else return bad_value(err, a, v, "none, layer, row or tensor");
        p->user_set_sm = true;
    } else if (is(a, "-mg", "--main-gpu", NULL)) {
        if (!parse_long(v, 0, GP_MAX_DEVICES, &n))
            return bad_value(err, a, v, "a GPU index");
        p->main_gpu = (int32_t)n;
    } else if (is(a, "-ot", "--override-tensor", NULL)) {
        p->user_set_ot = true;
        return parse_overrides(main_overrides(p), a, v, err);
    } else if (is(a, "-cmoe", "--cpu-moe", NULL)) {
        p->user_set_ot = true;
        static const char exps[] = MOE_EXPERTS;
        uint32_t first = p->n_overrides;
        gp_status st = add_override(main_overrides(p), exps, sizeof exps - 1, "CPU", 3, a, err);
        mark_flag(p, first, "--cpu-moe", -1);
        return st;
    } else if (is(a, "-ncmoe", "--n-cpu-moe", NULL)) {
        if (!parse_long(v, 0, 100000, &n))
            return bad_value(err, a, v, "a number of layers");
        p->user_set_ot = true;
        uint32_t first = p->n_overrides;
        gp_status st = add_block_overrides(main_overrides(p), n, MOE_EXPERTS, a, err);
        mark_flag(p, first, "--n-cpu-moe", n);
        return st;
    } else if (is(a, "-ncffn", "--n-cpu-ffn", NULL)) {
        if (!parse_long(v, 0, 100000, &n))
            return bad_value(err, a, v, "a number of layers");
        p->user_set_ot = true;
        uint32_t first = p->n_overrides;
        gp_status st = add_block_overrides(main_overrides(p), n, "\\.ffn_(up|down|gate)\\.", a, err);
        mark_flag(p, first, "--n-cpu-ffn", n);
        return st;
    } else if (is(a, "-cram", "--cache-ram", NULL)) {
        if (!parse_long(v, -1, 1 << 30, &n))
            return bad_value(err, a, v, "MiB, -1 for no limit or 0 for none");
        p->cache_ram_mib = (int32_t)n;
        p->user_set_cram = true;
    } else if (is(a, "-ctxcp", "--ctx-checkpoints", "--swa-checkpoints")) {
        if (!parse_long(v, 0, 1 << 20, &n))
            return bad_value(err, a, v, "a number of checkpoints per slot");
        p->ctx_checkpoints = (int32_t)n;
        p->user_set_ctxcp = true;
    } else if (is(a, "-cms", "--checkpoint-min-step", NULL)) {
        if (!parse_long(v, 0, 1ll << 31, &n))
            return bad_value(err, a, v, "a number of tokens");
        p->checkpoint_min_step = (int32_t)n;
    } else if (is(a, "-nkvo", "--no-kv-offload", NULL)) {
        p->no_kv_offload = true;
    } else if (is(a, "-kvo", "--kv-offload", NULL)) {
        p->no_kv_offload = false;
    } else if (is(a, "--rpc", NULL, NULL)) {
        if (strlen(v) >= sizeof p->rpc)
            return bad_value(err, a, v, "a shorter list of HOST:PORT");
        snprintf(p->rpc, sizeof p->rpc, "%s", v);
    } else if (is_load_extra(a)) {
        /* Memory of what else the server loads; the flag is also kept as
         * given so the commands that run llama.cpp pass it on. */
        gp_status st = apply_load_extra(p, a, v, err);
        if (st == GP_OK)
            keep_extra(p, a, v);
        return st;
    } else if (is(a, "-dev", "--device", NULL)) {
        if (strlen(v) >= sizeof p->devices)
            return bad_value(err, a, v, "a shorter device list");
        snprintf(p->devices, sizeof p->devices, "%s", v);
        keep_extra(p, a, v);
    } else if (is(a, "-m", "--model", NULL)) {
        snprintf(p->model_path, sizeof p->model_path, "%s", v);
    } else if (is(a, "-hf", "-hfr", "--hf-repo")) {
        if (strlen(v) >= sizeof p->hf_repo)
            return bad_value(err, a, v, "OWNER/REPO[:QUANT]");
        snprintf(p->hf_repo, sizeof p->hf_repo, "%s", v);
    } else if (is(a, "-hff", "--hf-file", NULL)) {
        if (strlen(v) >= sizeof p->hf_file)
            return bad_value(err, a, v, "a shorter file name");
        snprintf(p->hf_file, sizeof p->hf_file, "%s", v);
    } else if (is(a, "-mu", "--model-url", NULL)) {
        if (strlen(v) >= sizeof p->model_url)
            return bad_value(err, a, v, "a shorter URL");
        snprintf(p->model_url, sizeof p->model_url, "%s", v);
    } else if (is(a, "-hft", "--hf-token", NULL)) {
        if (strlen(v) >= sizeof p->hf_token)
            return bad_value(err, a, v, "a shorter token");
        snprintf(p->hf_token, sizeof p->hf_token, "%s", v);
    } else if (is(a, "--offline", NULL, NULL)) {
        p->offline = true;
    } else if (f->takes_value && (!v || !*v)) {
        return gp_fail(err, GP_ERR_ARG, NULL, "%s needs a value", a);
    } else if (!is(a, "--port", "--host", NULL)) {
        /* Valid and memory-neutral: kept for the commands that run llama.cpp
         * (which choose their own host and port). */
        keep_extra(p, a, v);
    }
    return GP_OK;
}
