/*
 * gemma4.c - Gemma 4 (llama.cpp's src/models/gemma4.cpp): gemma3's layer
 * (scaled embeddings, per-head Q/K norms, norms after attention and FFN,
 * GEGLU, a sliding-window cache beside the global one) with
 * - heads of their own size on sliding and global layers, no Q scaling,
 *   V RMS-normed without a weight; on global layers without attn_v, V is a
 *   second view of the K projection;
 * - on a quantized cache, K rotations sized by each cache's own head size;
 * - the last layers reading the cache of an earlier layer of their kind
 *   (no K/V projection, no cache store);
 * - without flash attention, V rows padded to the widest layer's before the
 *   transposed store;
 * - per-layer token embeddings (E models): a second token table, projected
 *   from the embeddings once, a slice of it gated into every layer's output;
 * - routed experts beside the dense MLP (26B-A4B), with a per-expert scale
 *   on the down projection;
 * - every layer on the whole ubatch; the final norm stays a graph output,
 *   the output rows are gathered after it and the logits soft-capped.
 */
#include "memory/families/family.h"

typedef struct {
    int ple_sel;    /* the per-layer token embeddings, scaled [P, L, T] */
    int ple_all;    /* the combined per-layer inputs [P, T, L] (after layer 0) */
    int inp_scaled; /* the scaled token embeddings (read by the projection) */
} gemma4_state;

/* the last layer before the shared ones whose cache layer il reads */
static uint32_t kv_src(const gp_compute_model *m, uint32_t il) {
    return m->layer_kv_src ? (uint32_t)m->layer_kv_src[il] : il;
}

/* Q, K and V with their stores; returns Q, rotated [D, H, T] */
int gpg_gemma4_attn_qkv(gpg_ctx *c, gpg_graph *g, int x, uint32_t il) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, D = gpg_layer_head_dim_k(m, il), Dv = gpg_layer_head_dim_v(m, il);
    const int64_t nh = m->n_head, nkv = gpg_layer_n_head_kv(m, il);
    const int swa = gpg_layer_swa(m, il);

    int q = gpg_op(g, 0, GPG_F32, D * nh, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q, GPG_OP_MM);
    q = gpg_reshape(g, q, D, nh, T, 1);
    q = gpg_rms_mul(c, g, q, GP_COMPUTE_W_ATTN_Q_NORM);
    q = gpg_op_like(g, 1, q, q, c->inp_pos, GPG_NONE);                    /* rope */
    /* a quantized cache: Q and K rotated by the cache's K rotation, V by
       its V rotation */
    const int k_rot_t = swa ? c->k_rot_swa : c->k_rot_t, v_rot_t = swa ? c->v_rot_swa : c->v_rot_t;
    if (c->k_rot) q = gpg_hadamard(g, q, k_rot_t, gpg_k_rot_n(c, swa));
    if (kv_src(m, il) != il) return q;

    int kp = gpg_op(g, 0, GPG_F32, D * nkv, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, kp, GP_COMPUTE_W_ATTN_K, GPG_OP_MM);
    int k = gpg_reshape(g, kp, D, nkv, T, 1);
    k = gpg_rms_mul(c, g, k, GP_COMPUTE_W_ATTN_K_NORM);
    k = gpg_op_like(g, 1, k, k, c->inp_pos, GPG_NONE);                    /* rope */
    if (c->k_rot) k = gpg_hadamard(g, k, k_rot_t, gpg_k_rot_n(c, swa));

    int v;
    if (m->layer_v_from_k && m->layer_v_from_k[il]) {
        v = gpg_reshape(g, kp, Dv, nkv, T, 1);
    } else {
        v = gpg_op(g, 0, GPG_F32, Dv * nkv, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, v, GP_COMPUTE_W_ATTN_V, GPG_OP_MM);
        v = gpg_reshape(g, v, Dv, nkv, T, 1);
    }
    v = gpg_op_like(g, 1, v, v, GPG_NONE, GPG_NONE);                      /* rms_norm */
    if (c->v_rot) v = gpg_hadamard(g, v, v_rot_t, c->v_rot);

    /* store K */
    {
        gpg_tensor s = g->t[k];
        int kv2 = gpg_view(g, k, D * nkv, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
        gpg_writes_cache(c, g, gpg_ext(g, kv2, swa ? c->k_idxs_swa : c->k_idxs, GPG_NONE));
    }
    /* store V: without flash attention the transposed cache's rows are the
       widest layer's, a narrower V is padded first */
    const int v_idxs = swa ? c->v_idxs_swa : c->v_idxs;
    if (c->fa) {
        gpg_tensor s = g->t[v];
        int vv = gpg_view(g, v, Dv * nkv, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
        gpg_writes_cache(c, g, gpg_ext(g, vv, v_idxs, GPG_NONE));
    } else {
        const int64_t vmax = gpg_v_gqa_max(m);
        int vv = gpg_reshape(g, v, Dv * nkv, T, 1, 1);
        if (Dv * nkv < vmax) vv = gpg_op(g, 0, GPG_F32, vmax, T, 1, 1, vv, GPG_NONE, GPG_NONE); /* pad */
        vv = gpg_reshape(g, vv, 1, g->t[vv].ne[0] * T, 1, 1);
        gpg_writes_cache(c, g, gpg_ext(g, vv, v_idxs, GPG_NONE));
    }
    return q;
}

/* attention over layer il's cache (or the one it shares); returns [D H, T] */
int gpg_gemma4_attn_core(gpg_ctx *c, gpg_graph *g, int q, uint32_t il) {
    const gp_compute_model *m = c->m;
    const uint32_t src = kv_src(m, il);
    const int64_t D = gpg_layer_head_dim_k(m, il), Dv = gpg_layer_head_dim_v(m, il);
    const int64_t nh = m->n_head, nkv = gpg_layer_n_head_kv(m, src);
    const int swa = gpg_layer_swa(m, il);
    const int64_t n_kv = swa ? c->n_kv_swa : c->n_kv, ns = c->n_stream, T = c->T;
    const int mask = swa ? c->mask_swa : c->mask;
    gpg_tensor qs = g->t[q];
    int qv = gpg_view(g, q, D, nh, T / ns, ns, qs.nb[1], qs.nb[2], qs.nb[2] * (T / ns), 1);
    int qp = gpg_permute_12(g, qv);
    const uint64_t cells = (uint64_t)n_kv * (uint64_t)ns;
    const int64_t vrow = c->fa ? Dv * nkv : gpg_v_gqa_max(m);
    /* the cache read is the source layer's, on its device */
    c->il = src;
    int kvk = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_k, (uint64_t)(D * nkv)));
    int kvv = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_v, (uint64_t)vrow));
    c->il = il;
    if (c->fa) {
        int fa_out = gpg_op(g, 0, GPG_F32, Dv, nh, T / ns, ns, qp, mask, GPG_NONE);
        gpg_set_src4(g, fa_out, qp, kvk, kvv, mask);
        return gpg_reshape(g, fa_out, Dv * nh, T, 1, 1);
    }
    int kq = gpg_op(g, 0, GPG_F32, n_kv, T / ns, nh, ns, kvk, qp, GPG_NONE);
    kq = gpg_op_like(g, 1, kq, kq, mask, GPG_NONE);                      /* soft_max */
    int kqv = gpg_op(g, 0, GPG_F32, Dv, T / ns, nh, ns, kvv, kq, GPG_NONE);
    int p = gpg_permute_12(g, kqv);
    return gpg_op(g, 0, GPG_F32, Dv * nh, T, 1, 1, p, GPG_NONE, GPG_NONE); /* cont */
}

