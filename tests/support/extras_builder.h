/* Headers of what llama-server loads besides a model, for tests: LoRA
 * adapters for a given base model and multimodal projectors. */
#ifndef GP_TESTS_EXTRAS_BUILDER_H
#define GP_TESTS_EXTRAS_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

/* A LoRA adapter of `rank` for the GGUF at base: a pair (X.lora_a [n_in,
 * rank], X.lora_b [rank, n_out]; token_embd: [rank, n_vocab], [rank,
 * n_embd]) for every base tensor named by one of the comma-separated
 * targets ("attn_q", "ffn_down", ... for every layer; "token_embd",
 * "output"). with_data adds a zero-filled data section (llama.cpp can load
 * it); otherwise header only. */
bool eb_lora(const char *base, const char *out, uint32_t rank, float alpha, uint32_t type, const char *targets,
             bool with_data);

/* Projector headers with the shapes of published mmproj files. */
typedef enum eb_projector {
    EB_GEMMA3 = 0,   /* SigLIP-so400m 896 px, gemma3 projector to n_embd 2560 */
    EB_LLAVA15,      /* CLIP ViT-L/14 336 px, MLP projector to n_embd 4096 */
    EB_QWEN25VL,     /* Qwen2.5-VL-7B vision tower, merger to n_embd 4096 (the
                        published file has 3584; 4096 pairs it with Qwen3-8B) */
} eb_projector;

bool eb_mmproj(eb_projector which, const char *out);

#endif
