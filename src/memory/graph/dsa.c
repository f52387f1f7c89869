/*
 * dsa.c - DeepSeek sparse attention (llama.cpp's llm_graph_input_attn_k_dsa
 * and the lightning indexer of src/models/deepseek32.cpp).
 *
 * A small indexer scores every cached token for every query; attention
 * then reads only each query's top-k tokens, by a mask rebuilt per layer:
 * filled with -inf, zeros written at the top-k positions, the causal mask
 * added. The indexer keeps its keys (one head, rotated by a Hadamard
 * matrix) in a cache of its own. Every layer's zeros tensor is a leaf with
 * no buffer of its own, so ggml-alloc places all of them before the first
 * node; each is filled in place and freed after its layer's mask.
 */
#include "memory/graph/build.h"

static int rot_size(uint32_t hd) {
    if (hd == 0 || hd % 64 != 0) return 64;
    uint32_t n = 64;
    do { n *= 2; } while (hd % n == 0);
    return (int)(n / 2);
}

void gpg_inputs_dsa(gpg_ctx *c, gpg_graph *g) {
    gpg_inputs_dsa_opts(c, g, 1);
}

void gpg_inputs_dsa_opts(gpg_ctx *c, gpg_graph *g, int rotated) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, ns = c->n_stream, Tn = T / ns;
    const int rot = rot_size(m->idx_head_dim);
    c->dsa_top_k = c->n_kv < (int64_t)m->idx_top_k ? c->n_kv : (int64_t)m->idx_top_k;
    c->rs_copy = c->rs_main = c->rs_extra = c->inp_attn_scale = GPG_NONE;
    c->k_rot_t = c->v_rot_t = c->k_rot_swa = c->v_rot_swa = GPG_NONE;
    c->v_idxs = c->k_idxs_swa = c->v_idxs_swa = c->mask_swa = GPG_NONE;
    /* the order ggml's expansion first reaches them: the token embedding,
       the indexer's key store, the latent store, then the first layer's
       mask (its zeros, the indexer's mask, the attention mask) */
    c->inp_tokens = gpg_input(g, GPG_I32, T, 1, 1, 1);
    c->inp_embd = gpg_input(g, GPG_F32, m->n_embd, T, 1, 1);
    c->k_rot_lid = rotated ? gpg_input(g, GPG_F32, rot, rot, 1, 1) : GPG_NONE;
    c->inp_pos = gpg_input(g, GPG_I32, T, 1, 1, 1);
    c->k_idxs_lid = gpg_input(g, GPG_I64, T, 1, 1, 1);
    c->k_idxs = gpg_input(g, GPG_I64, T, 1, 1, 1);
    c->dsa_zeros0 = gpg_leaf(g, GPG_F32, 1, c->dsa_top_k, Tn, ns);
    c->mask_lid = gpg_input(g, GPG_F16, c->n_kv, Tn, 1, ns);
    c->mask = gpg_input(g, c->fa ? GPG_F16 : GPG_F32, c->n_kv, Tn, 1, ns);
    c->dsa_zeros1 = GPG_NONE;
    c->dsa_top_idx = GPG_NONE;
    for (uint32_t il = 1; il < m->n_layer; il++) {
        int z = gpg_leaf(g, GPG_F32, 1, c->dsa_top_k, Tn, ns);
        if (il == 1) c->dsa_zeros1 = z;
    }
    c->out_ids = gpg_input(g, GPG_I32, c->n_out, 1, 1, 1);
}

void gpg_dsa_index_k(gpg_ctx *c, gpg_graph *g, int x) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, di = m->idx_head_dim;
    int k = gpg_op(g, 0, GPG_F32, di, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, k, GP_COMPUTE_W_IDX_K, GPG_OP_MM);
    k = gpg_layer_norm(c, g, k, GP_COMPUTE_W_IDX_K_NORM);
    k = gpg_add_bias(c, g, k, GP_COMPUTE_W_IDX_K_NORM);
    k = gpg_reshape(g, k, di, 1, T, 1);
    k = gpg_op_like(g, 1, k, k, c->inp_pos, GPG_NONE);                 /* rope */
    if (c->k_rot_lid != GPG_NONE)
        k = gpg_op(g, 0, GPG_F32, di, 1, T, 1, c->k_rot_lid, k, GPG_NONE);  /* Hadamard */
    int k2 = gpg_reshape(g, k, di, T, 1, 1);
    gpg_writes_cache(c, g, gpg_ext(g, k2, c->k_idxs_lid, GPG_NONE));
}

