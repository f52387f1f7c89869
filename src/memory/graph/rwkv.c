/*
 * rwkv.c - RWKV's blocks: the token shift, the RWKV-6 and RWKV-7 time
 * mixes and their channel mixes (llama.cpp's src/models/rwkv6-base.cpp,
 * rwkv7-base.cpp, and the token shift's load and store in
 * src/llama-graph.cpp).
 *
 * Order, as ggml expands it: a layer's token shift rows and its WKV state
 * are gathered first (each with its unused cell cleared and the rows beyond
 * the ubatch written back), before anything of the layer before them that
 * was not expanded yet. Writing the new state back then reaches the whole
 * time mix up to the scan; writing the new token shift back reaches the
 * scan's output (group norm, gate, projection), the residual and the
 * channel mix's norm. The channel mix itself is reached only through the
 * next layer (or the logits).
 */
#include "memory/graph/build.h"

/* a view of rows [first, first + n) of every sequence of x [E, t, S] */
static int seq_rows(gpg_graph *g, int x, int64_t first, int64_t n) {
    gpg_tensor s = g->t[x];
    int v = gpg_view(g, x, s.ne[0], n, s.ne[2], 1, s.nb[1], s.nb[2], s.nb[2] * s.ne[2], first == 0);
    return v;
}

/* the whole of x seen as one row */
static int flat(gpg_graph *g, int x, int64_t n, int at_start) {
    return gpg_view(g, x, n, 1, 1, 1, n * 4, n * 4, n * 4, at_start);
}

void gpg_rwkv_states(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd;
    s->shift = gpg_rs_gather(c, g, m->rwkv_shifts * E);
    s->wkv_state = gpg_rs_gather(c, g, E * m->wkv_head);
}

void gpg_rwkv_att_shift(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s) {
    const int64_t E = c->m->n_embd, S = c->n_seq, n = c->m->rwkv_shifts;
    s->shift_3d = gpg_reshape(g, s->shift, E, n, S, 1);
    gpg_tensor ts = g->t[s->shift_3d];
    /* one saved token: the time mix's alone; two: its and the channel mix's */
    s->att_saved = n == 1 ? s->shift_3d
                          : gpg_view(g, s->shift_3d, E, 1, S, 1, ts.nb[1], ts.nb[2], ts.nb[2] * S, 1);
}

int gpg_rwkv_att_norm(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int inpL) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, S = c->n_seq, t = c->T / S;
    s->inpL_3d = gpg_reshape(g, inpL, E, t, S, 1);
    s->att_norm = gpg_block_norm(c, g, s->inpL_3d, GP_COMPUTE_W_ATTN_NORM);
    int prev = seq_rows(g, s->att_norm, 0, t - 1);
    int x_prev = gpg_op(g, 0, GPG_F32, E, t, S, 1, s->att_saved, prev, GPG_NONE);
    return gpg_op_like(g, 1, x_prev, x_prev, s->att_norm, GPG_NONE);       /* sx = x_prev - x */
}

/* x [E, T] times a weight of the kind given, out wide */
static int mm(gpg_ctx *c, gpg_graph *g, int x, int64_t out, int kind) {
    gpg_tensor s = g->t[x];
    int r = gpg_op(g, 0, GPG_F32, out, s.ne[1], s.ne[2], s.ne[3], x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, r, kind, GPG_OP_MM);
    return r;
}

/* an element-wise op with a weight of the kind given (in place allowed) */
static int with_weight(gpg_ctx *c, gpg_graph *g, int x, int kind) {
    int r = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, r, kind, GPG_OP_OTHER);
    return r;
}

static int unary(gpg_graph *g, int x) {
    return gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);
}

/* the i-th [E, T] slice of the fused lerp result */
static int lerp_part(gpg_ctx *c, gpg_graph *g, int xxx, int i) {
    const int64_t E = c->m->n_embd, T = c->T;
    return gpg_view(g, xxx, E, T, 1, 1, E * 4, E * T * 4, E * T * 4, i == 0);
}

/* RWKV-6's receptance, key or value of x: the projection, its bias (bit
   `bias` of the model's mask), each of the KV heads repeated for the heads
   it serves (QRWKV's grouped keys and values), [H, NH, T] */
