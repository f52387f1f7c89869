/*
 * Common GPUs with the numbers a plan needs, so that `--gpu "RTX 4090"`
 * describes a card without measuring it. Memory is the nominal size (GiB as
 * sold); detection reports the exact usable bytes instead.
 */
#ifndef GP_HW_GPU_TABLE_H
#define GP_HW_GPU_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "memory/device.h"

typedef struct gp_gpu_model {
    const char *name;      /* as printed: "RTX 4090" */
    const char *aliases;   /* other accepted spellings, normalized, '|'-separated */
    gp_device_kind kind;   /* the backend llama.cpp uses for it by default */
    uint32_t memory_gib;   /* nominal memory */
    double bandwidth_gbs;  /* memory bandwidth, GB/s */
    uint32_t pcie_gen;
    uint32_t pcie_width;
    const char *arch;      /* compute capability or gfx target */
    double tflops;         /* dense FP16 matrix throughput, TFLOPS (prefill is bound by it) */
} gp_gpu_model;

/* The entry whose name or alias matches `name` ignoring case, spaces, dashes
 * and vendor words (NVIDIA, GeForce, AMD, Radeon, Tesla, Intel...); NULL when
 * none does. */
const gp_gpu_model *gp_gpu_table_find(const char *name);

/* The whole table, for help texts and tests. */
const gp_gpu_model *gp_gpu_table(size_t *count);

#endif
