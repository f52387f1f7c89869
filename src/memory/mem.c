#include "memory/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "memory/kv.h"
#include "model/arch.h"
#include "util/error.h"

void gp_mem_result_free(gp_mem_result *r)
{
    gp_placement_free(&r->placement);
}

static uint64_t padded(uint64_t bytes, uint64_t align)
{
    return (bytes + align - 1) / align * align;
}

/* Weights per device, as llama.cpp's model buffers hold them: each tensor
 * padded to its buffer's alignment. */
static void add_weights(const gp_model *m, const gp_placement *pl, const gp_devices *d, gp_mem_result *r)
{
    uint64_t rope_bytes[GP_MAX_DEVICES] = {0};
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        int32_t dev = pl->tensor_dev[t];
        if (dev < 0)
            continue;
        r->dev[dev].model += padded(m->tensors[t].info->bytes, gp_device_weight_alignment(&d->dev[dev]));
        if (gp_rope_shared(m->tensors[t].info->name))
            for (uint32_t k = 0; k < r->n_devices; k++)
                rope_bytes[k] += padded(m->tensors[t].info->bytes, gp_device_weight_alignment(&d->dev[k]));
    }
    for (uint32_t k = 0; k < r->n_devices; k++)
        if (pl->rope_dup[k])
            r->dev[k].model += rope_bytes[k];
    if (pl->tied_output_dev >= 0)
        r->dev[pl->tied_output_dev].model +=
            padded(pl->tied_output_bytes, gp_device_weight_alignment(&d->dev[pl->tied_output_dev]));
}

static uint64_t pad256_u64(uint64_t n)
{
    return (n + 255) / 256 * 256;
}

/* DeepSeek-V4's caches of layer il (llama.cpp's llama_kv_cache_dsv4): one
 * K=V head (key_length wide, K only) kept raw over the sliding window plus
 * the ubatch, padded to 256 cells, in a stream per sequence even when the
 * cache was asked unified; on layers with a compress ratio r the same head
 * compressed to ceil(n_ctx_seq / r) cells (padded to 256) per sequence, the
 * 4:1 layers with the lightning indexer's compressed keys beside it; and
 * each compressor's F32 state (its kv and score rows: 2 x head of 8 rows on
 * 4:1 layers, and the indexer's 2 x its key of 8 rows; one head of 128 rows
 * on 128:1 layers) per sequence and rollback copy. */
static bool dsv4_layer_bytes(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c, uint32_t il,
                             uint64_t *out)
{
    const uint64_t hd = m->hp.head_dim_k, di = m->hp.indexer_head_dim, ns = c->n_seq ? c->n_seq : 1;
    const uint64_t r = m->layers[il].compress_ratio;
    uint64_t k, ki = 0;
    if (!gp_type_row_bytes(p->type_k, hd, &k) || (r == 4 && !gp_type_row_bytes(p->type_k, di, &ki)))
        return false;
    uint64_t raw = c->n_ctx_seq;
    if (!p->swa_full) {
        const uint64_t want = (uint64_t)m->hp.n_swa + c->n_ubatch;
        raw = pad256_u64(want < c->n_ctx_seq ? want : c->n_ctx_seq);
    }
    uint64_t b = raw * k, state = 0;
    if (r) {
        const uint64_t comp = pad256_u64((c->n_ctx_seq + r - 1) / r ? (c->n_ctx_seq + r - 1) / r : 1);
        b += comp * (k + ki);
        state = r == 4 ? 2 * (2 * hd) * 8 + 2 * (2 * di) * 8 : 2 * hd * r;
    }
    *out = ns * b + ns * (c->rs_copies ? c->rs_copies : 1) * state * 4;
    return true;
}

