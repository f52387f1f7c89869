/* Pieces of detection shared between the backends. */
#ifndef GP_HW_DETECT_INTERNAL_H
#define GP_HW_DETECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/device.h"

/* The directory standing in for "/" ("" for the real one). */
const char *gp_hw_sysroot(void);

/* Reads up to cap-1 bytes of sysroot+path into buf, NUL-terminated; false
 * when the file cannot be opened or is empty. */
bool gp_hw_read(const char *path, char *buf, size_t cap);
/* The same, keeping only the first line, trimmed. */
bool gp_hw_read_line(const char *path, char *buf, size_t cap);
/* A file holding one unsigned integer (decimal, or 0x hex). */
bool gp_hw_read_u64(const char *path, uint64_t *out);
/* sysroot+path into buf; false when it does not fit. */
bool gp_hw_path(const char *path, char *buf, size_t cap);

/* A library override: NULL when the variable is unset (use the default name),
 * "" when it is "off". */
const char *gp_hw_lib_override(const char *var);

/* Applies a CUDA_VISIBLE_DEVICES-style list to n devices: each token is an
 * index or a UUID prefix ("GPU-1a2b"), and like the runtimes the list ends
 * at the first token that names no device. Writes the chosen indices to
 * order and returns how many; a list that stops early adds a note. */
uint32_t gp_hw_visible(gp_devices *d, const char *var, const char *list, uint32_t n,
                       const char *const *uuids, uint32_t *order);

void gp_detect_cpu(gp_devices *d);
void gp_detect_nvml(gp_devices *d);
void gp_detect_amd(gp_devices *d);
void gp_detect_vulkan(gp_devices *d);

#endif