static int rkv(gpg_ctx *c, gpg_graph *g, int x, int kind, int bias) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T, H = m->wkv_head, NH = E / H;
    const int64_t nkv = kind == GP_COMPUTE_W_TMIX_RECEPTANCE ? 0 : gpg_layer_n_head_kv(m, c->il);
    const int grouped = nkv != 0 && nkv != NH;
    int y = mm(c, g, x, grouped ? nkv * H : E, kind);
    if (m->rwkv_bias & bias) y = gpg_add_bias(c, g, y, kind);
    if (grouped) {
        y = gpg_reshape(g, y, H, 1, nkv, T);
        y = gpg_op(g, 0, GPG_F32, H, NH / nkv, nkv, T, y, GPG_NONE, GPG_NONE);   /* repeat */
    }
    return gpg_reshape(g, y, H, NH, T, 1);
}

/* RWKV-6's decay: exp(-exp(decay + its low-rank term of xw)), [H, NH, T] */
static int rwkv6_decay(gpg_ctx *c, gpg_graph *g, int xw) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T, H = m->wkv_head;
    int w = unary(g, mm(c, g, xw, m->rwkv_decay_extra, GP_COMPUTE_W_TMIX_DECAY_W1));   /* tanh */
    w = mm(c, g, w, E, GP_COMPUTE_W_TMIX_DECAY_W2);
    w = with_weight(c, g, w, GP_COMPUTE_W_TMIX_DECAY);
    w = unary(g, unary(g, unary(g, w)));
    return gpg_reshape(g, w, H, E / H, T, 1);
}

void gpg_rwkv6_time_mix(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int sx) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T, S = c->n_seq, H = m->wkv_head;
    const int64_t D = m->rwkv_mix_extra;
    int sx2 = gpg_reshape(g, sx, E, T, 1, 1);
    int xxx = with_weight(c, g, sx2, GP_COMPUTE_W_TMIX_LERP_X);
    int x2 = gpg_reshape(g, s->att_norm, E, T, 1, 1);
    xxx = gpg_op_like(g, 1, xxx, xxx, x2, GPG_NONE);
    xxx = unary(g, mm(c, g, xxx, 5 * D, GP_COMPUTE_W_TMIX_W1));            /* tanh */
    xxx = gpg_reshape(g, xxx, D, 1, 5, T);
    /* permute(0, 1, 3, 2) and cont: [D, 1, T, 5] */
    int perm = gpg_view(g, xxx, D, 1, T, 5, D * 4, D * 5 * 4, D * 4, 1);
    xxx = gpg_op(g, 0, GPG_F32, D, 1, T, 5, perm, GPG_NONE, GPG_NONE);
    xxx = mm(c, g, xxx, E, GP_COMPUTE_W_TMIX_W2);                           /* [E, 1, T, 5] */
    xxx = with_weight(c, g, xxx, GP_COMPUTE_W_TMIX_LERP_FUSED);
    xxx = gpg_op_like(g, 1, xxx, xxx, gpg_reshape(g, sx2, E, 1, T, 1), GPG_NONE);
    xxx = gpg_op_like(g, 1, xxx, xxx, gpg_reshape(g, x2, E, 1, T, 1), GPG_NONE);
    s->xxx = xxx;
    /* the scan's sources in order: k, v, r, (time_first), w, state; where
       there is no time_first (QRWKV) k is first scaled by 1 - w, so the
       decay comes within k */
    const int qrwkv = !m->rwkv_first;
    int k = rkv(c, g, lerp_part(c, g, xxx, 1), GP_COMPUTE_W_TMIX_KEY, 2);
    int w = GPG_NONE;
    if (qrwkv) {
        w = rwkv6_decay(c, g, lerp_part(c, g, xxx, 0));
        k = gpg_op_like(g, 1, k, k, gpg_op_like(g, 1, k, k, w, GPG_NONE), GPG_NONE);   /* k - k * w */
    }
    int v = rkv(c, g, lerp_part(c, g, xxx, 2), GP_COMPUTE_W_TMIX_VALUE, 4);
    int r = rkv(c, g, lerp_part(c, g, xxx, 3), GP_COMPUTE_W_TMIX_RECEPTANCE, 1);
    if (!qrwkv) w = rwkv6_decay(c, g, lerp_part(c, g, xxx, 0));
    s->scan = gpg_op(g, 0, GPG_F32, E, T + H * S, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[5] = {k, v, r, w, s->wkv_state};
    gpg_set_srcs_n(g, s->scan, srcs, 5);
    if (!qrwkv) gpg_weight(c, g, s->scan, GP_COMPUTE_W_TMIX_FIRST, GPG_OP_OTHER);
    int state = gpg_view(g, s->scan, E * H * S, 1, 1, 1, E * H * S * 4, E * H * S * 4, E * H * S * 4, 0);
    gpg_writes_cache(c, g, gpg_ext(g, state, GPG_NONE, GPG_NONE));
    s->v = GPG_NONE;
}

