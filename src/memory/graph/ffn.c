/* ffn.c - feed-forward blocks: dense gated FFN and routed experts. */
#include "memory/graph/build.h"

#include <stdlib.h>
#include <string.h>

/* whether the current layer's SwiGLU is clamped (bit 1: the routed
   experts', bit 2: the dense or shared FFN's) */
static int swiglu_clamped(const gpg_ctx *c, int bit) {
    const gp_compute_model *m = c->m;
    return m->layer_swiglu_clamp && c->il < m->n_layer && (m->layer_swiglu_clamp[c->il] & bit);
}

/* clamped SwiGLU (llama.cpp's unfused limit): silu of the gate and its
   clamp, then up (built by the caller after it, as ggml reaches it) clamped
   and multiplied in, all in place */
static int clamped_gate(gpg_graph *g, int gate) {
    int a = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);       /* silu */
    return gpg_op_like(g, 1, a, a, GPG_NONE, GPG_NONE);             /* clamp */
}

static int clamped_up(gpg_graph *g, int act, int up) {
    up = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);             /* clamp */
    return gpg_op_like(g, 1, act, act, up, GPG_NONE);
}

/* kind0: gate kind; up and down follow it in gp_compute_wkind */
int gpg_ffn_dense(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t n_embd, int64_t T,
                  int kind0) {
    int gate = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, gate, kind0, GPG_OP_MM);
    const int clamp = swiglu_clamped(c, 2);
    if (clamp) gate = clamped_gate(g, gate);
    int up = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, up, kind0 + 1, GPG_OP_MM);
    int act = clamp ? clamped_up(g, gate, up)
                    : gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, gate, up, GPG_NONE);  /* swiglu / geglu */
    int down = gpg_op(g, 0, GPG_F32, n_embd, T, 1, 1, act, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, down, kind0 + 2, GPG_OP_MM);
    return down;
}

/* SiTU (Kimi K3) on gate and up, each already projected or still to be:
   beta tanh(gate / beta) sigmoid(gate) (every step in place where ggml-alloc
   allows it), then up (built by the caller after it, as ggml reaches it),
   bounded the same way by its own beta where it has one, multiplied in */
static int situ_gate(gpg_graph *g, int gate) {
    int a = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);       /* scale */
    a = gpg_op_like(g, 1, a, a, GPG_NONE, GPG_NONE);                 /* tanh */
    a = gpg_op_like(g, 1, a, a, GPG_NONE, GPG_NONE);                 /* scale */
    int sg = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);      /* sigmoid */
    return gpg_op_like(g, 1, a, a, sg, GPG_NONE);
}

static int situ_up(const gp_compute_model *m, gpg_graph *g, int act, int up) {
    if (m->situ_linear) {
        up = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);         /* scale */
        up = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);         /* tanh */
        up = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);         /* scale */
    }
    return gpg_op_like(g, 1, act, act, up, GPG_NONE);
}

int gpg_ffn_situ(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T, int kind0) {
    int gate = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, gate, kind0, GPG_OP_MM);
    int act = situ_gate(g, gate);
    int up = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, up, kind0 + 1, GPG_OP_MM);
    act = situ_up(c->m, g, act, up);
    int down = gpg_op(g, 0, GPG_F32, c->m->n_embd, T, 1, 1, act, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, down, kind0 + 2, GPG_OP_MM);
    return down;
}

/* add_id: each chosen expert's bias added to its rows, in place */
static int expert_bias(gpg_ctx *c, gpg_graph *g, int x, int ids, int kind) {
    int r = gpg_op_like(g, 1, x, x, ids, GPG_NONE);
    gpg_weight(c, g, r, kind, GPG_OP_OTHER);
    return r;
}

/* Expert groups (DeepSeek-V3, Ling 2.0): each group scored by its two best
   experts, the best groups kept, the other groups' experts masked with
   -inf before the top-k. Returns the masked selection scores [experts, T]. */
