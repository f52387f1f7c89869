/*
 * minimax_m3.c - MiniMax-M3 (llama.cpp's src/models/minimax-m3.cpp): the
 * llama-style layer (per-head Q/K norms, dense lead layers, then routed
 * experts beside a shared one) whose layers past the dense lead run MiniMax
 * sparse attention when llama.cpp can: with flash attention on, and a cache
 * stream per sequence (one sequence, or a cache that is not unified).
 * Elsewhere every layer attends densely, as the llama-style block does.
 *
 * A sparse layer first stores its indexer's key (one head, normed and
 * roped) in a cache of its own; then Q, K and V (K before V) with their
 * stores. Per stream, the indexer's cached keys are gathered position by
 * position, scored against its queries (one head per KV head), masked,
 * max-pooled over blocks of positions and biased so the local blocks win;
 * the top-k blocks are unmasked in a [blocks, heads, tokens] F16 mask,
 * which is spread over the cells (a gather through each cell's block,
 * between two transposed copies) and added to the KQ mask, cast to F32
 * once for the whole graph at the first sparse layer. Flash attention then
 * runs once per KV head group, and its output is made contiguous; several
 * streams' outputs are concatenated.
 *
 * What the reserve sizes: llama.cpp's cache holds no positions then, so the
 * position axis is its floor of 256 positions, padded to whole blocks.
 */
#include "memory/families/family.h"

/* MiniMax sparse attention's inputs, made where ggml first reaches each */
typedef struct {
    int k_idxs;             /* the indexer cache's rows */
    int pos_slot, pos_mask, bias, cell_blk;
    int mask_f32;           /* the KQ mask cast to F32, made at the first sparse layer */
    int64_t n_ps, nblk, top;/* positions, blocks and the blocks picked */
} msa_in;

/* llama.cpp's floor of the position axis (its minimum padding) */
#define MSA_MIN_POS 256

/* ggml's in-place add: a view of dst that reads src too (no memory of
   its own, even where dst is itself a view) */
static int add_inplace(gpg_graph *g, int dst, int src)
{
    const gpg_tensor d = g->t[dst];
    int id = gpg_view(g, dst, d.ne[0], d.ne[1], d.ne[2], d.ne[3], d.nb[1], d.nb[2], d.nb[3], 1);
    if (g->err) return GPG_NONE;
    g->t[id].viewop = 0;   /* an op: the scheduler gives it a device */
    gpg_set_src4(g, id, dst, src, GPG_NONE, GPG_NONE);
    return id;
}

/* one stream's sparse attention, from its views of the layer's tensors:
   the indexer's scores over the positions, the blocks picked, the mask
   spread over the cells, flash attention per KV head group. *iq is the
   normed x until the indexer's queries are made (by the first stream). */
