#include "model/arch.h"

#include <string.h>

/* Architectures whose cache layout needs a rule beyond the header keys.
 * Periods and defaults follow each architecture's hyper-parameter loading in
 * llama.cpp v0.5.0 (src/models/<arch>.cpp). */
static const gp_arch_rules rules[] = {
    {.name = "gemma2", .swa_period = 2, .swa_default_window = 4096},
    {.name = "gemma3", .swa_period = 6, .swa_needs_window = true},
    {.name = "gemma3n", .swa_period = 5},
    {.name = "gemma-embedding", .swa_period = 6},
    {.name = "gemma4", .head_dim_swa = true, .kv_shared_layers = true, .tied_output_first = true,
     .rope_freqs_full = true},
    {.name = "gpt-oss", .swa_period = 2},
    {.name = "cohere2", .swa_period = 4, .no_rope_full = true},
    {.name = "cohere2moe", .swa_period = 4, .swa_dense_first = true},
    {.name = "exaone4", .swa_period = 4, .swa_default_window = 4096, .swa_only_n_layer = 64, .no_rope_full = true},
    {.name = "exaone-moe", .swa_period = 4, .swa_default_window = 128},
    {.name = "olmo2", .swa_period = 4, .swa_needs_window = true},
    {.name = "mellum", .swa_period = 4, .swa_needs_window = true},
    {.name = "afmoe", .swa_period = 4, .swa_needs_window = true},
    {.name = "smallthinker", .swa_period = 4, .swa_dense_first = true, .swa_needs_window = true},
    {.name = "plamo3", .swa_period = 8, .swa_needs_window = true},
    {.name = "laguna", .swa_period = 4, .swa_dense_first = true, .swa_needs_window = true},
    {.name = "muse-glimmer", .swa_period = 4},
    {.name = "llama4", .swa_period = 4, .swa_default_window = 8192, .swa_chunked = true, .no_rope_step = 4},
    {.name = "lfm2", .recurrent = GP_RECR_KV_ZERO, .swa_needs_window = true, .swa_all_attention = true,
     .embd_norm_is_output = true},
    {.name = "lfm2moe", .recurrent = GP_RECR_KV_ZERO, .embd_norm_is_output = true, .moe_norm_w = true},
    {.name = "jamba", .recurrent = GP_RECR_KV_ZERO},
    {.name = "granitehybrid", .recurrent = GP_RECR_KV_ZERO, .rope_if_finetuned = true, .moe_norm_w = true},
    {.name = "plamo2", .recurrent = GP_RECR_KV_ZERO},
    {.name = "kimi-linear", .recurrent = GP_RECR_KV_ZERO},
    {.name = "kimi-k3", .recurrent = GP_RECR_KV_ZERO},
    {.name = "bailingmoe3", .recurrent = GP_RECR_KV_ZERO},
    {.name = "falcon-h1", .recurrent = GP_RECR_ALL, .recurrent_attends = true},
    {.name = "nemotron_h", .recurrent = GP_RECR_KV_FF_ZERO, .no_rope_step = 1, .rows_after_norm = true},
    {.name = "nemotron_h_moe", .recurrent = GP_RECR_KV_FF_ZERO, .no_rope_step = 1, .rows_after_norm = true},
    {.name = "qwen3next", .recurrent = GP_RECR_INTERVAL, .recurrent_interval = 4, .moe_norm_w = true},
    {.name = "qwen35", .recurrent = GP_RECR_INTERVAL, .recurrent_interval = 4, .pos_per_tok = 4},
    {.name = "qwen35moe", .recurrent = GP_RECR_INTERVAL, .recurrent_interval = 4, .pos_per_tok = 4,
     .moe_norm_w = true},
    {.name = "qwen3vl", .pos_per_tok = 4},
    {.name = "qwen3vlmoe", .pos_per_tok = 4},
    {.name = "qwen4exp", .recurrent = GP_RECR_INTERVAL, .recurrent_interval = 4},
    {.name = "minimax-01", .recurrent = GP_RECR_INTERVAL, .recurrent_interval = 8},
    {.name = "mamba", .recurrent = GP_RECR_ALL},
    {.name = "mamba2", .recurrent = GP_RECR_ALL},
    {.name = "rwkv6", .recurrent = GP_RECR_ALL},
    {.name = "rwkv6qwen2", .recurrent = GP_RECR_ALL},
    {.name = "rwkv7", .recurrent = GP_RECR_ALL},
    {.name = "arwkv7", .recurrent = GP_RECR_ALL},
    {.name = "deepseek2", .mla = true},
    {.name = "deepseek2-ocr", .mla = true},
    {.name = "deepseek32", .mla = true},
    {.name = "glm-dsa", .mla = true, .indexer_types = true},
    {.name = "minicpm3", .mla = true},
    {.name = "mistral4", .mla = true},
    {.name = "smollm3", .no_rope_step = 4},
    {.name = "qwen3moe", .moe_norm_w = true},
    {.name = "ernie4_5-moe", .moe_norm_w = true},
    {.name = "hunyuan-moe", .moe_norm_w = true, .qk_norm_after_rope = true},
    {.name = "minimax-m2", .moe_norm_w = true},
};

