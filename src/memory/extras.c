#include "memory/extras.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "gguf/types.h"
#include "memory/kv.h"
#include "memory/mem.h"
#include "memory/mmproj.h"
#include "util/error.h"

const char *gp_extra_kind_name(gp_extra_kind k)
{
    switch (k) {
    case GP_EXTRA_MMPROJ: return "mmproj";
    case GP_EXTRA_DRAFT: return "draft";
    case GP_EXTRA_MTP: return "mtp";
    default: return "lora";
    }
}

void gp_load_extras_names(const gp_load_extras *x, const char *mmproj_fallback, gp_extra_names *names)
{
    memset(names, 0, sizeof *names);
    names->mmproj = x->mmproj[0] ? x->mmproj : x->mmproj_url[0] ? x->mmproj_url : NULL;
    if (!names->mmproj && !x->no_mmproj && mmproj_fallback && *mmproj_fallback)
        names->mmproj = mmproj_fallback;
    names->draft = x->draft;
    names->draft_hf = x->draft_hf;
    for (uint32_t i = 0; i < x->n_lora && i < GP_MAX_LORA; i++)
        names->lora[i] = x->lora[i];
    names->n_lora = x->n_lora < GP_MAX_LORA ? x->n_lora : GP_MAX_LORA;
}

/* ---- pricing ------------------------------------------------------------------ */

/* The file's name without its folders, cut to size (a display name). */
static void base_name(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t n = strlen(name);
    if (n >= size)
        n = size - 1;
    memcpy(out, name, n);
    out[n] = 0;
}

