#include "memory/kv.h"

#include "gguf/types.h"

static bool has_cache(const gp_model *m, uint32_t il)
{
    const gp_layer *l = &m->layers[il];
    return (!l->nextn || l->router) && (l->kind != GP_LAYER_RECURRENT || l->attends) && l->kv_src == (int32_t)il;
}

uint64_t gp_kv_k_elems(const gp_model *m, uint32_t il)
{
    const gp_layer *l = &m->layers[il];
    if (l->kind == GP_LAYER_MLA)
        /* The cache stores the compressed latent plus the rope part of K:
         * key_length (kv_lora_rank + rope dim) for the single latent head. */
        return (uint64_t)m->hp.head_dim_k * (l->n_head_kv ? l->n_head_kv : 1);
    return (uint64_t)l->head_dim_k * l->n_head_kv;
}

uint64_t gp_kv_v_elems(const gp_model *m, uint32_t il)
{
    const gp_layer *l = &m->layers[il];
    if (l->kind == GP_LAYER_MLA)
        return 0;
    return (uint64_t)l->head_dim_v * l->n_head_kv;
}

uint64_t gp_kv_v_elems_max(const gp_model *m)
{
    uint64_t v = 0;
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++)
        if (m->layers[il].kind != GP_LAYER_MLA && gp_kv_v_elems(m, il) > v)
            v = gp_kv_v_elems(m, il);
    return v;
}

bool gp_kv_cell_bytes(const gp_model *m, uint32_t il, uint32_t type_k, uint32_t type_v,
                      uint64_t *out)
{
    return gp_kv_cell_bytes_vt(m, il, type_k, type_v, false, out);
}

bool gp_kv_cell_bytes_vt(const gp_model *m, uint32_t il, uint32_t type_k, uint32_t type_v, bool v_trans,
                         uint64_t *out)
{
    *out = 0;
    if (!has_cache(m, il))
        return true;
    uint64_t k, v, idx = 0;
    uint64_t v_elems = gp_kv_v_elems(m, il);
    if (v_trans && (v_elems || (m->v_pad_every_layer && m->layers[il].kind != GP_LAYER_MLA)))
        v_elems = gp_kv_v_elems_max(m);
    if (!gp_type_row_bytes(type_k, gp_kv_k_elems(m, il), &k) ||
        !gp_type_row_bytes(type_v, v_elems, &v))
        return false;
    /* DeepSeek sparse attention: a second, K-only cache of the indexer's
     * keys (one head), in the K cache's type, beside the latent one */
    if (((m->layers[il].kind == GP_LAYER_MLA && !m->layers[il].indexer_shared) || m->layers[il].indexer_cache) &&
        m->hp.indexer_head_dim && !gp_type_row_bytes(type_k, m->hp.indexer_head_dim, &idx))
        return false;
    /* MiniMax sparse attention's indexer cache is a whole KV cache of one
     * head: it keeps values of the model's head size it never reads */
    uint64_t idx_v = 0;
    if (m->layers[il].indexer_cache_v && !gp_type_row_bytes(type_v, m->layers[il].head_dim_v, &idx_v))
        return false;
    *out = k + v + idx + idx_v;
    return true;
}

uint64_t gp_recurrent_seq_bytes(const gp_model *m, uint32_t il)
{
    const gp_layer *l = &m->layers[il];
    if (l->nextn || l->kind != GP_LAYER_RECURRENT)
        return 0;
    /* qwen4exp's PLE layer keeps its convolution's history in a row of its own */
    uint64_t p = il == m->hp.ple_layer ? m->hp.n_embd_p : 0;
    return (m->hp.n_embd_r + m->hp.n_embd_s + p) * 4;
}

bool gp_kv_bytes_per_token(const gp_model *m, int kind, uint32_t type_k, uint32_t type_v,
                           uint64_t *out)
{
    uint64_t sum = 0;
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++) {
        if (kind >= 0 && (int)m->layers[il].kind != kind)
            continue;
        uint64_t b;
        if (!gp_kv_cell_bytes(m, il, type_k, type_v, &b))
            return false;
        sum += b;
    }
    *out = sum;
    return true;
}
