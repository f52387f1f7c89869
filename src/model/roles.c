#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static const char *role_names[GP_ROLE_COUNT] = {
    [GP_ROLE_OTHER] = "other",
    [GP_ROLE_TOKEN_EMBD] = "token_embd",
    [GP_ROLE_OUTPUT] = "output",
    [GP_ROLE_NORM] = "norm",
    [GP_ROLE_ATTN_Q] = "attn_q",
    [GP_ROLE_ATTN_K] = "attn_k",
    [GP_ROLE_ATTN_V] = "attn_v",
    [GP_ROLE_ATTN_QKV] = "attn_qkv",
    [GP_ROLE_ATTN_OUT] = "attn_output",
    [GP_ROLE_ATTN_MLA] = "attn_mla",
    [GP_ROLE_FFN_UP] = "ffn_up",
    [GP_ROLE_FFN_GATE] = "ffn_gate",
    [GP_ROLE_FFN_DOWN] = "ffn_down",
    [GP_ROLE_FFN_GATE_UP] = "ffn_gate_up",
    [GP_ROLE_EXP_UP] = "experts_up",
    [GP_ROLE_EXP_GATE] = "experts_gate",
    [GP_ROLE_EXP_DOWN] = "experts_down",
    [GP_ROLE_EXP_GATE_UP] = "experts_gate_up",
    [GP_ROLE_SHEXP] = "shared_experts",
    [GP_ROLE_ROUTER] = "router",
    [GP_ROLE_SSM] = "ssm",
    [GP_ROLE_SHORTCONV] = "shortconv",
};

const char *gp_role_name(gp_role role)
{
    return role < GP_ROLE_COUNT ? role_names[role] : "other";
}

bool gp_role_is_expert(gp_role role)
{
    return role == GP_ROLE_EXP_UP || role == GP_ROLE_EXP_GATE ||
           role == GP_ROLE_EXP_DOWN || role == GP_ROLE_EXP_GATE_UP;
}

const char *gp_layer_kind_name(gp_layer_kind kind)
{
    switch (kind) {
    case GP_LAYER_FULL: return "full";
    case GP_LAYER_SWA: return "swa";
    case GP_LAYER_MLA: return "mla";
    case GP_LAYER_RECURRENT: return "recurrent";
    }
    return "full";
}

/* Tensor base names (between "blk.N." and ".weight"/".bias") and their roles.
 * Order matters only where one name is a prefix of another; matching is exact. */
static const struct { const char *base; gp_role role; } block_roles[] = {
    {"attn_q", GP_ROLE_ATTN_Q},
    {"attn_k", GP_ROLE_ATTN_K},
    {"attn_v", GP_ROLE_ATTN_V},
    {"attn_qkv", GP_ROLE_ATTN_QKV},
    {"attn_output", GP_ROLE_ATTN_OUT},
    {"attn_out", GP_ROLE_ATTN_OUT},
    {"attn_q_a", GP_ROLE_ATTN_MLA},
    {"attn_q_b", GP_ROLE_ATTN_MLA},
    {"attn_kv_a_mqa", GP_ROLE_ATTN_MLA},
    {"attn_kv_b", GP_ROLE_ATTN_MLA},
    {"attn_k_b", GP_ROLE_ATTN_MLA},
    {"attn_v_b", GP_ROLE_ATTN_MLA},
    {"attn_gate", GP_ROLE_ATTN_Q},
    {"ffn_up", GP_ROLE_FFN_UP},
    {"ffn_gate", GP_ROLE_FFN_GATE},
    {"ffn_down", GP_ROLE_FFN_DOWN},
    {"ffn_gate_up", GP_ROLE_FFN_GATE_UP},
    {"ffn_up_exps", GP_ROLE_EXP_UP},
    {"ffn_gate_exps", GP_ROLE_EXP_GATE},
    {"ffn_down_exps", GP_ROLE_EXP_DOWN},
    {"ffn_gate_up_exps", GP_ROLE_EXP_GATE_UP},
    {"ffn_up_chexps", GP_ROLE_EXP_UP},
    {"ffn_gate_chexps", GP_ROLE_EXP_GATE},
    {"ffn_down_chexps", GP_ROLE_EXP_DOWN},
    {"ffn_gate_up_chexps", GP_ROLE_EXP_GATE_UP},
    {"ffn_up_shexp", GP_ROLE_SHEXP},
    {"ffn_gate_shexp", GP_ROLE_SHEXP},
    {"ffn_down_shexp", GP_ROLE_SHEXP},
    {"ffn_gate_up_shexp", GP_ROLE_SHEXP},
    {"ffn_gate_inp", GP_ROLE_ROUTER},
    {"ffn_gate_inp_shexp", GP_ROLE_ROUTER},
    {"exp_probs_b", GP_ROLE_ROUTER},
};

