/*
 * laguna.c - Laguna (llama.cpp's src/models/laguna.cpp): the llama-style
 * layer with per-head Q/K norms, a dense FFN on the leading layers and
 * sigmoid-routed experts beside a shared one on the others. The attention
 * output is gated before the output projection by a softplus of the gate's
 * own projection of the attention's input: one value a head, broadcast
 * over the head (XS.2), or one a value (M.1).
 *
 * A model with sliding layers builds the sliding-window attention input,
 * whose attention expands K's cache store before V's. ggml reaches the gate
 * after the attention itself, through the gated heads.
 */
#include "memory/families/family.h"

int gpg_build_laguna(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {.k_before_v = gpg_any_swa(m)};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int x = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int q = gpg_attn_qkv(c, g, x, il, &attn);
        int cur = gpg_attn_vrot(c, g, gpg_attn_core(c, g, q, il, &attn), il);
        const int64_t nh = gpg_layer_n_head(m, il), hv = m->head_dim_v;
        int gate = gpg_op(g, 0, GPG_F32, m->attn_gate_per_head ? nh : hv * nh, c->T, 1, 1, x,
                          GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);      /* softplus */
        if (m->attn_gate_per_head) {
            /* [head_dim, heads, T] times [1, heads, T] */
            int heads = gpg_reshape(g, cur, hv, nh, c->T, 1);
            gate = gpg_reshape(g, gate, 1, nh, c->T, 1);
            cur = gpg_op_like(g, 1, heads, heads, gate, GPG_NONE);
            cur = gpg_reshape(g, cur, hv * nh, c->T, 1, 1);
        } else {
            cur = gpg_op_like(g, 1, cur, cur, gate, GPG_NONE);
        }
        cur = gpg_attn_wo(c, g, cur);
        inpL = gpg_ffn_residual(c, g, cur, inpSA, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
