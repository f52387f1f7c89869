/* attn.c - attention blocks: standard (with a sliding-window cache, a quantized cache rotated by Hadamard matrices) and MLA. */
#include "memory/graph/build.h"

#include <stdlib.h>
#include <string.h>

/* head-major view [head_dim, heads, T] of a fused QKV product, starting
   `first` values into each row */
static int qkv_view(gpg_graph *g, int qkv, int64_t head_dim, int64_t heads, int64_t first) {
    const gpg_tensor s = g->t[qkv];
    return gpg_view(g, qkv, head_dim, heads, s.ne[1], 1, s.nb[0] * head_dim, s.nb[1], s.nb[1] * s.ne[1],
                    first == 0);
}

/* Q or K from its own projection: bias, a norm across all heads, then
   [head_dim, heads, T] */
static int qk_project(gpg_ctx *c, gpg_graph *g, int x, int64_t hk, int64_t heads, int w_kind, int norm_kind) {
    const gp_compute_model *m = c->m;
    int t = gpg_op(g, 0, GPG_F32, hk * heads, c->T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, t, w_kind, GPG_OP_MM);
    if (m->attn_bias) t = gpg_add_bias(c, g, t, w_kind);
    if (m->qk_norm_full) t = gpg_rms_mul(c, g, t, norm_kind);
    return gpg_reshape(g, t, hk, heads, c->T, 1);
}

/* the per-head RMS norm of Q or K, times its weight unless K's has none */
static int qk_rms(gpg_ctx *c, gpg_graph *g, int t, const gpg_attn_opts *o, int norm_kind) {
    if (o->k_norm_plain && norm_kind == GP_COMPUTE_W_ATTN_K_NORM)
        return gpg_op_like(g, 1, t, t, GPG_NONE, GPG_NONE);              /* rms_norm */
    return gpg_rms_mul(c, g, t, norm_kind);
}

/* Q or K placed: per-head norm before or after rope, rope, and the L2
   norm of rope layers (llama4) */
static int qk_position(gpg_ctx *c, gpg_graph *g, int t, const gpg_attn_opts *o, int rope, int norm_kind) {
    const gp_compute_model *m = c->m;
    const int head_norm = m->qk_norm && !m->qk_norm_full;
    if (head_norm && !m->qk_norm_after_rope)
        t = o->qk_layer_norm ? gpg_layer_norm(c, g, t, norm_kind) : qk_rms(c, g, t, o, norm_kind);
    if (rope) t = gpg_op_like(g, 1, t, t, c->inp_pos, GPG_NONE);       /* rope */
    if (head_norm && m->qk_norm_after_rope) t = qk_rms(c, g, t, o, norm_kind);
    if (rope && o->l2_after_rope) t = gpg_op_like(g, 1, t, t, GPG_NONE, GPG_NONE);
    return t;
}

int gpg_attn(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, const gpg_attn_opts *o) {
    int q = gpg_attn_qkv(c, g, x, il, o);
    int cur = gpg_attn_core(c, g, q, il, o);
    return o->no_wo ? cur : gpg_attn_out(c, g, cur, il);
}

