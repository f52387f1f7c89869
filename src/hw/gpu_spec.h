/*
 * GPUs described on the command line (--gpu): a size, a card the GPU table
 * knows, or both, added to a device list.
 */
#ifndef GP_HW_GPU_SPEC_H
#define GP_HW_GPU_SPEC_H

#include "ggplace.h"
#include "memory/device.h"

/* Adds a GPU described by SPEC:
 *   24GiB                 a CUDA device of that size (CUDA0, CUDA1... in order)
 *   NAME                  a card from the built-in table ("RTX 4090", "MI300X")
 *   NAME:24GiB            that card with this memory (unknown names allowed)
 *   BACKEND:...           CUDA, ROCm, Vulkan or Metal first: "ROCm:16GiB"
 *   Nx...                 N identical cards: "2x24GiB", "4xRTX 3090"
 * Marks the devices described. */
gp_status gp_devices_add_gpu_spec(gp_devices *d, const char *spec, gp_error *err);

#endif
