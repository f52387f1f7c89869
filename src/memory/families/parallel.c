/*
 * parallel.c - attention and the FFN side by side (llama.cpp's
 * src/models/falcon.cpp, and gptneox.cpp with use_parallel_residual): both
 * read the layer's input, and both outputs are added to it. Falcon's FFN
 * reads the attention's LayerNorm; GPT-NeoX's has a LayerNorm of its own.
 *
 * Node order is ggml's expansion order from the layer's last add: the
 * attention up to its values is expanded when it is built, then the FFN
 * branch, then the output projection. In the last layer the output rows
 * are gathered from each branch's input before it runs, from the attention
 * after its projection.
 */
#include "memory/families/family.h"

/* The attention up to its values, from the layer's normed input (*norm) */
static int attend(gpg_ctx *c, gpg_graph *g, int inpL, uint32_t il, int *norm)
{
    const gpg_attn_opts attn = {0};
    *norm = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
    return gpg_attn_core(c, g, gpg_attn_qkv(c, g, *norm, il, &attn), il, &attn);
}

/* The attention's output projection, on the output rows in the last layer */
static int attn_out(gpg_ctx *c, gpg_graph *g, int kqv, uint32_t il, int last)
{
    int out = gpg_attn_out(c, g, kqv, il);
    return last ? gpg_rows(c, g, out) : out;
}

/* Falcon: out = ffn(norm) + attn + inpL */
static int falcon_layer(gpg_ctx *c, gpg_graph *g, int inpL, uint32_t il, int last)
{
    int norm;
    int kqv = attend(c, g, inpL, il, &norm);
    if (last) {
        norm = gpg_rows(c, g, norm);
        c->T = c->n_out;
    }
    int cur = gpg_ffn_layer(c, g, norm, il, c->T);
    cur = gpg_op_like(g, 1, cur, cur, attn_out(c, g, kqv, il, last), GPG_NONE);
    if (last)
        inpL = gpg_rows(c, g, inpL);
    return gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
}

/* GPT-NeoX: out = ffn(ffn_norm(inpL)) + inpL + attn */
static int neox_layer(gpg_ctx *c, gpg_graph *g, int inpL, uint32_t il, int last)
{
    int norm;
    int kqv = attend(c, g, inpL, il, &norm);
    if (last) {
        inpL = gpg_rows(c, g, inpL);
        c->T = c->n_out;
    }
    int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_FFN_NORM);
    cur = gpg_ffn_layer(c, g, cur, il, c->T);
    cur = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
    return gpg_op_like(g, 1, cur, cur, attn_out(c, g, kqv, il, last), GPG_NONE);
}

int gpg_build_parallel(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        const int last = il == m->n_layer - 1;
        inpL = m->parallel_ffn_norm ? neox_layer(c, g, inpL, il, last) : falcon_layer(c, g, inpL, il, last);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
