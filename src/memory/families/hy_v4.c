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
 * sink each (no tensor of its own) and a sigmoid gate before wo; the
 * indexer's keys and queries are not rotated, and the experts' clamped
 * SwiGLU is one fused op. Checkpoints without an indexer (no top-k) attend
 * fully on every layer, by the plain mask. The output rows are gathered
 * from the copies once, after the last layer; one more mix (pre weights
 * only) then feeds the final norm.
 *
 * Node order (what ggml's expansion reaches first): a mix casts the copies
 * before it norms them; the post weights are reached only by the block's
 * output, after the copies' cast that it adds into (a dense FFN's copies
 * are cast before its mix; the MoE's routed experts, expanded first, come
 * before that cast and the shared expert after it; attention, expanded
 * first, comes before it and its gate and wo after it).
 */
#include "memory/families/family.h"

/* a view of one of the layer's small mixing weights (its scale or base),
   read by an op: a view places no op on the weight's device, but an op on
   another device copies it into that device's buffer */
static int hy4_wview(gpg_ctx *c, gpg_graph *g, int64_t n, int kind)
{
    return gpg_outside_view(g, (uint64_t)n * sizeof(float), c->pl ? c->pl->layer[c->il].w[kind] : 0);
}

/* x [E, hc, T] summed by the pre weights: x cast to f32 (first, with its
   first copy's view), the mix of the normed copies, the pre weights, each
   copy times its weight added up, the sum cast back. *mixes gets the mix
   (the post weights are a view of it). The mix's weights are the layer's
   (kind stands for their device; the output's for the final mix). */
static int hy4_pre(gpg_ctx *c, gpg_graph *g, int x, int kind, int *mixes)
{
    const int64_t E = c->m->n_embd, hc = c->m->hc_count, T = c->T;
    const int head = kind == GPG_W_OUT_NORM;   /* the final mix: pre weights only */
    int xf = gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);                    /* cast */
    const gpg_tensor xt = g->t[xf];
    int xh = gpg_view(g, xf, E, T, 1, 1, xt.nb[2], xt.nb[2] * T, xt.nb[2] * T, 1);
    int flat = gpg_reshape(g, x, hc * E, T, 1, 1);
    int n = gpg_op_like(g, 0, flat, flat, GPG_NONE, GPG_NONE);               /* rms norm */
    int mx = gpg_op(g, 0, GPG_F32, head ? hc : 2 * hc, T, 1, 1, n, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, mx, kind, GPG_OP_MM);
    const gpg_tensor mt = g->t[mx];
    int w = head ? mx : gpg_view(g, mx, hc, T, 1, 1, mt.nb[1], mt.nb[1] * T, mt.nb[1] * T, 1);
    /* scale and base: views of the layer's weights; the final mix reads
       the output's own (which place the ops on their device) */
    w = gpg_op(g, 1, GPG_F32, hc, T, 1, 1, w, head ? GPG_NONE : hy4_wview(c, g, 1, kind), GPG_NONE); /* mul scale */
    if (head)
        gpg_weight(c, g, w, kind, GPG_OP_OTHER);
    w = gpg_op_like(g, 1, w, w, head ? GPG_NONE : hy4_wview(c, g, hc, kind), GPG_NONE);  /* add base */
    if (head)
        gpg_weight(c, g, w, kind, GPG_OP_OTHER);
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* sigmoid */
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* scale_bias */
    const gpg_tensor wt = g->t[w];
    int acc = GPG_NONE;
    for (int64_t i = 0; i < hc; i++) {
        if (i > 0)
            xh = gpg_view(g, xf, E, T, 1, 1, xt.nb[2], xt.nb[2] * T, xt.nb[2] * T, 0);
        int wh = gpg_view(g, w, 1, T, 1, 1, wt.nb[1], wt.nb[1] * T, wt.nb[1] * T, i == 0);
        int p = gpg_op(g, 0, GPG_F32, E, T, 1, 1, xh, wh, GPG_NONE);         /* mul */
        acc = i == 0 ? p : gpg_op(g, 1, GPG_F32, E, T, 1, 1, acc, p, GPG_NONE);   /* add */
    }
    *mixes = mx;
    return gpg_op_like(g, 0, acc, acc, GPG_NONE, GPG_NONE);                  /* cast */
}

/* the copies res cast to f32 for the block's output to be added into (ggml
   reaches this cast and its first copy's view first); *r0 gets the view */
static int hy4_res(gpg_ctx *c, gpg_graph *g, int res, int *r0)
{
    const int64_t E = c->m->n_embd, T = c->T;
    int rf = gpg_op_like(g, 0, res, res, GPG_NONE, GPG_NONE);                /* cast */
    const gpg_tensor rt = g->t[rf];
    *r0 = gpg_view(g, rf, E, T, 1, 1, rt.nb[2], rt.nb[2] * T, rt.nb[2] * T, 1);
    return rf;
}

/* the block's output y [E, T] cast to f32; the post weights (a view of the
   mix: scale, bias, sigmoid, magnitude, eps) cast; y added into each copy
   of rf (cast by hy4_res) by its post weight, the copies concatenated and
   cast back */
