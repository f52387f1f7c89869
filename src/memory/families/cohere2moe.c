/*
 * cohere2moe.c - Cohere2 MoE (llama.cpp's src/models/cohere2moe.cpp): one
 * norm feeds attention and the FFN side by side; the FFN is the dense one
 * on the lead layers, else routed experts with the shared expert added and
 * the sum halved (ggml_scale, which may reuse its input). The layer's output
 * adds the FFN to the residual, then the attention's projection (ggml
 * expands the FFN before wo, as in Cohere2). No layer gathers the output
 * rows: the last one runs on every token, and the final norm over the whole
 * ubatch stays an output (the next-token head's input) before the rows are
 * gathered. Rope on the sliding and the dense lead layers (arch rules).
 */
#include "memory/families/family.h"

int gpg_build_cohere2moe(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int ffn_inp = gpg_block_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int attn_cur = gpg_attn_core(c, g, gpg_attn_qkv(c, g, ffn_inp, il, &attn), il, &attn);
        int cur = gpg_ffn_layer(c, g, ffn_inp, il, c->T);
        if (gpg_layer_moe(m, il) && m->n_ff_shexp > 0)
            cur = gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);   /* the average's halving */
        cur = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        int attn_out = gpg_attn_out(c, g, attn_cur, il);
        inpL = gpg_op_like(g, 1, cur, cur, attn_out, GPG_NONE);
    }
    gpg_logits_after_norm(c, g, inpL);
    return g->err ? -1 : 0;
}
