/*
 * kimi_k3.c - Kimi K3 (llama.cpp's src/models/kimi-k3.cpp): kimi-linear's
 * Kimi Delta Attention (with one full-rank output gate, graph/kda.c) and
 * MLA without rope (its output times a sigmoid gate before wo) layers; a
 * dense SiTU FFN on the lead layers, then routed experts on a latent width
 * beside SiTU shared experts.
 *
 * The residual: every attn_res_block-th layer banks its input in a stack
 * ([E, banked, T], one concat per bank) and restarts from its attention's
 * output; before each layer's norm, before each FFN's norm and before the
 * final norm the stack and the residual are mixed by a soft-max of learned
 * scores (res_mix).
 *
 * The order: ggml reaches a layer's output (and, on dense layers, its whole
 * FFN) only through the next mix, inside it: after the mix has scored the
 * stack, when it scores the residual. On MoE layers the expert weights,
 * which llama.cpp expands while building the layer, reach the FFN's mix,
 * and through it the attention's output, before the layer ends. So the
 * attention's output, the residual sums, the FFN's mix and the FFN's tail
 * are built where they are first reached (the k3_* helpers below build a
 * part once, on first use), and the stack's newest bank where a mix first
 * reads it.
 */
#include "memory/families/family.h"

/* one layer's parts built later than the layer */
typedef struct {
    uint32_t il;
    int inpL;           /* the layer's input (the residual) */
    int banked;         /* the residual restarts from the attention's output */
    int x;              /* the attention's normed input */
    gpg_kda_state kda;       /* KDA: its output is still to build */
    int mla;            /* MLA: the heads' output (build_attn expands it; gate and wo
                           are still to build) */
    int attn;           /* the residual after the attention; GPG_NONE: not yet built */
    int ffn_x;          /* the FFN's normed input; GPG_NONE: not yet built */
    int moe;            /* the routed experts' sum (MoE layers, built with the layer) */
    int out;            /* the layer's output; GPG_NONE: not yet built */
} k3_layer;

typedef struct {
    gpg_ctx *c;
    gpg_graph *g;
    int stack;          /* the banked residuals [E, n, T]; GPG_NONE: none yet */
    int64_t n;          /* banks in it */
    int bank;           /* a residual banked but not yet reached (GPG_NONE: none) */
    k3_layer prev, cur;
} k3;

/* the stack, its newest bank added where ggml first reaches it */
static int k3_stack(k3 *k) {
    if (k->bank != GPG_NONE) {
        const int64_t E = k->c->m->n_embd, T = k->c->T;
        int ck = gpg_reshape(k->g, k->bank, E, 1, T, 1);
        k->stack = k->stack == GPG_NONE ? ck
                                        : gpg_op(k->g, 0, GPG_F32, E, k->n + 1, T, 1, k->stack, ck, GPG_NONE);
        k->n++;
        k->bank = GPG_NONE;
    }
    return k->stack;
}

typedef int (*k3_part)(k3 *k, k3_layer *l);

/* cur (built by part, where ggml reaches it) mixed with the stack: both
   RMS-normed and scored by the weight of kind, a soft-max over the scores,
   the stack's share summed by the fused hc_pre op, cur's share added */
static int k3_mix(k3 *k, k3_part part, k3_layer *l, uint32_t il, int kind) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    if (!c->m->attn_res_block || (k->stack == GPG_NONE && k->bank == GPG_NONE)) return part(k, l);
    const int64_t E = c->m->n_embd, T = c->T;
    int st = k3_stack(k);
    const int64_t n = k->n;
    c->il = il;
    int ss = gpg_op_like(g, 1, st, st, GPG_NONE, GPG_NONE);                 /* rms norm */
    ss = gpg_op_like(g, 1, ss, ss, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, ss, kind, GPG_OP_OTHER);
    ss = gpg_op(g, 0, GPG_F32, 1, n, T, 1, ss, GPG_NONE, GPG_NONE);          /* sum_rows */
    ss = gpg_reshape(g, ss, n, T, 1, 1);
    int cur = part(k, l);
    c->il = il;
    int sc = gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);                /* rms norm */
    sc = gpg_op_like(g, 1, sc, sc, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, sc, kind, GPG_OP_OTHER);
    sc = gpg_op(g, 0, GPG_F32, 1, T, 1, 1, sc, GPG_NONE, GPG_NONE);          /* sum_rows */
    int probs = gpg_op(g, 0, GPG_F32, n + 1, T, 1, 1, ss, sc, GPG_NONE);     /* concat */
    probs = gpg_op_like(g, 1, probs, probs, GPG_NONE, GPG_NONE);             /* soft_max */
    gpg_tensor ps = g->t[probs];
    int p_st = gpg_view(g, probs, n, T, 1, 1, ps.nb[1], ps.nb[2], ps.nb[3], 1);
    p_st = gpg_op(g, 0, GPG_F32, n, T, 1, 1, p_st, GPG_NONE, GPG_NONE);      /* cont */
    int out = gpg_op(g, 0, GPG_F32, E, T, 1, 1, st, p_st, GPG_NONE);         /* hc_pre */
    int p_cur = gpg_view(g, probs, 1, T, 1, 1, ps.nb[1], ps.nb[2], ps.nb[3], 0);
    p_cur = gpg_op(g, 0, GPG_F32, 1, T, 1, 1, p_cur, GPG_NONE, GPG_NONE);    /* cont */
    int mc = gpg_op(g, 1, GPG_F32, E, T, 1, 1, cur, p_cur, GPG_NONE);        /* mul */
    return gpg_op(g, 1, GPG_F32, E, T, 1, 1, out, mc, GPG_NONE);             /* add */
}