gp_status gp_mem_layer_context(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                               uint32_t il, uint64_t *bytes, gp_error *err)
{
    const gp_layer *l = &m->layers[il];
    *bytes = 0;
    if (l->nextn && !l->router)
        return GP_OK;
    if (m->dsv4_cache) {
        if (!dsv4_layer_bytes(m, p, c, il, bytes))
            return gp_fail(err, GP_ERR_CONFIG, m->path,
                           "cache types -ctk/-ctv do not divide layer %u's K rows into whole blocks; llama.cpp refuses them",
                           il);
        return GP_OK;
    }
    uint64_t state = 0;
    if (l->kind == GP_LAYER_RECURRENT) {
        uint64_t n_rs = (uint64_t)(c->n_seq ? c->n_seq : 1) * (c->rs_copies ? c->rs_copies : 1);
        if (__builtin_mul_overflow(n_rs, gp_recurrent_seq_bytes(m, il), &state))
            return gp_fail(err, GP_ERR_CONFIG, m->path, "recurrent state size overflows");
        *bytes = state;
        if (!l->attends)
            return GP_OK;
    }
    uint64_t cell;
    if (!gp_kv_cell_bytes_vt(m, il, p->type_k, p->type_v, p->flash_attn == GP_FA_OFF, &cell))
        return gp_fail(err, GP_ERR_CONFIG, m->path,
                       "cache types -ctk/-ctv do not divide layer %u's K/V rows into whole blocks; llama.cpp refuses them",
                       il);
    uint64_t cells = l->kind == GP_LAYER_SWA ? gp_ctx_swa_cells(m, p, c) : c->n_ctx_seq;
    if (__builtin_mul_overflow(cells * c->n_stream, cell, bytes) || __builtin_add_overflow(*bytes, state, bytes))
        return gp_fail(err, GP_ERR_CONFIG, m->path, "KV cache size overflows");
    return GP_OK;
}

/* KV cache and recurrent state per device. */
static gp_status add_context(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                             const gp_placement *pl, gp_mem_result *r, gp_error *err)
{
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++) {
        uint64_t bytes;
        gp_status st = gp_mem_layer_context(m, p, c, il, &bytes, err);
        if (st != GP_OK)
            return st;
        int32_t dev = pl->kv_dev[il];
        if (__builtin_add_overflow(r->dev[dev].context, bytes, &r->dev[dev].context))
            return gp_fail(err, GP_ERR_CONFIG, m->path, "KV cache size overflows");
    }
    return GP_OK;
}

static int32_t remap(int32_t dev, const uint32_t *map)
{
    return dev < 0 ? dev : (int32_t)map[dev];
}

/* The estimate over the -dev subset, reported over every device. */
static gp_status estimate_on_subset(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                                    gp_mem_result *r, gp_error *err)
{
    gp_devices sub;
    uint32_t map[GP_MAX_DEVICES];
    gp_status st = gp_devices_select(d, p->devices, &sub, map, err);
    if (st != GP_OK)
        return st;
    gp_run_params *q = malloc(sizeof *q);
    gp_mem_result *fr = malloc(sizeof *fr);
    if (!q || !fr) {
        free(q);
        free(fr);
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    }
    *q = *p;
    q->devices[0] = 0;
    st = gp_mem_estimate(m, q, &sub, fr, err);
    if (st == GP_OK) {
        memset(r, 0, sizeof *r);
        r->ctx = fr->ctx;
        r->n_devices = d->n;
        r->host_output = fr->host_output;
        r->compute_estimated = fr->compute_estimated;
        r->compute_checked = fr->compute_checked;
        r->compute_bound = fr->compute_bound;
        r->extras = fr->extras;
        r->runtime = fr->runtime;
        memset(r->extras.item, 0, sizeof r->extras.item);
        for (uint32_t k = 0; k < fr->extras.n; k++) {
            gp_extra_mem *to = &r->extras.item[k];
            const gp_extra_mem *from = &fr->extras.item[k];
            to->kind = from->kind;
            to->estimated = from->estimated;
            memcpy(to->name, from->name, sizeof to->name);
            for (uint32_t i = 0; i < sub.n; i++) {
                to->model[map[i]] = from->model[i];
                to->context[map[i]] = from->context[i];
                to->compute[map[i]] = from->compute[i];
            }
        }
        for (uint32_t i = 0; i < sub.n; i++) {
            r->dev[map[i]] = fr->dev[i];
            r->extra[map[i]] = fr->extra[i];
        }
        /* The placement, in the full list's device numbers. */
        r->placement = fr->placement;
        gp_placement *pl = &r->placement;
        for (uint64_t t = 0; t < m->n_tensors; t++)
            pl->tensor_dev[t] = remap(pl->tensor_dev[t], map);
        for (uint32_t il = 0; il <= m->hp.n_layer_all; il++) {
            pl->layer_dev[il] = remap(pl->layer_dev[il], map);
            pl->kv_dev[il] = remap(pl->kv_dev[il], map);
        }
        pl->output_dev = remap(pl->output_dev, map);
        pl->tied_output_dev = remap(pl->tied_output_dev, map);
        int32_t dup[GP_MAX_DEVICES] = {0};
        for (uint32_t i = 0; i < sub.n; i++)
            dup[map[i]] = pl->rope_dup[i];
        memcpy(pl->rope_dup, dup, sizeof dup);
    }
    free(q);
    free(fr);
    return st;
}

