/*
 * falcon_h1.c - Falcon-H1 (llama.cpp's src/models/falcon-h1.cpp): every
 * layer runs attention (NEOX rope) and a Mamba-2 mixer side by side on the
 * same input, normed twice by the same weight, sums them into the residual,
 * then a pre-normed SwiGLU FFN. The multipliers are folded into the
 * weights at conversion, so no node scales anything.
 *
 * Attention's output is expanded first; the mixer's state gathers and its
 * second norm follow it directly. The output projection, the mixer's
 * output and the FFN wait for the next layer's attention to reach them.
 */
#include "memory/families/family.h"

int gpg_build_falcon_h1(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        const gpg_attn_opts attn = {0};
        int q = gpg_attn_qkv(c, g, cur, il, &attn);
        int att = gpg_attn_core(c, g, q, il, &attn);
        gpg_mamba2 mix = {0};
        gpg_mamba2_states(c, g, &mix);
        int ssm_in = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        gpg_mamba2_mixer(c, g, ssm_in, &mix);
        int wo = gpg_attn_out(c, g, att, il);
        int ssm = gpg_mamba2_out(c, g, &mix);
        cur = gpg_op_like(g, 1, wo, wo, ssm, GPG_NONE);
        cur = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        if (il == m->n_layer - 1) {
            cur = gpg_rows(c, g, cur);
            c->T = c->n_out;
        }
        int x = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_NORM);
        int ffn = gpg_ffn_dense(c, g, x, gpg_layer_n_ff(m, il), m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE);
        inpL = gpg_op_like(g, 1, ffn, ffn, cur, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
