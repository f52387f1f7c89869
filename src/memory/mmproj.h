/*
 * mmproj.h - memory of a multimodal projector (llama-server --mmproj FILE),
 * as llama.cpp v0.5.0's tools/mtmd/clip.cpp allocates it.
 *
 * Where it lives: the projector's device is the device -mmdev names, else the
 * first of --device, else the first GPU (or iGPU) device llama.cpp knows
 * (RPC servers count); the CPU with --no-mmproj-offload, -mmdev none or no GPU.
 * -ngl does not move it. That device gets `weights` and `compute`; when it is
 * not the CPU, the CPU additionally holds `compute_host` (the graph inputs).
 */
#ifndef GP_MEMORY_MMPROJ_H
#define GP_MEMORY_MMPROJ_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"
#include "gguf/gguf.h"

typedef struct gp_mmproj_mem {
    uint64_t weights;        /* projector weight buffer (one buffer, 32-byte padded tensors) */
    uint64_t compute;        /* compute buffer reserved at load (the warm-up image graph) */
    bool compute_estimated;  /* projector graph not modelled: compute is a high estimate */
    char projector[32];      /* clip.projector_type */
    uint64_t compute_host;   /* CPU buffer of the graph inputs when the projector is on a GPU */
} gp_mmproj_mem;

typedef struct gp_mmproj_params {
    /* -fa: flash_attn_auto != 0 is llama-server's default (auto): clip reserves
       with flash attention, and if the device cannot run it reserves again
       without; the buffer keeps the larger size. flash_attn then says whether
       the device supports it (CPU, RPC: yes). flash_attn_auto == 0: flash_attn
       is -fa on / -fa off. */
    bool flash_attn;
    int flash_attn_auto;
    /* --image-min-tokens / --image-max-tokens, -1 = default. They change the
       warm-up image only for projectors without a fixed warm-up size; none of
       the modelled ones. */
    int32_t image_min_tokens, image_max_tokens;
    /* The weight buffer's alignment on the projector's device (32 on CPU
       and RPC, 128 on CUDA/ROCm); 0 = 32. */
    uint32_t weight_alignment;
} gp_mmproj_params;

/* Predicts the projector memory of the GGUF `g` (read from `path`, used in
 * messages). Refuses a file that is not a projector or holds absurd values. */
gp_status gp_mmproj_estimate(const gp_gguf *g, const char *path, const gp_mmproj_params *p,
                             gp_mmproj_mem *out, gp_error *err);

#endif
