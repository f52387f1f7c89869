/*
 * gemma3n.c - Gemma 3n (llama.cpp's src/models/gemma3n.cpp): Gemma 4's
 * attention (per-head Q/K norms, V RMS-normed without a weight, the last
 * layers reading an earlier layer's cache) and per-layer token embeddings,
 * on AltUp's parallel copies of the hidden state:
 * - the scaled embeddings projected into the extra copies, each rescaled to
 *   the first one's magnitude, and stacked [E, T, A];
 * - per layer: a router on the active copy, the predicted copies from
 *   predicted coefficients, attention and a low-rank Laurel branch on the
 *   active prediction, a gated GELU MLP (a gaussian top-k on the gate of the
 *   first layers), the innovation corrected into every copy, and the
 *   per-layer input gated from the active copy into the others;
 * - after the layers, the extra copies projected back, rescaled and
 *   averaged; output rows gathered before the final norm, soft-capped
 *   logits.
 * Nodes follow ggml's depth-first order: a value built early but first read
 * late (the Laurel branch, the per-layer projection, the magnitudes) is
 * placed where it is first read.
 */
#include "memory/families/family.h"

enum { G3N_SPARSE_LAYERS = 10 };   /* layers with the gaussian top-k on the FFN gate */

/* view of copy i of a stacked [E, T, A] tensor; n copies from there */
static int copies(gpg_graph *g, int x, int64_t i, int64_t n) {
    gpg_tensor s = g->t[x];
    return gpg_view(g, x, s.ne[0], s.ne[1], n, 1, s.nb[1], s.nb[2], s.nb[2] * n, i == 0);
}

/* sqrt of the sum of squares of each row: [1, ...] */
static int magnitude(gpg_graph *g, int x) {
    gpg_tensor s = g->t[x];
    int q = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);                   /* sqr */
    int r = gpg_op(g, 0, GPG_F32, 1, s.ne[1], s.ne[2], s.ne[3], q, GPG_NONE, GPG_NONE); /* sum_rows */
    return gpg_op_like(g, 1, r, r, GPG_NONE, GPG_NONE);                    /* sqrt */
}

