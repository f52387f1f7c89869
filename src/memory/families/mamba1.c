/*
 * mamba1.c - Mamba and Jamba (llama.cpp's src/models/mamba.cpp and
 * jamba.cpp): Mamba-1 mixers (graph/mamba1.c) between an RMS norm and the
 * residual; Jamba's layers are a mixer or attention without rope, each
 * followed by a dense FFN or routed experts.
 * The mixer is the Mamba-2 hybrids' (families/mamba2.c), which takes the
 * Mamba-1 graph when the mixers have no groups: each layer's state gathers
 * land right after the last explicitly expanded part of the layer before,
 * and a mixer's output comes only when the next layer reaches for it.
 */
#include "memory/families/family.h"

int gpg_build_mamba1(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    int mark = g->nnode;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_hybrid_mixer(c, g, inpL, il, &mark);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpL);
        inpL = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}

int gpg_build_jamba(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    int mark = g->nnode;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_hybrid_mixer(c, g, inpL, il, &mark);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpL);
        int ffn_inp = gpg_op_like(g, 1, inpL, inpL, cur, GPG_NONE);   /* inpL + cur */
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        cur = gpg_ffn_layer(c, g, cur, il, c->T);
        inpL = gpg_op_like(g, 1, ffn_inp, ffn_inp, cur, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