static int expert_groups(gpg_ctx *c, gpg_graph *g, int sel, int64_t T) {
    const gp_compute_model *m = c->m;
    const int64_t ng = m->expert_groups, nper = m->n_expert / ng;
    const int64_t nused = m->expert_groups_used;
    int groups = gpg_reshape(g, sel, nper, ng, T, 1);
    int rows = gpg_reshape(g, groups, 1, nper, ng, T);
    int best2 = gpg_op(g, 0, GPG_I32, nper, ng, T, 1, groups, GPG_NONE, GPG_NONE); /* argsort */
    gpg_tensor bs = g->t[best2];
    best2 = gpg_view(g, best2, 2, ng, T, 1, bs.nb[1], bs.nb[2], bs.nb[3], 1);
    int score = gpg_op(g, 0, GPG_F32, 1, 2, ng, T, rows, best2, GPG_NONE);       /* get_rows */
    score = gpg_reshape(g, score, 2, ng, T, 1);
    score = gpg_op(g, 0, GPG_F32, 1, ng, T, 1, score, GPG_NONE, GPG_NONE);       /* sum_rows */
    score = gpg_reshape(g, score, ng, T, 1, 1);
    int kept = gpg_op(g, 0, GPG_I32, ng, T, 1, 1, score, GPG_NONE, GPG_NONE);    /* argsort */
    gpg_tensor ks = g->t[kept];
    kept = gpg_view(g, kept, nused, T, 1, 1, ks.nb[1], ks.nb[2], ks.nb[3], 1);
    int vals = gpg_op(g, 0, GPG_F32, nper, nused, T, 1, groups, kept, GPG_NONE);  /* get_rows */
    int masked = gpg_op(g, 1, GPG_F32, nper, ng, T, 1, groups, GPG_NONE, GPG_NONE); /* fill -inf */
    int set = gpg_set_rows(g, masked, vals, kept);
    return gpg_reshape(g, set, nper * ng, T, 1, 1);
}

void gpg_moe_route(gpg_ctx *c, gpg_graph *g, int x, int64_t T, const gpg_moe_opts *o, gpg_moe_choice *r) {
    static const gpg_moe_opts defaults = {0};
    if (!o) o = &defaults;
    const gp_compute_model *m = c->m;
    const int64_t ne = m->n_expert;
    const int64_t nu = o->adjugate && m->n_chexp < m->n_expert_used ? m->n_chexp : m->n_expert_used;
    int logits;
    if (o->logits) {
        logits = *o->logits;
    } else {
        logits = gpg_op(g, 0, GPG_F32, ne, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, logits, GP_COMPUTE_W_FFN_ROUTER, GPG_OP_MM);
    }
    if (m->router_bias) logits = gpg_add_bias(c, g, logits, GP_COMPUTE_W_FFN_ROUTER);
    int probs = o->softmax_chosen ? logits
                                  : gpg_op_like(g, 1, logits, logits, GPG_NONE, GPG_NONE); /* soft_max / sigmoid */
    /* the weights' rows: ggml reaches them before the selection */
    int probs3 = gpg_reshape(g, probs, 1, ne, T, 1);
    int sel = o->weight_first ? logits : probs;
    if (o->sigmoid_select)
        sel = gpg_op_like(g, 1, logits, logits, GPG_NONE, GPG_NONE);     /* sigmoid */
    if (m->expert_probs_bias) {
        sel = gpg_op_like(g, 1, probs, probs, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, sel, GP_COMPUTE_W_FFN_PROBS_B, GPG_OP_OTHER);
    }
    if (m->expert_groups > 1) sel = expert_groups(c, g, sel, T);
    int as = gpg_op(g, 0, GPG_I32, ne, T, 1, 1, sel, GPG_NONE, GPG_NONE);   /* argsort */
    gpg_tensor ass = g->t[as];
    int topk = gpg_view(g, as, nu, T, 1, 1, ass.nb[1], ass.nb[2], ass.nb[3], 1);
    if (o->adjugate) {
        int f = gpg_op(g, 0, GPG_F32, nu, T, 1, 1, topk, GPG_NONE, GPG_NONE);   /* cast */
        f = gpg_op_like(g, 1, f, f, GPG_NONE, GPG_NONE);                       /* scale */
        topk = gpg_op(g, 0, GPG_I32, nu, T, 1, 1, f, GPG_NONE, GPG_NONE);      /* cast */
    }
    int w = gpg_op(g, 0, GPG_F32, 1, nu, T, 1, probs3, topk, GPG_NONE); /* get_rows */
    if (o->softmax_chosen) {
        int w2 = gpg_reshape(g, w, nu, T, 1, 1);
        w2 = gpg_op_like(g, 1, w2, w2, GPG_NONE, GPG_NONE);             /* soft_max */
        w = gpg_reshape(g, w2, 1, nu, T, 1);
    }
    if (m->expert_weights_norm) {
        int w2 = gpg_reshape(g, w, nu, T, 1, 1);
        int sum = gpg_op(g, 0, GPG_F32, 1, T, 1, 1, w2, GPG_NONE, GPG_NONE);
        sum = gpg_op_like(g, 1, sum, sum, GPG_NONE, GPG_NONE);            /* clamp */
        int dv = gpg_op_like(g, 1, w2, w2, sum, GPG_NONE);                /* div */
        w = gpg_reshape(g, dv, 1, nu, T, 1);
    }
    if (m->expert_weights_scaled) w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);
    r->topk = topk;
    r->weights = w;
}

