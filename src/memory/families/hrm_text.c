/*
 * hrm_text.c - HRM-Text (llama.cpp's src/models/hrm-text.cpp, DFM Mimir): two
 * stacks of layers, a low and a high one, run in turn over the same tokens.
 * Each high cycle runs the low stack l_cycles times on the high state plus
 * the low state (at first a learned vector, broadcast over the tokens), then
 * the high stack on their sum once more. Every pass has cache slots of its
 * own (n_layer counts them) while reusing its stack's weights.
 *
 * A layer: parameterless RMS norm, attention whose output is gated by a
 * sigmoid of its own projection of the normed input, wo, add; parameterless
 * norm, SwiGLU FFN, add. Each stack ends in one more parameterless norm.
 * No layer gathers the output rows: the final state is gathered once (an
 * output), then the logits.
 */
#include "memory/families/family.h"

/* one stack pass over the cache slots from `slot`; returns its normed output */
static int stack(gpg_ctx *c, gpg_graph *g, int cur, uint32_t slot)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    for (uint32_t il = slot; il < slot + m->hrm_lps; il++) {
        c->il = il;
        int inpSA = cur;
        int x = gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);               /* rms_norm */
        int q = gpg_attn_qkv(c, g, x, il, &attn);
        cur = gpg_attn_vrot(c, g, gpg_attn_core(c, g, q, il, &attn), il);
        int gate = gpg_op(g, 0, GPG_F32, m->head_dim_k * gpg_layer_n_head(m, il), c->T, 1, 1, x,
                          GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);              /* sigmoid */
        cur = gpg_op_like(g, 1, cur, cur, gate, GPG_NONE);
        cur = gpg_attn_wo(c, g, cur);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_op_like(g, 1, ffn_inp, ffn_inp, GPG_NONE, GPG_NONE);         /* rms_norm */
        cur = gpg_ffn_dense(c, g, cur, gpg_layer_n_ff(m, il), m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE);
        cur = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    return gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);                   /* rms_norm */
}

int gpg_build_hrm_text(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int zH = gpg_token_embd(c, g);
    int zL = GPG_NONE;   /* the learned starting state: a weight, not in the buffer */
    for (uint32_t h = 0; h < m->hrm_h; h++) {
        for (uint32_t l = 0; l <= m->hrm_l; l++) {
            const uint32_t slot = (h * (m->hrm_l + 1) + l) * m->hrm_lps;
            c->il = slot;
            int in = gpg_op_like(g, 1, zH, zH, zL, GPG_NONE);                   /* add */
            /* the first add reads the learned state, which lives with the
               token embeddings */
            if (zL == GPG_NONE) gpg_weight(c, g, in, GPG_W_TOK, GPG_OP_OTHER);
            if (l < m->hrm_l)
                zL = stack(c, g, in, slot);
            else
                zH = stack(c, g, in, slot);
        }
    }
    c->il = m->n_layer;
    int rows = gpg_rows(c, g, zH);
    if (!g->err) g->t[rows].is_output = 1;
    c->T = c->n_out;
    int lo = gpg_op(g, 0, GPG_F32, m->n_vocab, c->n_out, 1, 1, rows, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, lo, GPG_W_OUTPUT, GPG_OP_MM);
    if (!g->err) g->t[lo].is_output = 1;
    return g->err ? -1 : 0;
}