/* Every architecture name llama.cpp v0.5.0 accepts (llama-arch.cpp). */
static const char *const known_archs[] = {
    "clip", "llama", "llama4", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox",
    "mpt", "baichuan", "starcoder", "refact", "bert", "modern-bert", "nomic-bert",
    "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert", "bloom",
    "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "qwen3next",
    "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "qwen4exp", "phi2", "phi3", "phimoe",
    "plamo", "plamo2", "plamo3", "codeshell", "orion", "internlm2", "minicpm", "minicpm3",
    "gemma", "gemma2", "gemma3", "gemma3n", "gemma4", "gemma4-assistant",
    "gemma-embedding", "starcoder2", "mamba", "mamba2", "maple", "jamba", "falcon-h1",
    "xverse", "command-r", "cohere2", "cohere2moe", "dbrx", "olmo", "olmo2", "olmoe",
    "muse-glimmer", "openelm", "arctic", "deepseek", "deepseek2", "deepseek2-ocr",
    "deepseek32", "deepseek4", "chatglm", "glm4", "glm4moe", "glm-dsa", "bitnet", "t5",
    "t5encoder", "jais", "jais2", "nemotron", "nemotron_h", "nemotron_h_moe", "exaone",
    "exaone4", "exaone-moe", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "granite",
    "granitemoe", "granitehybrid", "graniteswitch", "granite_swa", "chameleon",
    "wavtokenizer-dec", "plm", "bailingmoe", "bailingmoe2", "bailingmoe3", "dots1",
    "dots3note", "arcee", "afmoe", "laguna", "ernie4_5", "ernie4_5-moe", "hunyuan-moe",
    "hunyuan-dense", "hunyuan_vl", "hy_v3", "hy_v4", "smollm3", "gpt-oss", "lfm2",
    "lfm2moe", "dream", "smallthinker", "llada", "llada-moe", "seed_oss", "grovemoe",
    "apertus", "minimax-01", "hrm_text", "minimax-m2", "minimax-m3", "cogvlm", "rnd1",
    "pangu-embedded", "mistral3", "eagle3", "dflash", "mistral4", "paddleocr", "mimo2",
    "step35", "spark2_5", "llama-embed", "maincoder", "kimi-linear", "kimi-k3", "talkie",
    "mellum", "nanbeige", "qwen3tts", "pockettts",
};

const gp_arch_rules *gp_arch_lookup(const char *arch, bool *known)
{
    static const gp_arch_rules neutral = {.name = ""};
    *known = false;
    for (size_t i = 0; i < sizeof known_archs / sizeof known_archs[0]; i++) {
        if (strcmp(known_archs[i], arch) == 0) {
            *known = true;
            break;
        }
    }
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].name, arch) == 0)
            return &rules[i];
    return &neutral;
}
