/*
 * qwen3next.c - Qwen3-Next and Qwen3.5-MoE (llama.cpp's
 * src/models/qwen3next.cpp, qwen35moe.cpp): three gated delta net layers
 * (graph/deltanet.c) for every gated attention layer, whose Q projection
 * interleaves a per-head gate applied to the attention output before wo;
 * then the post-attention norm, routed experts and a sigmoid-gated shared
 * expert. No layer gathers the output rows: the final norm's full output is
 * a graph output, and the rows are gathered after it.
 */
#include "memory/families/family.h"

int gpg_build_qwen3next(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const int64_t hk = m->head_dim_k, nh = m->n_head;
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        if (gpg_layer_rec(m, il)) {
            cur = gpg_delta_net(c, g, cur);
        } else {
            int full = GPG_NONE;
            const gpg_attn_opts attn = {.q_gate = 1, .q_full = &full};
            int q = gpg_attn_qkv(c, g, cur, il, &attn);
            int out = gpg_attn_vrot(c, g, gpg_attn_core(c, g, q, il, &attn), il);
            if (full < 0) return -1;
            gpg_tensor fs = g->t[full];
            int gate = gpg_view(g, full, hk, nh, c->T, 1, fs.nb[1], fs.nb[2], fs.nb[3], 0);
            gate = gpg_op(g, 0, GPG_F32, hk * nh, c->T, 1, 1, gate, GPG_NONE, GPG_NONE); /* cont */
            gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);                  /* sigmoid */
            out = gpg_op_like(g, 1, out, out, gate, GPG_NONE);
            cur = gpg_attn_wo(c, g, out);
        }
        int res = gpg_op_like(g, 1, cur, cur, inpL, GPG_NONE);
        cur = gpg_rms_mul(c, g, res, GP_COMPUTE_W_ATTN_POST_NORM);
        cur = gpg_ffn_layer(c, g, cur, il, c->T);
        inpL = gpg_op_like(g, 1, cur, cur, res, GPG_NONE);
    }
    gpg_logits_after_norm(c, g, inpL);
    return g->err ? -1 : 0;
}
