/* Synthetic model headers of each memory family, for tests. */
#ifndef GP_TESTS_MODEL_BUILDER_H
#define GP_TESTS_MODEL_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "gguf_writer.h"

typedef struct mb_spec {
    const char *arch;
    uint32_t n_layer;       /* block_count (NextN layers included) */
    uint32_t n_embd;
    uint32_t n_head;
    uint32_t n_head_kv;
    const uint32_t *head_kv_per_layer; /* optional array of n_layer values */
    uint32_t head_dim;      /* 0: n_embd / n_head, no key written */
    uint32_t n_ff;
    uint32_t n_vocab;
    uint32_t n_ctx_train;
    uint32_t n_expert, n_expert_used, n_ff_exp, n_expert_shared;
    uint32_t n_swa;         /* writes attention.sliding_window */
    uint32_t kv_lora_rank, rope_dim; /* MLA (deepseek2) when kv_lora_rank > 0 */
    uint32_t q_lora_rank;   /* MLA: low-rank Q (attn_q_a / attn_q_b) when > 0 */
    uint32_t n_layer_dense_lead; /* MoE: the first layers use a dense FFN of n_ff */
    const char *name;       /* general.name (default "synthetic") */
    uint32_t file_type;     /* general.file_type (default 15, Q4_K_M) */
    bool sigmoid_gating;    /* expert_gating_func 2, weights normalised, exp_probs_b */
    uint32_t nextn;
    uint32_t shortconv_l_cache;
    uint32_t ssm_d_conv, ssm_d_inner, ssm_d_state, ssm_n_group;
    uint32_t full_attention_interval;
    uint32_t weight_type;   /* ggml type of 2-D weights (default f16 when 0) */
    bool tokens;            /* write tokenizer.ggml.tokens instead of vocab_size */
    bool tied_output;       /* no output.weight: the output reuses token_embd */
} mb_spec;

/* Builds the header; the caller finishes and frees the writer. */
gw *mb_build(const mb_spec *s);

struct gp_model;
/* Builds the header in memory and opens it as a model (NULL on failure,
 * with the reason in err when given). */
struct gp_model *mb_model(const mb_spec *s, char *err, size_t err_size);

#endif
