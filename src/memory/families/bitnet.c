/*
 * bitnet.c - BitNet b1.58 (llama.cpp's src/models/bitnet.cpp): the llama
 * layer with one more RMS norm inside each branch, before its last
 * projection: on the attention's heads before the output projection
 * (attn_sub_norm) and on the SwiGLU product before the down projection
 * (ffn_sub_norm, of the FFN's width). The logits read the token embeddings
 * themselves.
 */
#include "memory/families/family.h"

/* gate, up, SwiGLU, the sub-norm, down */
static int sub_norm_ffn(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T)
{
    int gate = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, gate, GP_COMPUTE_W_FFN_GATE, GPG_OP_MM);
    int up = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, up, GP_COMPUTE_W_FFN_UP, GPG_OP_MM);
    int act = gpg_op(g, 0, GPG_F32, n_ff, T, 1, 1, gate, up, GPG_NONE);   /* swiglu */
    act = gpg_rms_mul(c, g, act, GP_COMPUTE_W_FFN_SUB_NORM);
    int down = gpg_op(g, 0, GPG_F32, c->m->n_embd, T, 1, 1, act, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, down, GP_COMPUTE_W_FFN_DOWN, GPG_OP_MM);
    return down;
}

int gpg_build_bitnet(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {.no_wo = 1};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn_vrot(c, g, gpg_attn(c, g, cur, il, &attn), il);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_SUB_NORM);
        cur = gpg_attn_wo(c, g, cur);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        cur = sub_norm_ffn(c, g, cur, gpg_layer_n_ff(m, il), c->T);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
