/* Byte sizes as people write them ("24GiB", "512M") and as we print them. */
#ifndef GP_UTIL_UNITS_H
#define GP_UTIL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses "24GiB", "24G", "24GB" (binary multiples: llama.cpp and GPU tools
 * report MiB/GiB), "1.5GiB", "1048576". False on anything else. */
bool gp_parse_size(const char *s, uint64_t *out);

/* Formats bytes as MiB with two decimals, the way llama.cpp logs buffers. */
void gp_format_mib(uint64_t bytes, char *buf, size_t size);

/* Formats bytes with a readable unit (B, KiB, MiB, GiB, TiB). */
void gp_format_bytes(uint64_t bytes, char *buf, size_t size);

#endif
