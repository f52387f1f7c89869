/*
 * What llama.cpp will see on this machine. Every backend is optional at run
 * time: NVML and Vulkan are loaded with dlopen, AMD cards are read from sysfs,
 * the CPU from hwloc and /proc. Whatever cannot be read becomes a note on the
 * result, never a failure.
 *
 * Environment, read only here:
 *   GGPLACE_SYSROOT     a directory standing in for / (proc, sys, hwloc.xml)
 *   GGPLACE_NVML_LIB    the NVML library to load instead of libnvidia-ml.so.1
 *   GGPLACE_VULKAN_LIB  the Vulkan loader to load instead of libvulkan.so.1
 * A library variable set to "off" skips that backend. Device visibility
 * follows the runtimes: CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER,
 * ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, GGML_VK_VISIBLE_DEVICES.
 */
#ifndef GP_HW_DETECT_H
#define GP_HW_DETECT_H

#include "memory/device.h"

/* Replaces *d with this machine's devices: the CPU (with RAM, cores, NUMA,
 * caches, SIMD, cgroup limit) then GPUs in llama.cpp's order. */
void gp_devices_detect(gp_devices *d);

/* Applies a CUDA_VISIBLE_DEVICES-style list to n devices: each token is an
 * index or a UUID prefix ("GPU-1a2b"), and like the runtimes the list ends
 * at the first token that names no device. Writes the chosen indices to
 * order and returns how many; a list that stops early adds a note to d. */
uint32_t gp_hw_visible(gp_devices *d, const char *var, const char *list, uint32_t n,
                       const char *const *uuids, uint32_t *order);

#endif
