/*
 * gpt_oss.c - gpt-oss (llama.cpp's src/models/openai-moe.cpp): attention
 * with biases and per-head sinks over an interleaved sliding-window cache,
 * the post-attention norm feeding routed experts whose router and
 * projections carry biases and whose weights are a soft-max over the chosen
 * experts' logits. Every layer runs on the whole ubatch; the output rows are
 * gathered once, after the last layer, whose output stays alive as a graph
 * output.
 */
#include "memory/families/family.h"

int gpg_build_gpt_oss(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    const gpg_moe_opts moe = {.softmax_chosen = 1};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn(c, g, cur, il, &attn);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_ATTN_POST_NORM);
        int ffn = gpg_ffn_moe(c, g, cur, c->T, &moe);
        inpL = gpg_op_like(g, 1, ffn, ffn, ffn_inp, GPG_NONE);
    }
    /* the last hidden state is a graph output (t_h_nextn): never freed */
    if (!g->err) g->t[inpL].is_output = 1;
    inpL = gpg_rows(c, g, inpL);
    c->T = c->n_out;
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
