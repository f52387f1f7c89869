/*
 * lfm2.c - LFM2 and LFM2-MoE (llama.cpp's src/models/lfm2.cpp): short
 * convolution layers mixed with attention layers. Where ggml's expansion
 * puts the small state gathers decides which tensors sit under the peak:
 * the conv state of recurrent layer j is gathered right after the last
 * expanded tensor of layer j-1 (its attention output, or its state
 * write-back), and in the last layer the residual rows are gathered before
 * the branch's.
 */
#include "memory/families/family.h"

int gpg_build_lfm2(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const int64_t nd = m->n_embd;
    int inpL = gpg_token_embd(c, g);
    int state = GPG_NONE;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        const int last = il == m->n_layer - 1;
        const int next_rec = il + 1 < m->n_layer && gpg_layer_rec(m, il + 1);
        c->il = il;
        int inpSA = inpL;
        if (gpg_layer_rec(m, il) && state == GPG_NONE)
            state = gpg_conv_state_fetch(c, g, il);
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        if (gpg_layer_rec(m, il)) {
            int c_gate = GPG_NONE, next = GPG_NONE;
            int cat = gpg_shortconv_a(c, g, cur, state, next_rec, &c_gate, &next);
            state = next;
            if (last)
                inpSA = gpg_rows(c, g, inpSA);
            cur = gpg_shortconv_b(c, g, cat, c_gate);
            if (last)
                cur = gpg_rows(c, g, cur);
        } else {
            const gpg_attn_opts attn = {.no_wo = last, .fetch_state = next_rec ? &state : NULL};
            cur = gpg_attn(c, g, cur, il, &attn);
            if (last) {
                inpSA = gpg_rows(c, g, inpSA);
                cur = gpg_op(g, 0, GPG_F32, nd, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);   /* wo */
                gpg_weight(c, g, cur, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
                cur = gpg_rows(c, g, cur);
            }
        }
        if (last)
            c->T = c->n_out;
        int ffn_inp = gpg_op_like(g, 1, inpSA, inpSA, cur, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        int ffn = gpg_ffn_layer(c, g, cur, il, c->T);
        inpL = gpg_op_like(g, 1, ffn_inp, ffn_inp, ffn, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