static int dsa_mask_from(gpg_ctx *c, gpg_graph *g, int zeros, int tk);

int gpg_dsa_mask(gpg_ctx *c, gpg_graph *g, void *arg) {
    const gpg_dsa_mask_arg *a = (const gpg_dsa_mask_arg *)arg;
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, ns = c->n_stream, Tn = T / ns, nkv = c->n_kv, top = c->dsa_top_k;
    const int64_t di = m->idx_head_dim, hi = m->idx_n_head;
    const int zl = c->il == 0 ? c->dsa_zeros0 : c->dsa_zeros1 + (int)c->il - 1;
    int zeros = gpg_op_like(g, 1, zl, zl, GPG_NONE, GPG_NONE);          /* fill 0 */
    if (gpg_layer_idx_shared(m, c->il) && c->dsa_top_idx != GPG_NONE)
        return dsa_mask_from(c, g, zeros, c->dsa_top_idx);
    /* the indexer's queries, rotated like its keys */
    int q = gpg_op(g, 0, GPG_F32, hi * di, T, 1, 1, a->qr, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, q, GP_COMPUTE_W_IDX_Q_B, GPG_OP_MM);
    q = gpg_reshape(g, q, di, hi, T, 1);
    q = gpg_op_like(g, 1, q, q, c->inp_pos, GPG_NONE);                 /* rope */
    if (c->k_rot_lid != GPG_NONE)
        q = gpg_op(g, 0, GPG_F32, di, hi, T, 1, c->k_rot_lid, q, GPG_NONE); /* Hadamard */
    q = gpg_reshape(g, q, di, hi, Tn, ns);
    const uint64_t cells = (uint64_t)nkv * (uint64_t)ns;
    int keys = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_k, (uint64_t)di));
    /* per-head weights of the scores */
    int w = gpg_op(g, 0, GPG_F32, hi, T, 1, 1, a->x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, w, GP_COMPUTE_W_IDX_PROJ, GPG_OP_MM);
    w = gpg_reshape(g, w, hi, Tn, 1, ns);
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                   /* scale */
    int score = gpg_op(g, 0, GPG_F32, nkv, Tn, 1, ns, q, keys, w);     /* lightning indexer */
    gpg_set_src4(g, score, q, keys, w, c->mask_lid);
    int tk = gpg_op(g, 0, GPG_I32, top, Tn, 1, ns, score, GPG_NONE, GPG_NONE); /* top_k */
    tk = gpg_op(g, 0, GPG_I32, top, Tn, 1, ns, tk, GPG_NONE, GPG_NONE);        /* cont */
    c->dsa_top_idx = tk;   /* the layers that share this indexer read it too */
    return dsa_mask_from(c, g, zeros, tk);
}

/* -inf everywhere, zeros at the top-k, plus the causal mask */
static int dsa_mask_from(gpg_ctx *c, gpg_graph *g, int zeros, int tk) {
    const int64_t ns = c->n_stream, Tn = c->T / ns, nkv = c->n_kv, top = c->dsa_top_k;
    int tk3 = gpg_reshape(g, tk, top, Tn, ns, 1);
    int all = gpg_op_like(g, 1, c->mask, c->mask, GPG_NONE, GPG_NONE); /* fill -inf */
    int rows = gpg_reshape(g, all, 1, nkv, Tn, ns);
    int set = gpg_set_rows(g, rows, zeros, tk3);
    int back = gpg_reshape(g, set, nkv, Tn, 1, ns);
    return gpg_op_like(g, 1, back, back, c->mask, GPG_NONE);           /* add */
}
