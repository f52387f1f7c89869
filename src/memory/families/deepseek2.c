/*
 * deepseek2.c - DeepSeek-V2/V3/R1, Kimi K2 and the other MLA models
 * (llama.cpp's src/models/deepseek2.cpp): latent attention in its absorbed
 * form, dense lead layers, then routed plus shared experts.
 */
#include "memory/families/family.h"

int gpg_build_deepseek2(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn_mla(c, g, cur, NULL);
        inpL = gpg_ffn_residual(c, g, cur, inpL, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
