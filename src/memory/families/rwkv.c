/*
 * rwkv.c - RWKV-6 and RWKV-7 (llama.cpp's src/models/rwkv6.cpp, rwkv7.cpp)
 * and their hybrids with a Qwen-style FFN, QRWKV-6 and ARWKV-7
 * (rwkv6qwen2.cpp, arwkv7.cpp).
 *
 * RWKV: the embeddings LayerNormed by the first layer, then per layer a
 * time mix and a channel mix (graph/rwkv.c), each after a LayerNorm and
 * added to the residual. The hybrids: an RMS norm, the time mix, an RMS
 * norm and a gated FFN, one saved token per layer. Either way a layer's
 * state gathers come before the last part of the layer ahead of it, which
 * its time mix reaches through its input; the embeddings' lookup comes
 * before everything.
 */
#include "memory/families/family.h"

static int build_rwkv(gpg_ctx *c, gpg_graph *g, int version, int hybrid)
{
    const gp_compute_model *m = c->m;
    gpg_rwkv prev = {0}, cur = {0};
    int v_first = GPG_NONE;
    /* the embeddings' lookup is expanded when it is built, before the
       first layer's gathers */
    int embd = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        gpg_rwkv_states(c, g, &cur);
        gpg_rwkv_att_shift(c, g, &cur);
        int inpL;
        if (il == 0) {
            inpL = hybrid ? embd : gpg_block_norm(c, g, embd, GP_COMPUTE_W_TOKEN_EMBD_NORM);
        } else {
            c->il = il - 1;
            inpL = hybrid ? gpg_rwkv_ffn_layer(c, g, &prev, 0, version)
                          : gpg_rwkv_channel_mix(c, g, &prev, 0, version);
            c->il = il;
        }
        int sx = gpg_rwkv_att_norm(c, g, &cur, inpL);
        if (version == 6)
            gpg_rwkv6_time_mix(c, g, &cur, sx);
        else
            gpg_rwkv7_time_mix(c, g, &cur, sx, &v_first);
        if (hybrid)
            gpg_rwkv_shift_store(c, g, &cur);
        else
            gpg_rwkv_time_mix_out(c, g, &cur, version);
        prev = cur;
    }
    c->il = m->n_layer - 1;
    int out = hybrid ? gpg_rwkv_ffn_layer(c, g, &prev, 1, version)
                     : gpg_rwkv_channel_mix(c, g, &prev, 1, version);
    gpg_logits(c, g, out);
    return g->err ? -1 : 0;
}

int gpg_build_rwkv6(gpg_ctx *c, gpg_graph *g)
{
    return build_rwkv(c, g, 6, 0);
}

int gpg_build_rwkv7(gpg_ctx *c, gpg_graph *g)
{
    return build_rwkv(c, g, 7, 0);
}

int gpg_build_rwkv6qwen2(gpg_ctx *c, gpg_graph *g)
{
    return build_rwkv(c, g, 6, 1);
}

int gpg_build_arwkv7(gpg_ctx *c, gpg_graph *g)
{
    return build_rwkv(c, g, 7, 1);
}