static int msa_stream(gpg_ctx *c, gpg_graph *g, msa_in *in, int *iq, int q, int kvk, int kvv, int idx_keys,
                      int64_t st)
{
    const gp_compute_model *m = c->m;
    const int64_t ns = c->n_stream, tps = c->T / ns, n_kv = c->n_kv;
    const int64_t di = m->idx_head_dim, hd = m->idx_n_head, D = m->head_dim_k;
    const int64_t nkv = m->n_head_kv, gp = m->n_head / nkv;
    const int64_t n_ps = in->n_ps, nblk = in->nblk, top = in->top;

    /* the indexer's keys gathered by position */
    if (in->pos_slot == GPG_NONE) in->pos_slot = gpg_input(g, GPG_I32, n_ps, ns, 1, 1);
    int psl = gpg_view(g, in->pos_slot, n_ps, 1, 1, 1, 4 * n_ps, 4 * n_ps, 4 * n_ps, st == 0);
    int keys = gpg_op(g, 0, GPG_F32, di, n_ps, 1, 1, idx_keys, psl, GPG_NONE);       /* get_rows */
    /* its queries, projected, normed and roped once for every stream */
    if (st == 0) {
        int p = gpg_op(g, 0, GPG_F32, di * hd, c->T, 1, 1, *iq, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, p, GP_COMPUTE_W_IDX_Q_PROJ, GPG_OP_MM);
        p = gpg_reshape(g, p, di, hd, c->T, 1);
        p = gpg_rms_mul(c, g, p, GP_COMPUTE_W_IDX_Q_NORM);
        *iq = gpg_op_like(g, 1, p, p, c->inp_pos, GPG_NONE);                         /* rope */
    }
    gpg_tensor is = g->t[*iq];
    int iqs = gpg_view(g, *iq, di, hd, tps, 1, is.nb[1], is.nb[2], is.nb[3], st == 0);
    iqs = gpg_reshape(g, iqs, di, hd * tps, 1, 1);
    int sc = gpg_op(g, 0, GPG_F32, n_ps, hd * tps, 1, 1, keys, iqs, GPG_NONE);
    sc = gpg_reshape(g, sc, n_ps, hd, tps, 1);
    if (in->pos_mask == GPG_NONE) in->pos_mask = gpg_input(g, GPG_F32, n_ps, c->T, 1, 1);
    int pm = gpg_view(g, in->pos_mask, n_ps, 1, tps, 1, 4 * n_ps, 4 * n_ps, 4 * n_ps * tps, st == 0);
    sc = add_inplace(g, sc, pm);
    int bs = gpg_op(g, 0, GPG_F32, nblk, hd, tps, 1, sc, GPG_NONE, GPG_NONE);       /* max pool */
    if (in->bias == GPG_NONE) in->bias = gpg_input(g, GPG_F32, nblk, c->T, 1, 1);
    int bias = gpg_view(g, in->bias, nblk, 1, tps, 1, 4 * nblk, 4 * nblk, 4 * nblk * tps, st == 0);
    int bsf = gpg_op_like(g, 1, bs, bs, bias, GPG_NONE);                              /* add */
    int idx = gpg_op(g, 0, GPG_I32, top, hd, tps, 1, bsf, GPG_NONE, GPG_NONE);      /* top_k */
    int zero = gpg_op(g, 0, GPG_F32, top, hd, tps, 1, idx, GPG_NONE, GPG_NONE);     /* cast */
    zero = gpg_op_like(g, 1, zero, zero, GPG_NONE, GPG_NONE);                         /* scale by 0 */
    zero = gpg_reshape(g, zero, 1, top, hd * tps, 1);
    int idx2 = gpg_reshape(g, idx, top, hd * tps, 1, 1);
    /* -inf on every block, then zeros at the picked ones */
    int ninf = gpg_op(g, 1, GPG_F32, nblk, 1, tps, 1, bias, GPG_NONE, GPG_NONE);    /* scale_bias */
    ninf = gpg_op(g, 0, GPG_F16, nblk, 1, tps, 1, ninf, GPG_NONE, GPG_NONE);        /* cast */
    ninf = gpg_op(g, 0, GPG_F16, nblk, hd, tps, 1, ninf, GPG_NONE, GPG_NONE);       /* repeat */
    ninf = gpg_reshape(g, ninf, 1, nblk, hd * tps, 1);
    int bm = gpg_set_rows(g, ninf, zero, idx2);
    bm = gpg_permute_12(g, gpg_reshape(g, bm, nblk, hd, tps, 1));
    bm = gpg_op(g, 0, GPG_F16, nblk, tps, hd, 1, bm, GPG_NONE, GPG_NONE);           /* cont */
    bm = gpg_transpose(g, gpg_reshape(g, bm, nblk, tps * hd, 1, 1));
    bm = gpg_op(g, 0, GPG_F16, tps * hd, nblk, 1, 1, bm, GPG_NONE, GPG_NONE);       /* cont */
    /* spread over the cells through each one's block, plus the KQ mask */
    if (in->cell_blk == GPG_NONE) in->cell_blk = gpg_input(g, GPG_I32, n_kv, ns, 1, 1);
    int cb = gpg_view(g, in->cell_blk, n_kv, 1, 1, 1, 4 * n_kv, 4 * n_kv, 4 * n_kv, st == 0);
    int cells = gpg_op(g, 0, GPG_F32, tps * hd, n_kv, 1, 1, bm, cb, GPG_NONE);      /* get_rows */
    cells = gpg_op(g, 0, GPG_F32, n_kv, tps * hd, 1, 1, gpg_transpose(g, cells), GPG_NONE, GPG_NONE);
    cells = gpg_reshape(g, cells, n_kv, tps, hd, 1);
    if (in->mask_f32 == GPG_NONE)
        in->mask_f32 = gpg_op(g, 0, GPG_F32, n_kv, tps, 1, ns, c->mask, GPG_NONE, GPG_NONE); /* cast */
    gpg_tensor ms = g->t[in->mask_f32];
    int mf = gpg_view(g, in->mask_f32, n_kv, tps, 1, 1, ms.nb[1], ms.nb[3], ms.nb[3], st == 0);
    cells = add_inplace(g, cells, mf);
    cells = gpg_reshape(g, cells, n_kv, tps, 1, hd);
    int mask = gpg_op(g, 0, GPG_F16, n_kv, tps, 1, hd, cells, GPG_NONE, GPG_NONE);  /* cast */
    /* flash attention, one channel per KV head (the query heads of a group
       as its rows); its output made contiguous */
    gpg_tensor qs = g->t[q];
    int qv = gpg_view(g, q, D, m->n_head, tps, 1, qs.nb[1], qs.nb[2], qs.nb[3], st == 0);
    qv = gpg_reshape(g, qv, D, gp, nkv, tps);
    int fa = gpg_op(g, 0, GPG_F32, D, gp, tps, nkv, qv, mask, GPG_NONE);
    gpg_set_src4(g, fa, qv, kvk, kvv, mask);
    gpg_tensor fs = g->t[fa];
    int p = gpg_view(g, fa, D, gp, nkv, tps, fs.nb[1], fs.nb[3], fs.nb[2], 1);      /* permute */
    int out = gpg_op(g, 0, GPG_F32, D, gp, nkv, tps, p, GPG_NONE, GPG_NONE);        /* cont */
    return gpg_reshape(g, out, D * m->n_head, tps, 1, 1);
}

