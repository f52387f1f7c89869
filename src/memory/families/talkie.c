/*
 * talkie.c - Talkie (llama.cpp's src/models/talkie.cpp): a llama-style
 * layer with no norm weights (every block norm is a bare RMS norm), rope
 * before the per-head Q/K norms, of which only Q's has a gain (one a head),
 * and a skip from the input: the token embeddings, RMS-normed, are scaled
 * by each layer's layer_output_scale and added to its output. The normed
 * embeddings therefore live until the last layer, whose gather of their
 * output rows ggml reaches only after the FFN. The logits' scale runs in
 * place on them: no tensor of its own.
 */
#include "memory/families/family.h"

/* RMS norm without a weight (in place where ggml-alloc allows it) */
static int bare_norm(gpg_graph *g, int x)
{
    return gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);
}

int gpg_build_talkie(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn = {.k_norm_plain = 1};
    int embd_skip = bare_norm(g, gpg_token_embd(c, g));
    int inpL = embd_skip;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        const int last = il == m->n_layer - 1;
        int inpSA = inpL;
        int cur = gpg_attn(c, g, bare_norm(g, inpL), il, &attn);
        if (last)
            gpg_output_rows(c, g, &cur, &inpSA);
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_ffn_dense(c, g, bare_norm(g, ffn_inp), gpg_layer_n_ff(m, il), m->n_embd, c->T,
                            GP_COMPUTE_W_FFN_GATE);
        cur = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
        int skip = last ? gpg_rows(c, g, embd_skip) : embd_skip;
        skip = gpg_op_like(g, 1, skip, skip, GPG_NONE, GPG_NONE);   /* times the layer's scale */
        gpg_weight(c, g, skip, GP_COMPUTE_W_LAYER_OUT_SCALE, GPG_OP_OTHER);
        inpL = gpg_op_like(g, 1, cur, cur, skip, GPG_NONE);
    }
    c->il = m->n_layer;
    gpg_head(c, g, bare_norm(g, inpL));
    return g->err ? -1 : 0;
}
