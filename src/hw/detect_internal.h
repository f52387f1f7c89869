/* Pieces of detection shared between the backends. */
#ifndef GP_HW_DETECT_INTERNAL_H
#define GP_HW_DETECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/detect.h"
#include "memory/device.h"

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


void gp_detect_cpu(gp_devices *d);
void gp_detect_nvml(gp_devices *d);
void gp_detect_amd(gp_devices *d);
void gp_detect_vulkan(gp_devices *d);

#endif
