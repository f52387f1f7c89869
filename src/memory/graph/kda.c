/*
 * kda.c - Kimi Delta Attention, the recurrent layer of Kimi Linear, Kimi
 * K3 and Ling 3 (llama.cpp's src/models/kimi-linear.cpp, kimi-k3.cpp,
 * bailingmoe3.cpp and delta-net-base.cpp, with the fused GATED_DELTA_NET op
 * v0.5.0 reserves; its gate is a vector per head, not a scalar).
 *
 * Order, as ggml expands it: the conv state gathered (and the unused cell
 * cleared, the rows beyond the ubatch written back); for each of Q, K and V
 * its projection concatenated after its third of the conv state, and that
 * third's new state written back; the SSM state gathered. Then, reached
 * from the new state's write-back, the fused op's sources: Q and K
 * (convolution, silu, L2 norm), V (convolution, silu), the decay gate
 * (f_a, f_b, the bias, softplus, times A; in Kimi K3 a lower bound times
 * the sigmoid of minus A times the biased gate; in Ling 3, whose gates are
 * full-rank projections, f_a alone and a lower bound times the sigmoid of A
 * times the biased gate), beta (a sigmoid), the state. The output (the RMS
 * norm of each head, gated, and the output projection) is reached only
 * through the layer's output, which Kimi K3 and Ling 3 reach after other
 * nodes: gpg_kda_out builds it apart.
 */
#include "memory/graph/build.h"

/* convolution over one of Q, K, V (its window concatenated after the
   state), silu; [d, heads, t, S] */
static int conv_silu(gpg_ctx *c, gpg_graph *g, int cat, int kind) {
    const gp_compute_model *m = c->m;
    const int64_t S = c->n_seq, t = c->T / S, d = m->kda_head, di = d * m->n_head;
    int x = gpg_op(g, 0, GPG_F32, di, t, S, 1, cat, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, x, kind, GPG_OP_OTHER);
    x = gpg_reshape(g, x, di, c->T, 1, 1);
    x = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);                     /* silu */
    return gpg_reshape(g, x, d, m->n_head, t, S);
}

/* llama.cpp's L2 norm: an RMS norm (no weight), then a scale */
static int l2_norm(gpg_graph *g, int x) {
    int n = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);
    return gpg_op_like(g, 1, n, n, GPG_NONE, GPG_NONE);
}

int gpg_kda_conv_state(gpg_ctx *c, gpg_graph *g) {
    const gp_compute_model *m = c->m;
    /* Q's, K's and V's windows one after the other in each row */
    return gpg_rs_gather(c, g, 3 * (int64_t)(m->ssm_conv - 1) * m->kda_head * m->n_head);
}

void gpg_kda_in(gpg_ctx *c, gpg_graph *g, int x, gpg_kda_state *s) {
    gpg_kda_in_from(c, g, x, gpg_kda_conv_state(c, g), s);
}

