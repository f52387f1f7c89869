/*
 * deepseek4.c - DeepSeek-V4 (llama.cpp's src/models/deepseek4.cpp), as an
 * upper bound (tier 2): the activations that set its compute buffer, not
 * yet its node order.
 *
 * Hyper-connections keep hc copies of the residual [E, hc, T]; before
 * attention and before the FFN the flattened copies are RMS-normed, mixed
 * into the block's input, and after each block its output is folded back
 * into every copy. Attention: Q through a low-rank projection, per-head
 * normed and roped (a new tensor: the norm reads a reshaped view); one K=V
 * head stored raw. Layers with a compress ratio also compress that head
 * (their compressor's projections over the ubatch and its saved state) and
 * attend over the raw window's cells and the compressed ones together (the
 * keys and the masks concatenated); 4:1 layers pick the compressed cells by
 * a lightning indexer (its own Q, rotated, its scores, their top-k, a mask
 * of them). The attention output is de-roped into a new tensor and leaves
 * through a grouped low-rank projection, made contiguous. Every FFN is
 * routed experts beside a shared one (graph/ffn.c). The output mixes the
 * copies once more before the final norm.
 */
#include "memory/families/family.h"

typedef struct {
    int masks[3];           /* the compressed caches' masks: 4:1, 128:1, the indexer's */
    int raw_mask;           /* the raw window's */
    int64_t n_raw;          /* the raw window's cells per stream */
    int64_t ns;             /* streams: one per sequence, whether or not the cache was asked unified */
} dsv4_in;

static int64_t comp_cells(const gpg_ctx *c, int64_t r)
{
    int64_t n = (c->n_kv + r - 1) / r;
    if (n < 1) n = 1;
    return (n + 255) / 256 * 256;
}

/* a compressed cache's mask, made on first use */
static int comp_mask(gpg_ctx *c, gpg_graph *g, dsv4_in *in, int which, int64_t n)
{
    if (in->masks[which] == GPG_NONE)
        in->masks[which] = gpg_input(g, c->fa ? GPG_F16 : GPG_F32, n, c->T / in->ns, 1, in->ns);
    return in->masks[which];
}

/* The mixer before a block: the flattened copies RMS-normed, their mixing
   weights, the block's input; returns it [E, T] */
static int hc_pre(gpg_ctx *c, gpg_graph *g, int res, int fn_kind)
{
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, H = m->hc_count, T = c->T;
    int flat = gpg_reshape(g, res, H * E, T, 1, 1);
    int n = gpg_op(g, 0, GPG_F32, H * E, T, 1, 1, flat, GPG_NONE, GPG_NONE);       /* rms norm */
    int mix = gpg_op(g, 0, GPG_F32, (2 + H) * H, T, 1, 1, n, GPG_NONE, GPG_NONE);  /* fn */
    gpg_weight(c, g, mix, fn_kind, GPG_OP_MM);
    mix = gpg_op_like(g, 1, mix, mix, GPG_NONE, GPG_NONE);                          /* scale, base */
    return gpg_op(g, 0, GPG_F32, E, T, 1, 1, res, mix, GPG_NONE);                   /* hc_pre */
}

/* the block's output folded back into every copy */
static int hc_post(gpg_ctx *c, gpg_graph *g, int out, int res)
{
    const gp_compute_model *m = c->m;
    return gpg_op(g, 0, GPG_F32, m->n_embd, m->hc_count, c->T, 1, out, res, GPG_NONE);
}

/* a compressor over the ubatch and its saved rows: its projections, the
   rows gathered per block, the softmax-weighted pool */
static void compressor(gpg_ctx *c, gpg_graph *g, int x, int64_t width, int kind)
{
    const int64_t T = c->T;
    int kv = gpg_op(g, 0, GPG_F32, width, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, kv, kind, GPG_OP_MM);
    int score = gpg_op(g, 0, GPG_F32, width, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, score, kind, GPG_OP_MM);
    score = gpg_op_like(g, 1, score, score, GPG_NONE, GPG_NONE);                   /* + ape */
    for (int i = 0; i < 2; i++) {
        int src = i ? score : kv;
        int cat = gpg_op(g, 0, GPG_F32, width, T + 16, 1, 1, src, GPG_NONE, GPG_NONE);  /* concat */
        int rows = gpg_op(g, 0, GPG_F32, width, 2 * (T + 16), 1, 1, cat, GPG_NONE, GPG_NONE);
        int pool = gpg_op(g, 0, GPG_F32, width, T + 16, 1, 1, rows, GPG_NONE, GPG_NONE);
        pool = gpg_op_like(g, 1, pool, pool, GPG_NONE, GPG_NONE);
        gpg_writes_cache(c, g, gpg_ext(g, pool, GPG_NONE, GPG_NONE));
    }
}

/* the lightning indexer's mask over the 4:1 cells: its Q from the Q
   down-projection (roped, rotated), its heads' weights, the scores, their
   top-k set into a -inf mask plus the cache's own */
