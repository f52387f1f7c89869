/*
 * gemma3.c - Gemma 3 (llama.cpp's src/models/gemma3.cpp): scaled token
 * embeddings, Q scaled after rope, norms after attention and after the FFN,
 * GEGLU, interleaved sliding-window layers with a cache of their own.
 */
#include "memory/families/family.h"

int gpg_build_gemma3(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {.k_before_v = 1, .q_scale = 1};
    int inpL = gpg_token_embd(c, g);   /* scaled by sqrt(n_embd) */
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        int ffn = gpg_ffn_layer(c, g, cur, il, c->T);
        ffn = gpg_rms_mul(c, g, ffn, GP_COMPUTE_W_FFN_POST_NORM);
        inpL = gpg_op_like(g, 1, ffn, ffn, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
