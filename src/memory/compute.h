/*
 * compute.h - prediction of llama.cpp's compute buffer (the ggml backend
 * scheduler's graph allocation) for one device.
 *
 * The caller describes the model (numbers from the GGUF header) and the run
 * flags; gp_compute_bytes() rebuilds the worst-case prompt-processing graph
 * that llama.cpp reserves and replays ggml-alloc's placement on it.
 */
#ifndef GP_COMPUTE_H
#define GP_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Graph family: which per-layer graph llama.cpp builds. */
typedef enum {
    /* llama, mistral, qwen2, qwen3 (set qk_norm), granite-like dense or MoE
       decoders: norm -> attn -> add -> norm -> ffn|moe -> add */
    GP_COMPUTE_FAMILY_LLAMA = 0,
    /* gemma3: scaled embeddings, q/k norm, post-attn and post-ffn norms,
       GEGLU, interleaved sliding-window layers (separate SWA cache) */
    GP_COMPUTE_FAMILY_GEMMA3 = 1,
    /* deepseek2 / deepseek3 / kimi-k2 style MLA attention (absorbed), with
       dense lead layers then MoE + shared experts */
    GP_COMPUTE_FAMILY_DEEPSEEK2 = 2,
    /* lfm2: short-convolution recurrent layers mixed with attention layers */
    GP_COMPUTE_FAMILY_LFM2 = 3
} gp_compute_family;

/* Expert gating function (llama.cpp's expert_gating_func). */
typedef enum {
    GP_COMPUTE_GATING_SOFTMAX = 0,
    GP_COMPUTE_GATING_SIGMOID = 1
} gp_compute_gating;

/* ggml type ids of the KV cache (only used to decide quantized or not). */
#define GP_COMPUTE_TYPE_F32  0
#define GP_COMPUTE_TYPE_F16  1
#define GP_COMPUTE_TYPE_BF16 30

typedef struct {
    gp_compute_family family;

    uint32_t n_layer;      /* {arch}.block_count (minus nextn_predict_layers) */
    uint32_t n_embd;       /* {arch}.embedding_length */
    uint32_t n_vocab;      /* length of tokenizer.ggml.tokens (or output rows) */

    uint32_t n_head;       /* {arch}.attention.head_count */
    uint32_t n_head_kv;    /* {arch}.attention.head_count_kv */
    uint32_t head_dim_k;   /* {arch}.attention.key_length, else n_embd/n_head */
    uint32_t head_dim_v;   /* {arch}.attention.value_length, else n_embd/n_head */
    uint32_t n_ff;         /* {arch}.feed_forward_length (dense layers) */
    int      qk_norm;      /* per-head RMS norm on Q and K (qwen3, gemma3, lfm2) */

    /* optional per-layer values; NULL = uniform / none */
    const uint8_t  *layer_is_swa;        /* 1 = sliding-window attention layer */
    const uint8_t  *layer_is_recurrent;  /* 1 = recurrent (short-conv) layer */
    const uint32_t *layer_n_ff;          /* per-layer feed_forward_length */
    const uint32_t *layer_n_head_kv;     /* per-layer head_count_kv */

    /* sliding window */
    uint32_t n_swa;        /* {arch}.attention.sliding_window */

    /* mixture of experts (n_expert == 0: dense) */
    uint32_t n_expert;           /* {arch}.expert_count */
    uint32_t n_expert_used;      /* {arch}.expert_used_count */
    uint32_t n_ff_exp;           /* {arch}.expert_feed_forward_length */
    uint32_t n_ff_shexp;         /* total shared-expert width: expert_shared_count * n_ff_exp
                                    (deepseek2) or expert_shared_feed_forward_length */
    uint32_t n_layer_dense_lead; /* {arch}.leading_dense_block_count */
    int      expert_weights_norm;/* {arch}.expert_weights_norm (qwen3moe: 1) */
    int      expert_weights_scaled; /* expert_weights_scale present and != 1 */
    gp_compute_gating gating;    /* {arch}.expert_gating_func (1 softmax, 2 sigmoid) */
    int      expert_probs_bias;  /* exp_probs_b tensor present (deepseek3) */

    /* MLA (deepseek2 family) */
    uint32_t q_lora_rank;   /* {arch}.attention.q_lora_rank (0 = lite, plain wq) */
    uint32_t kv_lora_rank;  /* {arch}.attention.kv_lora_rank */
    uint32_t qk_nope;       /* key_length - rope_dim (mla: key_length_mla - rope) */
    uint32_t qk_rope;       /* {arch}.rope.dimension_count */
    uint32_t v_head_dim;    /* value_length (mla: value_length_mla) */

    /* short conv (lfm2) */
    uint32_t conv_l_cache;  /* {arch}.shortconv.l_cache */
} gp_compute_model;

typedef struct {
    uint32_t n_ctx;          /* context size as llama.cpp settled it (padded to 256,
                                grown to n_seq * n_ctx_seq when not unified) */
    uint32_t n_ctx_req;      /* context asked for (-c; 0 = train ctx resolved by the
                                caller); 0 here = same as n_ctx. n_batch is clamped
                                to this unpadded value, not to n_ctx */
    uint32_t n_batch;        /* -b (clamped internally) */
    uint32_t n_ubatch;       /* -ub (clamped internally to n_batch) */
    uint32_t n_seq;          /* -np (n_seq_max) */
    int      kv_unified;     /* --kv-unified */
    int      flash_attn;     /* resolved flash attention (CPU: auto = on) */
    int      type_k;         /* ggml type id of the K cache */
    int      type_v;         /* ggml type id of the V cache */
    int      swa_full;       /* --swa-full */
    uint32_t n_outputs_max;  /* llama-server: n_parallel; cli/bench/library: n_batch */
} gp_compute_run;

/* Optional per-device view (layer split). NULL = everything on one device. */
typedef struct {
    uint32_t layer_begin;  /* first repeating layer on this device */
    uint32_t layer_end;    /* one past the last layer on this device */
    int      has_output;   /* device holds output norm + output matrix */
    int      has_input;    /* device holds the token-embedding lookup (CPU) */
} gp_compute_split;

/* Predicted compute buffer bytes; 0 on invalid input or out of memory. */
uint64_t gp_compute_bytes(const gp_compute_model *m, const gp_compute_run *r);

/* Same, for one device of a layer split (experimental; see compute.c). */
uint64_t gp_compute_bytes_split(const gp_compute_model *m, const gp_compute_run *r,
                                const gp_compute_split *s);

/* Helpers exposed for callers and tests. */
uint32_t gp_compute_kv_cells_full(const gp_compute_run *r);
uint32_t gp_compute_kv_cells_swa(const gp_compute_model *m, const gp_compute_run *r);

#ifdef __cplusplus
}
#endif

#endif /* GP_COMPUTE_H */