/* routed experts on attn_out, in the order ggml reaches them: router and
   choice, then the experts (fused gate/up, per-expert down scale), then
   their sum; returns [E, T] */
static int moe(gpg_ctx *c, gpg_graph *g, int attn_out) {
    const gp_compute_model *m = c->m;
    const int64_t ne = m->n_expert, nu = m->n_expert_used, nf = m->n_ff_exp, nd = m->n_embd, T = c->T;
    /* router input: RMS norm, 1/sqrt(E), the router's scale */
    int r = gpg_op_like(g, 1, attn_out, attn_out, GPG_NONE, GPG_NONE);
    r = gpg_op_like(g, 1, r, r, GPG_NONE, GPG_NONE);
    r = gpg_op_like(g, 1, r, r, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, r, GP_COMPUTE_W_FFN_ROUTER, GPG_OP_OTHER);
    int logits = gpg_op(g, 0, GPG_F32, ne, T, 1, 1, r, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, logits, GP_COMPUTE_W_FFN_ROUTER, GPG_OP_MM);
    int probs = gpg_op_like(g, 1, logits, logits, GPG_NONE, GPG_NONE);   /* soft_max */
    int probs3 = gpg_reshape(g, probs, 1, ne, T, 1);
    int as = gpg_op(g, 0, GPG_I32, ne, T, 1, 1, probs, GPG_NONE, GPG_NONE);  /* argsort */
    gpg_tensor ass = g->t[as];
    int topk = gpg_view(g, as, nu, T, 1, 1, ass.nb[1], ass.nb[2], ass.nb[3], 1);
    int w = gpg_op(g, 0, GPG_F32, 1, nu, T, 1, probs3, topk, GPG_NONE);     /* get_rows */
    int w2 = gpg_reshape(g, w, nu, T, 1, 1);
    int sum = gpg_op(g, 0, GPG_F32, 1, T, 1, 1, w2, GPG_NONE, GPG_NONE);    /* sum_rows */
    sum = gpg_op_like(g, 1, sum, sum, GPG_NONE, GPG_NONE);                  /* clamp */
    int dv = gpg_op_like(g, 1, w2, w2, sum, GPG_NONE);                      /* div */
    w = gpg_reshape(g, dv, 1, nu, T, 1);

    /* the experts' input: its own norm */
    int xe = gpg_rms_mul(c, g, attn_out, GP_COMPUTE_W_FFN_POST_NORM);
    int xr = gpg_reshape(g, xe, nd, 1, T, 1);
    int gu = gpg_op(g, 0, GPG_F32, 2 * nf, nu, T, 1, xr, topk, GPG_NONE);
    gpg_weight(c, g, gu, GP_COMPUTE_W_FFN_GATE_EXPS, GPG_OP_MMID);
    gpg_tensor gs = g->t[gu];
    int gate = gpg_view(g, gu, nf, nu, T, 1, gs.nb[1], gs.nb[2], gs.nb[3], 1);
    int up = gpg_view(g, gu, nf, nu, T, 1, gs.nb[1], gs.nb[2], gs.nb[3], 0);
    int act = gpg_op(g, 0, GPG_F32, nf, nu, T, 1, gate, up, GPG_NONE);    /* geglu */
    int down = gpg_op(g, 0, GPG_F32, nd, nu, T, 1, act, topk, GPG_NONE);
    gpg_weight(c, g, down, GP_COMPUTE_W_FFN_DOWN_EXPS, GPG_OP_MMID);
    /* each chosen expert's output scale */
    int rep = gpg_op(g, 0, GPG_F32, 1, ne, T, 1, GPG_NONE, GPG_NONE, GPG_NONE); /* repeat */
    gpg_weight(c, g, rep, GP_COMPUTE_W_FFN_DOWN_EXPS, GPG_OP_OTHER);
    int s = gpg_op(g, 0, GPG_F32, 1, nu, T, 1, rep, topk, GPG_NONE);        /* get_rows */
    down = gpg_op_like(g, 1, down, down, s, GPG_NONE);
    int wd = gpg_op_like(g, 1, down, down, w, GPG_NONE);
    gpg_tensor ws = g->t[wd];
    int first = GPG_NONE, acc = GPG_NONE;
    for (int64_t i = 0; i < nu; i++) {
        int v = gpg_view(g, wd, nd, T, 1, 1, ws.nb[2], ws.nb[3], ws.nb[3], i == 0);
        if (i == 0) { first = v; continue; }
        acc = gpg_op(g, 1, GPG_F32, nd, T, 1, 1, i == 1 ? first : acc, v, GPG_NONE);
    }
    if (nu == 1) acc = gpg_op(g, 0, GPG_F32, nd, T, 1, 1, first, GPG_NONE, GPG_NONE);
    return acc;
}