/* the scan's output rows, group-normed per head with the LayerNorm's
   weight and bias where the model has one */
static int scan_out(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T, H = m->wkv_head, NH = E / H;
    int y = flat(g, s->scan, E * T, 1);
    if (!m->rwkv_group_norm) return gpg_reshape(g, y, E, T, 1, 1);
    y = gpg_reshape(g, y, H, NH, T, 1);
    y = gpg_op_like(g, 0, y, y, GPG_NONE, GPG_NONE);                        /* norm */
    y = gpg_reshape(g, y, E, T, 1, 1);
    y = with_weight(c, g, y, GP_COMPUTE_W_TMIX_LN);
    return gpg_add_bias(c, g, y, GP_COMPUTE_W_TMIX_LN);
}

/* each sequence's last normed token: the first half of the new token
   shift, reached before the time mix's output */
static int last_att_token(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s) {
    return seq_rows(g, s->att_norm, c->T / c->n_seq - 1, 1);
}

/* the time mix's output: times the gate (if any), projected, [E, t, S] */
static int mix_projection(gpg_ctx *c, gpg_graph *g, int y, int gate) {
    const int64_t E = c->m->n_embd, S = c->n_seq, t = c->T / S;
    if (gate != GPG_NONE) y = gpg_op_like(g, 1, y, y, gate, GPG_NONE);
    y = mm(c, g, y, E, GP_COMPUTE_W_TMIX_OUTPUT);
    return gpg_reshape(g, y, E, t, S, 1);
}

static int rwkv6_mix_out(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s) {
    int y = scan_out(c, g, s);
    int gate = mm(c, g, lerp_part(c, g, s->xxx, 4), c->m->n_embd, GP_COMPUTE_W_TMIX_GATE);
    return mix_projection(c, g, y, unary(g, gate));                      /* silu or sigmoid */
}

static int rwkv7_mix_out(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T, H = m->wkv_head, NH = E / H;
    int y = scan_out(c, g, s);
    /* the bonus: v times the per-head sum of k * r * r_k */
    int rk = gpg_op_like(g, 1, s->k, s->k, s->r, GPG_NONE);
    rk = with_weight(c, g, rk, GP_COMPUTE_W_TMIX_R_K);
    rk = gpg_op(g, 0, GPG_F32, 1, NH, T, 1, rk, GPG_NONE, GPG_NONE);       /* sum_rows */
    int vrk = gpg_op_like(g, 1, s->v, s->v, rk, GPG_NONE);
    y = gpg_op_like(g, 1, y, y, gpg_reshape(g, vrk, E, T, 1, 1), GPG_NONE);
    int gate = GPG_NONE;
    if (m->rwkv_lora_gate) {
        gate = mm(c, g, lerp_part(c, g, s->xxx, 5), m->rwkv_lora_gate, GP_COMPUTE_W_TMIX_G1);
        gate = mm(c, g, unary(g, gate), E, GP_COMPUTE_W_TMIX_G2);          /* sigmoid */
    }
    return mix_projection(c, g, y, gate);
}

static int mix_out(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s, int version) {
    return version == 6 ? rwkv6_mix_out(c, g, s) : rwkv7_mix_out(c, g, s);
}

