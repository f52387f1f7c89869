/*
 * postnorm.c - OLMo 2, EXAONE 4 and GLM-4 (llama.cpp's src/models/olmo2.cpp,
 * exaone4.cpp and glm4.cpp): each output of attention and FFN is normalised
 * before it is added back; OLMo 2 and EXAONE 4 read the residual stream as
 * it is, GLM-4 norms it first too (and its FFN is one fused up projection). OLMo 2 normalises Q
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
        int cur = m->pre_norm ? gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM) : inpL;
        cur = gpg_attn(c, g, cur, il, &attn);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = m->pre_norm ? gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM) : ffn_inp;
        cur = gpg_ffn_layer(c, g, cur, il, c->T);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_POST_NORM);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
