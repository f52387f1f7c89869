/*
 * What a GGUF's tensors and hyper-parameters mean to llama.cpp.
 *
 * gp_model gathers one or more GGUF shards into one model: the
 * architecture, per-layer hyper-parameters (scalars or per-layer arrays),
 * which layers are full attention, sliding-window, MLA or recurrent, and
 * every tensor with its layer and role. Everything here is derived from the
 * header; nothing reads the weights.
 */
#ifndef GP_MODEL_MODEL_H
#define GP_MODEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"
#include "gguf/gguf.h"

/* What a tensor is for. The planner moves tensors by role (experts first). */
typedef enum gp_role {
    GP_ROLE_OTHER = 0,
    GP_ROLE_TOKEN_EMBD,
    GP_ROLE_OUTPUT,
    GP_ROLE_NORM,         /* any norm, bias-like or tiny per-layer vector */
    GP_ROLE_ATTN_Q,
    GP_ROLE_ATTN_K,
    GP_ROLE_ATTN_V,
    GP_ROLE_ATTN_QKV,
    GP_ROLE_ATTN_OUT,
    GP_ROLE_ATTN_MLA,     /* low-rank projections of multi-head latent attention */
    GP_ROLE_FFN_UP,
    GP_ROLE_FFN_GATE,
    GP_ROLE_FFN_DOWN,
    GP_ROLE_FFN_GATE_UP,
    GP_ROLE_EXP_UP,       /* routed experts, stacked */
    GP_ROLE_EXP_GATE,
    GP_ROLE_EXP_DOWN,
    GP_ROLE_EXP_GATE_UP,
    GP_ROLE_SHEXP,        /* shared experts */
    GP_ROLE_ROUTER,       /* ffn_gate_inp and expert bias */
    GP_ROLE_SSM,          /* Mamba / gated delta net / RWKV state-space weights */
    GP_ROLE_SHORTCONV,    /* LFM2 short convolution */
    GP_ROLE_COUNT
} gp_role;

/* How a layer attends, which decides its cache. */
typedef enum gp_layer_kind {
    GP_LAYER_FULL = 0,    /* full attention: KV for the whole context */
    GP_LAYER_SWA,         /* sliding window: KV for the window only */
    GP_LAYER_MLA,         /* latent attention: compressed K, no V */
    GP_LAYER_RECURRENT,   /* fixed-size state per sequence */
} gp_layer_kind;

typedef struct gp_tensor {
    const gp_gguf_tensor *info; /* owned by the shard's gp_gguf */
    uint32_t shard;
    int32_t layer;        /* block index, or -1 for tensors outside blocks */
    gp_role role;
} gp_tensor;

typedef struct gp_layer {
    gp_layer_kind kind;
    bool nextn;           /* a multi-token-prediction layer, not loaded by default */
    bool router;          /* the weightless router layer past the blocks: never run as a block, but
                             it keeps a cache (Granite Switch) */
    bool attends;         /* a recurrent layer that also has attention and a KV cache */
    bool indexer_shared;  /* sparse attention reusing an earlier layer's top-k: no indexer of its own */
    uint32_t n_head;
    uint32_t n_head_kv;
    uint32_t n_ff;
    uint32_t n_ff_exp;
    uint32_t head_dim_k;  /* per head, this layer's (sliding layers may differ) */
    uint32_t head_dim_v;
    int32_t kv_src;       /* the layer whose cache this one reads: itself unless it shares one */
    uint32_t compress_ratio; /* sparse attention over blocks of this many cached tokens (qwen4exp); 0: dense */
    bool indexer_cache;   /* keeps its indexer's keys in a cache of their own beside its KV cache (qwen4exp) */
    bool indexer_cache_v; /* ... and one head of values there too (MiniMax-M3) */
    bool swiglu_clamp_exp;   /* the routed experts' SwiGLU is clamped (swiglu_clamp_exp above zero) */
    bool swiglu_clamp_shexp; /* the shared or dense FFN's (swiglu_clamp_shexp above zero) */
    bool has_experts;
    uint64_t bytes;       /* weights of this block */
    uint64_t expert_bytes;/* of which routed experts */
} gp_layer;

/* The most layers llama.cpp loads (LLAMA_MAX_LAYERS, NextN included). */
#define GP_MAX_LAYERS 512

