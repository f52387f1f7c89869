/*
 * plamo2.c - PLaMo 2 (llama.cpp's src/models/plamo2.cpp): mixer layers in
 * turn with attention layers (fused QKV, per-head RMS norms, rope), each
 * mixer or attention between two RMS norms and added to the residual, then
 * an FFN (one up projection holding gate and up) between two more.
 *
 * The mixer is PLaMo's own: no groups; the input projection holds z and x
 * interleaved per head, made contiguous, x alone made contiguous again for
 * the convolution (no bias); dt, B and C projected from the convolved x,
 * each RMS-normed, dt widened to one value a head; Mamba-2's scan.
 *
 * Where ggml puts each part: a mixer layer's conv state gathers need
 * nothing of the layers before it and come right after the last part
 * expanded (the previous layer's state writes, or its attention); the
 * previous layer's output (the mixer's gate and projection or attention's
 * wo, then norms, FFN and residuals) is reached only through this layer's
 * input, and the SSM state's gathers only once the scan is.
 */
#include "memory/families/family.h"

/* A mixer layer's tensors that its output reads later. */
typedef struct {
    int conv_state;   /* gathered conv rows [d_conv - 1, d_inner, seqs] */
    int zx;           /* the input projection made contiguous: per head z then x */
    int x;            /* the convolved x as heads [head_dim, heads, tokens, seqs] */
    int scan;         /* the scan's outputs then its new states (1-D) */
} plamo2_mix;

static void mixer_states(gpg_ctx *c, gpg_graph *g, plamo2_mix *s)
{
    const gp_compute_model *m = c->m;
    const int64_t d = m->ssm_inner, dc = m->ssm_conv;
    int conv = gpg_rs_gather(c, g, (dc - 1) * d);
    s->conv_state = gpg_reshape(g, conv, dc - 1, d, c->n_seq, 1);
}

/* dt, B or C from the projection (width values from value `first` of each
   row), RMS-normed with its weight */
static int bcdt_normed(gpg_ctx *c, gpg_graph *g, int xb, int64_t width, int64_t first, int kind)
{
    const gpg_tensor bs = g->t[xb];
    int v = gpg_view(g, xb, width, bs.ne[1], bs.ne[2], 1, bs.nb[1], bs.nb[2], bs.nb[2] * bs.ne[2], first == 0);
    return gpg_rms_mul(c, g, v, kind);
}

/* from the normed input x up to the scan's states written back */
static void mixer(gpg_ctx *c, gpg_graph *g, int x, plamo2_mix *s)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S, E = m->n_embd;
    const int64_t d = m->ssm_inner, ds = m->ssm_state, H = m->ssm_dt_rank, hd = d / H, dc = m->ssm_conv;
    const int64_t dt_dim = E / 16 > 64 ? E / 16 : 64;

    x = gpg_reshape(g, x, E, t, S, 1);
    int zx = gpg_op(g, 0, GPG_F32, 2 * d, t, S, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, zx, GP_COMPUTE_W_SSM_IN, GPG_OP_MM);
    zx = gpg_permute_12(g, zx);
    s->zx = gpg_op(g, 0, GPG_F32, 2 * hd, H, t, S, zx, GPG_NONE, GPG_NONE);       /* cont */
    const gpg_tensor zs = g->t[s->zx];
    int xv = gpg_view(g, s->zx, hd, H, t, S, zs.nb[1], zs.nb[2], zs.nb[3], 0);
    xv = gpg_op(g, 0, GPG_F32, d, t, S, 1, xv, GPG_NONE, GPG_NONE);               /* cont */

    /* the convolution's input: the conv state, then x's tokens; its last
       columns are the new conv state */
    int cat = gpg_op(g, 0, GPG_F32, dc - 1 + t, d, S, 1, s->conv_state, gpg_transpose(g, xv), GPG_NONE);
    const gpg_tensor cs = g->t[cat];
    int last = gpg_view(g, cat, dc - 1, d, S, 1, cs.nb[1], cs.nb[2], cs.nb[3], 0);
    gpg_writes_cache(c, g, gpg_ext(g, last, GPG_NONE, GPG_NONE));
    /* the SSM state's unused cell cleared */
    gpg_writes_cache(c, g, gpg_ext(g, GPG_NONE, GPG_NONE, GPG_NONE));
    int conv = gpg_op(g, 0, GPG_F32, d, t, S, 1, cat, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, conv, GP_COMPUTE_W_SSM_CONV, GPG_OP_OTHER);
    conv = gpg_op_like(g, 1, conv, conv, GPG_NONE, GPG_NONE);                      /* silu */
    const gpg_tensor vs = g->t[conv];
    s->x = gpg_view(g, conv, hd, H, t, S, hd * vs.nb[0], vs.nb[1], vs.nb[2], 1);

    int xb = gpg_op(g, 0, GPG_F32, dt_dim + 2 * ds, t, S, 1, conv, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, xb, GP_COMPUTE_W_SSM_X, GPG_OP_MM);
    int dt = bcdt_normed(c, g, xb, dt_dim, 2 * ds, GP_COMPUTE_W_SSM_DT_NORM);
    dt = gpg_op(g, 0, GPG_F32, H, t, S, 1, dt, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, dt, GP_COMPUTE_W_SSM_DT, GPG_OP_MM);
    dt = gpg_add_bias(c, g, dt, GP_COMPUTE_W_SSM_DT);
    int b = bcdt_normed(c, g, xb, ds, 0, GP_COMPUTE_W_SSM_B_NORM);
    b = gpg_reshape(g, b, ds, 1, t, S);
    int cc = bcdt_normed(c, g, xb, ds, ds, GP_COMPUTE_W_SSM_C_NORM);
    cc = gpg_reshape(g, cc, ds, 1, t, S);

    const int64_t rs = ds * d;
    s->scan = gpg_op(g, 0, GPG_F32, d * T + rs * S, 1, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[5] = {s->x, dt, b, cc, c->rs_main};
    gpg_set_srcs_n(g, s->scan, srcs, 5);
    gpg_ssm_scan_states(c, g, s->scan, rs);
}

