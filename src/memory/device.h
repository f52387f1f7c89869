/*
 * The devices llama.cpp will use: the CPU (always device 0 here) and GPUs,
 * detected or described. Names are the ones llama.cpp prints and accepts in
 * -ot: CPU, CUDA0, ROCm0, Vulkan0, Metal, RPC0[host:port].
 *
 * Order follows llama.cpp's device list: after the CPU, RPC servers first
 * (llama.cpp puts them at the front), then local GPUs in backend order
 * (CUDA, ROCm, Vulkan, Metal), each backend in its own enumeration order.
 *
 * The memory model places allocations on this list; hw/ fills it, by
 * detection or from descriptions (hw/gpu_spec.h: --gpu NAME).
 */
#ifndef GP_MEMORY_DEVICE_H
#define GP_MEMORY_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"

#define GP_MAX_DEVICES 16
#define GP_MAX_NOTES 16
#define GP_NOTE_TEXT 240

typedef enum gp_device_kind {
    GP_DEV_CPU = 0,
    GP_DEV_CUDA,
    GP_DEV_ROCM,
    GP_DEV_VULKAN,
    GP_DEV_METAL,
    GP_DEV_RPC,
} gp_device_kind;

/* One cache level as hwloc reports it: the size of one instance and how many
 * instances the machine has (an L3 per package or per CCD, an L2 per core). */
typedef struct gp_cache_level {
    uint64_t size;
    uint32_t count;
} gp_cache_level;

/* The levels, GP_CACHE_L1D .. GP_CACHE_L3, are the public header's. */

/* What the CPU entry knows beyond its memory; zero means unknown. */
typedef struct gp_cpu_info {
    uint32_t packages;
    uint32_t cores;         /* physical cores usable by this process */
    uint32_t threads;       /* hardware threads (PUs) usable by this process */
    uint32_t numa_nodes;
    gp_cache_level cache[GP_CACHE_LEVELS];
    char simd[160];         /* space-separated ISA extensions llama.cpp's CPU backend uses */
    uint64_t ram_total;     /* MemTotal */
    uint64_t ram_available; /* MemAvailable */
    uint64_t cgroup_limit;  /* memory limit of this process's cgroup; 0 when none */
    uint64_t cgroup_usage;  /* what that cgroup already uses (with a limit only) */
} gp_cpu_info;

typedef struct gp_device {
    char name[64];        /* llama.cpp's name for the device and its buffers */
    char model[128];      /* marketing name when known, else "" */
    gp_device_kind kind;
    uint64_t total;       /* bytes of memory; 0 when unknown (the CPU: RAM within the cgroup limit) */
    uint64_t free;        /* bytes free now (or assumed free); 0 when unknown */
    bool described;       /* given on the command line rather than detected */
    char uuid[64];        /* "GPU-..." (NVML) or "" */
    char pci_bus_id[32];  /* "0000:01:00.0" style, or "" */
    double bandwidth_gbs; /* memory bandwidth in GB/s (10^9 bytes/s); 0 when unknown */
    double tflops;        /* dense FP16 matrix throughput in TFLOPS; 0 when unknown */
    uint32_t pcie_gen;    /* PCIe link generation (1..6); 0 when unknown or not PCIe */
    uint32_t pcie_width;  /* PCIe lanes; 0 when unknown */
    char arch[32];        /* CUDA compute capability "8.9", AMD "gfx1100", or "" */
    gp_cpu_info cpu;      /* the CPU entry only */
    uint32_t rpc_ordinal; /* an RPC device's place among llama.cpp's (1 = RPC0, the name -dev takes),
                             kept when a list is narrowed; 0: its place in this list */
} gp_device;

typedef struct gp_devices {
    gp_device dev[GP_MAX_DEVICES]; /* dev[0] is the CPU */
    uint32_t n;
    /* What detection could not do or chose to leave out, one sentence each. */
    char notes[GP_MAX_NOTES][GP_NOTE_TEXT];
    uint32_t n_notes;
} gp_devices;

/* A device list holding only the CPU (RAM size unknown). */
void gp_devices_init(gp_devices *d);

/* Adds a llama.cpp RPC server "HOST:PORT" with SIZE bytes, named
 * RPC0[HOST:PORT], after the RPC devices already listed and before local GPUs. */
gp_status gp_devices_add_rpc(gp_devices *d, const char *endpoint, uint64_t size, gp_error *err);

/* The servers of llama.cpp's own "--rpc HOST:PORT,HOST:PORT" that are not
 * described yet, as devices of unknown size. */
gp_status gp_devices_add_llama_rpc(gp_devices *d, const char *list, gp_error *err);

/* Appends a device at the end of the list (or, for RPC, after the last RPC
 * device). Checks the name is unique and the list not full. */
gp_status gp_devices_insert(gp_devices *d, const gp_device *dev, gp_error *err);

/* Adds a note (printf-style); silently drops notes beyond GP_MAX_NOTES. */
void gp_devices_note(gp_devices *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True for devices that hold offloaded layers (everything but the CPU). */
bool gp_device_is_gpu(const gp_device *dev);

/* The index of the device llama.cpp's -dev/-devd/-mmdev NAME means: its
 * buffer name ("CUDA1", "RPC0[host:port]") or, for RPC servers, the device
 * name llama.cpp lists ("RPC0", "RPC1"... counted over all RPC devices); 0
 * when none (0 is the CPU, never a -dev target). */
uint32_t gp_devices_find_llama(const gp_devices *d, const char *name);

/* Device i's name as llama.cpp's -dev takes it: RPC0, RPC1... for RPC
 * devices (in the order their servers were given), else its name. */
void gp_devices_llama_name(const gp_devices *d, uint32_t i, char *out, size_t size);

/* The devices llama.cpp's -dev A,B (or "none") leaves: the CPU, then those
 * devices in that order; map[k] is sub's device k in d. */
gp_status gp_devices_select(const gp_devices *d, const char *list, gp_devices *sub, uint32_t *map, gp_error *err);

/* Whether the backend runs matrix multiplications of CPU-held weights on the
 * GPU for large batches (CUDA, ROCm, Vulkan do; RPC and Metal do not). */
bool gp_device_op_offload(const gp_device *dev);
/* Buffer alignment of a device's weights (ggml's buffer types): each tensor
 * of a model buffer is padded to it. */
uint64_t gp_device_weight_alignment(const gp_device *dev);

/* Index of the device a buffer-type name refers to ("CUDA0", "CPU",
 * "CUDA_Host" -> CPU), or -1. */
int gp_devices_find_buft(const gp_devices *d, const char *buft);

/* "cpu", "cuda", "rocm", "vulkan", "metal", "rpc". */
const char *gp_device_kind_name(gp_device_kind kind);
/* The reverse (case-insensitive); false when unknown. */
bool gp_device_kind_parse(const char *s, gp_device_kind *out);
/* The prefix of device names for a kind: "CUDA", "ROCm", "Vulkan"... */
const char *gp_device_kind_prefix(gp_device_kind kind);

/* How many devices of this kind the list holds. */
uint32_t gp_devices_count_kind(const gp_devices *d, gp_device_kind kind);

#endif
