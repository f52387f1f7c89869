/*
 * mamba2.c - the Mamba-2 mixer (llama.cpp's build_mamba2_layer in
 * src/models/mamba-base.cpp), in the order ggml reaches it: the conv state
 * gathered (reached before anything of the layers ahead, since it needs
 * none of them), the input projection concatenated after it and the new
 * conv state written back, the SSM state's unused cell cleared, the
 * convolution with its bias and silu, dt with its bias, the scan (its
 * outputs then the new states, one 1-D tensor) and the state written back.
 * The output (D skip, silu(z) gate, per-group RMS norm, projection) is
 * reached only through the next layer.
 */
#include "memory/graph/build.h"

int gpg_ssm_conv(gpg_ctx *c, gpg_graph *g, int conv_state, int x, int64_t width) {
    const int64_t dc = c->m->ssm_conv, S = c->n_seq, t = c->T / S;
    int cat = gpg_op(g, 0, GPG_F32, dc - 1 + t, width, S, 1, conv_state, gpg_transpose(g, x), GPG_NONE);
    gpg_tensor cs = g->t[cat];
    int last = gpg_view(g, cat, dc - 1, width, S, 1, cs.nb[1], cs.nb[2], cs.nb[3], 0);
    gpg_writes_cache(c, g, gpg_ext(g, last, GPG_NONE, GPG_NONE));

    /* the SSM state's unused cell cleared */
    gpg_writes_cache(c, g, gpg_ext(g, GPG_NONE, GPG_NONE, GPG_NONE));
    int conv = gpg_op(g, 0, GPG_F32, width, t, S, 1, cat, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, conv, GP_COMPUTE_W_SSM_CONV, GPG_OP_OTHER);
    conv = gpg_add_bias(c, g, conv, GP_COMPUTE_W_SSM_CONV);
    return gpg_op_like(g, 1, conv, conv, GPG_NONE, GPG_NONE);            /* silu */
}

void gpg_ssm_scan_states(gpg_ctx *c, gpg_graph *g, int scan, int64_t rs) {
    const int64_t S = c->n_seq;
    gpg_weight(c, g, scan, GP_COMPUTE_W_SSM_A, GPG_OP_OTHER);
    /* rows beyond the ubatch's sequences (none when reserving) copied back */
    int ex = gpg_op(g, 0, GPG_F32, rs, 0, 1, 1, c->rs_extra, GPG_NONE, GPG_NONE);
    gpg_writes_cache(c, g, gpg_ext(g, ex, GPG_NONE, GPG_NONE));
    gpg_tensor ss = g->t[scan];
    int state = gpg_view(g, scan, rs, S, 1, 1, rs * ss.nb[0], rs * S * ss.nb[0], rs * S * ss.nb[0], 0);
    gpg_writes_cache(c, g, gpg_ext(g, state, GPG_NONE, GPG_NONE));
}

void gpg_mamba2_states(gpg_ctx *c, gpg_graph *g, gpg_mamba2 *s) {
    const gp_compute_model *m = c->m;
    const int64_t d = m->ssm_inner, ch = d + 2 * (int64_t)m->ssm_groups * m->ssm_state, dc = m->ssm_conv;
    int conv = gpg_rs_gather(c, g, (dc - 1) * ch);
    s->conv_state = gpg_reshape(g, conv, dc - 1, ch, c->n_seq, 1);
}

void gpg_mamba2_mixer(gpg_ctx *c, gpg_graph *g, int x, gpg_mamba2 *s) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S;
    const int64_t d = m->ssm_inner, G = m->ssm_groups, ds = m->ssm_state, H = m->ssm_dt_rank;
    const int64_t hd = d / H, ch = d + 2 * G * ds, proj = 2 * d + 2 * G * ds + H;
    const int64_t rs = ds * d;

    int zx = gpg_op(g, 0, GPG_F32, proj, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, zx, GP_COMPUTE_W_SSM_IN, GPG_OP_MM);
    zx = gpg_reshape(g, zx, proj, t, S, 1);
    gpg_tensor zs = g->t[zx];
    int xbc = gpg_view(g, zx, ch, t, S, 1, zs.nb[1], zs.nb[2], zs.nb[3], 0);
    int conv = gpg_ssm_conv(c, g, s->conv_state, xbc, ch);
    gpg_tensor vs = g->t[conv];
    s->x = gpg_view(g, conv, hd, H, t, S, hd * vs.nb[0], vs.nb[1], vs.nb[2], 1);
    int dt = gpg_view(g, zx, H, t, S, 1, zs.nb[1], zs.nb[2], zs.nb[3], 0);
    dt = gpg_op(g, 0, GPG_F32, H, t, S, 1, dt, GPG_NONE, GPG_NONE);      /* cont */
    dt = gpg_add_bias(c, g, dt, GP_COMPUTE_W_SSM_DT);
    int b = gpg_view(g, conv, ds, G, t, S, ds * vs.nb[0], vs.nb[1], vs.nb[2], 0);
    int cc = gpg_view(g, conv, ds, G, t, S, ds * vs.nb[0], vs.nb[1], vs.nb[2], 0);
    s->scan = gpg_op(g, 0, GPG_F32, d * T + rs * S, 1, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[5] = {s->x, dt, b, cc, c->rs_main};
    gpg_set_srcs_n(g, s->scan, srcs, 5);
    gpg_ssm_scan_states(c, g, s->scan, rs);
    s->zxbcdt = zx;
}

int gpg_mamba2_out(gpg_ctx *c, gpg_graph *g, const gpg_mamba2 *s) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S;
    const int64_t d = m->ssm_inner, G = m->ssm_groups, H = m->ssm_dt_rank, hd = d / H;
    gpg_tensor zs = g->t[s->zxbcdt];
    int z = gpg_view(g, s->zxbcdt, hd, H, t, S, hd * zs.nb[0], zs.nb[1], zs.nb[2], 1);
    z = gpg_op(g, 0, GPG_F32, hd, H, t, S, z, GPG_NONE, GPG_NONE);        /* cont */
    int y = gpg_reshape(g, s->scan, hd, H, t, S);                        /* the outputs */
    int xd = gpg_op(g, 1, GPG_F32, hd, H, t, S, s->x, GPG_NONE, GPG_NONE); /* x * D */
    gpg_weight(c, g, xd, GP_COMPUTE_W_SSM_D, GPG_OP_OTHER);
    y = gpg_op_like(g, 1, y, y, xd, GPG_NONE);                           /* + */
    int gated = gpg_op(g, 0, GPG_F32, hd, H, t, S, z, y, GPG_NONE);      /* silu(z) * y */
    if (m->ssm_norm) {
        gated = gpg_reshape(g, gated, d / G, G, t, S);
        gated = gpg_op(g, 1, GPG_F32, d / G, G, t, S, gated, GPG_NONE, GPG_NONE); /* rms norm */
        gated = gpg_op_like(g, 1, gated, gated, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gated, GP_COMPUTE_W_SSM_NORM, GPG_OP_OTHER);
    }
    gated = gpg_reshape(g, gated, d, T, 1, 1);
    int out = gpg_op(g, 0, GPG_F32, m->n_embd, T, 1, 1, gated, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_SSM_OUT, GPG_OP_MM);
    return out;
}