int gpg_moe_experts(gpg_ctx *c, gpg_graph *g, int x, int64_t T, const gpg_moe_opts *o, const gpg_moe_choice *r) {
    static const gpg_moe_opts defaults = {0};
    if (!o) o = &defaults;
    const gp_compute_model *m = c->m;
    const int64_t nu = o->adjugate && m->n_chexp < m->n_expert_used ? m->n_chexp : m->n_expert_used;
    const int64_t nf = o->adjugate ? m->n_ff_chexp : m->n_ff_exp;
    const int64_t nd = o->latent && m->n_embd_latent ? m->n_embd_latent : m->n_embd;
    const int topk = r->topk, w = r->weights;
    /* the weight kinds of gate, up and down */
    const int k_gate = o->adjugate ? GP_COMPUTE_W_FFN_GATE_CHEXPS : GP_COMPUTE_W_FFN_GATE_EXPS;
    const int k_up = o->adjugate ? GP_COMPUTE_W_FFN_UP_CHEXPS : GP_COMPUTE_W_FFN_UP_EXPS;
    const int k_down = o->adjugate ? GP_COMPUTE_W_FFN_DOWN_CHEXPS : GP_COMPUTE_W_FFN_DOWN_EXPS;
    if (nd != m->n_embd) {
        /* the experts' input projected to their latent width (the router
           reads x itself) */
        x = gpg_op(g, 0, GPG_F32, nd, T, 1, 1, x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, x, GP_COMPUTE_W_FFN_ROUTED_DOWN, GPG_OP_MM);
    }
    int xr = gpg_reshape(g, x, nd, 1, T, 1);
    if (o->weight_first) {
        xr = gpg_op(g, 0, GPG_F32, nd, nu, T, 1, xr, GPG_NONE, GPG_NONE);   /* repeat */
        xr = gpg_op_like(g, 1, xr, xr, w, GPG_NONE);                       /* mul */
    }
    int act;
    if (o->relu2) {
        int up = gpg_op(g, 0, GPG_F32, nf, nu, T, 1, xr, topk, GPG_NONE);
        gpg_weight(c, g, up, k_up, GPG_OP_MMID);
        act = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);              /* relu */
        act = gpg_op_like(g, 1, act, act, GPG_NONE, GPG_NONE);            /* sqr */
    } else if (o->situ) {
        int gate = gpg_op(g, 0, GPG_F32, nf, nu, T, 1, xr, topk, GPG_NONE);
        gpg_weight(c, g, gate, k_gate, GPG_OP_MMID);
        act = situ_gate(g, gate);
        int up = gpg_op(g, 0, GPG_F32, nf, nu, T, 1, xr, topk, GPG_NONE);
        gpg_weight(c, g, up, k_up, GPG_OP_MMID);
        act = situ_up(m, g, act, up);
    } else {
        int gate = gpg_op(g, 0, GPG_F32, nf, nu, T, 1, xr, topk, GPG_NONE);
        gpg_weight(c, g, gate, k_gate, GPG_OP_MMID);
        if (m->expert_bias) gate = expert_bias(c, g, gate, topk, k_gate);
        const int clamp = swiglu_clamped(c, 1) && !o->clamp_fused;
        if (clamp) gate = clamped_gate(g, gate);
        int up = gpg_op(g, 0, GPG_F32, nf, nu, T, 1, xr, topk, GPG_NONE);
        gpg_weight(c, g, up, k_up, GPG_OP_MMID);
        if (m->expert_bias) up = expert_bias(c, g, up, topk, k_up);
        act = clamp ? clamped_up(g, gate, up) : gpg_op(g, 0, GPG_F32, nf, nu, T, 1, gate, up, GPG_NONE);
    }
    int down = gpg_op(g, 0, GPG_F32, nd, nu, T, 1, act, topk, GPG_NONE);
    gpg_weight(c, g, down, k_down, GPG_OP_MMID);
    if (m->expert_bias) down = expert_bias(c, g, down, topk, k_down);
    int wd = o->weight_first ? down : gpg_op_like(g, 1, down, down, w, GPG_NONE);   /* mul */
    gpg_tensor ws = g->t[wd];
    /* one strided view per used expert, summed by a chain of adds */
    int first = GPG_NONE, acc = GPG_NONE;
    for (int64_t i = 0; i < nu; i++) {
        int v = gpg_view(g, wd, nd, T, 1, 1, ws.nb[2], ws.nb[3], ws.nb[3], i == 0);
        if (i == 0) { first = v; continue; }
        if (i == 1) acc = gpg_op(g, 1, GPG_F32, nd, T, 1, 1, first, v, GPG_NONE);
        else acc = gpg_op(g, 1, GPG_F32, nd, T, 1, 1, acc, v, GPG_NONE);
    }
    if (nu == 1) acc = gpg_op(g, 0, GPG_F32, nd, T, 1, 1, first, GPG_NONE, GPG_NONE);
    return acc;
}

