/*
 * hy_v3.c - Hy3 (llama.cpp's src/models/hy-v3.cpp): the llama-style layer
 * with per-head Q/K norms before rope, a dense FFN on the leading layers and
 * sigmoid-routed experts beside a shared one on the others. No layer
 * gathers the output rows: the last layer and the final norm run over the
 * whole ubatch, the norm stays a graph output (the hidden state a
 * next-token head reads) and the rows are gathered after it, as llama.cpp
 * builds the graph unless its next-token embeddings are masked to the
 * output rows (speculative decoding's draft context only).
 */
#include "memory/families/family.h"

int gpg_build_hy_v3(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        cur = gpg_block_norm(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        cur = gpg_ffn_layer(c, g, cur, il, c->T);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits_after_norm(c, g, inpL);
    return g->err ? -1 : 0;
}
