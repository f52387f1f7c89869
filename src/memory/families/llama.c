/*
 * llama.c - the llama-style decoder (llama.cpp's src/models/llama.cpp, and
 * the qwen2/qwen3/mistral/granite-like architectures built the same way):
 * norm -> attention -> add -> norm -> dense FFN or routed experts -> add
 * (qwen3vl: then the layer's deepstack slice of the input embeddings).
 */
#include "memory/families/family.h"

/* Arctic (src/models/arctic.cpp): the routed experts read the layer's input
 * (ffn_norm_exps), a dense FFN of the embedding's width the attention's
 * residual; both are added. ggml reaches the experts first, from the
 * layer's last add, and the attention's output projection after them. */
static int arctic_layer(gpg_ctx *c, gpg_graph *g, int inpL, uint32_t il)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    const int last = il == m->n_layer - 1;
    int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
    int kqv = gpg_attn_core(c, g, gpg_attn_qkv(c, g, cur, il, &attn), il, &attn);
    int inpSA = inpL;
    if (last) {
        inpSA = gpg_rows(c, g, inpSA);
        c->T = c->n_out;
    }
    int moe = gpg_ffn_moe(c, g, gpg_block_norm(c, g, inpSA, GP_COMPUTE_W_FFN_NORM), c->T, NULL);
    int out = gpg_attn_out(c, g, kqv, il);
    if (last)
        out = gpg_rows(c, g, out);
    int ffn_inp = gpg_op_like(g, 1, out, out, inpSA, GPG_NONE);
    int dense = gpg_ffn_dense(c, g, gpg_block_norm(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM), m->n_embd, m->n_embd,
                              c->T, GP_COMPUTE_W_FFN_GATE);
    dense = gpg_op_like(g, 1, dense, dense, ffn_inp, GPG_NONE);
    return gpg_op_like(g, 1, moe, moe, dense, GPG_NONE);
}

int gpg_build_llama(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        if (m->dense_res) {
            inpL = arctic_layer(c, g, inpL, il);
            continue;
        }
        int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        inpL = gpg_ffn_residual(c, g, cur, inpL, il);
        inpL = gpg_deepstack(c, g, inpL, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
