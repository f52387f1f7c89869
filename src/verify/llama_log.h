/*
 * What llama.cpp says it allocated: the buffer lines of its load log
 * ("load_tensors: CPU model buffer size = 62.34 MiB", "KV buffer size",
 * "RS buffer size", "compute buffer size"), per buffer and summed per device.
 */
#ifndef GP_VERIFY_LLAMA_LOG_H
#define GP_VERIFY_LLAMA_LOG_H

#include <stdint.h>

#include "hw/device.h"

typedef struct gp_llama_buffers {
    /* Per device index of a gp_devices: bytes (from MiB with 2 decimals). */
    double model_mib[GP_MAX_DEVICES];
    double context_mib[GP_MAX_DEVICES];
    double compute_mib[GP_MAX_DEVICES];
    double output_mib;    /* host output (logits) buffer */
    uint32_t lines;       /* buffer lines recognised */
    uint32_t unmatched;   /* lines naming a buffer of no known device */
} gp_llama_buffers;

/* Parses log text. Buffers map to devices by name: CPU, CPU_Mapped,
 * CPU_REPACK and *_Host are the CPU; others match a device's name. A
 * compute buffer printed several times keeps its last (final) size. */
void gp_llama_log_parse(const char *text, const gp_devices *d, gp_llama_buffers *out);

#endif
