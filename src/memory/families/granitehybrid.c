/*
 * granitehybrid.c - Granite 4.0-H (llama.cpp's src/models/granite-hybrid.cpp):
 * each layer is a Mamba-2 mixer (head_count_kv 0) or attention (rope only
 * when rope.scaling.finetuned is set; 4.0-H has none), then a pre-normed
 * FFN: dense SwiGLU, or softmax-routed experts with renormalised weights
 * beside a shared expert.
 *
 * Granite's multipliers (embedding, residual, logits) are in-place scales
 * on tensors with no other reader: they take no memory and are left out.
 * As in Nemotron-H, a layer's mixer output and its FFN come only when a
 * later expand reaches them, so the next Mamba-2 layer's state gathers land
 * before them (the mixer's `mark`).
 */
#include "memory/families/family.h"

int gpg_build_granitehybrid(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    int mark = g->nnode;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_hybrid_mixer(c, g, inpL, il, &mark);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpL);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        int x = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        int ffn;
        if (gpg_layer_moe(m, il)) {
            ffn = gpg_ffn_moe(c, g, x, c->T, NULL);
            mark = g->nnode;
            if (m->n_ff_shexp > 0) {
                int sh = gpg_ffn_dense(c, g, x, m->n_ff_shexp, m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE_SHEXP);
                ffn = gpg_op_like(g, 1, ffn, ffn, sh, GPG_NONE);
            }
        } else {
            ffn = gpg_ffn_dense(c, g, x, gpg_layer_n_ff(m, il), m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE);
        }
        inpL = gpg_op_like(g, 1, ffn, ffn, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
