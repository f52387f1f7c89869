/*
 * mamba1.c - Mamba (llama.cpp's src/models/mamba.cpp): every layer a
 * Mamba-1 mixer (graph/mamba1.c) between an RMS norm and the residual.
 * As for Mamba-2, each layer's state gathers land right after the last
 * explicitly expanded part of the layer before, and a mixer's output comes
 * only when the next layer reaches for its input.
 */
#include "memory/families/family.h"

int gpg_build_mamba1(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    int mark = g->nnode;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        gpg_mamba2 mix = {0};
        int n0 = g->nnode;
        gpg_mamba1_states(c, g, &mix);
        gpg_hoist(g, n0, mark);
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        gpg_mamba1_mixer(c, g, cur, &mix);
        mark = g->nnode;
        cur = gpg_mamba1_out(c, g, &mix);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpL);
        inpL = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
