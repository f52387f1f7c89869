/*
 * Where llama.cpp puts every weight and every layer's cache, given -ngl,
 * -ts, -sm, -mg, -ot, --cpu-moe/--n-cpu-moe and --no-kv-offload
 * (llama.cpp v0.5.0 rules: the output layer counts as one of -ngl,
 * token_embd stays on the CPU, layers split by cumulative -ts fractions,
 * first matching -ot pattern wins, caches follow their layer).
 */
#ifndef GP_MEMORY_PLACEMENT_H
#define GP_MEMORY_PLACEMENT_H

#include <stdint.h>

#include "memory/device.h"
#include "memory/params.h"
#include "model/model.h"

typedef struct gp_placement {
    int32_t *tensor_dev;  /* per model tensor: device index, or -1 when not loaded (NextN) */
    int32_t *layer_dev;   /* per block: the device of the layer */
    int32_t *kv_dev;      /* per block: the device of its cache or state */
    int32_t output_dev;   /* the output layer (output norm, output matrix) */
    int32_t tied_output_dev; /* device holding a copy of token_embd as output, or -1 */
    uint64_t tied_output_bytes;
    int32_t *rope_dup;    /* per device: 1 if it holds a copy of the rope tensors
                             every layer shares (gp_rope_shared) */
    uint32_t n_gpu_layers;/* layers (output included) given to GPUs */
} gp_placement;

/* Computes the placement. The devices' order is llama.cpp's device order. */
gp_status gp_place(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                   gp_placement *out, gp_error *err);
void gp_placement_free(gp_placement *pl);

/* rope_freqs, rope_factors_long, rope_factors_short: one tensor that every
 * layer reads. llama.cpp creates it with layer 0 and duplicates it for each
 * other device holding layers. */
bool gp_rope_shared(const char *name);

/* Whether pattern (ECMAScript syntax, unanchored search as std::regex_search)
 * matches name. Returns -1 if the pattern does not compile. */
int gp_regex_search(const char *pattern, const char *name);

#endif