/* the scan's outputs plus x * D, gated by silu(z), projected: [E, T] */
static int mixer_out(gpg_ctx *c, gpg_graph *g, const plamo2_mix *s)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S;
    const int64_t d = m->ssm_inner, H = m->ssm_dt_rank, hd = d / H;
    const gpg_tensor zs = g->t[s->zx];
    int z = gpg_view(g, s->zx, hd, H, t, S, zs.nb[1], zs.nb[2], zs.nb[3], 1);
    z = gpg_op(g, 0, GPG_F32, hd, H, t, S, z, GPG_NONE, GPG_NONE);                /* cont */
    const gpg_tensor ss = g->t[s->scan];
    int y = gpg_view(g, s->scan, hd, H, t, S, hd * ss.nb[0], d * ss.nb[0], d * t * ss.nb[0], 1);
    int xd = gpg_op(g, 1, GPG_F32, hd, H, t, S, s->x, GPG_NONE, GPG_NONE);        /* x * D */
    gpg_weight(c, g, xd, GP_COMPUTE_W_SSM_D, GPG_OP_OTHER);
    y = gpg_op_like(g, 1, y, y, xd, GPG_NONE);                                    /* + */
    int gated = gpg_op(g, 0, GPG_F32, hd, H, t, S, z, y, GPG_NONE);               /* silu(z) * y */
    gated = gpg_reshape(g, gated, d, t, S, 1);
    int out = gpg_op(g, 0, GPG_F32, m->n_embd, t, S, 1, gated, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_SSM_OUT, GPG_OP_MM);
    return gpg_reshape(g, out, m->n_embd, T, 1, 1);
}

/* Layer il's output from its mixer (rec) or its attention: the post norm,
   the residual, the FFN between its norms, the residual again. The last
   layer gathers the output rows of the mixer's output first, of the
   residual only once the post norm is done. */
static int layer_out(gpg_ctx *c, gpg_graph *g, uint32_t il, int rec, const plamo2_mix *mix, int attn,
                     int residual)
{
    const int last = il == c->m->n_layer - 1;
    int cur = rec ? mixer_out(c, g, mix) : gpg_attn_out(c, g, attn, il);
    if (last) cur = gpg_rows(c, g, cur);
    cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
    if (last) {
        residual = gpg_rows(c, g, residual);
        c->T = c->n_out;
    }
    cur = gpg_op_like(g, 1, cur, cur, residual, GPG_NONE);
    residual = cur;
    cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_NORM);
    cur = gpg_ffn_fused_up(c, g, cur, gpg_layer_n_ff(c->m, il), c->T);
    cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_POST_NORM);
    return gpg_op_like(g, 1, cur, cur, residual, GPG_NONE);
}

int gpg_build_plamo2(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn_opts = {0};
    int inpL = gpg_token_embd(c, g);
    plamo2_mix prev = {0};
    int prev_rec = 0, prev_attn = GPG_NONE;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        const int rec = gpg_layer_rec(m, il);
        plamo2_mix mix = {0};
        c->il = il;
        if (rec) mixer_states(c, g, &mix);
        if (il > 0) {
            c->il = il - 1;
            inpL = layer_out(c, g, il - 1, prev_rec, &prev, prev_attn, inpL);
            c->il = il;
        }
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        prev_attn = GPG_NONE;
        if (rec) {
            mixer(c, g, cur, &mix);
        } else {
            int q = gpg_attn_qkv(c, g, cur, il, &attn_opts);
            prev_attn = gpg_attn_core(c, g, q, il, &attn_opts);
        }
        prev = mix;
        prev_rec = rec;
    }
    c->il = m->n_layer - 1;
    inpL = layer_out(c, g, m->n_layer - 1, prev_rec, &prev, prev_attn, inpL);
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
