/*
 * cohere.c - Command R and Command R7B / Command A (llama.cpp's
 * src/models/command-r.cpp and cohere2.cpp): one LayerNorm feeds attention
 * and the FFN side by side, and both outputs are added to the residual
 * (FFN first, so ggml expands the FFN before the output projection; the
 * attention itself comes first, expanded when it is built). The last
 * layer's FFN runs on the output rows. Command R's
 * optional Q/K norms are LayerNorms per head; Command R7B's global layers
 * have no rotary embedding (an arch rule, read by the attention block). The
 * logit scale runs in place on the logits and changes no buffer.
 */
#include "memory/families/family.h"

int gpg_build_cohere(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const int64_t nd = m->n_embd;
    const gpg_attn_opts attn = {.qk_layer_norm = 1};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int ffn_inp = gpg_layer_norm(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int q = gpg_attn_qkv(c, g, ffn_inp, il, &attn);
        int attn_cur = gpg_attn_core(c, g, q, il, &attn);
        /* the layer's output adds the FFN first: ggml expands the FFN, then
           the output projection */
        if (il == m->n_layer - 1) {
            ffn_inp = gpg_rows(c, g, ffn_inp);
            c->T = c->n_out;
        }
        int cur = gpg_ffn_dense(c, g, ffn_inp, gpg_layer_n_ff(m, il), nd, c->T, GP_COMPUTE_W_FFN_GATE);
        if (il == m->n_layer - 1)
            inpL = gpg_rows(c, g, inpL);
        cur = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        int attn_out = gpg_attn_out(c, g, attn_cur, il);
        if (il == m->n_layer - 1)
            attn_out = gpg_rows(c, g, attn_out);
        inpL = gpg_op_like(g, 1, cur, cur, attn_out, GPG_NONE);
    }
    gpg_head(c, g, gpg_layer_norm(c, g, inpL, GPG_W_OUT_NORM));
    return g->err ? -1 : 0;
}