void gpg_rwkv_time_mix_out(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int version) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, S = c->n_seq, t = c->T / S;
    int last_att = last_att_token(c, g, s);
    int y = mix_out(c, g, s, version);
    s->ffn_inp = gpg_op_like(g, 1, y, y, s->inpL_3d, GPG_NONE);
    s->ffn_norm = gpg_block_norm(c, g, s->ffn_inp, GP_COMPUTE_W_ATTN_NORM_2);
    int last_ffn = seq_rows(g, s->ffn_norm, t - 1, 1);
    int shift = gpg_op(g, 0, GPG_F32, E, 2, S, 1, last_att, last_ffn, GPG_NONE);
    gpg_writes_cache(c, g, gpg_ext(g, flat(g, shift, 2 * E * S, 1), GPG_NONE, GPG_NONE));
}

void gpg_rwkv_shift_store(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s) {
    const int64_t E = c->m->n_embd, S = c->n_seq;
    int last_att = last_att_token(c, g, s);
    gpg_writes_cache(c, g, gpg_ext(g, flat(g, last_att, E * S, c->T == S), GPG_NONE, GPG_NONE));
}

int gpg_rwkv_ffn_layer(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s, int last, int version) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T;
    int y = mix_out(c, g, s, version);
    int ffn_inp = gpg_op_like(g, 1, y, y, s->inpL_3d, GPG_NONE);
    ffn_inp = gpg_reshape(g, ffn_inp, E, T, 1, 1);
    if (last) {
        ffn_inp = gpg_rows(c, g, ffn_inp);
        c->T = c->n_out;
    }
    int cur = gpg_block_norm(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
    cur = gpg_ffn_dense(c, g, cur, gpg_layer_n_ff(m, c->il), E, c->T, GP_COMPUTE_W_FFN_GATE);
    return gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
}

void gpg_rwkv7_time_mix(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int sx, int *v_first) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T, S = c->n_seq, t = T / S, H = m->wkv_head, NH = E / H;
    const int64_t parts = m->rwkv_lora_gate ? 6 : 5;
    /* repeated once per lerp (the shape giver is not a source) */
    int xxx = gpg_op(g, 0, GPG_F32, E, t, S, parts, sx, GPG_NONE, GPG_NONE);
    xxx = with_weight(c, g, xxx, GP_COMPUTE_W_TMIX_LERP_FUSED);
    xxx = gpg_op_like(g, 1, xxx, xxx, s->att_norm, GPG_NONE);
    s->xxx = xxx;
    /* the scan's sources in order: r, w, k, v, -kk, kk * a, state */
    int r = mm(c, g, lerp_part(c, g, xxx, 0), E, GP_COMPUTE_W_TMIX_RECEPTANCE);
    s->r = gpg_reshape(g, r, H, NH, T, 1);
    int w = unary(g, mm(c, g, lerp_part(c, g, xxx, 1), m->rwkv_lora_decay, GP_COMPUTE_W_TMIX_W1));
    w = mm(c, g, w, E, GP_COMPUTE_W_TMIX_W2);
    w = with_weight(c, g, w, GP_COMPUTE_W_TMIX_W0);
    w = unary(g, unary(g, unary(g, w)));                                   /* exp(scale(sigmoid)) */
    w = gpg_reshape(g, w, H, NH, T, 1);
    int k0 = mm(c, g, lerp_part(c, g, xxx, 2), E, GP_COMPUTE_W_TMIX_KEY);
    int a = mm(c, g, lerp_part(c, g, xxx, 4), m->rwkv_lora_iclr, GP_COMPUTE_W_TMIX_A1);
    a = mm(c, g, a, E, GP_COMPUTE_W_TMIX_A2);
    a = unary(g, with_weight(c, g, a, GP_COMPUTE_W_TMIX_A0));              /* sigmoid */
    int ka = gpg_op_like(g, 1, k0, k0, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, ka, GP_COMPUTE_W_TMIX_K_A, GPG_OP_OTHER);
    int aka = gpg_op_like(g, 1, a, a, ka, GPG_NONE);
    aka = gpg_op_like(g, 1, aka, aka, ka, GPG_NONE);                        /* - ka */
    int k = gpg_op_like(g, 1, k0, k0, aka, GPG_NONE);
    s->k = gpg_reshape(g, k, H, NH, T, 1);
    int xv = lerp_part(c, g, xxx, 3);
    int v = mm(c, g, xv, E, GP_COMPUTE_W_TMIX_VALUE);
    if (*v_first == GPG_NONE) {
        *v_first = v;
    } else {
        int d = gpg_op_like(g, 1, *v_first, *v_first, v, GPG_NONE);       /* v_first - v */
        int mix = mm(c, g, xv, m->rwkv_lora_value, GP_COMPUTE_W_TMIX_V1);
        mix = mm(c, g, mix, E, GP_COMPUTE_W_TMIX_V2);
        mix = unary(g, with_weight(c, g, mix, GP_COMPUTE_W_TMIX_V0));      /* sigmoid */
        d = gpg_op_like(g, 1, d, d, mix, GPG_NONE);
        v = gpg_op_like(g, 1, v, v, d, GPG_NONE);
    }
    s->v = gpg_reshape(g, v, H, NH, T, 1);
    int kk = gpg_op_like(g, 1, k0, k0, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, kk, GP_COMPUTE_W_TMIX_K_K, GPG_OP_OTHER);
    kk = gpg_reshape(g, kk, H, NH, T, 1);
    kk = gpg_op_like(g, 0, kk, kk, GPG_NONE, GPG_NONE);                     /* l2 norm */
    int neg = unary(g, kk);
    int kka = gpg_op_like(g, 1, kk, kk, gpg_reshape(g, a, H, NH, T, 1), GPG_NONE);
    s->scan = gpg_op(g, 0, GPG_F32, E, T + H * S, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[7] = {s->r, w, s->k, s->v, neg, kka, s->wkv_state};
    gpg_set_srcs_n(g, s->scan, srcs, 7);
    int state = gpg_view(g, s->scan, E * H * S, 1, 1, 1, E * H * S * 4, E * H * S * 4, E * H * S * 4, 0);
    gpg_writes_cache(c, g, gpg_ext(g, state, GPG_NONE, GPG_NONE));
}

