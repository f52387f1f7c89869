/*
 * What llama.cpp says it allocated: the buffer lines of its load log
 * ("load_tensors: CPU model buffer size = 62.34 MiB", "KV buffer size",
 * "RS buffer size", "compute buffer size"), per buffer and summed per device.
 */
#ifndef GP_VERIFY_LLAMA_LOG_H
#define GP_VERIFY_LLAMA_LOG_H

#include <stdint.h>

#include "memory/device.h"

typedef struct gp_llama_buffers {
    /* Per device index of a gp_devices: bytes (from MiB with 2 decimals). */
    double model_mib[GP_MAX_DEVICES];
    double context_mib[GP_MAX_DEVICES];
    double compute_mib[GP_MAX_DEVICES];
    double output_mib;    /* host output (logits) buffer */
    /* With mmap llama.cpp lists the mapped file range holding the CPU's
     * tensors (CPU_Mapped), which includes tensors that live elsewhere and
     * the mapped pages of repacked ones: it is kept apart from model_mib[0],
     * which sums the CPU and CPU_REPACK buffers. */
    double mapped_mib;
    /* What else the server loaded: a draft model (its buffers follow the
     * main context's), LoRA adapters, the projector (clip). */
    double extra_model_mib[GP_MAX_DEVICES];
    double extra_context_mib[GP_MAX_DEVICES];
    double extra_compute_mib[GP_MAX_DEVICES];
    uint32_t lines;       /* buffer lines recognised */
    uint32_t unmatched;   /* lines naming a buffer of no known device */
} gp_llama_buffers;

/* Parses log text. Buffers map to devices by name: CPU, CPU_Mapped,
 * CPU_REPACK and *_Host are the CPU; others match a device's name. A
 * compute buffer printed several times keeps its last (final) size. Model
 * bytes are what the weights occupy: run llama.cpp with --load-mode none
 * for CPU figures comparable byte for byte. */
void gp_llama_log_parse(const char *text, const gp_devices *d, gp_llama_buffers *out);

#endif