static const struct { const char *name; gp_role role; } global_roles[] = {
    {"token_embd", GP_ROLE_TOKEN_EMBD},
    {"output", GP_ROLE_OUTPUT},
    {"output_norm", GP_ROLE_NORM},
    {"token_embd_norm", GP_ROLE_NORM},
    {"rope_freqs", GP_ROLE_NORM},
};

static gp_role role_of_block_base(const char *base, size_t len)
{
    for (size_t i = 0; i < sizeof block_roles / sizeof block_roles[0]; i++)
        if (strlen(block_roles[i].base) == len && memcmp(block_roles[i].base, base, len) == 0)
            return block_roles[i].role;
    if (len >= 4 && memcmp(base + len - 4, "norm", 4) == 0)
        return GP_ROLE_NORM;
    if (len >= 4 && memcmp(base, "ssm_", 4) == 0)
        return GP_ROLE_SSM;
    if (len >= 5 && memcmp(base, "time_", 5) == 0)
        return GP_ROLE_SSM; /* RWKV time mixing */
    if (len >= 9 && memcmp(base, "shortconv", 9) == 0)
        return GP_ROLE_SHORTCONV;
    return GP_ROLE_OTHER;
}

void gp_classify_tensor(const char *name, int32_t *layer, gp_role *role)
{
    *layer = -1;
    *role = GP_ROLE_OTHER;
    /* Drop the ".weight" / ".bias" / ".scale" suffix. */
    const char *end = strrchr(name, '.');
    size_t len = strlen(name);
    if (end && (strcmp(end, ".weight") == 0 || strcmp(end, ".bias") == 0 ||
                strcmp(end, ".scale") == 0))
        len = (size_t)(end - name);
    bool is_bias = end && strcmp(end, ".bias") == 0;

    if (strncmp(name, "blk.", 4) == 0) {
        const char *p = name + 4;
        char *after = NULL;
        unsigned long idx = strtoul(p, &after, 10);
        if (after == p || *after != '.' || idx > 1000000)
            return;
        *layer = (int32_t)idx;
        const char *base = after + 1;
        size_t blen = len > (size_t)(base - name) ? len - (size_t)(base - name) : 0;
        /* LFM2 names its short convolution "shortconv.conv", "shortconv.in_proj"... */
        *role = role_of_block_base(base, blen);
        if (is_bias && (*role == GP_ROLE_ATTN_Q || *role == GP_ROLE_ATTN_K ||
                        *role == GP_ROLE_ATTN_V || *role == GP_ROLE_ATTN_QKV ||
                        *role == GP_ROLE_ATTN_OUT)) {
            /* Biases travel with their weights; keep the role. */
        }
        return;
    }
    for (size_t i = 0; i < sizeof global_roles / sizeof global_roles[0]; i++) {
        if (strlen(global_roles[i].name) == len && memcmp(global_roles[i].name, name, len) == 0) {
            *role = global_roles[i].role;
            return;
        }
    }
    if (len >= 4 && memcmp(name + len - 4, "norm", 4) == 0)
        *role = GP_ROLE_NORM;
}

const char *gp_file_type_name(uint32_t ft)
{
    /* llama_ftype values as llama.cpp names them. */
    static const char *names[] = {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1",
        [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1", [10] = "Q2_K - Medium",
        [11] = "Q3_K - Small", [12] = "Q3_K - Medium", [13] = "Q3_K - Large",
        [14] = "Q4_K - Small", [15] = "Q4_K - Medium", [16] = "Q5_K - Small",
        [17] = "Q5_K - Medium", [18] = "Q6_K", [19] = "IQ2_XXS - 2.0625 bpw",
        [20] = "IQ2_XS - 2.3125 bpw", [21] = "Q2_K - Small", [22] = "IQ3_XS - 3.3 bpw",
        [23] = "IQ3_XXS - 3.0625 bpw", [24] = "IQ1_S - 1.5625 bpw", [25] = "IQ4_NL - 4.5 bpw",
        [26] = "IQ3_S - 3.4375 bpw", [27] = "IQ3_S mix - 3.66 bpw", [28] = "IQ2_S - 2.5 bpw",
        [29] = "IQ2_M - 2.7 bpw", [30] = "IQ4_XS - 4.25 bpw", [31] = "IQ1_M - 1.75 bpw",
        [32] = "BF16", [36] = "TQ1_0 - 1.69 bpw", [37] = "TQ2_0 - 2.06 bpw",
        [38] = "MXFP4 MoE", [39] = "NVFP4", [40] = "Q1_0", [41] = "Q2_0",
    };
    if (ft < sizeof names / sizeof names[0])
        return names[ft];
    return NULL;
}