/* A sparse layer's attention from its normed input x; returns wo's output */
static int msa_attn(gpg_ctx *c, gpg_graph *g, msa_in *in, int x, uint32_t il)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, ns = c->n_stream, di = m->idx_head_dim;
    /* the indexer's key into its cache */
    if (in->k_idxs == GPG_NONE) in->k_idxs = gpg_input(g, GPG_I64, T, 1, 1, 1);
    int k = gpg_op(g, 0, GPG_F32, di, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, k, GP_COMPUTE_W_IDX_K_PROJ, GPG_OP_MM);
    k = gpg_reshape(g, k, di, 1, T, 1);
    k = gpg_rms_mul(c, g, k, GP_COMPUTE_W_IDX_K_NORM);
    k = gpg_op_like(g, 1, k, k, c->inp_pos, GPG_NONE);                                /* rope */
    gpg_tensor s = g->t[k];
    int k2 = gpg_view(g, k, di, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
    gpg_writes_cache(c, g, gpg_ext(g, k2, in->k_idxs, GPG_NONE));
    /* Q, K and V, K stored first */
    const gpg_attn_opts o = {.k_before_v = 1};
    int q = gpg_attn_qkv(c, g, x, il, &o);
    const uint64_t cells = (uint64_t)c->n_kv * (uint64_t)ns, nkv = m->n_head_kv;
    int kvk = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_k, (uint64_t)m->head_dim_k * nkv));
    int kvv = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_v, (uint64_t)m->head_dim_v * nkv));
    int keys = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_k, (uint64_t)di));
    int iq = x, cur = GPG_NONE;
    for (int64_t st = 0; st < ns; st++) {
        int out = msa_stream(c, g, in, &iq, q, kvk, kvv, keys, st);
        cur = st == 0 ? out
                      : gpg_op(g, 0, GPG_F32, (int64_t)m->head_dim_v * m->n_head, (st + 1) * (T / ns), 1, 1, cur,
                               out, GPG_NONE);                                         /* concat */
    }
    return gpg_attn_wo(c, g, gpg_attn_vrot(c, g, cur, il));
}

/* llama.cpp runs the sparse path only with flash attention and a cache
   stream per sequence */
static int msa_enabled(const gpg_ctx *c)
{
    return c->fa && (c->n_seq == 1 || c->n_stream == c->n_seq);
}

int gpg_build_minimax_m3(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts dense = {0};
    const int64_t blk = m->idx_block;
    msa_in in = {.k_idxs = GPG_NONE, .pos_slot = GPG_NONE, .pos_mask = GPG_NONE, .bias = GPG_NONE,
                 .cell_blk = GPG_NONE, .mask_f32 = GPG_NONE};
    in.n_ps = (MSA_MIN_POS + blk - 1) / blk * blk;
    in.nblk = in.n_ps / blk;
    in.top = (int64_t)m->idx_top_k < in.nblk ? (int64_t)m->idx_top_k : in.nblk;
    const int sparse = msa_enabled(c);
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = sparse && il >= m->n_layer_dense_lead ? msa_attn(c, g, &in, cur, il) : gpg_attn(c, g, cur, il, &dense);
        inpL = gpg_ffn_residual(c, g, cur, inpL, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