int gpg_rwkv_channel_mix(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s, int last, int version) {
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, T = c->T;
    gpg_tensor ts = g->t[s->shift_3d];
    const int64_t S = c->n_seq, t = T / S;
    int saved = gpg_view(g, s->shift_3d, E, 1, S, 1, ts.nb[1], ts.nb[2], ts.nb[2] * S, 0);
    int prev = seq_rows(g, s->ffn_norm, 0, t - 1);
    int x_prev = gpg_op(g, 0, GPG_F32, E, t, S, 1, saved, prev, GPG_NONE);
    x_prev = gpg_reshape(g, x_prev, E, T, 1, 1);
    if (last) x_prev = gpg_rows(c, g, x_prev);
    int x = gpg_reshape(g, s->ffn_norm, E, T, 1, 1);
    if (last) {
        x = gpg_rows(c, g, x);
        c->T = c->n_out;
    }
    int sx = gpg_op_like(g, 1, x_prev, x_prev, x, GPG_NONE);
    int r = GPG_NONE;
    if (version == 6) {
        int xr = with_weight(c, g, sx, GP_COMPUTE_W_CMIX_LERP_R);
        xr = gpg_op_like(g, 1, xr, xr, x, GPG_NONE);
        r = unary(g, mm(c, g, xr, E, GP_COMPUTE_W_CMIX_RECEPTANCE));       /* sigmoid */
    }
    int xk = with_weight(c, g, sx, GP_COMPUTE_W_CMIX_LERP_K);
    xk = gpg_op_like(g, 1, xk, xk, x, GPG_NONE);
    int k = mm(c, g, xk, gpg_layer_n_ff(m, c->il), GP_COMPUTE_W_CMIX_KEY);
    k = unary(g, unary(g, k));                                             /* relu, sqr */
    int y = mm(c, g, k, E, GP_COMPUTE_W_CMIX_VALUE);
    if (r != GPG_NONE) y = gpg_op_like(g, 1, r, r, y, GPG_NONE);
    int res = gpg_reshape(g, s->ffn_inp, E, T, 1, 1);
    if (last) res = gpg_rows(c, g, res);
    y = gpg_op_like(g, 1, y, y, res, GPG_NONE);
    if (version == 6 && m->rwkv_rescale && (c->il + 1) % m->rwkv_rescale == 0)
        y = unary(g, y);                                                   /* scale 0.5 */
    return y;
}