static int indexer_mask(gpg_ctx *c, gpg_graph *g, dsv4_in *in, int qr, int x, int64_t n)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, di = m->idx_head_dim, hi = m->idx_n_head;
    const int64_t top = n < (int64_t)m->idx_top_k ? n : (int64_t)m->idx_top_k;
    const int mt = c->fa ? GPG_F16 : GPG_F32;
    compressor(c, g, x, 2 * di, GP_COMPUTE_W_IDX_COMP_KV);
    int q = gpg_op(g, 0, GPG_F32, di * hi, T, 1, 1, qr, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, q, GP_COMPUTE_W_IDX_Q_B, GPG_OP_MM);
    q = gpg_reshape(g, q, di, hi, T, 1);
    q = gpg_op(g, 0, GPG_F32, di, hi, T, 1, q, c->inp_pos, GPG_NONE);              /* rope */
    q = gpg_op(g, 0, GPG_F32, di, hi * T, 1, 1, q, GPG_NONE, GPG_NONE);            /* rotation */
    int w = gpg_op(g, 0, GPG_F32, hi, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, w, GP_COMPUTE_W_IDX_PROJ, GPG_OP_MM);
    int lid = comp_mask(c, g, in, 2, n);
    int score = gpg_op(g, 0, GPG_F32, n, T, 1, 1, q, w, lid);                       /* scores */
    int tk = gpg_op(g, 0, GPG_I32, top, T, 1, 1, score, GPG_NONE, GPG_NONE);
    tk = gpg_op(g, 0, GPG_I32, top, T, 1, 1, tk, GPG_NONE, GPG_NONE);              /* cont */
    int csa = comp_mask(c, g, in, 0, n);
    int all = gpg_op(g, 1, mt, n, T, 1, 1, csa, GPG_NONE, GPG_NONE);               /* fill -inf */
    int rows = gpg_reshape(g, all, 1, n, T, 1);
    int zeros = gpg_leaf(g, mt, 1, top, T, 1);
    zeros = gpg_op_like(g, 1, zeros, zeros, GPG_NONE, GPG_NONE);                     /* fill 0 */
    int set = gpg_set_rows(g, rows, zeros, tk);
    set = gpg_reshape(g, set, n, T, 1, 1);
    return gpg_op_like(g, 1, set, set, csa, GPG_NONE);
}

/* a layer's attention from its normed input x; returns [E, T] */
static int dsv4_attn(gpg_ctx *c, gpg_graph *g, dsv4_in *in, int x, uint32_t il)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, E = m->n_embd, hd = m->head_dim_k, nh = m->n_head;
    const int64_t r = m->layer_compress ? m->layer_compress[il] : 0;
    const int mt = c->fa ? GPG_F16 : GPG_F32;
    const int64_t groups = m->dsv4_o_groups ? m->dsv4_o_groups : 1, olr = m->dsv4_o_lora;
    if (r) compressor(c, g, x, (r == 4 ? 2 : 1) * hd, GP_COMPUTE_W_ATTN_COMP_KV);
    int qr = gpg_op(g, 0, GPG_F32, m->q_lora_rank, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, qr, GP_COMPUTE_W_ATTN_Q_A, GPG_OP_MM);
    qr = gpg_rms_mul(c, g, qr, GP_COMPUTE_W_ATTN_Q_A_NORM);
    int q = gpg_op(g, 0, GPG_F32, hd * nh, T, 1, 1, qr, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q_B, GPG_OP_MM);
    q = gpg_reshape(g, q, hd, nh, T, 1);
    q = gpg_op(g, 0, GPG_F32, hd, nh, T, 1, q, GPG_NONE, GPG_NONE);                /* per-head norm */
    q = gpg_op_like(g, 1, q, q, c->inp_pos, GPG_NONE);                               /* rope */
    int kv = gpg_op(g, 0, GPG_F32, hd, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, kv, GP_COMPUTE_W_ATTN_KV, GPG_OP_MM);
    kv = gpg_rms_mul(c, g, kv, GP_COMPUTE_W_ATTN_KV_A_NORM);
    kv = gpg_op_like(g, 1, kv, kv, c->inp_pos, GPG_NONE);                            /* rope */
    gpg_writes_cache(c, g, gpg_ext(g, kv, c->k_idxs_swa, GPG_NONE));
    /* the keys and the mask over the raw window and the compressed cells */
    const int64_t ns = in->ns;
    int64_t n_kv = in->n_raw;
    if (in->raw_mask == GPG_NONE) in->raw_mask = gpg_input(g, mt, in->n_raw, T / ns, 1, ns);
    int mask = in->raw_mask;
    int raw = gpg_kv_view(c, g, (uint64_t)(in->n_raw * ns) * gpg_cache_row_bytes(c->r->type_k, (uint64_t)hd));
    int keys = raw;
    if (r) {
        const int64_t n = comp_cells(c, r);
        int cm = r == 4 ? indexer_mask(c, g, in, qr, x, n) : comp_mask(c, g, in, 1, n);
        int comp = gpg_kv_view(c, g, (uint64_t)(n * ns) * gpg_cache_row_bytes(c->r->type_k, (uint64_t)hd));
        n_kv += n;
        /* concatenated in the cache's type: a row of its bytes, as F16 halves */
        const int64_t row = (int64_t)gpg_cache_row_bytes(c->r->type_k, (uint64_t)hd) / 2;
        keys = gpg_op(g, 0, GPG_F16, row, 1, n_kv, ns, raw, comp, GPG_NONE);        /* concat */
        mask = gpg_op(g, 0, mt, n_kv, T / ns, 1, ns, in->raw_mask, cm, GPG_NONE);   /* concat */
    }
    int out;
    if (c->fa) {
        out = gpg_op(g, 0, GPG_F32, hd, nh, T, 1, q, keys, mask);
        gpg_weight(c, g, out, GP_COMPUTE_W_ATTN_SINKS, GPG_OP_OTHER);
    } else {
        int kq = gpg_op(g, 0, GPG_F32, n_kv, T / ns, nh, ns, keys, q, GPG_NONE);
        kq = gpg_op_like(g, 1, kq, kq, mask, GPG_NONE);                              /* soft_max */
        gpg_weight(c, g, kq, GP_COMPUTE_W_ATTN_SINKS, GPG_OP_OTHER);
        int vc = gpg_op(g, 0, GPG_F16, n_kv, hd, 1, ns, keys, GPG_NONE, GPG_NONE);   /* v_cont */
        int kqv = gpg_op(g, 0, GPG_F32, hd, T, nh, 1, vc, kq, GPG_NONE);
        out = gpg_op(g, 0, GPG_F32, hd, nh, T, 1, gpg_permute_12(g, kqv), GPG_NONE, GPG_NONE);
    }
    out = gpg_op(g, 0, GPG_F32, hd, nh, T, 1, out, c->inp_pos, GPG_NONE);          /* de-rope */
    int wa = gpg_op(g, 0, GPG_F32, olr, T, groups, 1, out, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, wa, GP_COMPUTE_W_ATTN_OUT_A, GPG_OP_MM);
    wa = gpg_op(g, 0, GPG_F32, olr * groups, T, 1, 1, wa, GPG_NONE, GPG_NONE);      /* cont */
    int o = gpg_op(g, 0, GPG_F32, E, T, 1, 1, wa, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, o, GP_COMPUTE_W_ATTN_OUT_B, GPG_OP_MM);
    return o;
}