int gpg_ffn_moe(gpg_ctx *c, gpg_graph *g, int x, int64_t T, const gpg_moe_opts *o) {
    gpg_moe_choice r;
    gpg_moe_route(c, g, x, T, o, &r);
    return gpg_moe_experts(c, g, x, T, o, &r);
}

int gpg_ffn_relu2(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T, int up_kind, int down_kind) {
    int up = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, up, up_kind, GPG_OP_MM);
    int act = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);          /* relu */
    act = gpg_op_like(g, 1, act, act, GPG_NONE, GPG_NONE);            /* sqr */
    int down = gpg_op(g, 0, GPG_F32, c->m->n_embd, T, 1, 1, act, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, down, down_kind, GPG_OP_MM);
    return down;
}

int gpg_ffn_fused_up(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T) {
    int up = gpg_op(g, 0, GPG_F32, 2 * n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, up, GP_COMPUTE_W_FFN_UP, GPG_OP_MM);
    int act = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, up, GPG_NONE, GPG_NONE);   /* swiglu */
    int down = gpg_op(g, 0, GPG_F32, c->m->n_embd, T, 1, 1, act, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, down, GP_COMPUTE_W_FFN_DOWN, GPG_OP_MM);
    return down;
}

int gpg_ffn_ungated(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T) {
    int up = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, up, GP_COMPUTE_W_FFN_UP, GPG_OP_MM);
    int act = gpg_op_like(g, 1, up, up, GPG_NONE, GPG_NONE);          /* unary */
    int down = gpg_op(g, 0, GPG_F32, c->m->n_embd, T, 1, 1, act, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, down, GP_COMPUTE_W_FFN_DOWN, GPG_OP_MM);
    return down;
}

int gpg_layer_moe(const gp_compute_model *m, uint32_t il) {
    if (m->n_expert == 0 || il < m->n_layer_dense_lead) return 0;
    if (m->layer_no_experts && m->layer_no_experts[il]) return 0;
    return m->moe_every == 0 || (il + 1) % m->moe_every == 0;
}

int gpg_ffn_layer(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, int64_t T) {
    return gpg_ffn_layer_opts(c, g, x, il, T, NULL);
}

int gpg_ffn_layer_opts(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, int64_t T, const gpg_moe_opts *o) {
    const gp_compute_model *m = c->m;
    if (!gpg_layer_moe(m, il) && m->ffn_fused_up)
        return gpg_ffn_fused_up(c, g, x, gpg_layer_n_ff(m, il), T);
    if (!gpg_layer_moe(m, il) && m->ffn_ungated)
        return gpg_ffn_ungated(c, g, x, gpg_layer_n_ff(m, il), T);
    if (!gpg_layer_moe(m, il))
        return gpg_ffn_dense(c, g, x, gpg_layer_n_ff(m, il), m->n_embd, T, GP_COMPUTE_W_FFN_GATE);
    int ffn = gpg_ffn_moe(c, g, x, T, o);
    if (m->n_ff_shexp > 0) {
        int sh = gpg_ffn_dense(c, g, x, m->n_ff_shexp, m->n_embd, T, GP_COMPUTE_W_FFN_GATE_SHEXP);
        if (m->shexp_gate) {
            /* a per-token sigmoid gate on the shared expert */
            int gate = gpg_op(g, 0, GPG_F32, 1, T, 1, 1, x, GPG_NONE, GPG_NONE);
            gpg_weight(c, g, gate, GP_COMPUTE_W_FFN_GATE_INP_SHEXP, GPG_OP_MM);
            gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);   /* sigmoid */
            sh = gpg_op_like(g, 1, sh, sh, gate, GPG_NONE);
        }
        ffn = gpg_op_like(g, 1, ffn, ffn, sh, GPG_NONE);
    }
    return ffn;
}

int gpg_ffn_residual(gpg_ctx *c, gpg_graph *g, int attn_out, int residual, uint32_t il) {
    if (il == c->m->n_layer - 1)
        gpg_output_rows(c, g, &attn_out, &residual);
    int ffn_inp = gpg_op_like(g, 1, attn_out, attn_out, residual, GPG_NONE);
    int cur = gpg_block_norm(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
    int ffn = gpg_ffn_layer(c, g, cur, il, c->T);
    return gpg_op_like(g, 1, ffn, ffn, ffn_inp, GPG_NONE);
}