static int hy4_post(gpg_ctx *c, gpg_graph *g, int y, int rf, int r0, int mixes, int kind)
{
    const int64_t E = c->m->n_embd, hc = c->m->hc_count, T = c->T;
    int yf = gpg_op(g, 0, GPG_F32, E, T, 1, 1, y, GPG_NONE, GPG_NONE);      /* cast */
    const gpg_tensor mt = g->t[mixes];
    int w = gpg_view(g, mixes, hc, T, 1, 1, mt.nb[1], mt.nb[1] * T, mt.nb[1] * T, 0);
    w = gpg_op(g, 1, GPG_F32, hc, T, 1, 1, w, hy4_wview(c, g, 1, kind), GPG_NONE);   /* mul scale */
    w = gpg_op_like(g, 1, w, w, hy4_wview(c, g, hc, kind), GPG_NONE);                /* add base */
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* sigmoid */
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* magnitude */
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* scale_bias */
    int pf = gpg_op_like(g, 0, w, w, GPG_NONE, GPG_NONE);                    /* cast */
    const gpg_tensor rt = g->t[rf];
    const gpg_tensor pt = g->t[pf];
    int out = GPG_NONE;
    for (int64_t i = 0; i < hc; i++) {
        int ri = i == 0 ? r0 : gpg_view(g, rf, E, T, 1, 1, rt.nb[2], rt.nb[2] * T, rt.nb[2] * T, 0);
        int pi = gpg_view(g, pf, 1, T, 1, 1, pt.nb[1], pt.nb[1] * T, pt.nb[1] * T, i == 0);
        int p = gpg_op(g, 1, GPG_F32, E, T, 1, 1, yf, pi, GPG_NONE);        /* mul */
        int s = gpg_op(g, 1, GPG_F32, E, T, 1, 1, ri, p, GPG_NONE);         /* add */
        s = gpg_reshape(g, s, E, 1, T, 1);
        out = i == 0 ? s : gpg_op(g, 0, GPG_F32, E, i + 1, T, 1, out, s, GPG_NONE); /* concat */
    }
    return gpg_op_like(g, 0, out, out, GPG_NONE, GPG_NONE);                  /* cast */
}

void gpg_inputs_hy_v4(gpg_ctx *c, gpg_graph *g)
{
    if (c->dsa)
        gpg_inputs_dsa_opts(c, g, 0);
    else
        gpg_inputs(c, g);   /* every layer full attention: no indexer */
}

int gpg_build_hy_v4(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, hc = m->hc_count;
    if (hc < 1 || hc > 64 || m->q_lora_rank == 0)   /* llama.cpp requires attn_q_a */
        return -1;
    int embd = gpg_token_embd(c, g);
    int e3 = gpg_reshape(g, embd, E, 1, c->T, 1);
    int inpL = gpg_op(g, 0, GPG_F32, E, hc, c->T, 1, e3, GPG_NONE, GPG_NONE);  /* repeat */
    const gpg_moe_opts moe = {.clamp_fused = 1};
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int mixes, r0, rf;
        int cur = hy4_pre(c, g, inpL, GP_COMPUTE_W_ATTN_NORM, &mixes);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_NORM);
        if (c->dsa && !gpg_layer_idx_shared(m, il))
            gpg_dsa_index_k(c, g, cur);
        int qr = gpg_op(g, 0, GPG_F32, m->q_lora_rank, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, qr, GP_COMPUTE_W_ATTN_Q_A, GPG_OP_MM);
        qr = gpg_rms_mul(c, g, qr, GP_COMPUTE_W_ATTN_Q_A_NORM);
        gpg_dsa_mask_arg mask = {.qr = qr, .x = cur};
        const gpg_mla_opts mla = {.qr = qr, .mask = c->dsa ? gpg_dsa_mask : NULL, .mask_arg = &mask};
        int heads = gpg_attn_mla_core(c, g, gpg_attn_mla_qkv(c, g, cur, &mla), &mla);
        rf = hy4_res(c, g, inpL, &r0);
        /* the sigmoid gate on the heads' output, then wo */
        int gate = gpg_op_like(g, 0, heads, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);            /* sigmoid */
        heads = gpg_op_like(g, 1, heads, heads, gate, GPG_NONE);             /* mul */
        int attn = gpg_op(g, 0, GPG_F32, E, c->T, 1, 1, heads, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, attn, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
        inpL = hy4_post(c, g, attn, rf, r0, mixes, GP_COMPUTE_W_ATTN_NORM);

        const int routed = gpg_layer_moe(m, il);
        if (!routed)
            rf = hy4_res(c, g, inpL, &r0);
        cur = hy4_pre(c, g, inpL, GP_COMPUTE_W_FFN_NORM, &mixes);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_NORM);
        if (routed) {
            int ffn = gpg_ffn_moe(c, g, cur, c->T, &moe);
            rf = hy4_res(c, g, inpL, &r0);
            int sh = gpg_ffn_dense(c, g, cur, m->n_ff_shexp, E, c->T, GP_COMPUTE_W_FFN_GATE_SHEXP);
            cur = gpg_op_like(g, 1, ffn, ffn, sh, GPG_NONE);
        } else {
            cur = gpg_ffn_dense(c, g, cur, gpg_layer_n_ff(m, il), E, c->T, GP_COMPUTE_W_FFN_GATE);
        }
        inpL = hy4_post(c, g, cur, rf, r0, mixes, GP_COMPUTE_W_FFN_NORM);
    }
    /* the output rows of every copy, then the last mix */
    c->il = m->n_layer;
    int flat = gpg_reshape(g, inpL, E * hc, c->T, 1, 1);
    flat = gpg_op(g, 0, GPG_F32, E * hc, c->n_out, 1, 1, flat, c->out_ids, GPG_NONE);  /* get_rows */
    c->T = c->n_out;
    int x = gpg_reshape(g, flat, E, hc, c->T, 1);
    int mixes;
    gpg_logits(c, g, hy4_pre(c, g, x, GPG_W_OUT_NORM, &mixes));
    return g->err ? -1 : 0;
}