/* An architecture whose graph no released model of it checked (tier 2)
 * is built by the nearest family's graph. What such a graph misses are
 * activations the family keeps alive beside the modelled ones: a parallel
 * residual's second branch, a LayerNorm that cannot run in place, Q and K
 * without rope, each one [n_embd, n_ubatch] f32 tensor. Seven architectures
 * measured with the nearest graph before their own was modelled
 * (bench/referee) missed by 1.2 % to 23.7 % of a device's compute buffer,
 * never by more than 10 % of it plus 2 such tensors (Falcon on a GPU
 * holding half the layers: 2 tensors; MPT: 3 tensors, 18.5 %). The bound
 * adds both to each device's buffer. */
static void tier2_bound(const gp_model *m, const gp_ctx_shape *c, gp_mem_result *r)
{
    const uint64_t tokens = c->n_ubatch < c->n_ctx ? c->n_ubatch : c->n_ctx;
    const uint64_t activation = m->hp.n_embd * tokens * sizeof(float);
    for (uint32_t i = 0; i < r->n_devices; i++) {
        uint64_t *b = &r->dev[i].compute;
        if (*b)
            *b += *b / 10 + 2 * activation;
    }
    r->compute_bound = true;
}

gp_status gp_mem_estimate(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                          gp_mem_result *r, gp_error *err)
{
    if (p->devices[0])
        return estimate_on_subset(m, p, d, r, err);
    memset(r, 0, sizeof *r);
    r->n_devices = d->n;
    gp_status st = gp_ctx_resolve(m, p, &r->ctx, err);
    if (st != GP_OK)
        return st;
    st = gp_place(m, p, d, &r->placement, err);
    if (st != GP_OK)
        return st;
    add_weights(m, &r->placement, d, r);
    st = add_context(m, p, &r->ctx, &r->placement, r, err);
    if (st == GP_OK) {
        uint64_t compute[GP_MAX_DEVICES] = {0};
        st = gp_mem_compute(m, p, &r->ctx, d, &r->placement, compute, &r->compute_estimated, err);
        for (uint32_t i = 0; i < d->n; i++)
            r->dev[i].compute = compute[i];
        bool known;
        r->compute_checked = !r->compute_estimated && gp_arch_lookup(m->arch, &known)->checked;
        if (!r->compute_checked && !r->compute_estimated)
            tier2_bound(m, &r->ctx, r);
    }
    r->host_output = m->hp.n_vocab * r->ctx.n_seq * 4;
    if (st == GP_OK && (p->extras.files || p->extras.spec_type[0]))
        st = gp_extras_estimate(m, p, d, r, err);
    if (st == GP_OK)
        st = gp_runtime_estimate(m, p, &r->ctx, d, &r->placement, &r->runtime, err);
    if (st != GP_OK)
        gp_mem_result_free(r);
    return st;
}
