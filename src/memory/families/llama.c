/*
 * llama.c - the llama-style decoder (llama.cpp's src/models/llama.cpp, and
 * the qwen2/qwen3/mistral/granite-like architectures built the same way):
 * norm -> attention -> add -> norm -> dense FFN or routed experts -> add
 * (qwen3vl: then the layer's deepstack slice of the input embeddings).
 */
#include "memory/families/family.h"

int gpg_build_llama(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        inpL = gpg_ffn_residual(c, g, cur, inpL, il);
        inpL = gpg_deepstack(c, g, inpL, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