/* the attention's output: KDA's gated norm, or MLA's heads times their
   gate; then wo */
static int k3_attn_out(k3 *k, k3_layer *l) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const gp_compute_model *m = c->m;
    c->il = l->il;
    if (gpg_layer_rec(m, l->il)) return gpg_kda_out(c, g, &l->kda);
    int out = l->mla;
    if (m->mla_out_gate) {
        gpg_tensor s = g->t[out];
        int gate = gpg_op(g, 0, GPG_F32, s.ne[0], c->T, 1, 1, l->x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);              /* sigmoid */
        out = gpg_op_like(g, 1, out, out, gate, GPG_NONE);
    }
    out = gpg_op(g, 0, GPG_F32, m->n_embd, c->T, 1, 1, out, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, out, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
    return out;
}

/* the residual after the attention */
static int k3_attn(k3 *k, k3_layer *l) {
    if (l->attn == GPG_NONE) {
        int a = k3_attn_out(k, l);
        l->attn = l->banked ? a : gpg_op(k->g, 1, GPG_F32, k->c->m->n_embd, k->c->T, 1, 1, l->inpL, a, GPG_NONE);
    }
    return l->attn;
}

/* the FFN's normed input: the residual after the attention, mixed */
static int k3_ffn_x(k3 *k, k3_layer *l) {
    if (l->ffn_x == GPG_NONE) {
        int x = k3_mix(k, k3_attn, l, l->il, GP_COMPUTE_W_FFN_RES_SCORE);
        k->c->il = l->il;
        l->ffn_x = gpg_rms_mul(k->c, k->g, x, GP_COMPUTE_W_FFN_NORM);
    }
    return l->ffn_x;
}

/* the layer's output: the residual after the attention plus the FFN (the
   dense SiTU FFN, or the experts' latent output normed and projected back
   beside the shared experts) */
static int k3_out(k3 *k, k3_layer *l) {
    if (l->out != GPG_NONE) return l->out;
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const gp_compute_model *m = c->m;
    int res = k3_attn(k, l);
    int ffn;
    if (l->moe == GPG_NONE) {
        int x = k3_ffn_x(k, l);
        c->il = l->il;
        ffn = gpg_ffn_situ(c, g, x, gpg_layer_n_ff(m, l->il), c->T, GP_COMPUTE_W_FFN_GATE);
    } else {
        c->il = l->il;
        ffn = l->moe;
        if (m->latent_norm) ffn = gpg_rms_mul(c, g, ffn, GP_COMPUTE_W_FFN_ROUTED_NORM);
        if (m->n_embd_latent) {
            ffn = gpg_op(g, 0, GPG_F32, m->n_embd, c->T, 1, 1, ffn, GPG_NONE, GPG_NONE);
            gpg_weight(c, g, ffn, GP_COMPUTE_W_FFN_ROUTED_UP, GPG_OP_MM);
        }
        if (m->n_ff_shexp) {
            int sh = gpg_ffn_situ(c, g, l->ffn_x, m->n_ff_shexp, c->T, GP_COMPUTE_W_FFN_GATE_SHEXP);
            ffn = gpg_op_like(g, 1, ffn, ffn, sh, GPG_NONE);
        }
    }
    l->out = gpg_op(g, 1, GPG_F32, m->n_embd, c->T, 1, 1, res, ffn, GPG_NONE);
    return l->out;
}

int gpg_build_kimi_k3(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_mla_opts mla = {.qr = GPG_NONE, .nope = 1};
    const gpg_moe_opts moe = {.situ = 1, .latent = 1};
    k3 k = {.c = c, .g = g, .stack = GPG_NONE, .bank = GPG_NONE};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        k3_layer *l = &k.cur;
        *l = (k3_layer){.il = il, .attn = GPG_NONE, .ffn_x = GPG_NONE, .moe = GPG_NONE, .out = GPG_NONE};
        /* the residual: the embeddings, or the layer before's output (with
           nothing banked yet, the first layer's input is not mixed) */
        int cur = inpL;
        if (il > 0) {
            cur = k3_mix(&k, k3_out, &k.prev, il, GP_COMPUTE_W_ATTN_RES_SCORE);
            inpL = k.prev.out;
        }
        l->inpL = inpL;
        if (m->attn_res_block && il % m->attn_res_block == 0) {
            k.bank = l->inpL;
            l->banked = 1;
        }
        c->il = il;
        l->x = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_NORM);
        if (gpg_layer_rec(m, il)) gpg_kda_in(c, g, l->x, &l->kda);
        else l->mla = gpg_attn_mla_core(c, g, gpg_attn_mla_qkv(c, g, l->x, &mla), &mla);
        if (gpg_layer_moe(m, il)) {
            int x = k3_ffn_x(&k, l);
            c->il = il;
            l->moe = gpg_ffn_moe(c, g, x, c->T, &moe);
        }
        k.prev = *l;
    }
    int out = k3_mix(&k, k3_out, &k.prev, m->n_layer, GPG_W_OUT_NORM);
    out = gpg_rows(c, g, out);
    c->T = c->n_out;
    gpg_logits(c, g, out);
    return g->err ? -1 : 0;
}
