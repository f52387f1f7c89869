/*
 * phi3.c - Phi-3 and Phi-4-mini (llama.cpp's src/models/phi3.cpp): Q, K and
 * V as views of one fused product, Q scaled after rope, the residual added
 * first (so the FFN output lands in the residual's memory), and one up
 * projection of twice the FFN width halved by SwiGLU. Sliding-window
 * attention is disabled by llama.cpp for this architecture; the dense FFN
 * is the only one (phimoe is another architecture).
 */
#include "memory/families/family.h"

int gpg_build_phi3(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {.q_scale = 1};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int residual = inpL;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &residual);
        residual = gpg_op_like(g, 1, cur, cur, residual, GPG_NONE);
        cur = gpg_rms_mul(c, g, residual, GP_COMPUTE_W_FFN_NORM);
        int down = gpg_ffn_fused_up(c, g, cur, gpg_layer_n_ff(m, il), c->T);
        inpL = gpg_op_like(g, 1, residual, residual, down, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
