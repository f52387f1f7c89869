/*
 * grovemoe.c - GroveMoE (llama.cpp's src/models/grovemoe.cpp): qwen3moe's
 * layer (per-head Q/K norms, routed experts only) with one router whose
 * logits feed two expert blocks. The routed experts are picked by a sigmoid
 * of the logits and weighted by their soft-max; then the adjugate experts,
 * one per group of routed ones, run on the routed experts' output (as
 * llama.cpp builds it), each token's choice divided down to its groups.
 * Their output, scaled, is added to the routed one.
 */
#include "memory/families/family.h"

int gpg_build_grovemoe(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int cur = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_block_norm(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        /* one router for both blocks: each soft-maxes and picks on its own */
        int logits = gpg_op(g, 0, GPG_F32, m->n_expert, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, logits, GP_COMPUTE_W_FFN_ROUTER, GPG_OP_MM);
        const gpg_moe_opts routed = {.logits = &logits, .sigmoid_select = 1};
        const gpg_moe_opts adjugate = {.logits = &logits, .sigmoid_select = 1, .adjugate = 1};
        int moe = gpg_ffn_moe(c, g, cur, c->T, &routed);
        int adj = gpg_ffn_moe(c, g, moe, c->T, &adjugate);
        adj = gpg_op_like(g, 1, adj, adj, GPG_NONE, GPG_NONE);            /* scale */
        moe = gpg_op_like(g, 1, moe, moe, adj, GPG_NONE);
        inpL = gpg_op_like(g, 1, moe, moe, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