typedef struct gp_hparams {
    uint32_t n_layer_all; /* block_count, NextN layers included */
    uint32_t n_layer;     /* layers run by default (NextN excluded) */
    uint32_t n_nextn;
    uint64_t n_embd;
    uint64_t n_vocab;
    uint64_t n_ctx_train;
    uint32_t n_head;      /* layer 0 (or the first non-zero) */
    uint32_t n_head_kv;
    uint32_t head_dim_k;  /* per head, as the KV cache stores it */
    uint32_t head_dim_v;
    uint32_t n_ff;
    uint32_t n_expert;
    uint32_t n_expert_used;
    uint32_t n_expert_shared;
    uint32_t n_ff_exp;
    uint32_t n_ff_shexp;
    uint32_t n_layer_dense_lead;
    uint32_t moe_every;         /* interleave_moe_layer_step: every n-th layer routes experts (0: all) */
    uint32_t n_expert_groups, n_expert_groups_used; /* expert_group_count / _used_count */
    bool expert_weights_norm;   /* routed weights renormalised to sum 1 */
    bool rope_finetuned;        /* rope.scaling.finetuned (default true) */
    bool parallel_residual;     /* use_parallel_residual: attention and FFN side by side (GPT-NeoX) */
    bool embd_scaled;           /* embedding_scale set: the input embeddings are scaled */
    bool resid_scaled;          /* residual_scale set: each branch is scaled before its add */
    double expert_weights_scale;/* 0 when absent */
    uint32_t expert_gating_func;/* 0 none given, 1 softmax, 2 sigmoid */
    uint32_t n_swa;       /* sliding window size; 0 when none */
    bool swa_chunked;     /* llama4-style chunked attention */
    /* MLA */
    uint32_t kv_lora_rank;
    /* DeepSeek sparse attention: the lightning indexer's heads, head size
     * (its own K cache row) and how many cached tokens it keeps per query */
    uint32_t indexer_n_head, indexer_head_dim, indexer_top_k;
    uint32_t indexer_block_size; /* MiniMax sparse attention: positions per block it picks */
    uint32_t o_group_count, o_lora_rank; /* DeepSeek-V4's grouped low-rank output projection */
    uint32_t q_lora_rank;
    uint32_t rope_dim;
    uint32_t head_dim_k_mla; /* per-head q/k dim before absorption */
    uint32_t head_dim_v_mla;
    /* Recurrent state (per sequence, F32 elements per layer) */
    uint32_t ssm_d_conv;
    uint32_t ssm_d_inner;
    uint32_t ssm_d_state;
    uint32_t ssm_n_group;
    uint32_t ssm_dt_rank;
    uint32_t kda_head_dim;      /* kda.head_dim: Kimi Delta Attention's heads (Q, K, V, state) */
    /* Kimi K3: the KDA decay gate a scaled sigmoid (kda.gate_lower_bound
     * set), the residual banked every attn_res.block_size layers (0: never),
     * routed experts on expert_latent_length (0: n_embd), SiTU's up branch
     * bounded (activation.situ_linear_beta > 0) */
    bool kda_gate_lb;
    uint32_t attn_res_block;
    uint32_t n_embd_latent;
    bool situ_linear;
    uint32_t shortconv_l_cache;
    uint32_t n_deepstack;       /* n_deepstack_layers: extra embedding slices added to the first layers */
    uint32_t wkv_head_size;
    uint32_t token_shift_count;
    /* RWKV's time mix: the low ranks of RWKV-6's lerps and decay, RWKV-6's
     * residual halving period, RWKV-7's LoRA ranks */
    uint32_t time_mix_extra_dim, time_decay_extra_dim, rescale_every_n_layers;
    uint32_t lora_decay, lora_iclr, lora_value_res_mix, lora_gate;
    uint64_t n_embd_r;    /* conv / token-shift state */
    uint64_t n_embd_s;    /* SSM / wkv state */
    /* qwen4exp: hyper_connection.count copies of the residual (0: none),
     * mixed through projections of hyper_connection.low_rank; the hashed
     * n-gram embedding (PLE) on layer ple_layer: ple_n_heads rows of
     * ple_head_dim per token (0 heads: none), its dilated convolution's
     * history (ple_ngram apart, ple_conv_kernel taps) a row of n_embd_p F32
     * of that layer's recurrent state */
    uint32_t hc_count, hc_low_rank;
    uint32_t ple_layer, ple_n_heads, ple_head_dim, ple_ngram, ple_conv_kernel;
    uint64_t n_embd_p;
    /* HRM-Text: layers per stack, high and low cycles (block_count is the cache
     * slots, lps * h * (l + 1); the slots reuse the first 2 * lps blocks' weights) */
    uint32_t hrm_lps, hrm_h, hrm_l;
} gp_hparams;

#define GP_MODEL_MAX_WARNINGS 8

struct gp_model {
    char *path;
    gp_gguf **shards;     /* owned; shards[0] holds the metadata */
    uint32_t n_shards;
    char arch[64];
    char name[128];
    uint32_t file_type;   /* general.file_type, or UINT32_MAX */
    bool arch_known;      /* the architecture is in ggplace's table */
    bool embd_norm_is_output; /* token_embd_norm belongs to the output layer */
    bool tied_output_first;   /* a tied output is a copy of token_embd even on the CPU */
    bool embd_is_output;      /* the logits read token_embd itself: no copy on the output device */
    bool rope_freqs_full;     /* only full-attention layers hold rope_freqs */
    bool v_pad_every_layer;   /* a transposed V cache on every layer, KV heads or not */
    bool dsv4_cache;          /* DeepSeek-V4's raw, compressed and indexer caches and compressor states */
    gp_hparams hp;
    gp_layer *layers;     /* n_layer_all entries */
    gp_tensor *tensors;
    uint64_t n_tensors;
    uint64_t tensor_bytes;
    uint64_t n_params;
    bool data_present;    /* every shard has its data section */
    char warnings[GP_MODEL_MAX_WARNINGS][200];
    uint32_t n_warnings;
};

/* Builds the model view from already parsed shards (takes ownership of the
 * array and its gp_gguf objects, also on failure). */
gp_status gp_model_from_shards(const char *path, gp_gguf **shards, uint32_t n_shards,
                               gp_model **out, gp_error *err);

/* Names for output. */
const char *gp_role_name(gp_role role);
const char *gp_layer_kind_name(gp_layer_kind kind);
bool gp_role_is_expert(gp_role role);

/* Classifies a tensor name: block index (-1 if none) and role. */
void gp_classify_tensor(const char *name, int32_t *layer, gp_role *role);

/* The model's tensor of that name, or NULL. */
const gp_tensor *gp_model_find_tensor(const gp_model *m, const char *name);

/* llama.cpp's file type names ("Q4_K - Medium"), or NULL. */
const char *gp_file_type_name(uint32_t file_type);

#endif
