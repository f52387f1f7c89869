/* Writes the fuzz seed corpus: small headers of each model family.
 *   make_fuzz_seeds DIR */
#include <stdbool.h>
#include <stdio.h>

#include "extras_builder.h"
#include "gguf/types.h"
#include "model_builder.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_fuzz_seeds DIR\n");
        return 2;
    }
    static const uint32_t lfm_kv[4] = {0, 4, 0, 4};
    mb_spec specs[] = {
        {.arch = "llama", .n_layer = 1, .n_embd = 32, .n_head = 2, .n_head_kv = 1, .n_ff = 32, .n_vocab = 8, .tokens = true},
        {.arch = "qwen3moe", .n_layer = 2, .n_embd = 64, .n_head = 4, .n_head_kv = 2, .head_dim = 16, .n_vocab = 16, .n_expert = 4, .n_expert_used = 2, .n_ff_exp = 32},
        {.arch = "gemma3", .n_layer = 6, .n_embd = 64, .n_head = 2, .n_head_kv = 1, .head_dim = 32, .n_ff = 64, .n_vocab = 16, .n_swa = 32},
        {.arch = "deepseek2", .n_layer = 2, .n_embd = 64, .n_head = 2, .n_head_kv = 1, .head_dim = 16, .n_ff = 64, .n_vocab = 16, .kv_lora_rank = 32, .rope_dim = 16, .n_expert = 4, .n_expert_used = 2, .n_ff_exp = 32, .n_expert_shared = 1},
        {.arch = "lfm2", .n_layer = 4, .n_embd = 64, .n_head = 4, .head_kv_per_layer = lfm_kv, .n_ff = 64, .n_vocab = 16, .shortconv_l_cache = 3},
        {.arch = "mamba2", .n_layer = 2, .n_embd = 64, .n_head = 1, .n_vocab = 16, .ssm_d_conv = 4, .ssm_d_inner = 128, .ssm_d_state = 16, .ssm_n_group = 1},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        gw *w = mb_build(&specs[i]);
        char path[512];
        snprintf(path, sizeof path, "%s/%s.gguf", argv[1], specs[i].arch);
        if (!gw_write(w, path, i == 0)) {
            fprintf(stderr, "make_fuzz_seeds: cannot write %s\n", path);
            return 1;
        }
        gw_free(w);
    }
    /* A model carrying LoRA pairs for its own tensors (the fuzz target
     * prices the input as an adapter of itself), and a projector. */
    gw *w = mb_build(&specs[0]);
    static const char *const adapted[] = {"blk.0.attn_q.weight", "blk.0.ffn_down.weight", "token_embd.weight"};
    for (size_t i = 0; i < 3; i++) {
        char a[96], b[96];
        snprintf(a, sizeof a, "%s.lora_a", adapted[i]);
        snprintf(b, sizeof b, "%s.lora_b", adapted[i]);
        gw_tensor2(w, a, 1, 32, 4);
        gw_tensor2(w, b, 1, 4, 32);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/llama-lora.gguf", argv[1]);
    bool ok = gw_write(w, path, false);
    gw_free(w);
    snprintf(path, sizeof path, "%s/mmproj-llava15.gguf", argv[1]);
    ok = ok && eb_mmproj(EB_LLAVA15, path);
    if (!ok) {
        fprintf(stderr, "make_fuzz_seeds: cannot write the extras seeds\n");
        return 1;
    }
    return 0;
}
