/* ggml tensor types: ids, names and storage sizes, as llama.cpp v0.5.0 defines them. */
#ifndef GP_GGUF_TYPES_H
#define GP_GGUF_TYPES_H

#include <stdbool.h>
#include <stdint.h>

enum {
    GP_TYPE_F32 = 0, GP_TYPE_F16 = 1, GP_TYPE_Q4_0 = 2, GP_TYPE_Q4_1 = 3,
    GP_TYPE_Q5_0 = 6, GP_TYPE_Q5_1 = 7, GP_TYPE_Q8_0 = 8, GP_TYPE_Q8_1 = 9,
    GP_TYPE_Q2_K = 10, GP_TYPE_Q3_K = 11, GP_TYPE_Q4_K = 12, GP_TYPE_Q5_K = 13,
    GP_TYPE_Q6_K = 14, GP_TYPE_Q8_K = 15, GP_TYPE_IQ2_XXS = 16, GP_TYPE_IQ2_XS = 17,
    GP_TYPE_IQ3_XXS = 18, GP_TYPE_IQ1_S = 19, GP_TYPE_IQ4_NL = 20, GP_TYPE_IQ3_S = 21,
    GP_TYPE_IQ2_S = 22, GP_TYPE_IQ4_XS = 23, GP_TYPE_I8 = 24, GP_TYPE_I16 = 25,
    GP_TYPE_I32 = 26, GP_TYPE_I64 = 27, GP_TYPE_F64 = 28, GP_TYPE_IQ1_M = 29,
    GP_TYPE_BF16 = 30, GP_TYPE_TQ1_0 = 34, GP_TYPE_TQ2_0 = 35, GP_TYPE_MXFP4 = 39,
    GP_TYPE_NVFP4 = 40, GP_TYPE_Q1_0 = 41, GP_TYPE_Q2_0 = 42,
    GP_TYPE_COUNT = 43,
};

typedef struct gp_type_info {
    const char *name;     /* llama.cpp's spelling, e.g. "q4_K"; NULL if retired */
    uint32_t block_size;  /* elements per block */
    uint32_t type_size;   /* bytes per block */
} gp_type_info;

/* The entry for a type id, or NULL for an id that is unknown or retired. */
const gp_type_info *gp_type_get(uint32_t id);

/* Looks up a type by name, case-insensitive ("q8_0", "Q4_K", "f16"). -1 if none. */
int gp_type_from_name(const char *name);

/* Bytes of one row of n elements of a type; false if n is not a whole number
 * of blocks or the product overflows. */
bool gp_type_row_bytes(uint32_t id, uint64_t n, uint64_t *out);

#endif