int gpg_attn_qkv(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, const gpg_attn_opts *o) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, hk = m->head_dim_k, hv = m->head_dim_v;
    const int64_t nh = gpg_layer_n_head(m, il), nkv = gpg_layer_n_head_kv(m, il);
    const int swa = gpg_layer_swa(m, il);
    const int k_rot_t = swa ? c->k_rot_swa : c->k_rot_t;
    const int v_rot_t = swa ? c->v_rot_swa : c->v_rot_t;
    const int k_idxs = swa ? c->k_idxs_swa : c->k_idxs;
    const int v_idxs = swa ? c->v_idxs_swa : c->v_idxs;
    const int rope = gpg_layer_rope(m, il);

    /* Q; with a fused QKV weight, Q, K and V are strided views of one
       product (build_qkv) */
    int q, qkv = GPG_NONE;
    const int fused = m->fused_qkv;   /* build_qkv: every family with the weight */
    if (fused) {
        qkv = gpg_op(g, 0, GPG_F32, hk * nh + (hk + hv) * nkv, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, qkv, GP_COMPUTE_W_ATTN_QKV, GPG_OP_MM);
        q = qkv_view(g, qkv, hk, nh, 0);
    } else if (o->q_gate) {
        q = gpg_op(g, 0, GPG_F32, 2 * hk * nh, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q, GPG_OP_MM);
        int full = gpg_reshape(g, q, 2 * hk, nh, T, 1);
        if (o->q_full) *o->q_full = full;
        gpg_tensor fs = g->t[full];
        q = gpg_view(g, full, hk, nh, T, 1, fs.nb[1], fs.nb[2], fs.nb[3], 1);
    } else {
        q = qk_project(c, g, x, hk, nh, GP_COMPUTE_W_ATTN_Q, GP_COMPUTE_W_ATTN_Q_NORM);
    }
    q = qk_position(c, g, q, o, rope, GP_COMPUTE_W_ATTN_Q_NORM);
    if (!rope && o->temp_no_rope) q = gpg_op_like(g, 1, q, q, c->inp_attn_scale, GPG_NONE);
    if (o->q_scale) q = gpg_op_like(g, 1, q, q, GPG_NONE, GPG_NONE);     /* scale */
    if (c->k_rot) q = gpg_hadamard(g, q, k_rot_t, gpg_k_rot_n(c, swa));

    int k = GPG_NONE, v = GPG_NONE;
    for (int pass = 0; pass < 2; pass++) {
        /* the cache stores expand V before K, unless told otherwise */
        int do_k = o->k_before_v ? (pass == 0) : (pass == 1);
        if (do_k) {
            if (fused) {
                k = qkv_view(g, qkv, hk, nkv, hk * nh);
            } else {
                k = qk_project(c, g, x, hk, nkv, GP_COMPUTE_W_ATTN_K, GP_COMPUTE_W_ATTN_K_NORM);
            }
            k = qk_position(c, g, k, o, rope, GP_COMPUTE_W_ATTN_K_NORM);
            if (c->k_rot) k = gpg_hadamard(g, k, k_rot_t, gpg_k_rot_n(c, swa));
        } else {
            if (fused) {
                v = qkv_view(g, qkv, hv, nkv, hk * (nh + nkv));
            } else {
                v = gpg_op(g, 0, GPG_F32, hv * nkv, T, 1, 1, x, GPG_NONE, GPG_NONE);
                gpg_weight(c, g, v, GP_COMPUTE_W_ATTN_V, GPG_OP_MM);
                if (m->attn_bias) v = gpg_add_bias(c, g, v, GP_COMPUTE_W_ATTN_V);
                v = gpg_reshape(g, v, hv, nkv, T, 1);
            }
            if (c->v_rot) v = gpg_hadamard(g, v, v_rot_t, c->v_rot);
        }
    }
    /* store K */
    {
        gpg_tensor s = g->t[k];
        int kv2 = gpg_view(g, k, hk * nkv, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
        gpg_writes_cache(c, g, gpg_ext(g, kv2, k_idxs, GPG_NONE));
    }
    /* store V */
    {
        gpg_tensor s = g->t[v];
        if (c->fa) {
            int vv = gpg_view(g, v, hv * nkv, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
            gpg_writes_cache(c, g, gpg_ext(g, vv, v_idxs, GPG_NONE));
        } else {
            /* the transposed cache takes rows of one value: a strided V is
               made contiguous first */
            int vv = gpg_is_contiguous(&s) ? gpg_reshape(g, v, hv * nkv, T, 1, 1)
                                           : gpg_op(g, 0, GPG_F32, hv * nkv, T, 1, 1, v, GPG_NONE, GPG_NONE);
            vv = gpg_reshape(g, vv, 1, hv * nkv * T, 1, 1);
            gpg_writes_cache(c, g, gpg_ext(g, vv, v_idxs, GPG_NONE));
        }
    }
    return q;
}

/* with o->fetch_state, the conv state of the next (recurrent) layer is
   gathered right after the attention output, which is where ggml's
   expansion order puts it */
int gpg_attn_core(gpg_ctx *c, gpg_graph *g, int q, uint32_t il, const gpg_attn_opts *o) {
    if (g->err || q < 0) return GPG_NONE;
    const gp_compute_model *m = c->m;
    const int64_t hk = m->head_dim_k, hv = m->head_dim_v;
    const int64_t nh = gpg_layer_n_head(m, il), nkv = gpg_layer_n_head_kv(m, il);
    const int swa = gpg_layer_swa(m, il);
    const int64_t n_kv = swa ? c->n_kv_swa : c->n_kv;
    const int64_t ns = c->n_stream;
    int mask = swa ? c->mask_swa : c->mask;
    const int64_t T = g->t[q].ne[2];   /* the tokens Q was projected for */
    gpg_tensor qs = g->t[q];
    int qv = gpg_view(g, q, hk, nh, T / ns, ns, qs.nb[1], qs.nb[2], qs.nb[2] * (T / ns), 1);
    int qp = gpg_permute_12(g, qv);
    const uint64_t cells = (uint64_t)n_kv * (uint64_t)ns;
    int kvk = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_k, (uint64_t)hk * nkv));
    int kvv = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_v, (uint64_t)hv * nkv));
    int cur;
    if (c->fa) {
        if (o->mask) mask = o->mask(c, g, o->mask_arg);
        int fa_out = gpg_op(g, 0, GPG_F32, hv, nh, T / ns, ns, qp, mask, GPG_NONE);
        /* sinks are a weight: the op runs where they are */
        if (m->attn_sinks) gpg_weight(c, g, fa_out, GP_COMPUTE_W_ATTN_SINKS, GPG_OP_OTHER);
        gpg_set_src4(g, fa_out, qp, kvk, kvv, mask);
        cur = gpg_reshape(g, fa_out, hv * nh, T, 1, 1);
    } else {
        int kq = gpg_op(g, 0, GPG_F32, n_kv, T / ns, nh, ns, kvk, qp, GPG_NONE);
        if (o->mask) mask = o->mask(c, g, o->mask_arg);
        kq = gpg_op_like(g, 1, kq, kq, mask, GPG_NONE);                  /* soft_max */
        if (m->attn_sinks) gpg_weight(c, g, kq, GP_COMPUTE_W_ATTN_SINKS, GPG_OP_OTHER);
        int kqv = gpg_op(g, 0, GPG_F32, hv, T / ns, nh, ns, kvv, kq, GPG_NONE);
        int p = gpg_permute_12(g, kqv);
        cur = gpg_op(g, 0, GPG_F32, hv * nh, T, 1, 1, p, GPG_NONE, GPG_NONE); /* cont */
    }
    if (o->fetch_state) *o->fetch_state = gpg_conv_state_fetch(c, g, il + 1);
    return cur;
}

