/*
 * deltanet.c - the gated delta net layer of Qwen3-Next, Qwen3.5-MoE and
 * Qwen3.8-Flash-Next (llama.cpp's src/models/qwen3next.cpp, qwen35moe.cpp,
 * qwen4exp.cpp and delta-net-base.cpp, with the fused GATED_DELTA_NET op
 * v0.5.0 always reserves).
 *
 * Order, as ggml expands it: the conv state gathered (and the unused cell
 * cleared, the rows beyond the ubatch written back), the QKV projection
 * concatenated after it and the new conv state written back (qwen4exp
 * copies it out contiguous first); the SSM state
 * gathered the same way; then the convolution, the L2-normed Q and K (each
 * head repeated for every value head it serves, qwen3next only), the decay
 * gate and beta, the fused op (its output rows followed by the new state,
 * written back); then the output: RMS norm, the silu gate z (a sigmoid in
 * qwen4exp, the same in memory), the output projection.
 */
#include "memory/graph/build.h"

/* RMS norm (no weight) then a scale: llama.cpp's L2 norm; its input is a
   strided view of the convolution's output, so the norm never runs in
   place */
static int l2_norm(gpg_graph *g, int view) {
    gpg_tensor s = g->t[view];
    int n = gpg_op(g, 1, GPG_F32, s.ne[0], s.ne[1], s.ne[2], s.ne[3], view, GPG_NONE, GPG_NONE);
    return gpg_op_like(g, 1, n, n, GPG_NONE, GPG_NONE);
}

/* each of hk heads repeated for the hv / hk value heads it serves */
static int repeat_heads(gpg_graph *g, int x, int64_t d, int64_t hk, int64_t hv, int64_t t, int64_t s) {
    int r = gpg_reshape(g, x, d, 1, hk, t * s);
    r = gpg_op(g, 0, GPG_F32, d, hv / hk, hk, t * s, r, GPG_NONE, GPG_NONE);
    return gpg_reshape(g, r, d, hv, t, s);
}

int gpg_delta_net(gpg_ctx *c, gpg_graph *g, int x) {
    static const gpg_delta_opts defaults = {0};
    return gpg_delta_net_opts(c, g, x, &defaults);
}

