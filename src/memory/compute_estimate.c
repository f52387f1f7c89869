#include "memory/compute_estimate.h"

#include <string.h>

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

void gp_compute_estimate(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                         const gp_devices *d, const gp_placement *pl, uint64_t *per_device)
{
    (void)p;
    const gp_hparams *hp = &m->hp;
    uint64_t ub = c->n_ubatch, n_out = ub < c->n_outputs_max ? ub : c->n_outputs_max;
    uint64_t embd = hp->n_embd * ub * 4;
    uint64_t n_kv = c->n_ctx_seq;
    /* Inputs kept for the whole graph: embeddings, positions, the mask. */
    uint64_t inputs = embd + ub * 4 + n_kv * ub * (c->flash_attn ? 2 : 4);
    uint64_t residual = 2 * embd;
    for (uint32_t dev = 0; dev < d->n; dev++) {
        uint64_t phase = 0;
        bool has_layers = false;
        for (uint32_t il = 0; il < hp->n_layer; il++) {
            if (pl->layer_dev[il] != (int32_t)dev)
                continue;
            has_layers = true;
            const gp_layer *l = &m->layers[il];
            uint64_t hd = hp->head_dim_k ? hp->head_dim_k : 1;
            if (l->kind == GP_LAYER_RECURRENT) {
                /* Input projection, convolution window and scan output. */
                uint64_t inner = hp->ssm_d_inner ? hp->ssm_d_inner : 2 * hp->n_embd;
                uint64_t xbc = inner + 2ull * hp->ssm_n_group * hp->ssm_d_state;
                uint64_t proj = (2 * inner + 2ull * hp->ssm_n_group * hp->ssm_d_state + l->n_head) * ub * 4;
                uint64_t conv = ((hp->ssm_d_conv ? hp->ssm_d_conv - 1 : 3) + ub) * xbc * 4;
                phase = max64(phase, proj + conv + inner * ub * 4 + (hp->n_embd_s ? hp->n_embd_s * 4 : 0));
            } else {
                uint64_t qkv = ((uint64_t)l->n_head * hd + 2ull * l->n_head_kv * hd) * ub * 4;
                uint64_t scores = c->flash_attn ? 0 : n_kv * ub * l->n_head * 4;
                phase = max64(phase, qkv + scores + embd);
            }
            uint64_t ffn;
            if (l->has_experts && hp->n_expert_used)
                ffn = (3ull * (l->n_ff_exp ? l->n_ff_exp : hp->n_ff_exp) + hp->n_embd) * hp->n_expert_used * ub * 4;
            else
                ffn = 3ull * l->n_ff * ub * 4;
            phase = max64(phase, ffn);
        }
        bool has_output = pl->output_dev == (int32_t)dev;
        if (has_output)
            phase = max64(phase, (hp->n_vocab + hp->n_embd) * n_out * 4);
        uint64_t bytes;
        if (has_layers || has_output)
            bytes = inputs + residual + phase;
        else if (dev == 0)
            bytes = 2 * embd; /* the embedding lookup */
        else
            bytes = 0;
        per_device[dev] = bytes + bytes / 100 * 15;
    }
}
