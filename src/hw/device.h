/*
 * The devices llama.cpp will use: the CPU (always device 0 here) and GPUs,
 * detected or described. Names are the ones llama.cpp prints and accepts in
 * -ot: CPU, CUDA0, ROCm0, Vulkan0, Metal, RPC[host:port].
 */
#ifndef GP_HW_DEVICE_H
#define GP_HW_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"

#define GP_MAX_DEVICES 16

typedef enum gp_device_kind {
    GP_DEV_CPU = 0,
    GP_DEV_CUDA,
    GP_DEV_ROCM,
    GP_DEV_VULKAN,
    GP_DEV_METAL,
    GP_DEV_RPC,
} gp_device_kind;

typedef struct gp_device {
    char name[64];        /* llama.cpp's name for the device and its buffers */
    char model[128];      /* marketing name when known, else "" */
    gp_device_kind kind;
    uint64_t total;       /* bytes of memory; 0 when unknown */
    uint64_t free;        /* bytes free now (or assumed free); 0 when unknown */
    bool described;       /* given on the command line rather than detected */
} gp_device;

typedef struct gp_devices {
    gp_device dev[GP_MAX_DEVICES]; /* dev[0] is the CPU */
    uint32_t n;
} gp_devices;

/* A device list holding only the CPU (RAM size unknown). */
void gp_devices_init(gp_devices *d);

/* Adds a GPU described as "24GiB", "NAME:24GiB", "CUDA1:24GiB" or "ROCm:16GiB".
 * A size without a backend is a CUDA device named CUDA0, CUDA1... in order. */
gp_status gp_devices_add_gpu_spec(gp_devices *d, const char *spec, gp_error *err);

/* True for devices that hold offloaded layers (everything but the CPU). */
bool gp_device_is_gpu(const gp_device *dev);

/* Whether the backend runs matrix multiplications of CPU-held weights on the
 * GPU for large batches (CUDA, ROCm, Vulkan do; RPC and Metal do not). */
bool gp_device_op_offload(const gp_device *dev);

/* Index of the device a buffer-type name refers to ("CUDA0", "CPU",
 * "CUDA_Host" -> CPU), or -1. */
int gp_devices_find_buft(const gp_devices *d, const char *buft);

#endif