/* the per-layer inputs, combined once at layer 0 from the projection of the
   scaled embeddings and the per-layer token embeddings */
static void ple_project(gpg_ctx *c, gpg_graph *g, gemma4_state *st) {
    const gp_compute_model *m = c->m;
    const int64_t P = m->n_embd_per_layer, L = m->n_layer, T = c->T;
    int pr = gpg_op(g, 0, GPG_F32, P * L, T, 1, 1, st->inp_scaled, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, pr, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
    pr = gpg_op_like(g, 1, pr, pr, GPG_NONE, GPG_NONE);                   /* scale */
    pr = gpg_reshape(g, pr, P, L, T, 1);
    pr = gpg_rms_mul(c, g, pr, GP_COMPUTE_W_ATTN_NORM);
    pr = gpg_op_like(g, 1, pr, pr, st->ple_sel, GPG_NONE);                /* add */
    pr = gpg_op_like(g, 1, pr, pr, GPG_NONE, GPG_NONE);                   /* scale */
    pr = gpg_permute_12(g, pr);
    st->ple_all = gpg_op(g, 0, GPG_F32, P, T, L, 1, pr, GPG_NONE, GPG_NONE); /* cont */
}

/* layer il's slice of the per-layer inputs gated into its output */
static int ple_layer(gpg_ctx *c, gpg_graph *g, gemma4_state *st, int x, uint32_t il) {
    const gp_compute_model *m = c->m;
    const int64_t P = m->n_embd_per_layer, T = c->T;
    int gt = gpg_op(g, 0, GPG_F32, P, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, gt, GP_COMPUTE_W_FFN_POST_NORM, GPG_OP_MM);
    gt = gpg_op_like(g, 1, gt, gt, GPG_NONE, GPG_NONE);                   /* gelu */
    if (il == 0) ple_project(c, g, st);
    gpg_tensor a = g->t[st->ple_all];
    int sl = gpg_view(g, st->ple_all, P, T, 1, 1, a.nb[1], a.nb[1] * T, a.nb[1] * T, il == 0);
    gt = gpg_op_like(g, 1, gt, gt, sl, GPG_NONE);                         /* mul */
    int pj = gpg_op(g, 0, GPG_F32, m->n_embd, T, 1, 1, gt, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, pj, GP_COMPUTE_W_FFN_POST_NORM, GPG_OP_MM);
    pj = gpg_rms_mul(c, g, pj, GP_COMPUTE_W_FFN_POST_NORM);
    return gpg_op_like(g, 1, x, x, pj, GPG_NONE);                         /* add */
}

int gpg_build_gemma4(gpg_ctx *c, gpg_graph *g) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T;
    gemma4_state st = {.ple_sel = GPG_NONE, .ple_all = GPG_NONE, .inp_scaled = GPG_NONE};
    for (uint32_t il = 0; il < m->n_layer; il++) {
        uint32_t s = kv_src(m, il);
        if (s > il || (s != il && (kv_src(m, s) != s || gpg_layer_swa(m, s) != gpg_layer_swa(m, il))))
            return -1;
    }
    int inpL = gpg_token_embd(c, g);
    if (m->n_embd_per_layer) {
        const int64_t P = m->n_embd_per_layer, L = m->n_layer;
        int rows = gpg_op(g, 0, GPG_F32, P * L, T, 1, 1, c->inp_ple, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, rows, GPG_W_TOK, GPG_OP_GETROWS);
        rows = gpg_reshape(g, rows, P, L, T, 1);
        st.ple_sel = gpg_op_like(g, 1, rows, rows, GPG_NONE, GPG_NONE);  /* scale */
    }
    inpL = gpg_op_like(g, 1, inpL, inpL, GPG_NONE, GPG_NONE);           /* scale by sqrt(n_embd) */
    st.inp_scaled = inpL;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int q = gpg_gemma4_attn_qkv(c, g, cur, il);
        cur = gpg_gemma4_attn_core(c, g, q, il);
        cur = gpg_attn_out(c, g, cur, il);   /* V's rotation undone, then wo */
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
        int attn_out = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        int out;
        if (gpg_layer_moe(m, il)) {
            int ex = moe(c, g, attn_out);
            int mlp = gpg_rms_mul(c, g, attn_out, GP_COMPUTE_W_FFN_NORM);
            mlp = gpg_ffn_dense(c, g, mlp, gpg_layer_n_ff(m, il), m->n_embd, T, GP_COMPUTE_W_FFN_GATE);
            mlp = gpg_rms_mul(c, g, mlp, GP_COMPUTE_W_FFN_POST_NORM);
            ex = gpg_rms_mul(c, g, ex, GP_COMPUTE_W_FFN_POST_NORM);
            out = gpg_op_like(g, 1, mlp, mlp, ex, GPG_NONE);
        } else {
            out = gpg_rms_mul(c, g, attn_out, GP_COMPUTE_W_FFN_NORM);
            out = gpg_ffn_dense(c, g, out, gpg_layer_n_ff(m, il), m->n_embd, T, GP_COMPUTE_W_FFN_GATE);
        }
        out = gpg_rms_mul(c, g, out, GP_COMPUTE_W_FFN_POST_NORM);
        out = gpg_op_like(g, 1, out, out, attn_out, GPG_NONE);
        if (m->n_embd_per_layer) out = ple_layer(c, g, &st, out, il);
        out = gpg_op_like(g, 1, out, out, GPG_NONE, GPG_NONE);            /* layer output scale */
        gpg_weight(c, g, out, GP_COMPUTE_W_ATTN_NORM, GPG_OP_OTHER);
        inpL = out;
    }
    /* final norm (a graph output over the whole ubatch), the output rows,
       the soft-capped logits */
    c->il = m->n_layer;
    int h = gpg_rms_mul(c, g, inpL, GPG_W_OUT_NORM);
    if (!g->err) g->t[h].is_output = 1;
    int e = gpg_rows(c, g, h);
    if (!g->err) g->t[e].is_output = 1;
    int lo = gpg_op(g, 0, GPG_F32, m->n_vocab, c->n_out, 1, 1, e, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, lo, GPG_W_OUTPUT, GPG_OP_MM);
    for (int i = 0; i < 3; i++) lo = gpg_op_like(g, 1, lo, lo, GPG_NONE, GPG_NONE); /* scale, tanh, scale */
    if (!g->err) g->t[lo].is_output = 1;
    return g->err ? -1 : 0;
}
