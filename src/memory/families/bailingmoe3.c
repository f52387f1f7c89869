/*
 * bailingmoe3.c - Ling 3 (llama.cpp's src/models/bailingmoe3.cpp): Kimi
 * Delta Attention layers with full-rank decay and output gates
 * (graph/kda.c) beside MLA layers with rope whose heads are each gated by
 * the sigmoid of one projection of the layer's normed input before wo;
 * deepseek2's FFN (a dense lead layer, then routed experts beside a shared
 * expert). No layer gathers the output rows: the final norm over the whole
 * ubatch is a graph output, and the rows are gathered after it.
 *
 * The order: no layer expands its normed input or its attention's output.
 * A KDA layer expands its conv state's gather first (it reads only the
 * state), then its convolutions' write-backs, which reach the layer
 * before's output and the norm; an MLA layer's cache store reaches them
 * first. On MoE layers the routed experts, which llama.cpp expands while
 * building the layer, reach the attention's output (KDA's gated norm, MLA's
 * attention itself and its gate), the residual and the FFN's norm before
 * the layer ends; the shared expert and the layer's output are reached only
 * through the next layer, as is the whole tail of a dense layer. So each
 * part is built where ggml first reaches it.
 */
#include "memory/families/family.h"

/* what a layer leaves for ggml to reach later */
typedef struct {
    uint32_t il;
    int inpSA;              /* the layer's input, the residual */
    int x;                  /* the attention's normed input */
    gpg_kda_state kda;      /* KDA: the fused op, its output still to build */
    int q;                  /* MLA: Q, whose attention is still to build */
    int ffn_inp, ffn_x;     /* the residual after the attention, normed; GPG_NONE: not yet built */
    int moe;                /* the routed experts' sum (MoE layers, built with the layer) */
} b3_layer;

static const gpg_mla_opts b3_mla = {.qr = GPG_NONE};

/* the residual after the attention's output (KDA's gated norm, or MLA's
   attention with each head times its sigmoid gate; then wo), and the FFN's
   normed input */
static void b3_attn_out(gpg_ctx *c, gpg_graph *g, b3_layer *l) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nh = m->n_head, vh = m->v_head_dim;
    c->il = l->il;
    int cur;
    if (gpg_layer_rec(m, l->il)) {
        cur = gpg_kda_out(c, g, &l->kda);
    } else {
        cur = gpg_attn_mla_core(c, g, l->q, &b3_mla);
        cur = gpg_reshape(g, cur, vh, nh, T, 1);
        int gate = gpg_op(g, 0, GPG_F32, nh, T, 1, 1, l->x, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_reshape(g, gate, 1, nh, T, 1);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);          /* sigmoid */
        cur = gpg_op_like(g, 1, cur, cur, gate, GPG_NONE);
        cur = gpg_op(g, 0, GPG_F32, vh * nh, T, 1, 1, cur, GPG_NONE, GPG_NONE);   /* cont */
        cur = gpg_op(g, 0, GPG_F32, m->n_embd, T, 1, 1, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, cur, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
    }
    l->ffn_inp = gpg_op_like(g, 1, cur, cur, l->inpSA, GPG_NONE);
    l->ffn_x = gpg_rms_mul(c, g, l->ffn_inp, GP_COMPUTE_W_FFN_NORM);
}

/* the layer's output: the FFN (the dense one, or the routed experts plus
   the shared expert) plus the residual */
static int b3_out(gpg_ctx *c, gpg_graph *g, b3_layer *l) {
    const gp_compute_model *m = c->m;
    if (l->ffn_x == GPG_NONE) b3_attn_out(c, g, l);
    c->il = l->il;
    int ffn;
    if (l->moe == GPG_NONE) {
        ffn = gpg_ffn_layer(c, g, l->ffn_x, l->il, c->T);
    } else {
        ffn = l->moe;
        if (m->n_ff_shexp > 0) {
            int sh = gpg_ffn_dense(c, g, l->ffn_x, m->n_ff_shexp, m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE_SHEXP);
            ffn = gpg_op_like(g, 1, ffn, ffn, sh, GPG_NONE);
        }
    }
    return gpg_op_like(g, 1, ffn, ffn, l->ffn_inp, GPG_NONE);
}

int gpg_build_bailingmoe3(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    b3_layer prev = {.il = m->n_layer};
    for (uint32_t il = 0; il < m->n_layer; il++) {
        b3_layer l = {.il = il, .q = GPG_NONE, .ffn_inp = GPG_NONE, .ffn_x = GPG_NONE, .moe = GPG_NONE};
        c->il = il;
        int conv_state = gpg_layer_rec(m, il) ? gpg_kda_conv_state(c, g) : GPG_NONE;
        if (prev.il < m->n_layer) inpL = b3_out(c, g, &prev);
        c->il = il;
        l.inpSA = inpL;
        l.x = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        if (gpg_layer_rec(m, il))
            gpg_kda_in_from(c, g, l.x, conv_state, &l.kda);
        else
            l.q = gpg_attn_mla_qkv(c, g, l.x, &b3_mla);
        if (gpg_layer_moe(m, il)) {
            b3_attn_out(c, g, &l);
            l.moe = gpg_ffn_moe(c, g, l.ffn_x, c->T, NULL);
        }
        prev = l;
    }
    gpg_logits_after_norm(c, g, b3_out(c, g, &prev));
    return g->err ? -1 : 0;
}
