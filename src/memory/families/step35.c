/*
 * step35.c - Step-3.5-Flash (llama.cpp's src/models/step35.cpp): the llama
 * layer (per-head Q/K norms, head counts of the layer's kind) whose
 * attention output is gated, where the model has the gate, by a sigmoid of
 * one value a head projected from the attention input, before the output
 * projection. The FFN is dense on the lead layers, else routed experts with
 * the shared expert added. No layer gathers the output rows: the last
 * layer's output, the next-token head's input, stays a graph output, and
 * the rows are gathered from it before the final norm.
 */
#include "memory/families/family.h"

int gpg_build_step35(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int x = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int q = gpg_attn_qkv(c, g, x, il, &attn);
        int cur = gpg_attn_vrot(c, g, gpg_attn_core(c, g, q, il, &attn), il);
        if (m->attn_gate) {
            int gate = gpg_op(g, 0, GPG_F32, gpg_layer_n_head(m, il), c->T, 1, 1, x, GPG_NONE, GPG_NONE);
            gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
            gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);      /* sigmoid */
            cur = gpg_op_like(g, 1, cur, cur, gate, GPG_NONE);
        }
        cur = gpg_attn_wo(c, g, cur);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        cur = gpg_ffn_layer(c, g, gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM), il, c->T);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    c->il = m->n_layer;
    if (!g->err)
        g->t[inpL].is_output = 1;   /* t_h_nextn */
    int rows = gpg_rows(c, g, inpL);
    c->T = c->n_out;
    gpg_logits(c, g, rows);
    return g->err ? -1 : 0;
}
