/*
 * kimi_linear.c - Kimi Linear (llama.cpp's src/models/kimi-linear.cpp):
 * Kimi Delta Attention layers (graph/kda.c) beside latent attention layers
 * without rope, each after an RMS norm and followed by deepseek2's FFN
 * (a dense lead layer, then routed experts beside a shared expert).
 */
#include "memory/families/family.h"

int gpg_build_kimi_linear(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_mla_opts mla = {.qr = GPG_NONE, .nope = 1};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_layer_rec(m, il) ? gpg_kda(c, g, cur) : gpg_attn_mla(c, g, cur, &mla);
        inpL = gpg_ffn_residual(c, g, cur, inpL, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
