#include "gguf/types.h"

#include <stddef.h>
#include <strings.h>

/* Block and type sizes follow ggml's block structs (ggml-common.h) and its
 * type_traits table; ids 4, 5, 31-33 and 36-38 are retired and rejected. */
static const gp_type_info types[GP_TYPE_COUNT] = {
    [GP_TYPE_F32] = {"f32", 1, 4},
    [GP_TYPE_F16] = {"f16", 1, 2},
    [GP_TYPE_Q4_0] = {"q4_0", 32, 18},
    [GP_TYPE_Q4_1] = {"q4_1", 32, 20},
    [GP_TYPE_Q5_0] = {"q5_0", 32, 22},
    [GP_TYPE_Q5_1] = {"q5_1", 32, 24},
    [GP_TYPE_Q8_0] = {"q8_0", 32, 34},
    [GP_TYPE_Q8_1] = {"q8_1", 32, 36},
    [GP_TYPE_Q2_K] = {"q2_K", 256, 84},
    [GP_TYPE_Q3_K] = {"q3_K", 256, 110},
    [GP_TYPE_Q4_K] = {"q4_K", 256, 144},
    [GP_TYPE_Q5_K] = {"q5_K", 256, 176},
    [GP_TYPE_Q6_K] = {"q6_K", 256, 210},
    [GP_TYPE_Q8_K] = {"q8_K", 256, 292},
    [GP_TYPE_IQ2_XXS] = {"iq2_xxs", 256, 66},
    [GP_TYPE_IQ2_XS] = {"iq2_xs", 256, 74},
    [GP_TYPE_IQ3_XXS] = {"iq3_xxs", 256, 98},
    [GP_TYPE_IQ1_S] = {"iq1_s", 256, 50},
    [GP_TYPE_IQ4_NL] = {"iq4_nl", 32, 18},
    [GP_TYPE_IQ3_S] = {"iq3_s", 256, 110},
    [GP_TYPE_IQ2_S] = {"iq2_s", 256, 82},
    [GP_TYPE_IQ4_XS] = {"iq4_xs", 256, 136},
    [GP_TYPE_I8] = {"i8", 1, 1},
    [GP_TYPE_I16] = {"i16", 1, 2},
    [GP_TYPE_I32] = {"i32", 1, 4},
    [GP_TYPE_I64] = {"i64", 1, 8},
    [GP_TYPE_F64] = {"f64", 1, 8},
    [GP_TYPE_IQ1_M] = {"iq1_m", 256, 56},
    [GP_TYPE_BF16] = {"bf16", 1, 2},
    [GP_TYPE_TQ1_0] = {"tq1_0", 256, 54},
    [GP_TYPE_TQ2_0] = {"tq2_0", 256, 66},
    [GP_TYPE_MXFP4] = {"mxfp4", 32, 17},
    [GP_TYPE_NVFP4] = {"nvfp4", 64, 36},
    [GP_TYPE_Q1_0] = {"q1_0", 128, 18},
    [GP_TYPE_Q2_0] = {"q2_0", 64, 18},
};

const gp_type_info *gp_type_get(uint32_t id)
{
    if (id >= GP_TYPE_COUNT || !types[id].name)
        return NULL;
    return &types[id];
}

int gp_type_from_name(const char *name)
{
    for (int i = 0; i < GP_TYPE_COUNT; i++)
        if (types[i].name && strcasecmp(types[i].name, name) == 0)
            return i;
    return -1;
}

bool gp_type_row_bytes(uint32_t id, uint64_t n, uint64_t *out)
{
    const gp_type_info *t = gp_type_get(id);
    if (!t || n % t->block_size != 0)
        return false;
    uint64_t blocks = n / t->block_size;
    if (blocks > UINT64_MAX / t->type_size)
        return false;
    *out = blocks * t->type_size;
    return true;
}
