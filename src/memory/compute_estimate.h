/*
 * A coarse compute-buffer estimate for graphs ggplace does not rebuild
 * (Mamba, gated delta nets, RWKV and other recurrent or hybrid families):
 * the inputs that live through the whole graph, the residual stream, and
 * the largest of the per-layer phases (attention, FFN / experts, state-space
 * scan, logits), with a 15 % allowance for allocator holes. It errs high;
 * the exact graph replay in compute.c is used wherever a builder exists.
 */
#ifndef GP_MEMORY_COMPUTE_ESTIMATE_H
#define GP_MEMORY_COMPUTE_ESTIMATE_H

#include <stdint.h>

#include "memory/device.h"
#include "memory/params.h"
#include "memory/placement.h"
#include "model/model.h"

void gp_compute_estimate(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                         const gp_devices *d, const gp_placement *pl, uint64_t *per_device);

#endif
