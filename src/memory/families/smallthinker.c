/*
 * smallthinker.c - SmallThinker (llama.cpp's src/models/smallthinker.cpp):
 * the llama-style layer whose router reads the layer's input before its
 * norm, so the expert choice does not wait for attention; routed experts
 * only (ReGLU), their weights renormalised. Sliding layers (three in four)
 * keep rope, the full-attention layers go without.
 *
 * ggml reaches the router's choice first, as llama.cpp expands it early in
 * its MoE block; attention's output projection, the residual add and the
 * FFN norm only through the experts' input after it.
 */
#include "memory/families/family.h"

int gpg_build_smallthinker(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        const int last = il == m->n_layer - 1;
        int inpSA = inpL;
        int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int kqv = gpg_attn_core(c, g, gpg_attn_qkv(c, g, cur, il, &attn), il, &attn);
        int logits = gpg_op(g, 0, GPG_F32, m->n_expert, c->T, 1, 1, inpL, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, logits, GP_COMPUTE_W_FFN_ROUTER, GPG_OP_MM);
        if (last)
            logits = gpg_op(g, 0, GPG_F32, m->n_expert, c->n_out, 1, 1, logits, c->out_ids, GPG_NONE);
        const gpg_moe_opts moe = {.logits = &logits};
        gpg_moe_choice choice;
        gpg_moe_route(c, g, GPG_NONE, last ? c->n_out : c->T, &moe, &choice);
        cur = gpg_attn_out(c, g, kqv, il);
        if (last)
            gpg_output_rows(c, g, &cur, &inpSA);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_block_norm(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        cur = gpg_moe_experts(c, g, cur, c->T, &moe, &choice);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
