/*
 * mamba2.c - Mamba-2 and Nemotron-H (llama.cpp's src/models/mamba2.cpp,
 * nemotron-h.cpp, nemotron-h-moe.cpp): Mamba-2 layers (graph/mamba2.c)
 * beside attention layers without rope (head_count_kv > 0, no FFN) and
 * squared-ReLU MLP or MoE layers (an FFN width, no attention).
 *
 * Where ggml puts each part decides what is alive together. A part is
 * emitted at the first explicit expand that reaches it: a Mamba-2 layer's
 * state gathers need nothing of the layers before it and land right after
 * the last expanded part (`mark`); a layer's output projection and its
 * residual (and a whole MLP layer, which expands nothing) come only when
 * the next layer reaches for its input.
 */
#include "memory/families/family.h"

int gpg_hybrid_mixer(gpg_ctx *c, gpg_graph *g, int inpL, uint32_t il, int *mark)
{
    const int rec = gpg_layer_rec(c->m, il);
    /* Mamba-1 mixers have no groups (Mamba, Jamba) */
    const int v1 = c->m->ssm_groups == 0;
    gpg_mamba2 mix = {0};
    if (rec) {
        int n0 = g->nnode;
        if (v1)
            gpg_mamba1_states(c, g, &mix);
        else
            gpg_mamba2_states(c, g, &mix);
        gpg_hoist(g, n0, *mark);
    }
    int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
    if (rec) {
        if (v1)
            gpg_mamba1_mixer(c, g, cur, &mix);
        else
            gpg_mamba2_mixer(c, g, cur, &mix);
        *mark = g->nnode;
        return v1 ? gpg_mamba1_out(c, g, &mix) : gpg_mamba2_out(c, g, &mix);
    }
    const gpg_attn_opts attn = {0};
    int q = gpg_attn_qkv(c, g, cur, il, &attn);
    int out = gpg_attn_core(c, g, q, il, &attn);
    *mark = g->nnode;
    return gpg_attn_out(c, g, out, il);
}

int gpg_build_mamba2(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_moe_opts moe = {.relu2 = 1};
    int inpL = gpg_token_embd(c, g);
    int mark = g->nnode;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur;
        if (gpg_layer_rec(m, il) || gpg_layer_n_ff(m, il) == 0) {
            cur = gpg_hybrid_mixer(c, g, inpL, il, &mark);
        } else if (m->n_expert > 0) {
            cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
            int routed = gpg_ffn_moe(c, g, cur, c->T, &moe);
            mark = g->nnode;
            int shared = gpg_ffn_relu2(c, g, cur, m->n_ff_shexp, c->T, GP_COMPUTE_W_FFN_UP_SHEXP,
                                       GP_COMPUTE_W_FFN_DOWN_SHEXP);
            cur = gpg_op_like(g, 1, routed, routed, shared, GPG_NONE);
        } else {
            cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
            cur = gpg_ffn_relu2(c, g, cur, gpg_layer_n_ff(m, il), c->T, GP_COMPUTE_W_FFN_UP,
                                GP_COMPUTE_W_FFN_DOWN);
        }
        if (il == m->n_layer - 1 && !m->rows_after_norm)
            gpg_output_rows(c, g, &cur, &inpL);
        inpL = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
    }
    if (!m->rows_after_norm) {
        gpg_logits(c, g, inpL);
        return g->err ? -1 : 0;
    }
    gpg_logits_after_norm(c, g, inpL);
    return g->err ? -1 : 0;
}
