/* families.c - the table of graph families (one row each). */
#include "memory/families/family.h"

#include <stddef.h>
#include <string.h>

static const gpg_family families[] = {
    {.id = GP_COMPUTE_FAMILY_LLAMA, .name = "llama", .build = gpg_build_llama},
    {.id = GP_COMPUTE_FAMILY_GEMMA3, .name = "gemma3", .build = gpg_build_gemma3},
    {.id = GP_COMPUTE_FAMILY_GEMMA4, .name = "gemma4", .build = gpg_build_gemma4},
    {.id = GP_COMPUTE_FAMILY_GEMMA3N, .name = "gemma3n", .build = gpg_build_gemma3n},
    {.id = GP_COMPUTE_FAMILY_DEEPSEEK2, .name = "deepseek2", .mla = 1, .build = gpg_build_deepseek2},
    {.id = GP_COMPUTE_FAMILY_LFM2, .name = "lfm2", .recurrent = 1, .build = gpg_build_lfm2},
    {.id = GP_COMPUTE_FAMILY_PHI3, .name = "phi3", .build = gpg_build_phi3},
    {.id = GP_COMPUTE_FAMILY_GPT_OSS, .name = "gpt-oss", .build = gpg_build_gpt_oss},
    {.id = GP_COMPUTE_FAMILY_POSTNORM, .name = "postnorm", .build = gpg_build_postnorm},
    {.id = GP_COMPUTE_FAMILY_COHERE, .name = "cohere", .build = gpg_build_cohere},
    {.id = GP_COMPUTE_FAMILY_PARALLEL, .name = "parallel", .build = gpg_build_parallel},
    {.id = GP_COMPUTE_FAMILY_LLAMA4, .name = "llama4", .attn_temp = 1, .build = gpg_build_llama4},
    {.id = GP_COMPUTE_FAMILY_MAMBA1, .name = "mamba1", .recurrent = 1, .ssm = 3, .ffn_by_width = 1,
     .build = gpg_build_mamba1},
    {.id = GP_COMPUTE_FAMILY_JAMBA, .name = "jamba", .recurrent = 1, .ssm = 3, .build = gpg_build_jamba},
    {.id = GP_COMPUTE_FAMILY_MAMBA2, .name = "mamba2", .recurrent = 1, .ssm = 1, .ffn_by_width = 1, .build = gpg_build_mamba2},
    {.id = GP_COMPUTE_FAMILY_GRANITEHYBRID, .name = "granitehybrid", .recurrent = 1, .ssm = 1,
     .build = gpg_build_granitehybrid},
    {.id = GP_COMPUTE_FAMILY_FALCON_H1, .name = "falcon-h1", .recurrent = 1, .ssm = 1, .build = gpg_build_falcon_h1},
    {.id = GP_COMPUTE_FAMILY_QWEN3NEXT, .name = "qwen3next", .recurrent = 1, .ssm = 2, .build = gpg_build_qwen3next},
    {.id = GP_COMPUTE_FAMILY_RWKV6, .name = "rwkv6", .recurrent = 1, .rwkv = 6, .rwkv_shifts = 2,
     .build = gpg_build_rwkv6},
    {.id = GP_COMPUTE_FAMILY_RWKV7, .name = "rwkv7", .recurrent = 1, .rwkv = 7, .rwkv_shifts = 2,
     .build = gpg_build_rwkv7},
    {.id = GP_COMPUTE_FAMILY_RWKV6QWEN2, .name = "rwkv6qwen2", .recurrent = 1, .rwkv = 6, .rwkv_shifts = 1,
     .build = gpg_build_rwkv6qwen2},
    {.id = GP_COMPUTE_FAMILY_ARWKV7, .name = "arwkv7", .recurrent = 1, .rwkv = 7, .rwkv_shifts = 1,
     .build = gpg_build_arwkv7},
    {.id = GP_COMPUTE_FAMILY_PLAMO2, .name = "plamo2", .recurrent = 1, .ssm = 4, .build = gpg_build_plamo2},
    {.id = GP_COMPUTE_FAMILY_MINIMAX01, .name = "minimax-01", .recurrent = 1, .lightning = 1,
     .build = gpg_build_minimax01},
    {.id = GP_COMPUTE_FAMILY_DEEPSEEK32, .name = "deepseek32", .mla = 1, .dsa = 1, .build = gpg_build_deepseek32},
    {.id = GP_COMPUTE_FAMILY_KIMI_LINEAR, .name = "kimi-linear", .mla = 1, .recurrent = 1, .kda = 1,
     .build = gpg_build_kimi_linear},
    {.id = GP_COMPUTE_FAMILY_KIMI_K3, .name = "kimi-k3", .mla = 1, .recurrent = 1, .kda = 1,
     .build = gpg_build_kimi_k3},
    {.id = GP_COMPUTE_FAMILY_BAILINGMOE3, .name = "bailingmoe3", .mla = 1, .recurrent = 1, .kda = 1,
     .build = gpg_build_bailingmoe3},
    {.id = GP_COMPUTE_FAMILY_QWEN4EXP, .name = "qwen4exp", .recurrent = 1, .ssm = 2, .hc = 1,
     .inputs = gpg_inputs_qwen4exp, .build = gpg_build_qwen4exp},
    {.id = GP_COMPUTE_FAMILY_SMALLTHINKER, .name = "smallthinker", .build = gpg_build_smallthinker},
    {.id = GP_COMPUTE_FAMILY_GROVEMOE, .name = "grovemoe", .build = gpg_build_grovemoe},
    {.id = GP_COMPUTE_FAMILY_BITNET, .name = "bitnet", .build = gpg_build_bitnet},
    {.id = GP_COMPUTE_FAMILY_MUSE_GLIMMER, .name = "muse-glimmer", .build = gpg_build_muse_glimmer},
    {.id = GP_COMPUTE_FAMILY_COHERE2MOE, .name = "cohere2moe", .build = gpg_build_cohere2moe},
    {.id = GP_COMPUTE_FAMILY_AFMOE, .name = "afmoe", .build = gpg_build_afmoe},
    {.id = GP_COMPUTE_FAMILY_STEP35, .name = "step35", .build = gpg_build_step35},
    {.id = GP_COMPUTE_FAMILY_DECI, .name = "deci", .attn_by_heads = 1, .build = gpg_build_deci},
    {.id = GP_COMPUTE_FAMILY_LAGUNA, .name = "laguna", .build = gpg_build_laguna},
    {.id = GP_COMPUTE_FAMILY_TALKIE, .name = "talkie", .build = gpg_build_talkie},
    {.id = GP_COMPUTE_FAMILY_HY_V3, .name = "hy-v3", .build = gpg_build_hy_v3},
    {.id = GP_COMPUTE_FAMILY_GRANITESWITCH, .name = "graniteswitch", .inputs = gpg_inputs_graniteswitch,
     .build = gpg_build_graniteswitch},
    {.id = GP_COMPUTE_FAMILY_HRM_TEXT, .name = "hrm_text", .build = gpg_build_hrm_text},
    {.id = GP_COMPUTE_FAMILY_HY_V4, .name = "hy-v4", .mla = 1, .dsa = 2, .inputs = gpg_inputs_hy_v4,
     .build = gpg_build_hy_v4},
    {.id = GP_COMPUTE_FAMILY_MINIMAX_M3, .name = "minimax-m3", .msa = 1, .build = gpg_build_minimax_m3},
    {.id = GP_COMPUTE_FAMILY_DEEPSEEK4, .name = "deepseek4", .dsv4 = 1, .inputs = gpg_inputs_deepseek4,
     .build = gpg_build_deepseek4},
};

gp_compute_family gp_compute_family_named(const char *name)
{
    for (size_t i = 0; name && i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i].name, name) == 0)
            return families[i].id;
    return GP_COMPUTE_FAMILY_LLAMA;
}

const gpg_family *gpg_family_get(gp_compute_family id)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (families[i].id == id)
            return &families[i];
    return NULL;
}
