#include "plan/speed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/kv.h"

void gp_speed_device_defaults(const gp_device *dev, gp_speed_device *s)
{
    memset(s, 0, sizeof *s);
    switch (dev->kind) {
    case GP_DEV_CPU:
        /* A dual-channel DDR5 desktop when the bandwidth was not measured
         * (detection measures it). Dense decode on a CPU runs at ~94 % of the
         * streaming read bandwidth: every weight is read once per token, in
         * order, by all cores at once, which is the access pattern the probe
         * and the hardware prefetchers are best at; the few per cent lost are
         * the barrier between ops (each of the ~10 ops of a layer waits for
         * its slowest thread), the small non-matmul ops and the KV reads. */
        s->mem_bw = 80e9;
        s->flops = 1.0e12;
        s->eff_decode = 0.94;
        s->eff_prefill = 0.5;
        s->layer_cost = 4e-6;
        s->token_cost = 1e-3;
        break;
    case GP_DEV_RPC:
        s->mem_bw = 400e9;
        s->flops = 50e12;
        s->link_bw = 1.25e9;   /* 10 GbE */
        s->link_latency = 300e-6;
        s->eff_decode = 0.75;
        s->eff_prefill = 0.4;
        s->layer_cost = 10e-6;
        s->token_cost = 1e-3;
        break;
    default:
        /* A mid-range discrete GPU on PCIe 4.0 x16. */
        s->mem_bw = 500e9;
        s->flops = 80e12;
        s->link_bw = 25e9;
        s->link_latency = 10e-6;
        s->eff_decode = 0.75;
        s->eff_prefill = 0.4;
        s->layer_cost = 6e-6;
        s->token_cost = 0.3e-3;
        break;
    }
    /* What detection or the GPU table knows replaces the defaults. */
    if (dev->bandwidth_gbs > 0)
        s->mem_bw = dev->bandwidth_gbs * 1e9;
    if (dev->tflops > 0)
        s->flops = dev->tflops * 1e12;
    if (dev->kind != GP_DEV_CPU && dev->kind != GP_DEV_RPC && dev->pcie_gen && dev->pcie_width) {
        /* Usable bytes per lane and second after encoding, by generation. */
        static const double lane[] = {0, 0.25e9, 0.5e9, 0.985e9, 1.97e9, 3.94e9, 7.56e9};
        uint32_t g = dev->pcie_gen < 7 ? dev->pcie_gen : 6;
        s->link_bw = lane[g] * dev->pcie_width;
    }
}

uint32_t gp_speed_assumptions(const gp_devices *d, char (*lines)[GP_SPEED_NOTE], uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->n && n < max; i++) {
        const gp_device *dev = &d->dev[i];
        gp_speed_device sd;
        gp_speed_device_defaults(dev, &sd);
        if (dev->kind == GP_DEV_CPU) {
            if (dev->bandwidth_gbs <= 0)
                snprintf(lines[n++], GP_SPEED_NOTE,
                         "CPU memory bandwidth %.0f GB/s (not measured: give --cpu-bandwidth or GGPLACE_MEMBW)",
                         sd.mem_bw / 1e9);
            continue;
        }
        if (dev->kind == GP_DEV_RPC) {
            snprintf(lines[n++], GP_SPEED_NOTE, "%s: network %.0f Gbit/s, %.0f us a transfer%s", dev->name,
                     sd.link_bw * 8 / 1e9, sd.link_latency * 1e6,
                     dev->bandwidth_gbs <= 0 ? "; memory bandwidth and compute of a mid-range GPU" : "");
            continue;
        }
        if (dev->bandwidth_gbs <= 0 || dev->tflops <= 0)
            snprintf(lines[n++], GP_SPEED_NOTE,
                     "%s: %s%.0f GB/s, %.0f TFLOPS (a card the GPU table does not know: name one it lists, or "
                     "give bandwidth_gbs and tflops in --hw)",
                     dev->name, dev->bandwidth_gbs <= 0 && dev->tflops <= 0 ? "" : "partly ", sd.mem_bw / 1e9,
                     sd.flops / 1e12);
        if (n < max && !(dev->pcie_gen && dev->pcie_width))
            snprintf(lines[n++], GP_SPEED_NOTE, "%s: PCIe 4.0 x16 to the host", dev->name);
    }
    return n;
}

static double expert_fraction(const gp_model *m)
{
    return m->hp.n_expert ? (double)m->hp.n_expert_used / (double)m->hp.n_expert : 1.0;
}

void gp_speed_predict(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                      const gp_mem_result *r, gp_speed *out)
{
    gp_speed_predict_at(m, p, d, r, (double)r->ctx.n_ctx_seq / 2.0, out);
}