int gpg_delta_net_opts(gpg_ctx *c, gpg_graph *g, int x, const gpg_delta_opts *o) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S, E = m->n_embd;
    const int64_t kc = m->ssm_conv, dk = m->ssm_state, hk = m->ssm_groups, hv = m->ssm_dt_rank;
    const int64_t di = m->ssm_inner, dv = di / hv, key = dk * hk, ch = 2 * key + di;
    const int repeat = !m->ssm_ab_split && hk != hv;

    /* conv state and the QKV projection after it */
    int conv_state = gpg_rs_gather(c, g, (kc - 1) * ch);
    conv_state = gpg_reshape(g, conv_state, kc - 1, ch, S, 1);
    int qkv = gpg_op(g, 0, GPG_F32, ch, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, qkv, GP_COMPUTE_W_ATTN_QKV, GPG_OP_MM);
    int qkv_t = gpg_transpose(g, gpg_reshape(g, qkv, ch, t, S, 1));
    int cat = gpg_op(g, 0, GPG_F32, kc - 1 + t, ch, S, 1, conv_state, qkv_t, GPG_NONE);
    gpg_tensor cs = g->t[cat];
    int last = gpg_view(g, cat, kc - 1, ch, S, 1, cs.nb[1], cs.nb[2], cs.nb[3], 0);
    if (o->state_cont) last = gpg_op(g, 0, GPG_F32, kc - 1, ch, S, 1, last, GPG_NONE, GPG_NONE);
    gpg_writes_cache(c, g, gpg_ext(g, last, GPG_NONE, GPG_NONE));

    /* SSM state */
    int state = gpg_rs_gather(c, g, dk * di);

    /* convolution, Q, K, V */
    int conv = gpg_op(g, 0, GPG_F32, ch, t, S, 1, cat, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, conv, GP_COMPUTE_W_SSM_CONV, GPG_OP_OTHER);
    conv = gpg_op_like(g, 1, conv, conv, GPG_NONE, GPG_NONE);            /* silu */
    gpg_tensor vs = g->t[conv];
    int q = gpg_view(g, conv, dk, hk, t, S, dk * vs.nb[0], vs.nb[1], vs.nb[2], 1);
    q = l2_norm(g, q);
    if (repeat) q = repeat_heads(g, q, dk, hk, hv, t, S);
    int k = gpg_view(g, conv, dk, hk, t, S, dk * vs.nb[0], vs.nb[1], vs.nb[2], 0);
    k = l2_norm(g, k);
    if (repeat) k = repeat_heads(g, k, dk, hk, hv, t, S);
    int v = gpg_view(g, conv, dv, hv, t, S, dv * vs.nb[0], vs.nb[1], vs.nb[2], 0);

    /* decay gate and beta */
    int gate, beta;
    if (!m->ssm_ab_split) {
        int ba = gpg_op(g, 0, GPG_F32, 2 * hv, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, ba, GP_COMPUTE_W_SSM_BA, GPG_OP_MM);
        ba = gpg_reshape(g, ba, 2 * hv / hk, hk, t, S);
        gpg_tensor bs = g->t[ba];
        int a = gpg_view(g, ba, hv / hk, hk, t, S, bs.nb[1], bs.nb[2], bs.nb[3], 0);
        a = gpg_op(g, 0, GPG_F32, hv, t, S, 1, a, GPG_NONE, GPG_NONE);   /* cont */
        a = gpg_add_bias(c, g, a, GP_COMPUTE_W_SSM_DT);
        a = gpg_op_like(g, 1, a, a, GPG_NONE, GPG_NONE);                 /* softplus */
        a = gpg_add_bias(c, g, a, GP_COMPUTE_W_SSM_A);                   /* times A */
        gate = gpg_reshape(g, a, 1, hv, t, S);
        int b = gpg_view(g, ba, hv / hk, hk, t, S, bs.nb[1], bs.nb[2], bs.nb[3], 1);
        b = gpg_op(g, 0, GPG_F32, hv / hk, hk, t, S, b, GPG_NONE, GPG_NONE); /* cont */
        b = gpg_op_like(g, 1, b, b, GPG_NONE, GPG_NONE);                 /* sigmoid */
        beta = gpg_reshape(g, b, 1, hv, t, S);
    } else {
        int a = gpg_op(g, 0, GPG_F32, hv, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, a, GP_COMPUTE_W_SSM_ALPHA, GPG_OP_MM);
        a = gpg_reshape(g, a, hv, t, S, 1);
        a = gpg_op(g, 1, GPG_F32, hv, t, S, 1, a, GPG_NONE, GPG_NONE);   /* + dt bias */
        gpg_weight(c, g, a, GP_COMPUTE_W_SSM_DT, GPG_OP_OTHER);
        a = gpg_op_like(g, 1, a, a, GPG_NONE, GPG_NONE);                 /* softplus */
        a = gpg_add_bias(c, g, a, GP_COMPUTE_W_SSM_A);                   /* times A */
        gate = gpg_reshape(g, a, 1, hv, t, S);
        int b = gpg_op(g, 0, GPG_F32, hv, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, b, GP_COMPUTE_W_SSM_BETA, GPG_OP_MM);
        b = gpg_reshape(g, b, 1, hv, t, S);
        beta = gpg_op(g, 1, GPG_F32, 1, hv, t, S, b, GPG_NONE, GPG_NONE); /* sigmoid */
    }
    int st = gpg_reshape(g, state, dv, dv, hv, S);

    /* the fused op: output rows, then the new state */
    int gdn = gpg_op(g, 0, GPG_F32, di, T + dv * S, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[6] = {q, k, v, gate, beta, st};
    gpg_set_srcs_n(g, gdn, srcs, 6);
    gpg_tensor gs = g->t[gdn];
    int new_state = gpg_view(g, gdn, dv, dv, hv, S, dv * gs.nb[0], dv * dv * gs.nb[0], dv * dv * hv * gs.nb[0], 0);
    gpg_writes_cache(c, g, gpg_ext(g, new_state, GPG_NONE, GPG_NONE));

    /* output: norm, silu gate, projection */
    int out = gpg_view(g, gdn, dv, hv, t, S, dv * gs.nb[0], di * gs.nb[0], di * t * gs.nb[0], 1);
    out = gpg_op(g, 1, GPG_F32, dv, hv, t, S, out, GPG_NONE, GPG_NONE);  /* rms norm */
    out = gpg_op_like(g, 1, out, out, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_SSM_NORM, GPG_OP_OTHER);
    int z = gpg_op(g, 0, GPG_F32, di, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, z, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
    z = gpg_reshape(g, z, dv, hv, t, S);
    z = gpg_op(g, 1, GPG_F32, dv, hv, t, S, z, GPG_NONE, GPG_NONE);      /* silu */
    out = gpg_op_like(g, 1, out, out, z, GPG_NONE);
    out = gpg_reshape(g, out, di, t, S, 1);
    out = gpg_op(g, 0, GPG_F32, E, t, S, 1, out, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_SSM_OUT, GPG_OP_MM);
    return gpg_reshape(g, out, E, T, 1, 1);
}
