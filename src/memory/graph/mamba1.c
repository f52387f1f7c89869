/*
 * mamba1.c - the Mamba-1 mixer (llama.cpp's build_mamba_layer in
 * src/models/mamba-base.cpp), in the order ggml reaches it: the conv state
 * gathered (before the layers ahead, like Mamba-2's), the input projection
 * concatenated after it and the new conv state written back, the SSM
 * state's unused cell cleared, the convolution with its bias and silu, dt,
 * B and C projected from x, dt widened to one value a channel with its
 * bias, the scan (one head a channel: its outputs then the new states, one
 * 1-D tensor) and the state written back. The output (D skip, silu(z)
 * gate, projection) is reached only through the next layer.
 */
#include "memory/graph/build.h"

void gpg_mamba1_states(gpg_ctx *c, gpg_graph *g, gpg_mamba2 *s) {
    const gp_compute_model *m = c->m;
    const int64_t d = m->ssm_inner, dc = m->ssm_conv;
    int conv = gpg_rs_gather(c, g, (dc - 1) * d);
    s->conv_state = gpg_reshape(g, conv, dc - 1, d, c->n_seq, 1);
}

void gpg_mamba1_mixer(gpg_ctx *c, gpg_graph *g, int x, gpg_mamba2 *s) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S;
    const int64_t d = m->ssm_inner, ds = m->ssm_state, R = m->ssm_dt_rank;
    const int64_t rs = ds * d;

    int xz = gpg_op(g, 0, GPG_F32, 2 * d, t, S, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, xz, GP_COMPUTE_W_SSM_IN, GPG_OP_MM);
    gpg_tensor zs = g->t[xz];
    int xv = gpg_view(g, xz, d, t, S, 1, zs.nb[1], zs.nb[2], zs.nb[3], 1);
    int conv = gpg_ssm_conv(c, g, s->conv_state, xv, d);
    int xdb = gpg_op(g, 0, GPG_F32, R + 2 * ds, t, S, 1, conv, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, xdb, GP_COMPUTE_W_SSM_X, GPG_OP_MM);
    gpg_tensor bs = g->t[xdb];
    int dt = gpg_view(g, xdb, R, t, S, 1, bs.nb[1], bs.nb[2], bs.nb[3], 1);
    int b = gpg_view(g, xdb, ds, 1, t, S, ds * bs.nb[0], bs.nb[1], bs.nb[2], 0);
    int cc = gpg_view(g, xdb, ds, 1, t, S, ds * bs.nb[0], bs.nb[1], bs.nb[2], 0);
    if (m->ssm_dt_b_c_norm) {
        /* Jamba: dt, B and C RMS-normed (each a new tensor) instead of dt's copy */
        dt = gpg_rms_mul(c, g, dt, GP_COMPUTE_W_SSM_DT);
        b = gpg_rms_mul(c, g, b, GP_COMPUTE_W_SSM_X);
        cc = gpg_rms_mul(c, g, cc, GP_COMPUTE_W_SSM_X);
    } else {
        dt = gpg_op(g, 0, GPG_F32, R, t, S, 1, dt, GPG_NONE, GPG_NONE);  /* cont */
    }
    dt = gpg_op(g, 0, GPG_F32, d, t, S, 1, dt, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, dt, GP_COMPUTE_W_SSM_DT, GPG_OP_MM);
    dt = gpg_add_bias(c, g, dt, GP_COMPUTE_W_SSM_DT);
    s->x = conv;
    int x4 = gpg_reshape(g, conv, 1, d, t, S);
    s->scan = gpg_op(g, 0, GPG_F32, d * T + rs * S, 1, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[5] = {x4, dt, b, cc, c->rs_main};
    gpg_set_srcs_n(g, s->scan, srcs, 5);
    gpg_ssm_scan_states(c, g, s->scan, rs);
    s->zxbcdt = xz;
}

int gpg_mamba1_out(gpg_ctx *c, gpg_graph *g, const gpg_mamba2 *s) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S, d = m->ssm_inner;
    gpg_tensor zs = g->t[s->zxbcdt];
    int z = gpg_view(g, s->zxbcdt, d, t, S, 1, zs.nb[1], zs.nb[2], zs.nb[3], 0);
    gpg_tensor ss = g->t[s->scan];
    int y = gpg_view(g, s->scan, d, t, S, 1, d * ss.nb[0], d * t * ss.nb[0], d * T * ss.nb[0], 1);
    /* the gate's cont comes first: ggml reaches the gate's sources in order */
    z = gpg_op(g, 0, GPG_F32, d, t, S, 1, z, GPG_NONE, GPG_NONE);         /* cont */
    int xd = gpg_op(g, 1, GPG_F32, d, t, S, 1, s->x, GPG_NONE, GPG_NONE); /* x * D */
    gpg_weight(c, g, xd, GP_COMPUTE_W_SSM_D, GPG_OP_OTHER);
    y = gpg_op_like(g, 1, y, y, xd, GPG_NONE);                           /* + */
    int gated = gpg_op(g, 0, GPG_F32, d, t, S, 1, z, y, GPG_NONE);        /* silu(z) * y */
    int out = gpg_op(g, 0, GPG_F32, m->n_embd, t, S, 1, gated, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_SSM_OUT, GPG_OP_MM);
    return gpg_reshape(g, out, m->n_embd, T, 1, 1);
}
