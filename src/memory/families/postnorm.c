/*
 * postnorm.c - OLMo 2 and EXAONE 4 (llama.cpp's src/models/olmo2.cpp and
 * exaone4.cpp): attention and FFN read the residual stream as it is, and
 * each output is normalised before it is added back. OLMo 2 normalises Q
 * and K across all heads before the reshape; EXAONE 4 per head, and its
 * full-attention layers have no rotary embedding when others slide (both
 * model flags, read by the attention block).
 */
#include "memory/families/family.h"

int gpg_build_postnorm(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int cur = gpg_attn(c, g, inpL, il, &attn);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_ffn_dense(c, g, ffn_inp, gpg_layer_n_ff(m, il), m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_POST_NORM);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
