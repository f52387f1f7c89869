/*
 * deepseek32.c - DeepSeek-V3.2 (llama.cpp's src/models/deepseek32.cpp):
 * deepseek2's latent attention and experts, with DeepSeek sparse attention
 * (graph/dsa.c). Each layer first stores the indexer's keys, then builds
 * the normed Q down-projection that both the indexer and attention read;
 * the attention's mask is rebuilt from the indexer's top-k when attention
 * first needs it. glm-dsa is built the same way; from GLM-5.2 on, most of
 * its layers reuse the top-k of the last layer that ran the indexer.
 */
#include "memory/families/family.h"

int gpg_build_deepseek32(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        if (!gpg_layer_idx_shared(m, il))   /* GLM-5.2's shared layers index nothing */
            gpg_dsa_index_k(c, g, cur);
        int qr = gpg_op(g, 0, GPG_F32, m->q_lora_rank, c->T, 1, 1, cur, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, qr, GP_COMPUTE_W_ATTN_Q_A, GPG_OP_MM);
        qr = gpg_rms_mul(c, g, qr, GP_COMPUTE_W_ATTN_Q_A_NORM);
        gpg_dsa_mask_arg mask = {.qr = qr, .x = cur};
        const gpg_mla_opts mla = {.qr = qr, .mask = gpg_dsa_mask, .mask_arg = &mask};
        cur = gpg_attn_mla(c, g, cur, &mla);
        inpL = gpg_ffn_residual(c, g, cur, inpL, il);
    }
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