static gp_extra_mem *add_item(gp_mem_result *r, gp_extra_kind kind, const char *path)
{
    if (r->extras.n >= GP_MAX_EXTRAS)
        return NULL;
    gp_extra_mem *e = &r->extras.item[r->extras.n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    base_name(path, e->name, sizeof e->name);
    return e;
}

/* The projector: on the device -mmdev names, else the first GPU, else the
 * CPU; the CPU keeps the graph inputs when it runs elsewhere. */

static gp_status price_mmproj(const gp_extra_files *f, const gp_run_params *p, const gp_devices *d,
                              gp_mem_result *r, gp_error *err)
{
    const gp_load_extras *x = &p->extras;
    uint32_t dev = 0;
    if (!x->mmproj_cpu) {
        if (x->mmproj_device[0])
            dev = gp_devices_find_llama(d, x->mmproj_device);
        for (uint32_t i = 1; i < d->n && !dev && !x->mmproj_device[0]; i++)
            if (gp_device_is_gpu(&d->dev[i]))
                dev = i;
        if (x->mmproj_device[0] && !dev)
            return gp_fail(err, GP_ERR_ARG, NULL, "-mmdev %s: no such device", x->mmproj_device);
    }
    gp_mmproj_params mp = {
        .flash_attn = p->flash_attn != GP_FA_OFF,
        .flash_attn_auto = p->flash_attn == GP_FA_AUTO,
        .image_min_tokens = x->image_min_tokens,
        .image_max_tokens = x->image_max_tokens,
        .weight_alignment = (uint32_t)gp_device_weight_alignment(&d->dev[dev]),
    };
    gp_mmproj_mem mm;
    gp_status st = gp_mmproj_estimate(f->mmproj, f->mmproj_name, &mp, &mm, err);
    if (st != GP_OK)
        return st;
    gp_extra_mem *e = add_item(r, GP_EXTRA_MMPROJ, f->mmproj_name);
    if (!e)
        return GP_OK;
    e->model[dev] = mm.weights;
    e->compute[dev] = mm.compute;
    if (dev != 0)
        e->compute[0] += mm.compute_host;
    e->estimated = mm.compute_estimated;
    return GP_OK;
}

/* The draft model of speculative decoding: llama-server copies the main
 * settings and changes a few (common_base_params_to_speculative): its own
 * -ngld (default all), -otd/-cmoed/-ncmoed only, -ctkd/-ctvd (default f16),
 * and the main context's final size; one context shared by every slot. */
static gp_status price_draft(const gp_extra_files *f, const gp_run_params *p, const gp_devices *d,
                             gp_mem_result *r, gp_error *err)
{
    const gp_load_extras *x = &p->extras;
    gp_run_params dp;
    gp_run_params_default(&dp, GP_APP_SERVER);
    dp.n_ctx = (int64_t)r->ctx.n_ctx;
    dp.n_parallel = (int32_t)r->ctx.n_seq;
    dp.kv_unified = r->ctx.kv_unified ? 1 : 0;
    dp.n_batch = p->n_batch;
    dp.n_ubatch = p->n_ubatch;
    dp.flash_attn = p->flash_attn;
    dp.swa_full = p->swa_full;
    dp.no_kv_offload = p->no_kv_offload;
    dp.split_mode = p->split_mode;
    dp.main_gpu = p->main_gpu;
    memcpy(dp.tensor_split, p->tensor_split, sizeof dp.tensor_split);
    dp.n_tensor_split = p->n_tensor_split;
    dp.type_k = x->draft_type_k;
    dp.type_v = x->draft_type_v;
    dp.n_gpu_layers = x->draft_ngl == GP_NGL_AUTO ? GP_NGL_ALL : x->draft_ngl;
    memcpy(dp.overrides, x->draft_overrides, x->n_draft_overrides * sizeof dp.overrides[0]);
    dp.n_overrides = x->n_draft_overrides;
    /* -devd, else the main model's -dev list; one device means split mode
     * layer over it alone. */
    snprintf(dp.devices, sizeof dp.devices, "%s", x->draft_devices[0] ? x->draft_devices : p->devices);
    if (x->draft_devices[0] && !strchr(x->draft_devices, ','))
        dp.split_mode = GP_SPLIT_LAYER;
    /* Without -ts the draft's layers split by what each device has free
     * once the main model is loaded. */
    gp_devices after = *d;
    for (uint32_t i = 0; i < after.n; i++) {
        uint64_t used = gp_mem_on_device(r, i);
        if (after.dev[i].free)
            after.dev[i].free = after.dev[i].free > used ? after.dev[i].free - used : 1;
    }
    gp_mem_result dr;
    gp_status st = gp_mem_estimate(f->draft, &dp, &after, &dr, err);
    if (st != GP_OK)
        return st;
    gp_extra_mem *e = add_item(r, GP_EXTRA_DRAFT, f->draft_name);
    if (e) {
        for (uint32_t i = 0; i < d->n; i++) {
            e->model[i] = dr.dev[i].model;
            e->context[i] = dr.dev[i].context;
            e->compute[i] = dr.dev[i].compute;
        }
        e->estimated = dr.compute_estimated;
    }
    gp_mem_result_free(&dr);
    return GP_OK;
}

/* Multi-token prediction with the model's own NextN layers (--spec-type
 * draft-mtp, no -md): llama-server then loads those layers (skipped
 * otherwise) on their layer's device, and creates a second context on the
 * same model whose cache holds only the NextN layers, typed -ctkd/-ctvd.
 * Its compute graph (one NextN block over the micro-batch, then the head)
 * is bounded by the main graph's buffer on that device. */
static gp_status price_mtp(const gp_model *m, const gp_run_params *p, gp_mem_result *r, gp_error *err)
{
    const gp_placement *pl = &r->placement;
    gp_extra_mem *e = add_item(r, GP_EXTRA_MTP, "NextN layers");
    if (!e)
        return GP_OK;
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        int32_t layer = m->tensors[t].layer;
        if (layer >= 0 && m->layers[layer].nextn)
            e->model[pl->layer_dev[layer]] += m->tensors[t].info->bytes;
    }
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++) {
        if (!m->layers[il].nextn)
            continue;
        uint64_t k, v;
        if (!gp_type_row_bytes(p->extras.draft_type_k, gp_kv_k_elems(m, il), &k) ||
            !gp_type_row_bytes(p->extras.draft_type_v, gp_kv_v_elems(m, il), &v))
            return gp_fail(err, GP_ERR_CONFIG, m->path,
                           "-ctkd/-ctvd do not divide NextN layer %u's K/V rows into whole blocks", il);
        uint64_t cell = k + v;
        int32_t dev = p->no_kv_offload ? 0 : pl->layer_dev[il];
        e->context[dev] += r->ctx.n_ctx_seq * r->ctx.n_stream * cell;
        int32_t cdev = pl->layer_dev[il];
        if (r->dev[cdev].compute > e->compute[cdev])
            e->compute[cdev] = r->dev[cdev].compute;
    }
    e->estimated = true;
    return GP_OK;
}