void gpg_kda_in_from(gpg_ctx *c, gpg_graph *g, int x, int conv_state, gpg_kda_state *s) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S, nh = m->n_head;
    const int64_t d = m->kda_head, di = d * nh, kc = m->ssm_conv;
    s->x = x;

    int cat[3];
    for (int i = 0; i < 3; i++) {
        gpg_tensor cs = g->t[conv_state];
        int win = gpg_view(g, conv_state, kc - 1, di, S, 1, (kc - 1) * cs.nb[0], cs.nb[1], cs.nb[1] * S, i == 0);
        int p = gpg_op(g, 0, GPG_F32, di, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, p, GP_COMPUTE_W_ATTN_Q + i, GPG_OP_MM);
        int pt = gpg_transpose(g, gpg_reshape(g, p, di, t, S, 1));
        cat[i] = gpg_op(g, 0, GPG_F32, kc - 1 + t, di, S, 1, win, pt, GPG_NONE);
        gpg_tensor cv = g->t[cat[i]];
        int last = gpg_view(g, cat[i], kc - 1, di, S, 1, cv.nb[1], cv.nb[2], cv.nb[3], 0);
        gpg_writes_cache(c, g, gpg_ext(g, last, GPG_NONE, GPG_NONE));
    }

    /* SSM state */
    int state = gpg_rs_gather(c, g, d * d * nh);

    /* the fused op's sources */
    int q = l2_norm(g, conv_silu(c, g, cat[0], GP_COMPUTE_W_SSM_CONV_Q));
    int k = l2_norm(g, conv_silu(c, g, cat[1], GP_COMPUTE_W_SSM_CONV_K));
    int v = conv_silu(c, g, cat[2], GP_COMPUTE_W_SSM_CONV_V);
    int gate = gpg_op(g, 0, GPG_F32, m->kda_no_lora ? di : d, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, gate, GP_COMPUTE_W_SSM_F_A, GPG_OP_MM);
    if (!m->kda_no_lora) {
        gate = gpg_op(g, 0, GPG_F32, di, T, 1, 1, gate, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_SSM_F_B, GPG_OP_MM);
    }
    gate = gpg_add_bias(c, g, gate, GP_COMPUTE_W_SSM_DT);
    if (m->kda_no_lora) {
        /* Ling 3: a lower bound times the sigmoid of A times the biased gate */
        gate = gpg_reshape(g, gate, d, nh, T, 1);
        gate = gpg_add_bias(c, g, gate, GP_COMPUTE_W_SSM_A);              /* times A */
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);         /* sigmoid */
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);         /* scale */
    } else if (m->kda_gate_lb) {
        /* a lower bound times the sigmoid of minus A times the biased gate */
        gate = gpg_reshape(g, gate, d, nh, T, 1);
        gate = gpg_add_bias(c, g, gate, GP_COMPUTE_W_SSM_A);              /* times A */
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);         /* scale */
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);         /* sigmoid */
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);         /* scale */
    } else {
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);         /* softplus */
        gate = gpg_reshape(g, gate, d, nh, T, 1);
        gate = gpg_add_bias(c, g, gate, GP_COMPUTE_W_SSM_A);              /* times A */
    }
    gate = gpg_reshape(g, gate, d, nh, t, S);
    int beta = gpg_op(g, 0, GPG_F32, nh, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, beta, GP_COMPUTE_W_SSM_BETA, GPG_OP_MM);
    beta = gpg_reshape(g, beta, 1, nh, t, S);
    beta = gpg_op_like(g, 1, beta, beta, GPG_NONE, GPG_NONE);             /* sigmoid */
    int st = gpg_reshape(g, state, d, d, nh, S);

    /* the fused op: output rows, then the new state */
    s->gdn = gpg_op(g, 0, GPG_F32, di, T + d * S, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
    const int srcs[6] = {q, k, v, gate, beta, st};
    gpg_set_srcs_n(g, s->gdn, srcs, 6);
    gpg_tensor gs = g->t[s->gdn];
    int new_state = gpg_view(g, s->gdn, d, d, nh, S, d * gs.nb[0], d * d * gs.nb[0], d * d * nh * gs.nb[0], 0);
    gpg_writes_cache(c, g, gpg_ext(g, new_state, GPG_NONE, GPG_NONE));
}

int gpg_kda_out(gpg_ctx *c, gpg_graph *g, const gpg_kda_state *s) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S, E = m->n_embd, nh = m->n_head;
    const int64_t d = m->kda_head, di = d * nh;
    /* each head RMS-normed, gated by the sigmoid of g_b(g_a(x)) (one
       full-rank ssm_g in Kimi K3), projected */
    gpg_tensor gs = g->t[s->gdn];
    int out = gpg_view(g, s->gdn, d, nh, t, S, d * gs.nb[0], di * gs.nb[0], di * t * gs.nb[0], 1);
    out = gpg_op(g, 0, GPG_F32, d, nh, t, S, out, GPG_NONE, GPG_NONE);    /* cont */
    out = gpg_reshape(g, out, d, nh, T, 1);
    out = gpg_rms_mul(c, g, out, GP_COMPUTE_W_SSM_NORM);
    int g2;
    if (m->kda_no_lora) {
        /* Ling 3 projects its normed input itself, full rank */
        g2 = gpg_op(g, 0, GPG_F32, di, T, 1, 1, s->x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, g2, GP_COMPUTE_W_SSM_G_A, GPG_OP_MM);
    } else if (m->kda_full_gate) {
        int x2 = gpg_reshape(g, gpg_reshape(g, s->x, E, t, S, 1), E, T, 1, 1);
        g2 = gpg_op(g, 0, GPG_F32, di, T, 1, 1, x2, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, g2, GP_COMPUTE_W_SSM_G, GPG_OP_MM);
    } else {
        int x2 = gpg_reshape(g, gpg_reshape(g, s->x, E, t, S, 1), E, T, 1, 1);
        g2 = gpg_op(g, 0, GPG_F32, d, T, 1, 1, x2, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, g2, GP_COMPUTE_W_SSM_G_A, GPG_OP_MM);
        g2 = gpg_op(g, 0, GPG_F32, di, T, 1, 1, g2, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, g2, GP_COMPUTE_W_SSM_G_B, GPG_OP_MM);
    }
    g2 = gpg_reshape(g, g2, d, nh, T, 1);
    g2 = gpg_op_like(g, 1, g2, g2, GPG_NONE, GPG_NONE);                   /* sigmoid */
    out = gpg_op_like(g, 1, out, out, g2, GPG_NONE);
    out = gpg_op(g, 0, GPG_F32, di, T, 1, 1, out, GPG_NONE, GPG_NONE);   /* cont */
    out = gpg_op(g, 0, GPG_F32, E, T, 1, 1, out, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
    return out;
}

int gpg_kda(gpg_ctx *c, gpg_graph *g, int x) {
    gpg_kda_state s;
    gpg_kda_in(c, g, x, &s);
    return gpg_kda_out(c, g, &s);
}
