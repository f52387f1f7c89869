/*
 * What one llama.cpp command allocates on each device: weights, KV cache and
 * recurrent state ("context"), and the scheduler's compute buffer.
 */
#ifndef GP_MEMORY_MEM_H
#define GP_MEMORY_MEM_H

#include <stdint.h>

#include "memory/device.h"
#include "memory/extras.h"
#include "memory/params.h"
#include "memory/placement.h"
#include "memory/runtime.h"
#include "model/model.h"

typedef struct gp_mem_device {
    uint64_t model;       /* weights (tensor data) */
    uint64_t context;     /* KV cache and recurrent state */
    uint64_t compute;     /* compute buffer */
} gp_mem_device;

typedef struct gp_mem_result {
    gp_ctx_shape ctx;
    gp_placement placement;       /* owned */
    gp_mem_device dev[GP_MAX_DEVICES];
    uint32_t n_devices;
    uint64_t host_output;         /* logits buffer on the host, not in llama.cpp's breakdown */
    bool compute_estimated;       /* no graph model for this architecture: a coarse, high estimate */
    bool compute_checked;         /* the architecture's graph was measured against llama.cpp's own
                                     (bench/referee); else it follows the nearest graph unverified */
    bool compute_bound;           /* not checked: the compute figures are the nearest graph's
                                     raised to an upper bound (gp_mem_tier2_bound) */
    gp_extras_mem extras;         /* what else the server loads: projector, draft, adapters */
    gp_mem_device extra[GP_MAX_DEVICES]; /* their sum per device */
    gp_runtime_mem runtime;       /* what llama-server holds or grows into in host RAM beyond that */
} gp_mem_result;

gp_status gp_mem_estimate(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                          gp_mem_result *out, gp_error *err);
void gp_mem_result_free(gp_mem_result *r);

static inline uint64_t gp_mem_device_total(const gp_mem_device *d)
{
    return d->model + d->context + d->compute;
}

/* Device i's whole load by kind: the main model and the extras. */
static inline gp_mem_device gp_mem_with_extras(const gp_mem_result *r, uint32_t i)
{
    gp_mem_device x = {r->dev[i].model + r->extra[i].model, r->dev[i].context + r->extra[i].context,
                       r->dev[i].compute + r->extra[i].compute};
    return x;
}

/* Everything on device i. */
static inline uint64_t gp_mem_on_device(const gp_mem_result *r, uint32_t i)
{
    gp_mem_device x = gp_mem_with_extras(r, i);
    return gp_mem_device_total(&x);
}

/* Device i's steady-state peak: everything loaded, and on the host the
 * logits buffer and what the server grows into (memory/runtime.h). */
static inline uint64_t gp_mem_in_use(const gp_mem_result *r, uint32_t i)
{
    return gp_mem_on_device(r, i) + (i == 0 ? r->host_output + gp_runtime_total(&r->runtime) : 0);
}

/* Whether llama.cpp pipelines the GPUs (several GPUs, every layer and the
 * output offloaded with layer split, KV offloaded, no tensor override, all
 * backends asynchronous): the scheduler then keeps 4 copies of inputs. */
bool gp_mem_pipeline_parallel(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                              const gp_placement *pl);

/* KV cache or recurrent state bytes of one layer. */
gp_status gp_mem_layer_context(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                               uint32_t il, uint64_t *bytes, gp_error *err);

/* Compute buffer bytes per device for a placement (compute_input.c). */
gp_status gp_mem_compute(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                         const gp_devices *d, const gp_placement *pl, uint64_t *per_device,
                         bool *estimated, gp_error *err);

#endif
