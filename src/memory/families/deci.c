/*
 * deci.c - DeciLM / Nemotron NAS (llama.cpp's src/models/deci.cpp): the
 * llama layer, each with its own heads, KV heads and FFN width. A layer
 * without heads has no attention: its FFN reads the residual itself, with
 * no add before it. A layer with heads but no KV heads replaces attention
 * with one projection (attn_output) of the normed input. A layer without
 * an FFN width ends after attention and its output goes nowhere: as in
 * llama.cpp, the next layer reads this layer's input.
 */
#include "memory/families/family.h"

/* the layer's own head count, zero included (gpg_layer_n_head reads a zero
   as "the model's") */
static uint32_t own_n_head(const gp_compute_model *m, uint32_t il)
{
    return m->layer_no_heads && m->layer_no_heads[il] ? 0 : gpg_layer_n_head(m, il);
}

int gpg_build_deci(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        const uint32_t n_head = own_n_head(m, il);
        int inpSA = inpL, cur = inpL;
        if (n_head > 0)
            cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        if (n_head > 0 && gpg_layer_n_head_kv(m, il) == 0) {
            int lin = gpg_op(g, 0, GPG_F32, m->n_embd, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);
            gpg_weight(c, g, lin, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
            cur = lin;
        } else if (n_head > 0) {
            cur = gpg_attn(c, g, cur, il, &attn);
        }
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        const uint32_t n_ff = gpg_layer_n_ff(m, il);
        if (n_ff == 0)
            continue;
        int ffn_inp = n_head > 0 ? gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE) : cur;
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        cur = gpg_ffn_dense(c, g, cur, n_ff, m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
