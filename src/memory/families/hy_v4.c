/*
 * hy_v4.c - Hy4 (llama.cpp's src/models/hy-v4.cpp): deepseek32's latent
 * attention, sparse attention and experts inside independent
 * hyper-connections. The residual is hc_count copies [E, hc, T] (the
 * embeddings repeated); before attention and before the FFN one projection
 * of the RMS-normed copies gives each copy a pre weight and a post weight
 * (scaled, biased, sigmoid); the block's input is the copies summed by
 * their pre weights, and its output is added back into every copy by its
 * post weight, copy by copy, then concatenated. Both run in f32 between
 * casts, which ggml makes a copy of each. The attention's heads carry a
 * sink each (no tensor of its own) and a sigmoid gate before wo. The
 * output rows are gathered from the copies once, after the last layer;
 * one more mix (pre weights only) then feeds the final norm.
 */
#include "memory/families/family.h"

/* x [E, hc, T] summed by w [hc, T]: x cast to f32, each copy times its
   weight added up, the sum cast back */
static int hy4_reduce(gpg_graph *g, int x, int w, int64_t E, int64_t hc, int64_t T)
{
    int xf = gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);                    /* cast */
    const gpg_tensor xt = g->t[xf];
    const gpg_tensor wt = g->t[w];
    int acc = GPG_NONE;
    for (int64_t i = 0; i < hc; i++) {
        int xh = gpg_view(g, xf, E, T, 1, 1, xt.nb[2], xt.nb[2] * T, xt.nb[2] * T, i == 0);
        int wh = gpg_view(g, w, 1, T, 1, 1, wt.nb[1], wt.nb[1] * T, wt.nb[1] * T, i == 0);
        int p = gpg_op(g, 0, GPG_F32, E, T, 1, 1, xh, wh, GPG_NONE);         /* mul */
        acc = i == 0 ? p : gpg_op(g, 0, GPG_F32, E, T, 1, 1, acc, p, GPG_NONE);   /* add */
    }
    return gpg_op_like(g, 0, acc, acc, GPG_NONE, GPG_NONE);                  /* cast */
}

/* the weights' chain on a [hc, T] view of the mixes: times the scale, plus
   the bias, sigmoid, (magnitude,) plus eps */
static int hy4_gate(gpg_graph *g, int v, int64_t hc, int64_t T, int post)
{
    int x = gpg_op(g, 0, GPG_F32, hc, T, 1, 1, v, GPG_NONE, GPG_NONE);      /* mul */
    x = gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);                         /* add */
    x = gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);                         /* sigmoid */
    if (post)
        x = gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);                     /* scale */
    return gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);                      /* scale_bias */
}

/* a block's input from the copies; *post gets the post weights. The mix's
   weights are the layer's (its norm stands for their device). */
static int hy4_pre(gpg_ctx *c, gpg_graph *g, int x, int kind, int *post)
{
    const int64_t E = c->m->n_embd, hc = c->m->hc_count, T = c->T;
    int flat = gpg_reshape(g, x, hc * E, T, 1, 1);
    int n = gpg_op_like(g, 0, flat, flat, GPG_NONE, GPG_NONE);               /* rms norm */
    int mixes = gpg_op(g, 0, GPG_F32, 2 * hc, T, 1, 1, n, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, mixes, kind, GPG_OP_MM);
    const gpg_tensor mt = g->t[mixes];
    int pre = hy4_gate(g, gpg_view(g, mixes, hc, T, 1, 1, mt.nb[1], mt.nb[1] * T, mt.nb[1] * T, 1), hc, T, 0);
    *post = hy4_gate(g, gpg_view(g, mixes, hc, T, 1, 1, mt.nb[1], mt.nb[1] * T, mt.nb[1] * T, 0), hc, T, 1);
    return hy4_reduce(g, x, pre, E, hc, T);
}

/* the block's output y [E, T] added into each copy of res by its post
   weight, in f32, the copies concatenated and cast back */