/* tanh of the router on the normed, scaled input [A, T] */
static int router(gpg_ctx *c, gpg_graph *g, int x, int64_t A) {
    int r = gpg_rms_mul(c, g, x, GP_COMPUTE_W_ATTN_NORM);
    r = gpg_op_like(g, 1, r, r, GPG_NONE, GPG_NONE);                       /* scale */
    int o = gpg_op(g, 0, GPG_F32, A, g->t[x].ne[1], 1, 1, r, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, o, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
    return gpg_op_like(g, 1, o, o, GPG_NONE, GPG_NONE);                    /* tanh */
}

/* the gaussian top-k: relu(x - (mean + k std)) over each row */
static int gaussian_topk(gpg_graph *g, int x) {
    gpg_tensor s = g->t[x];
    int mean = gpg_op(g, 0, GPG_F32, 1, s.ne[1], 1, 1, x, GPG_NONE, GPG_NONE);
    int d = gpg_op_like(g, 1, x, x, mean, GPG_NONE);                       /* sub */
    d = gpg_op_like(g, 1, d, d, GPG_NONE, GPG_NONE);                       /* sqr */
    int sd = gpg_op(g, 0, GPG_F32, 1, s.ne[1], 1, 1, d, GPG_NONE, GPG_NONE); /* sum_rows */
    sd = gpg_op_like(g, 1, sd, sd, GPG_NONE, GPG_NONE);                    /* scale */
    sd = gpg_op_like(g, 1, sd, sd, GPG_NONE, GPG_NONE);                    /* sqrt */
    sd = gpg_op_like(g, 1, sd, sd, GPG_NONE, GPG_NONE);                    /* scale */
    int cut = gpg_op_like(g, 1, mean, mean, sd, GPG_NONE);                 /* add */
    int r = gpg_op_like(g, 1, x, x, cut, GPG_NONE);                        /* sub */
    return gpg_op_like(g, 1, r, r, GPG_NONE, GPG_NONE);                    /* relu */
}

int gpg_build_gemma3n(gpg_ctx *c, gpg_graph *g) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, E = m->n_embd, A = 4, P = m->n_embd_per_layer, L = m->n_layer;
    if (!P) return -1;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        uint32_t s = m->layer_kv_src ? (uint32_t)m->layer_kv_src[il] : il;
        if (s > il) return -1;
    }
    /* the token embeddings' rows (expanded as the input is built), the
       per-layer token embeddings (expanded next), then the scaling */
    c->il = 0;
    int emb = gpg_op(g, 0, GPG_F32, E, T, 1, 1, c->inp_tokens, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, emb, GPG_W_TOK, GPG_OP_GETROWS);
    int rows = gpg_op(g, 0, GPG_F32, P * L, T, 1, 1, c->inp_ple, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, rows, GPG_W_TOK, GPG_OP_GETROWS);
    rows = gpg_reshape(g, rows, P, L, T, 1);
    int ple_sel = gpg_op_like(g, 1, rows, rows, GPG_NONE, GPG_NONE);      /* scale */
    emb = gpg_op_like(g, 1, emb, emb, GPG_NONE, GPG_NONE);                 /* scale by sqrt(n_embd) */

    /* the stacked copies */
    int inpL;
    {
        int rep = gpg_op(g, 0, GPG_F32, E, T, A - 1, 1, emb, GPG_NONE, GPG_NONE); /* repeat */
        int add = gpg_op(g, 0, GPG_F32, E, T, A - 1, 1, rep, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, add, GPG_W_OUTPUT, GPG_OP_MM);
        int tm = magnitude(g, emb);
        int mu = gpg_op_like(g, 1, add, add, tm, GPG_NONE);
        int nm = magnitude(g, add);
        int dv = gpg_op_like(g, 1, mu, mu, nm, GPG_NONE);
        inpL = gpg_op(g, 0, GPG_F32, E, T, A, 1, emb, dv, GPG_NONE);        /* concat */
    }
    int ple_all = GPG_NONE;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        /* predict */
        int perm = gpg_permute_12(g, inpL);   /* stands for permute (1, 2, 0) */
        perm = gpg_op(g, 0, GPG_F32, A, E, T, 1, perm, GPG_NONE, GPG_NONE); /* cont */
        int mod = router(c, g, copies(g, inpL, 0, 1), A);
        int coef = gpg_op(g, 0, GPG_F32, A * A, T, 1, 1, mod, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, coef, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
        coef = gpg_reshape(g, coef, A, A, T, 1);
        int pr = gpg_op(g, 0, GPG_F32, E, A, T, 1, perm, coef, GPG_NONE);   /* mul_mat */
        pr = gpg_permute_12(g, pr);
        pr = gpg_op(g, 0, GPG_F32, E, T, A, 1, pr, GPG_NONE, GPG_NONE);     /* cont */
        int pred = gpg_op_like(g, 1, pr, pr, inpL, GPG_NONE);               /* add */
        int act = copies(g, pred, 0, 1);
        /* attention */
        int xn = gpg_rms_mul(c, g, act, GP_COMPUTE_W_ATTN_NORM);
        int q = gpg_gemma4_attn_qkv(c, g, xn, il);
        int cur = gpg_gemma4_attn_core(c, g, q, il);
        cur = gpg_attn_out(c, g, cur, il);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
        cur = gpg_op_like(g, 1, cur, cur, act, GPG_NONE);                   /* add */
        /* Laurel */
        int lr = gpg_op(g, 0, GPG_F32, 64, T, 1, 1, xn, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, lr, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
        lr = gpg_op(g, 0, GPG_F32, E, T, 1, 1, lr, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, lr, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
        lr = gpg_rms_mul(c, g, lr, GP_COMPUTE_W_ATTN_NORM);
        lr = gpg_op_like(g, 1, lr, lr, xn, GPG_NONE);                       /* add */
        int al = gpg_op_like(g, 1, cur, cur, lr, GPG_NONE);                 /* add */
        al = gpg_op_like(g, 1, al, al, GPG_NONE, GPG_NONE);                 /* scale */
        /* FFN */
        const int64_t F = gpg_layer_n_ff(m, il);
        int fx = gpg_rms_mul(c, g, al, GP_COMPUTE_W_FFN_NORM);
        int up = gpg_op(g, 0, GPG_F32, F, T, 1, 1, fx, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, up, GP_COMPUTE_W_FFN_UP, GPG_OP_MM);
        int gate = gpg_op(g, 0, GPG_F32, F, T, 1, 1, fx, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_FFN_GATE, GPG_OP_MM);
        if (il < G3N_SPARSE_LAYERS) gate = gaussian_topk(g, gate);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);           /* gelu */
        int ff = gpg_op_like(g, 1, up, up, gate, GPG_NONE);                 /* mul */
        ff = gpg_op(g, 0, GPG_F32, E, T, 1, 1, ff, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, ff, GP_COMPUTE_W_FFN_DOWN, GPG_OP_MM);
        ff = gpg_rms_mul(c, g, ff, GP_COMPUTE_W_FFN_POST_NORM);
        int actd = gpg_op_like(g, 1, ff, ff, al, GPG_NONE);                 /* add */
        /* correct */
        int inn = gpg_op_like(g, 1, actd, actd, copies(g, pred, 0, 1), GPG_NONE); /* sub */
        inn = gpg_op(g, 0, GPG_F32, E, T, A, 1, inn, GPG_NONE, GPG_NONE);   /* repeat */
        int cm = router(c, g, actd, A);
        int cc = gpg_op(g, 0, GPG_F32, A, T, 1, 1, cm, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, cc, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
        cc = gpg_op_like(g, 1, cc, cc, GPG_NONE, GPG_NONE);                 /* scale_bias */
        cc = gpg_transpose(g, cc);
        cc = gpg_op(g, 0, GPG_F32, 1, T, A, 1, cc, GPG_NONE, GPG_NONE);     /* cont */
        int corr = gpg_op_like(g, 1, inn, inn, cc, GPG_NONE);               /* mul */
        corr = gpg_op_like(g, 1, corr, corr, pred, GPG_NONE);               /* add */
        /* the per-layer input, from the active copy into the others */
        int first = copies(g, corr, 0, 1);
        int rest = copies(g, corr, 1, A - 1);
        int fv = copies(g, corr, 0, 1);
        int fp = gpg_op_like(g, 1, fv, fv, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, fp, GP_COMPUTE_W_ATTN_NORM, GPG_OP_OTHER);         /* mul by the scale */
        fp = gpg_op(g, 0, GPG_F32, P, T, 1, 1, fp, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, fp, GP_COMPUTE_W_FFN_POST_NORM, GPG_OP_MM);
        fp = gpg_op_like(g, 1, fp, fp, GPG_NONE, GPG_NONE);                 /* gelu */
        if (il == 0) {
            int pj = gpg_op(g, 0, GPG_F32, P * L, T, 1, 1, emb, GPG_NONE, GPG_NONE);
            gpg_weight(c, g, pj, GP_COMPUTE_W_ATTN_NORM, GPG_OP_MM);
            pj = gpg_op_like(g, 1, pj, pj, GPG_NONE, GPG_NONE);             /* scale */
            pj = gpg_reshape(g, pj, P, L, T, 1);
            pj = gpg_rms_mul(c, g, pj, GP_COMPUTE_W_ATTN_NORM);
            pj = gpg_op_like(g, 1, pj, pj, ple_sel, GPG_NONE);              /* add */
            pj = gpg_op_like(g, 1, pj, pj, GPG_NONE, GPG_NONE);             /* scale */
            pj = gpg_permute_12(g, pj);
            ple_all = gpg_op(g, 0, GPG_F32, P, T, L, 1, pj, GPG_NONE, GPG_NONE); /* cont */
        }
        gpg_tensor pa = g->t[ple_all];
        int sl = gpg_view(g, ple_all, P, T, 1, 1, pa.nb[1], pa.nb[2], pa.nb[2], il == 0);
        fp = gpg_op_like(g, 1, fp, fp, sl, GPG_NONE);                       /* mul */
        fp = gpg_op(g, 0, GPG_F32, E, T, 1, 1, fp, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, fp, GP_COMPUTE_W_FFN_POST_NORM, GPG_OP_MM);
        fp = gpg_rms_mul(c, g, fp, GP_COMPUTE_W_FFN_POST_NORM);
        int tmp = gpg_op(g, 1, GPG_F32, E, T, A - 1, 1, rest, fp, GPG_NONE);   /* add */
        inpL = gpg_op(g, 0, GPG_F32, E, T, A, 1, first, tmp, GPG_NONE);     /* concat */
    }
    /* the copies merged back */
    c->il = m->n_layer;
    int cur = copies(g, inpL, 0, 1);
    {
        int alt = copies(g, inpL, 1, A - 1);
        int un = gpg_op(g, 0, GPG_F32, E, T, A - 1, 1, alt, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, un, GPG_W_OUTPUT, GPG_OP_MM);
        int tm = magnitude(g, copies(g, inpL, 0, 1));
        int mu = gpg_op_like(g, 1, un, un, tm, GPG_NONE);
        int nm = magnitude(g, un);
        int dv = gpg_op_like(g, 1, mu, mu, nm, GPG_NONE);
        for (int64_t i = 0; i < A - 1; i++)
            cur = gpg_op(g, 1, GPG_F32, E, T, 1, 1, cur, copies(g, dv, i, 1), GPG_NONE);
        cur = gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);              /* scale */
    }
    int e = gpg_rows(c, g, cur);
    c->T = c->n_out;
    int h = gpg_rms_mul(c, g, e, GPG_W_OUT_NORM);
    if (!g->err) g->t[h].is_output = 1;
    int lo = gpg_op(g, 0, GPG_F32, m->n_vocab, c->n_out, 1, 1, h, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, lo, GPG_W_OUTPUT, GPG_OP_MM);
    for (int i = 0; i < 3; i++) lo = gpg_op_like(g, 1, lo, lo, GPG_NONE, GPG_NONE); /* scale, tanh, scale */
    if (!g->err) g->t[lo].is_output = 1;
    return g->err ? -1 : 0;
}
