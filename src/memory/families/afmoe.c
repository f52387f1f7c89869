/*
 * afmoe.c - Trinity (llama.cpp's src/models/afmoe.cpp): the token
 * embeddings scaled (an arch rule, in gpg_token_embd); per layer a norm
 * before and after attention and before and after the FFN, per-head Q/K
 * norms, rope on all but every fourth layer (an arch rule), and the
 * attention's output gated by a sigmoid of the attention input's own
 * projection before the output projection. The last layer gathers its
 * output rows after the attention's post norm. The FFN is dense on the
 * lead layers, else routed experts with the shared expert added. Muse
 * Glimmer's layer is the same (gpg_build_gated_postnorm).
 */
#include "memory/families/family.h"

int gpg_build_gated_postnorm(gpg_ctx *c, gpg_graph *g, bool embd_rms_norm)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    if (embd_rms_norm)
        inpL = gpg_op_like(g, 1, inpL, inpL, GPG_NONE, GPG_NONE);   /* rms_norm, no weight */
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int x = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int q = gpg_attn_qkv(c, g, x, il, &attn);
        int cur = gpg_attn_vrot(c, g, gpg_attn_core(c, g, q, il, &attn), il);
        int gate = gpg_op(g, 0, GPG_F32, m->head_dim_k * gpg_layer_n_head(m, il), c->T, 1, 1, x,
                          GPG_NONE, GPG_NONE);
        gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);      /* sigmoid */
        cur = gpg_op_like(g, 1, cur, cur, gate, GPG_NONE);
        cur = gpg_attn_wo(c, g, cur);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
        if (il == m->n_layer - 1)
            gpg_output_rows(c, g, &cur, &inpSA);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        cur = gpg_ffn_layer(c, g, cur, il, c->T);
        cur = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_POST_NORM);
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}

int gpg_build_afmoe(gpg_ctx *c, gpg_graph *g)
{
    return gpg_build_gated_postnorm(c, g, false);
}