void gp_speed_predict_at(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                         const gp_mem_result *r, double depth, gp_speed *out)
{
    memset(out, 0, sizeof *out);
    gp_speed_device sd[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < d->n; i++)
        gp_speed_device_defaults(&d->dev[i], &sd[i]);
    const gp_placement *pl = &r->placement;
    const gp_ctx_shape *c = &r->ctx;
    double read[GP_MAX_DEVICES] = {0}, flops[GP_MAX_DEVICES] = {0}, offload_bytes[GP_MAX_DEVICES] = {0};
    double ef = expert_fraction(m);
    double U = c->n_ubatch;

    /* Weights. */
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        int32_t dev = pl->tensor_dev[t];
        if (dev < 0)
            continue;
        const gp_tensor *ten = &m->tensors[t];
        double bytes = (double)ten->info->bytes, elems = (double)ten->info->n_elements;
        if (ten->role == GP_ROLE_TOKEN_EMBD) {
            read[dev] += bytes / (double)(m->hp.n_vocab ? m->hp.n_vocab : 1);
            continue;
        }
        double frac = gp_role_is_expert(ten->role) ? ef : 1.0;
        read[dev] += bytes * frac;
        /* Prefill: a micro-batch touches every expert once U * n_used
         * exceeds n_expert, so FLOPs scale with the used fraction but the
         * weights are read in full. */
        flops[dev] += 2.0 * elems * frac * U;
        if (dev == 0 && U >= 32) {
            for (uint32_t g = 1; g < d->n; g++)
                if (gp_device_op_offload(&d->dev[g])) {
                    offload_bytes[g] += bytes;
                    flops[g] += 2.0 * elems * frac * U;
                    flops[0] -= 2.0 * elems * frac * U;
                    break;
                }
        }
    }
    /* Tied embeddings: the logits read the whole of token_embd (a GPU that
       holds the output layer has its own copy). */
    bool has_output = false;
    const gp_tensor *embd = NULL;
    int32_t embd_dev = -1;
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        has_output = has_output || m->tensors[t].role == GP_ROLE_OUTPUT;
        if (m->tensors[t].role == GP_ROLE_TOKEN_EMBD && !embd) {
            embd = &m->tensors[t];
            embd_dev = pl->tensor_dev[t];
        }
    }
    if (!has_output && embd) {
        int32_t dev = pl->tied_output_dev >= 0 ? pl->tied_output_dev : embd_dev;
        if (dev >= 0) {
            read[dev] += (double)embd->info->bytes;
            flops[dev] += 2.0 * (double)embd->info->n_elements * U;
        }
    }
    /* KV cache read at the given depth. */
    for (uint32_t il = 0; il < m->hp.n_layer; il++) {
        const gp_layer *l = &m->layers[il];
        int32_t dev = pl->kv_dev[il];
        uint64_t cell = 0;
        if (l->kind == GP_LAYER_RECURRENT) {
            read[dev] += 2.0 * (double)gp_recurrent_seq_bytes(m, il);
            if (!l->attends)
                continue;
        }
        if (!gp_kv_cell_bytes(m, il, p->type_k, p->type_v, &cell))
            continue;
        double cells = depth;
        if (l->kind == GP_LAYER_SWA && m->hp.n_swa && cells > m->hp.n_swa)
            cells = m->hp.n_swa;
        read[dev] += cells * (double)cell;
        double head_dims = (double)m->hp.head_dim_k * l->n_head + (double)m->hp.head_dim_v * l->n_head;
        flops[pl->layer_dev[il]] += 2.0 * cells * head_dims * U;
    }

    double t_decode = 0, t_prefill = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        out->decode_bytes[i] = read[i];
        if (read[i] > 0)
            t_decode += read[i] / (sd[i].mem_bw * sd[i].eff_decode);
        if (flops[i] > 0)
            t_prefill += flops[i] / (sd[i].flops * sd[i].eff_prefill);
        if (offload_bytes[i] > 0)
            t_prefill += offload_bytes[i] / sd[i].link_bw;
    }
    /* Per-layer fixed costs and hops between devices along the layers; a
     * layer with some weights elsewhere (-ot) sends its activations there
     * and back. */
    double act = (double)m->hp.n_embd * 4.0;
    int32_t *foreign = calloc(m->hp.n_layer ? m->hp.n_layer : 1, sizeof *foreign);
    for (uint64_t t = 0; foreign && t < m->n_tensors; t++) {
        const gp_tensor *ten = &m->tensors[t];
        int32_t dev = pl->tensor_dev[t];
        if (ten->layer < 0 || dev < 0 || (uint32_t)ten->layer >= m->hp.n_layer ||
            dev == pl->layer_dev[ten->layer] || ten->role == GP_ROLE_NORM)
            continue;
        foreign[ten->layer] = dev + 1;
    }
    for (uint32_t il = 0; foreign && il < m->hp.n_layer; il++) {
        if (!foreign[il])
            continue;
        int32_t dev = foreign[il] - 1;
        const gp_speed_device *link = dev != 0 ? &sd[dev] : &sd[pl->layer_dev[il]];
        if (link->link_bw > 0) {
            t_decode += 2 * (link->link_latency + act / link->link_bw);
            t_prefill += 2 * (link->link_latency + act * U / link->link_bw);
        }
    }
    free(foreign);
    int32_t prev = 0; /* the input embedding is on the CPU */
    for (uint32_t il = 0; il <= m->hp.n_layer; il++) {
        int32_t dev = il < m->hp.n_layer ? pl->layer_dev[il] : pl->output_dev;
        if (il < m->hp.n_layer)
            t_decode += sd[dev].layer_cost;
        if (dev != prev && (sd[dev].link_bw > 0 || sd[prev].link_bw > 0)) {
            const gp_speed_device *link = dev != 0 ? &sd[dev] : &sd[prev];
            t_decode += link->link_latency + act / link->link_bw;
            t_prefill += link->link_latency + act * U / link->link_bw;
        }
        prev = dev;
    }
    /* once a token: building and launching the graph, waking the threads,
       reading the logits back (where the output layer runs) */
    int32_t out_dev = pl->output_dev >= 0 ? pl->output_dev : 0;
    t_decode += sd[out_dev].token_cost;
    out->decode_tps = t_decode > 0 ? 1.0 / t_decode : 0;
    out->prefill_tps = t_prefill > 0 ? U / t_prefill : 0;
}