/* One adapter: its A/B pairs live where the tensors they adapt live (a
 * base in the CPU repack buffer gets a plain CPU one). The compute buffer
 * grows only where a device receives activations from another backend: LoRA
 * buffers do not pin their ops, so the scheduler runs the LoRA of the last
 * matmul before the boundary (a layer's ffn_down) on the receiving device
 * and copies that pair into its compute buffer (4 copies when pipelining);
 * between two GPUs only the [rank, ubatch] activation crosses. One boundary
 * is live at a time, so a device pays for its largest. */
static gp_status price_lora(const gp_model *m, const gp_gguf *g, const char *path, const gp_run_params *p,
                            const gp_devices *d, gp_mem_result *r, gp_error *err)
{
    gp_extra_mem *e = add_item(r, GP_EXTRA_LORA, path);
    if (!e)
        return GP_OK;
    const gp_placement *pl = &r->placement;
    uint32_t n_layer = m->hp.n_layer_all;
    /* Per layer: the adapted ffn_down pair's bytes and the device of its base. */
    uint64_t *down = calloc(n_layer + 1, sizeof *down);
    int32_t *down_dev = calloc(n_layer + 1, sizeof *down_dev);
    if (!down || !down_dev) {
        free(down);
        free(down_dev);
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    }
    uint64_t rank = 0, embd_pair = 0;
    gp_status st = GP_OK;
    for (size_t k = 0; k < g->n_tensors && st == GP_OK; k++) {
        const gp_gguf_tensor *a = &g->tensors[k];
        size_t len = strlen(a->name);
        if (len < 7 || strcmp(a->name + len - 7, ".lora_a"))
            continue;
        char adapted[GP_GGUF_MAX_NAME];
        snprintf(adapted, sizeof adapted, "%.*s", (int)(len - 7), a->name);
        const gp_tensor *bt = gp_model_find_tensor(m, adapted);
        int64_t t = bt ? bt - m->tensors : -1;
        if (t < 0) {
            st = gp_fail(err, GP_ERR_FORMAT, path, "adapts %.*s, which the model does not have", (int)(len - 7),
                         a->name);
            break;
        }
        char bname[600];
        snprintf(bname, sizeof bname, "%.*s.lora_b", (int)(len - 7), a->name);
        const gp_gguf_tensor *b = NULL;
        for (size_t j = 0; j < g->n_tensors && !b; j++)
            if (!strcmp(g->tensors[j].name, bname))
                b = &g->tensors[j];
        if (!b) {
            st = gp_fail(err, GP_ERR_FORMAT, path, "%s has no lora_b", a->name);
            break;
        }
        int32_t dev = pl->tensor_dev[t];
        if (dev < 0)
            continue; /* a NextN tensor the model does not load */
        uint64_t al = gp_device_weight_alignment(&d->dev[dev]);
        e->model[dev] += (a->bytes + al - 1) / al * al + (b->bytes + al - 1) / al * al;
        const gp_tensor *base = &m->tensors[t];
        bool embd = base->role == GP_ROLE_TOKEN_EMBD;
        uint64_t r_a = embd ? (uint64_t)a->ne[0] : (uint64_t)a->ne[1];
        if (r_a > rank)
            rank = r_a;
        if (embd)
            embd_pair = a->bytes + b->bytes;
        else if ((base->role == GP_ROLE_FFN_DOWN || base->role == GP_ROLE_EXP_DOWN) && base->layer >= 0 &&
                 (uint32_t)base->layer < n_layer) {
            down[base->layer] += a->bytes + b->bytes;
            down_dev[base->layer] = dev;
        }
    }
    uint64_t ub = r->ctx.n_ubatch;
    uint64_t copies = gp_mem_pipeline_parallel(m, p, d, pl) ? 4 : 1;
    uint64_t need[GP_MAX_DEVICES] = {0};
    for (uint32_t il = 0; st == GP_OK && il < n_layer; il++) {
        int32_t dev = pl->layer_dev[il];
        if (dev <= 0)
            continue;
        uint64_t x = 0;
        if (down[il] && down_dev[il] != dev) /* ffn_down spilled by -ot: its LoRA crosses back */
            x = copies * down[il] + 4 * ub * m->hp.n_embd;
        if (il > 0 && pl->layer_dev[il - 1] != dev && down[il - 1]) {
            /* from the CPU the pair crosses; between GPUs (not pipelined)
             * only the [rank, ubatch] activation does */
            uint64_t y = pl->layer_dev[il - 1] == 0 ? copies * down[il - 1] : copies > 1 ? 0 : 4 * rank * ub;
            x = x > y ? x : y;
        }
        need[dev] = need[dev] > x ? need[dev] : x;
    }
    if (st == GP_OK && embd_pair && n_layer && pl->layer_dev[0] > 0) {
        /* token_embd's pair and the token ids cross to the first GPU; with
         * a second GPU its [rank, ubatch] result crosses too. */
        bool more_gpus = false;
        for (uint32_t il = 1; il < n_layer; il++)
            more_gpus = more_gpus || (pl->layer_dev[il] > 0 && pl->layer_dev[il] != pl->layer_dev[0]);
        need[pl->layer_dev[0]] += copies * (embd_pair + 4 * ub) + (more_gpus ? 4 * rank * ub : 0);
    }
    for (uint32_t i = 0; i < d->n; i++)
        e->compute[i] = need[i];
    free(down);
    free(down_dev);
    return st;
}

