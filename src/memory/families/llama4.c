/*
 * llama4.c - Llama 4 Scout and Maverick (llama.cpp's src/models/llama4.cpp).
 * Three layers in four attend within chunks of 8192 positions with rope and
 * an L2 norm (an RMS norm without weight) on Q and K after it; the fourth
 * attends to everything without rope, its Q multiplied by the attention
 * temperature input. The iswa cache expands Q, K, V in that order. Experts
 * are chosen on the raw router logits; the input is repeated per chosen
 * expert and weighted by the sigmoid before the experts run; a shared
 * expert runs beside them. Maverick (128 experts) routes every other layer
 * and has no L2 norm.
 */
#include "memory/families/family.h"

int gpg_build_llama4(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {.k_before_v = 1, .l2_after_rope = m->n_expert != 128, .temp_no_rope = 1};
    const gpg_moe_opts moe = {.weight_first = 1};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        int ffn = gpg_ffn_layer_opts(c, g, cur, il, c->T, &moe);
        inpL = gpg_op_like(g, 1, ffn, ffn, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