/* The inputs every layer shares: tokens, positions, the raw store's rows,
   the rotation of a quantized cache, the output rows; the masks are made
   by the layers, one per cache, with a stream per sequence */
void gpg_inputs_deepseek4(gpg_ctx *c, gpg_graph *g)
{
    const int64_t T = c->T;
    c->inp_tokens = gpg_input(g, GPG_I32, T, 1, 1, 1);
    c->inp_embd = gpg_input(g, GPG_F32, c->m->n_embd, T, 1, 1);
    c->inp_ple = c->rs_copy = c->rs_main = c->rs_extra = c->inp_attn_scale = GPG_NONE;
    c->k_rot_t = c->v_rot_t = c->k_rot_swa = c->v_rot_swa = GPG_NONE;
    c->k_idxs = c->v_idxs = c->mask = c->v_idxs_swa = c->mask_swa = GPG_NONE;
    c->embd_wide = GPG_NONE;
    if (c->k_rot) c->k_rot_swa = gpg_input(g, GPG_F32, c->k_rot, c->k_rot, 1, 1);
    c->inp_pos = gpg_input(g, GPG_I32, T, 1, 1, 1);
    c->k_idxs_swa = gpg_input(g, GPG_I64, T, 1, 1, 1);
    c->out_ids = gpg_input(g, GPG_I32, c->n_out, 1, 1, 1);
}

int gpg_build_deepseek4(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    dsv4_in in = {.masks = {GPG_NONE, GPG_NONE, GPG_NONE}, .raw_mask = GPG_NONE, .n_raw = c->n_kv,
                  .ns = c->n_seq};
    /* the raw window: the sliding window plus the ubatch, padded, per stream */
    if (!c->r->swa_full) {
        const int64_t want = (int64_t)m->n_swa + c->T;
        in.n_raw = ((want < c->n_kv ? want : c->n_kv) + 255) / 256 * 256;
    }
    int x = gpg_token_embd(c, g);
    int e = gpg_reshape(g, x, m->n_embd, 1, c->T, 1);
    int res = gpg_op(g, 0, GPG_F32, m->n_embd, m->hc_count, c->T, 1, e, GPG_NONE, GPG_NONE); /* repeat */
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_block_norm(c, g, hc_pre(c, g, res, GP_COMPUTE_W_HC_ATTN_FN), GP_COMPUTE_W_ATTN_NORM);
        res = hc_post(c, g, dsv4_attn(c, g, &in, cur, il), res);
        cur = gpg_block_norm(c, g, hc_pre(c, g, res, GP_COMPUTE_W_HC_FFN_FN), GP_COMPUTE_W_FFN_NORM);
        res = hc_post(c, g, gpg_ffn_layer(c, g, cur, il, c->T), res);
    }
    c->il = m->n_layer;
    int out = hc_pre(c, g, res, GPG_W_OUT_NORM);
    gpg_logits_after_norm(c, g, out);
    return g->err ? -1 : 0;
}