gp_status gp_extras_estimate(const gp_model *m, const gp_run_params *p, const gp_devices *d, gp_mem_result *r,
                             gp_error *err)
{
    static const gp_extra_files none;
    const gp_extra_files *f = p->extras.files ? p->extras.files : &none;
    memset(&r->extras, 0, sizeof r->extras);
    memset(r->extra, 0, sizeof r->extra);
    gp_status st = GP_OK;
    if (f->mmproj)
        st = price_mmproj(f, p, d, r, err);
    if (st == GP_OK && !f->draft && strstr(p->extras.spec_type, "draft-mtp")) {
        if (m->hp.n_nextn > 0)
            st = price_mtp(m, p, r, err);
        else
            snprintf(r->extras.note, sizeof r->extras.note,
                     "--spec-type draft-mtp: %.300s has no NextN (multi-token prediction) layers", m->path);
    }
    if (st == GP_OK && f->draft) {
        uint32_t n_max;
        bool drafts, rollback;
        st = gp_spec_types(&p->extras, &n_max, &drafts, &rollback, err);
        /* Without a drafting --spec-type llama-server loads the draft, finds
         * nothing to use it for and frees it again. */
        if (st == GP_OK && drafts)
            st = price_draft(f, p, d, r, err);
        else if (st == GP_OK)
            snprintf(r->extras.note, sizeof r->extras.note,
                     "%.300s is freed right after loading: llama-server uses a draft model only with "
                     "--spec-type draft-simple", f->draft_name);
    }
    for (uint32_t i = 0; st == GP_OK && i < f->n_lora; i++)
        st = price_lora(m, f->lora[i], p->extras.lora[i], p, d, r, err);
    for (uint32_t k = 0; st == GP_OK && k < r->extras.n; k++)
        for (uint32_t i = 0; i < d->n; i++) {
            r->extra[i].model += r->extras.item[k].model[i];
            r->extra[i].context += r->extras.item[k].context[i];
            r->extra[i].compute += r->extras.item[k].compute[i];
        }
    return st;
}