int gpg_attn_vrot(gpg_ctx *c, gpg_graph *g, int cur, uint32_t il) {
    if (g->err || cur < 0 || !c->v_rot) return cur;
    const int v_rot_t = gpg_layer_swa(c->m, il) ? c->v_rot_swa : c->v_rot_t;
    return gpg_hadamard(g, cur, v_rot_t, c->v_rot);
}

int gpg_attn_out(gpg_ctx *c, gpg_graph *g, int cur, uint32_t il) {
    return gpg_attn_wo(c, g, gpg_attn_vrot(c, g, cur, il));
}

int gpg_attn_wo(gpg_ctx *c, gpg_graph *g, int cur) {
    if (g->err || cur < 0) return GPG_NONE;
    const gp_compute_model *m = c->m;
    const int64_t T = g->t[cur].ne[1];
    cur = gpg_op(g, 0, GPG_F32, m->n_embd, T, 1, 1, cur, GPG_NONE, GPG_NONE); /* wo */
    gpg_weight(c, g, cur, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
    if (m->attn_out_bias) cur = gpg_add_bias(c, g, cur, GP_COMPUTE_W_ATTN_OUT);
    return cur;
}

static const gpg_mla_opts mla_defaults = {.qr = GPG_NONE};

/* MLA attention (deepseek2, absorbed form); returns wo output */
int gpg_attn_mla(gpg_ctx *c, gpg_graph *g, int x, const gpg_mla_opts *o) {
    int cur = gpg_attn_mla_core(c, g, gpg_attn_mla_qkv(c, g, x, o), o);
    cur = gpg_op(g, 0, GPG_F32, c->m->n_embd, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, cur, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
    return cur;
}

int gpg_attn_mla_qkv(gpg_ctx *c, gpg_graph *g, int x, const gpg_mla_opts *o) {
    if (!o) o = &mla_defaults;
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nh = m->n_head;
    const int64_t nope = m->qk_nope, rope = m->qk_rope, kvr = m->kv_lora_rank;
    const int64_t hk = nope + rope;
    int q;
    if (o->qr != GPG_NONE) {
        q = gpg_op(g, 0, GPG_F32, hk * nh, T, 1, 1, o->qr, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q_B, GPG_OP_MM);
    } else if (m->q_lora_rank > 0) {
        q = gpg_op(g, 0, GPG_F32, m->q_lora_rank, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q_A, GPG_OP_MM);
        q = gpg_rms_mul(c, g, q, GP_COMPUTE_W_ATTN_Q_A_NORM);
        q = gpg_op(g, 0, GPG_F32, hk * nh, T, 1, 1, q, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q_B, GPG_OP_MM);
    } else {
        q = gpg_op(g, 0, GPG_F32, hk * nh, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, q, GP_COMPUTE_W_ATTN_Q, GPG_OP_MM);
    }
    int q3 = o->nope ? q : gpg_reshape(g, q, hk, nh, T, 1);
    gpg_tensor qs = g->t[q];
    qs.nb[1] = hk * qs.nb[0], qs.nb[2] = hk * nh * qs.nb[0], qs.nb[3] = hk * nh * T * qs.nb[0];
    int q_nope = gpg_view(g, q3, nope, nh, T, 1, qs.nb[1], qs.nb[2], qs.nb[3], 1);
    int q_nope_p = gpg_permute_12(g, q_nope);
    int qa = gpg_op(g, 0, GPG_F32, kvr, T, nh, 1, q_nope_p, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, qa, GP_COMPUTE_W_ATTN_K_B, GPG_OP_MM);
    int qa_p = gpg_permute_12(g, qa);
    int q_pe = gpg_view(g, q3, rope, nh, T, 1, qs.nb[1], qs.nb[2], qs.nb[3], 0);
    if (!o->nope) q_pe = gpg_op(g, 1, GPG_F32, rope, nh, T, 1, q_pe, c->inp_pos, GPG_NONE);
    int Q = gpg_op(g, 0, GPG_F32, kvr + rope, nh, T, 1, qa_p, q_pe, GPG_NONE);

    int kvpe = gpg_op(g, 0, GPG_F32, kvr + rope, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, kvpe, GP_COMPUTE_W_ATTN_KV_A, GPG_OP_MM);
    gpg_tensor ks = g->t[kvpe];
    int kv_c = gpg_view(g, kvpe, kvr, T, 1, 1, ks.nb[1], ks.nb[2], ks.nb[3], 1);
    kv_c = gpg_rms_mul(c, g, kv_c, GP_COMPUTE_W_ATTN_KV_A_NORM);
    int vcur = gpg_reshape(g, kv_c, kvr, 1, T, 1);
    int k_pe = gpg_view(g, kvpe, rope, 1, T, 1, ks.nb[1], ks.nb[1], ks.nb[2], 0);
    if (!o->nope) k_pe = gpg_op(g, 1, GPG_F32, rope, 1, T, 1, k_pe, c->inp_pos, GPG_NONE);
    int K = gpg_op(g, 0, GPG_F32, kvr + rope, 1, T, 1, vcur, k_pe, GPG_NONE);
    {
        gpg_tensor s = g->t[K];
        int kv2 = gpg_view(g, K, kvr + rope, T, 1, 1, s.nb[1], s.nb[2], s.nb[3], 1);
        gpg_writes_cache(c, g, gpg_ext(g, kv2, c->k_idxs, GPG_NONE));
    }
    return Q;
}

int gpg_attn_mla_core(gpg_ctx *c, gpg_graph *g, int Q, const gpg_mla_opts *o) {
    if (!o) o = &mla_defaults;
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nh = m->n_head, ns = c->n_stream;
    const int64_t rope = m->qk_rope, kvr = m->kv_lora_rank, vh = m->v_head_dim;
    const uint64_t cells = (uint64_t)c->n_kv * (uint64_t)ns;
    const uint64_t krow = gpg_cache_row_bytes(c->r->type_k, (uint64_t)(kvr + rope));
    int kvk = gpg_kv_view(c, g, cells * krow);
    /* V is the first kv_lora_rank values of each K row */
    int kvv = gpg_kv_view(c, g, cells ? (cells - 1) * krow + gpg_cache_row_bytes(c->r->type_k, (uint64_t)kvr) : 0);
    int cur;
    if (c->fa) {
        gpg_tensor s = g->t[Q];
        int qv = gpg_view(g, Q, kvr + rope, nh, T / ns, ns, s.nb[1], s.nb[2], s.nb[2] * (T / ns), 1);
        int qp = gpg_permute_12(g, qv);
        int mask = o->mask ? o->mask(c, g, o->mask_arg) : c->mask;
        int fa = gpg_op(g, 0, GPG_F32, kvr, nh, T / ns, ns, qp, mask, GPG_NONE);
        gpg_set_src4(g, fa, qp, kvk, kvv, mask);
        int op = gpg_permute_12(g, fa);
        int mla = gpg_op(g, 0, GPG_F32, vh, T / ns, nh, ns, op, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, mla, GP_COMPUTE_W_ATTN_V_B, GPG_OP_MM);
        int mp = gpg_permute_12(g, mla);
        int ct = gpg_op(g, 0, GPG_F32, vh, nh, T / ns, ns, mp, GPG_NONE, GPG_NONE);
        cur = gpg_reshape(g, ct, vh * nh, T, 1, 1);
    } else {
        int vc = gpg_op(g, 0, GPG_F16, c->n_kv, kvr, 1, ns, kvv, GPG_NONE, GPG_NONE); /* v_cont */
        gpg_tensor s = g->t[Q];
        int qv = gpg_view(g, Q, kvr + rope, nh, T / ns, ns, s.nb[1], s.nb[2], s.nb[2] * (T / ns), 1);
        int qp = gpg_permute_12(g, qv);
        int kq = gpg_op(g, 0, GPG_F32, c->n_kv, T / ns, nh, ns, kvk, qp, GPG_NONE);
        int mask = o->mask ? o->mask(c, g, o->mask_arg) : c->mask;
        kq = gpg_op_like(g, 1, kq, kq, mask, GPG_NONE);
        int kqv = gpg_op(g, 0, GPG_F32, kvr, T / ns, nh, ns, vc, kq, GPG_NONE);
        int mla = gpg_op(g, 0, GPG_F32, vh, T / ns, nh, ns, kqv, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, mla, GP_COMPUTE_W_ATTN_V_B, GPG_OP_MM);
        int p = gpg_permute_12(g, mla);
        cur = gpg_op(g, 0, GPG_F32, vh * nh, T, 1, 1, p, GPG_NONE, GPG_NONE);
    }
    return cur;
}