static int hy4_post(gpg_ctx *c, gpg_graph *g, int y, int res, int post)
{
    const int64_t E = c->m->n_embd, hc = c->m->hc_count, T = c->T;
    int yf = gpg_op(g, 0, GPG_F32, E, T, 1, 1, y, GPG_NONE, GPG_NONE);      /* cast */
    int pf = gpg_op_like(g, 0, post, post, GPG_NONE, GPG_NONE);              /* cast */
    int rf = gpg_op_like(g, 0, res, res, GPG_NONE, GPG_NONE);                /* cast */
    const gpg_tensor rt = g->t[rf];
    const gpg_tensor pt = g->t[pf];
    int out = GPG_NONE;
    for (int64_t i = 0; i < hc; i++) {
        int ri = gpg_view(g, rf, E, T, 1, 1, rt.nb[2], rt.nb[2] * T, rt.nb[2] * T, i == 0);
        int pi = gpg_view(g, pf, 1, T, 1, 1, pt.nb[1], pt.nb[1] * T, pt.nb[1] * T, i == 0);
        int p = gpg_op(g, 0, GPG_F32, E, T, 1, 1, yf, pi, GPG_NONE);        /* mul */
        int s = gpg_op(g, 0, GPG_F32, E, T, 1, 1, ri, p, GPG_NONE);         /* add */
        s = gpg_reshape(g, s, E, 1, T, 1);
        out = i == 0 ? s : gpg_op(g, 0, GPG_F32, E, i + 1, T, 1, out, s, GPG_NONE); /* concat */
    }
    return gpg_op_like(g, 0, out, out, GPG_NONE, GPG_NONE);                  /* cast */
}

int gpg_build_hy_v4(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, hc = m->hc_count;
    if (hc < 1 || hc > 64)
        return -1;
    int embd = gpg_token_embd(c, g);
    int e3 = gpg_reshape(g, embd, E, 1, c->T, 1);
    int inpL = gpg_op(g, 0, GPG_F32, E, hc, c->T, 1, e3, GPG_NONE, GPG_NONE);  /* repeat */
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int post;
        int cur = hy4_pre(c, g, inpL, GP_COMPUTE_W_ATTN_NORM, &post);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_NORM);
        int qr = gpg_op(g, 0, GPG_F32, m->q_lora_rank, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, qr, GP_COMPUTE_W_ATTN_Q_A, GPG_OP_MM);
        qr = gpg_rms_mul(c, g, qr, GP_COMPUTE_W_ATTN_Q_A_NORM);
        if (!gpg_layer_idx_shared(m, il))
            gpg_dsa_index_k(c, g, cur);
        gpg_dsa_mask_arg mask = {.qr = qr, .x = cur};
        const gpg_mla_opts mla = {.qr = qr, .mask = gpg_dsa_mask, .mask_arg = &mask};
        int heads = gpg_attn_mla_core(c, g, gpg_attn_mla_qkv(c, g, cur, &mla), &mla);
        /* the sigmoid gate on the heads' output, then wo */
        int gate = gpg_op_like(g, 0, heads, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);            /* sigmoid */
        heads = gpg_op_like(g, 1, heads, heads, gate, GPG_NONE);             /* mul */
        int attn = gpg_op(g, 0, GPG_F32, E, c->T, 1, 1, heads, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, attn, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
        inpL = hy4_post(c, g, attn, inpL, post);

        cur = hy4_pre(c, g, inpL, GP_COMPUTE_W_FFN_NORM, &post);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_NORM);
        cur = gpg_ffn_layer(c, g, cur, il, c->T);
        inpL = hy4_post(c, g, cur, inpL, post);
    }
    /* the output rows of every copy, then the last mix */
    c->il = m->n_layer;
    int flat = gpg_reshape(g, inpL, E * hc, c->T, 1, 1);
    flat = gpg_op(g, 0, GPG_F32, E * hc, c->n_out, 1, 1, flat, c->out_ids, GPG_NONE);  /* get_rows */
    c->T = c->n_out;
    int x = gpg_reshape(g, flat, E, hc, c->T, 1);
    int n = gpg_op_like(g, 0, flat, flat, GPG_NONE, GPG_NONE);               /* rms norm */
    int mixes = gpg_op(g, 0, GPG_F32, hc, c->T, 1, 1, n, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, mixes, GPG_W_OUT_NORM, GPG_OP_MM);
    int pre = hy4_gate(g, mixes, hc, c->T, 0);
    gpg_logits(c, g, hy4_reduce(g, x, pre, E, hc, c->T));
    return g->err ? -1 : 0;
}
