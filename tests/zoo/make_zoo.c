/*
 * The model zoo: header-only GGUFs with the dimensions of real released
 * models (from each one's published config.json), the tensor names and
 * shapes llama.cpp v0.5.0's loader expects for the architecture, a
 * Q4_K_M-like type mix and a synthetic tokenizer of the right size (only
 * counts matter). A zoo header is valid only when llama.cpp loads it:
 * bench/referee checks that on every run.
 *
 *   make_zoo OUT_DIR [NAME...]     writes OUT_DIR/NAME.gguf (all by default)
 *   make_zoo --tiny OUT_DIR        the same families at toy sizes (a few KB
 *                                  each): the fuzz seeds that reach every
 *                                  family's builder (fuzz/corpus/zoo-*.gguf)
 *   make_zoo --list                one line per model: name, arch, source
 *
 * One row per model in zoo_models[]; what differs between families' blocks
 * is an options struct (zoo_block), read by one writer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gguf/types.h"
#include "gguf_writer.h"

typedef enum zoo_ffn {
    ZOO_FFN_GATED,    /* ffn_gate, ffn_up, ffn_down */
    ZOO_FFN_FUSED_UP, /* ffn_up holds gate and up (2 * n_ff), ffn_down (phi3) */
    ZOO_FFN_UP_ONLY,  /* ffn_up, ffn_down: no gate (apertus' xIELU) */
    ZOO_FFN_MOE,      /* router and stacked experts */
} zoo_ffn;

/* The parts of a block that differ between families. */
typedef struct zoo_block {
    bool qkv_fused;      /* one attn_qkv instead of attn_q / attn_k / attn_v */
    bool qkv_bias;       /* biases on Q, K and V */
    bool out_bias;       /* bias on attn_output */
    bool qk_norm;        /* attn_q_norm / attn_k_norm of one head */
    bool qk_norm_full;   /* ... of all heads (n_head * head_dim) instead */
    bool post_norms;     /* no norm before attention and FFN; post_attention_norm and
                            post_ffw_norm after them */
    bool post_attn_norm; /* post_attention_norm after attention */
    bool post_ffw_norm;  /* post_ffw_norm after the FFN */
    bool no_ffn_norm;    /* no ffn_norm before the FFN (the post-attention norm serves) */
    bool sinks;          /* attn_sinks, one per head */
    zoo_ffn ffn;
    bool moe_bias;       /* biases on the router and the experts */
    bool shexp;          /* a shared expert of the routed experts' width beside them */
    bool rope_freqs;     /* rope_freqs (llama3 rope scaling), shared by every layer */
    bool rope_factors;   /* rope_factors_long / _short (LongRoPE) */
    bool norm_bias;      /* biases on attn_norm, ffn_norm and output_norm (LayerNorm families) */
    bool ffn_bias;       /* biases on ffn_up and ffn_down */
    bool output_bias;    /* bias on output (the logits) */
    bool parallel_res;   /* use_parallel_residual written true (GPT-NeoX) */
    bool ffn_half;       /* the FFN's tensors are n_ff / 2 wide (Qwen's feed_forward_length
                            counts gate and up together) */
    bool qk_norm_heads;  /* attn_q_norm / attn_k_norm of one head per head: [head_dim, heads]
                            (Chameleon) */
    bool attn_out_norm;  /* attn_output_norm after attention, the FFN's norm (DBRX) */
    bool dense_res;      /* beside the routed experts (normed by ffn_norm_exps), a dense FFN of
                            the embedding's width on the ffn_norm (Arctic) */
} zoo_block;

/* Multi-head latent attention (deepseek2): the dimensions beyond the heads. */
typedef struct zoo_mla {
    uint32_t q_lora, kv_lora, nope, rope, v_head; /* q_lora 0: one attn_q (lite) */
    uint32_t idx_heads, idx_dim, idx_top_k;      /* the sparse-attention indexer (deepseek32) */
    bool kv_b;                                   /* one attn_kv_b instead of attn_k_b and attn_v_b
                                                    (MiniCPM3) */
    const char *idx_types;                       /* attention.indexer.types written per layer: 'S' the
                                                    layer reuses the last indexer's top-k (no indexer
                                                    tensors), anything else owns one; NULL: not written */
    bool out_gate;                               /* a sigmoid gate on the heads' output before wo:
                                                    attn_gate [n_embd, v_head * n_head] (Hy4) */
} zoo_mla;

/* Hy4's independent hyper-connections: count copies of the residual, each
 * block's input a learned mix of them and its output spread back over them
 * (hc_attn_* / hc_ffn_* a layer, output_hc_* before the final norm). */
typedef struct zoo_ihc {
    uint32_t count;          /* hyper_connection.count; 0: none */
    float eps, magnitude;    /* hyper_connection.epsilon / .magnitude */
} zoo_ihc;

/* Routed experts beyond their count: the DeepSeek-V3 kind. */
typedef struct zoo_moe {
    uint32_t dense_lead;     /* leading_dense_block_count */
    uint32_t shared;         /* expert_shared_count (shared width = shared * n_ff_exp) */
    uint32_t groups, groups_used;
    uint32_t gating;         /* expert_gating_func: 1 softmax, 2 sigmoid; 0 not written */
    float weights_scale;     /* written when > 0 */
    bool weights_norm;
    bool probs_bias;         /* exp_probs_b.bias */
    bool lead_by_tensors;    /* leading_dense_block_count not written: the dense lead layers are
                                told by their tensors alone, as MiMo-V2's converter leaves them */
} zoo_moe;

/* Mamba-2 mixers (mamba2, nemotron_h, granitehybrid, falcon-h1): ssm.* keys. */
typedef struct zoo_mamba {
    uint32_t conv, inner, state, groups, heads;
    bool every_ffn;     /* each layer (mixer or attention) is followed by an FFN (Granite 4.0-H) */
    bool parallel;      /* attention and the mixer side by side in every layer (Falcon-H1) */
    bool no_norm;       /* no per-group output norm (ssm_norm) */
    bool no_rope;       /* rope.scaling.finetuned false: no position encoding (Granite 4.0-H) */
    bool v1;            /* Mamba-1 mixers (heads: the time-step rank); with layer_kinds, Jamba's
                           'M' / 'N' Mamba-1 and 'a' / 'A' attention layers, each followed by a
                           dense FFN (lower case 'M', 'a') or routed experts ('N', 'A') */
    bool dt_norms;      /* RMS norms on dt, B and C (Jamba) */
    bool plamo;         /* PLaMo 2: with layer_kinds, 'M' mixers (no groups; dt, B and C projected
                           from x and RMS-normed, dt widened per head) and 'a' attention layers (one
                           QKV projection, per-head norms), each followed by post norms and an FFN
                           whose up projection holds gate and up; head counts zero on mixers */
} zoo_mamba;

/* Gated delta net layers (qwen3next): every layer but each interval-th. */
typedef struct zoo_delta {
    uint32_t interval;               /* full_attention_interval; 0: none */
    uint32_t conv, state, groups, dt_rank, inner;
    bool ab_split;                   /* ssm_alpha + ssm_beta instead of one ssm_ba (qwen35moe) */
} zoo_delta;

/* Kimi Delta Attention layers ('k' in layer_kinds) beside MLA ones ('a'):
 * heads of head_dim (as many as the attention's), a short convolution on
 * each of Q, K and V. */
typedef struct zoo_kda {
    uint32_t head_dim, conv;         /* kda.head_dim, ssm.conv_kernel; 0: no KDA layers */
    /* Kimi K3: one full-rank output gate (ssm_g), the decay gate's lower
     * bound (written when < 0), the residual banked every res_block layers
     * and mixed back by learned scores (0: none), routed experts on a
     * latent width, SiTU activations, a sigmoid gate on the MLA output */
    bool full_gate;
    float gate_lb;
    uint32_t res_block, latent;
    float situ_beta, situ_linear_beta;
    bool mla_gate;
    /* Ling 3: full-rank decay and output gates (ssm_f_a and ssm_g_a at the
     * inner width, no f_b / g_b), a sigmoid gate per head on the MLA
     * output (attn_gate of n_head rows); with swiglu_clamp, the limits on
     * the experts' and the shared FFN's SwiGLU its converter writes where
     * the config lists them (none on the dense lead layer) */
    bool ling, swiglu_clamp;
} zoo_kda;

/* Qwen3.8-Flash-Next (qwen4exp): count parallel copies of the residual
 * mixed by low-rank gates in place of every norm (hyper-connections), sparse
 * attention over the blocks of compress cached tokens an indexer picks, and
 * one linear layer's hashed n-gram embedding (PLE) with a dilated
 * convolution over its history. */
typedef struct zoo_hc {
    uint32_t count, low_rank;                      /* hyper_connection.*; 0: none */
    uint32_t idx_heads, idx_dim, idx_top_k;        /* attention.indexer.* */
    uint32_t compress;                             /* the full layers' compress ratio */
    uint32_t ple_layer;                            /* the PLE layer (zero-based) */
    uint32_t ple_ngram, ple_heads_per_ngram, ple_kernel, ple_dim; /* ple_dim 0: no PLE */
    uint64_t ple_rows;                             /* rows of per_layer_token_embd */
} zoo_hc;

/* MiniMax sparse attention (MiniMax-M3): on every layer past the dense lead,
 * an indexer (one query head per KV head, one key head, F32 as converted)
 * picks top_k blocks of block cached positions, the last local ones always. */
typedef struct zoo_msa {
    uint32_t idx_heads, idx_dim, top_k, block, local; /* attention.indexer.*; idx_heads 0: none */
} zoo_msa;

/* DeepSeek-V4: hyper-connections (count copies of the residual mixed by
 * Sinkhorn-normalised weights), one K=V head of head_dim per layer kept raw
 * over a sliding window and compressed 4:1 (with a lightning indexer) or
 * 128:1 on the layers past the first two, alternately; grouped low-rank
 * output projections; the first hash_layers layers route experts by token
 * id (a table), the others by a biased score. */
typedef struct zoo_dsv4 {
    uint32_t hc, sinkhorn;                      /* hyper_connection.*; hc 0: not DeepSeek-V4 */
    uint32_t q_lora, o_groups, o_lora;          /* attention.q_lora_rank, output_group_count / _lora_rank */
    uint32_t idx_heads, idx_dim, idx_top_k;     /* attention.indexer.* */
    uint32_t hash_layers;                       /* hash_layer_count */
    uint32_t plain_lead;                        /* layers without compression before the alternation */
} zoo_dsv4;

/* Gemma 4: sliding layers with heads of their own size beside wider global
 * ones, later layers reading earlier layers' caches, per-layer token
 * embeddings (the E models) and a dense MLP beside the routed experts (MoE). */
typedef struct zoo_gemma4 {
    uint32_t head_dim_global;  /* key/value_length of the global layers (head_dim: the sliding ones) */
    uint32_t n_head_kv_global; /* 0: n_head_kv */
    uint32_t global_every;     /* layer il is global when il % global_every == global_every - 1 */
    uint32_t shared_kv;        /* attention.shared_kv_layers: the last ones have no K/V of their own */
    uint32_t per_layer;        /* embedding_length_per_layer_input (0: none) */
    uint32_t n_ff_shared;      /* feed_forward_length of the KV-shared layers (double-wide MLP); 0: n_ff */
    bool k_eq_v;               /* global layers have no attn_v: V comes from the K projection */
} zoo_gemma4;

/* RWKV: the time mix's low-rank widths and the token shift. */
typedef struct zoo_rwkv {
    uint32_t version;                /* 6 or 7; 0: not RWKV */
    uint32_t head_size;              /* wkv.head_size */
    uint32_t mix_extra, decay_extra; /* RWKV-6: time_mix_extra_dim, time_decay_extra_dim */
    uint32_t rescale;                /* RWKV-6: rescale_every_n_layers */
    uint32_t decay, iclr, value_mix, gate; /* RWKV-7: the LoRA ranks (gate 0: no output gate) */
    bool hybrid;                     /* RMS norms, one saved token, a gated FFN instead of the
                                        channel mix (QRWKV-6, ARWKV-7): keys and values of
                                        n_head_kv heads, biased (RWKV-6); no group norm */
} zoo_rwkv;

typedef struct zoo_model {
    const char *name;   /* file name, without .gguf */
    const char *arch;   /* general.architecture */
    const char *source; /* whose config.json the dimensions are */
    uint32_t n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx_train;
    uint32_t n_rot;     /* rotary dimensions; 0: the whole head */
    uint32_t n_expert, n_expert_used, n_ff_exp;
    uint32_t moe_step;  /* interleave_moe_layer_step, written when > 0 */
    uint32_t n_swa;     /* sliding window, written when > 0 */
    uint32_t expert_type; /* the routed experts' type; 0: the mix's */
    float rope_base, rms_eps;
    bool tied;          /* no output.weight: the embeddings are reused */
    const char *layer_kinds; /* one letter a layer: 'a' attention, 'c' short convolution;
                                Nemotron-H's 'M' Mamba-2, '*' attention, '-' MLP, 'E' MoE;
                                Granite 4.0-H's 'M' Mamba-2, 'a' attention (each with an FFN);
                                NULL: all attention */
    uint32_t conv_l;    /* short convolution window (shortconv.l_cache) */
    bool embd_norm_out; /* the final norm is token_embd_norm (LFM2) */
    bool layer_norm;    /* LayerNorm (layer_norm_epsilon) instead of RMS norm */
    float logit_scale;  /* written when > 0 */
    float embd_scale, resid_scale, attn_scale; /* Granite / MiniCPM multipliers, written when > 0 */
    float attn_softcap, final_softcap;         /* Gemma 2's logit soft-capping, written when > 0 */
    zoo_block block;
    zoo_mla mla;        /* kv_lora > 0: latent attention */
    zoo_moe moe;
    zoo_delta delta;
    zoo_mamba mamba;    /* inner > 0: Mamba-2 layers ('M' in layer_kinds, or every layer) */
    uint32_t deepstack; /* n_deepstack_layers (Qwen3-VL) */
    bool mrope;         /* multi-section rope: rope.dimension_sections written */
    uint32_t n_ff_shexp;   /* expert_shared_feed_forward_length, written when > 0 */
    bool shexp_gate;       /* the shared expert has a sigmoid gate (ffn_gate_inp_shexp) */
    bool q_gate;           /* attn_q also holds a per-head output gate (2 x width) */
    zoo_gemma4 g4;         /* head_dim_global > 0: Gemma 4 */
    uint32_t altup;        /* > 0: Gemma 3n, this many parallel copies of the hidden state */
    zoo_rwkv rwkv;         /* version > 0: RWKV time and channel mixes instead of attention and FFN */
    bool lightning;        /* MiniMax-01: lightning attention (one QKV projection, an output norm
                              and gate) on all but every eighth layer, llama.cpp's default */
    zoo_kda kda;           /* head_dim > 0: Kimi Delta Attention layers */
    zoo_hc hc;             /* count > 0: qwen4exp's hyper-connections, sparse attention and PLE */
    zoo_ihc ihc;           /* count > 0: Hy4's independent hyper-connections */
    bool pos_embd;         /* learned absolute positions: position_embd of n_ctx_train rows (GPT-2) */
    bool embd_ln;          /* a LayerNorm (weight and bias) on the embeddings: token_embd_norm (BLOOM) */
    bool no_norms;         /* no norm weights at all: non-parametric LayerNorms (OLMo) */
    float clamp_kqv;       /* attention.clamp_kqv, written when > 0 */
    uint32_t chunk_ff;     /* GroveMoE: adjugate experts of this width, one per two routed ones */
    const uint32_t *layer_heads, *layer_heads_kv, *layer_ff; /* per-layer head counts and FFN
                                                                widths (OpenELM); NULL: uniform; no
                                                                heads: no attention (DeciLM) */
    const char *extra_vecs;/* more per-layer norm weights, blank-separated names without ".weight",
                              n_embd wide; flags after a colon: 'f' n_ff wide, 'b' bare (no
                              ".weight", as PLaMo 3's loader names its post norms) (Grok's
                              attn_output_norm, BitNet's sub-norms); 'h' a weight [n_embd, n_head],
                              'q' a weight [n_embd, n_head * head_dim] (sigmoid output gates);
                              CogVLM's visual experts: 'k' [n_embd, 3 * n_head * head_dim],
                              'o' [n_head * head_dim, n_embd], 'u' [n_embd, n_ff], 'd' [n_ff, n_embd];
                              Talkie's 's' one scalar [1], 'n' one gain a head [1, n_head] */
    const char *swa_layers;/* attention.sliding_window_pattern written per layer: 'S' sliding,
                              anything else full */
    float swiglu_clamp;    /* swiglu_clamp_exp, written when > 0 */
    uint32_t adapters, adapter_rank; /* Granite Switch: this many LoRA adapters of this rank stacked
                                        beside every projection (a zero one first), chosen per token
                                        by control tokens at the top of the vocabulary; 0: none */
    uint32_t n_head_swa, n_head_kv_swa; /* the sliding layers' ('S' in swa_layers) head counts where
                                           they differ (0: n_head, n_head_kv): per-layer arrays */
    uint32_t head_dim_v;   /* value_length where it differs from head_dim (0: head_dim) */
    bool sinks_swa;        /* with block.sinks, attn_sinks on the sliding layers only */
    float value_scale;     /* attention.value_scale, written when > 0 */
    uint32_t hrm_lps, hrm_h, hrm_l; /* HRM-Text: layers per stack, high and low cycles; n_layer is
                                       the cache slots (lps * h * (l + 1)), only the first 2 * lps
                                       blocks (the low stack, then the high one) have weights;
                                       0: none */
    zoo_msa msa;           /* idx_heads > 0: MiniMax sparse attention */
    zoo_dsv4 dsv4;         /* hc > 0: DeepSeek-V4 */
} zoo_model;

static const uint32_t openelm_270m_heads[16] = {12, 12, 12, 12, 12, 16, 16, 16, 16, 16, 16, 16, 20, 20, 20, 20};
static const uint32_t openelm_270m_heads_kv[16] = {3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5};
static const uint32_t openelm_270m_ff[16] = {768,  1024, 1280, 1536, 1792, 2048, 2560, 2816,
                                             3072, 3328, 3584, 3840, 4352, 4608, 4864, 5120};

/* Llama-3.3-Nemotron-Super-49B: its block_configs as its converter turns them
 * into per-layer arrays (no attention on 31 layers; FFN widths from each
 * block's multiplier of the embedding) */
static const uint32_t nemotron_super_49b_heads[80] = {
    64, 64, 64, 64, 64, 64, 0, 0, 64, 64, 64, 0, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 64, 64, 64, 64, 64, 64, 64, 64, 64
};
static const uint32_t nemotron_super_49b_heads_kv[80] = {
    8, 8, 8, 8, 8, 8, 0, 0, 8, 8, 8, 0, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8, 8
};
static const uint32_t nemotron_super_49b_ff[80] = {
    14336, 28672, 28672, 28672, 28672, 28672, 14336, 14336, 28672, 28672,
    28672, 17920, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672,
    28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672,
    28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672,
    28672, 28672, 7168, 14336, 14336, 7168, 28672, 7168, 14336, 7168,
    7168, 7168, 28672, 7168, 5632, 5632, 7168, 5632, 5632, 5632,
    7168, 7168, 2816, 2816, 5632, 5632, 2816, 2816, 5632, 2816,
    2816, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672, 28672
};

/* Gemma 3n's widths that llama.cpp v0.5.0 fixes rather than reads: the
 * Laurel branch's rank, the per-layer input width, the layers owning a cache */
#define G3N_LAUREL 64
#define G3N_PER_LAYER 256
#define G3N_KV_LAYERS 20

#define GLM5_SHAPE                                                                                        \
    .n_layer = 78, .n_embd = 6144, .n_head = 64, .n_head_kv = 1, .head_dim = 256, .n_ff = 12288,           \
    .n_vocab = 154880, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 2048, .rms_eps = 1e-5f,            \
    .mla = {.q_lora = 2048, .kv_lora = 512, .nope = 192, .rope = 64, .v_head = 256, .idx_heads = 32,        \
            .idx_dim = 128, .idx_top_k = 2048},                                                            \
    .moe = {.dense_lead = 3, .shared = 1, .gating = 2, .weights_scale = 2.5f, .weights_norm = true,         \
            .probs_bias = true},                                                                           \
    .block = {.ffn = ZOO_FFN_MOE}

static const zoo_model zoo_models[] = {
    {.name = "llama-3.2-1b", .arch = "llama", .source = "meta-llama/Llama-3.2-1B",
     .n_layer = 16, .n_embd = 2048, .n_head = 32, .n_head_kv = 8, .head_dim = 64, .n_ff = 8192,
     .n_vocab = 128256, .n_ctx_train = 131072, .rope_base = 500000, .rms_eps = 1e-5f, .tied = true,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "qwen3-4b", .arch = "qwen3", .source = "Qwen/Qwen3-4B",
     .n_layer = 36, .n_embd = 2560, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 9728,
     .n_vocab = 151936, .n_ctx_train = 40960, .rope_base = 1000000, .rms_eps = 1e-6f, .tied = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "phi-4-mini", .arch = "phi3", .source = "microsoft/Phi-4-mini-instruct",
     .n_layer = 32, .n_embd = 3072, .n_head = 24, .n_head_kv = 8, .head_dim = 128, .n_ff = 8192,
     .n_vocab = 200064, .n_ctx_train = 131072, .n_rot = 96, .n_swa = 262144, .rope_base = 10000,
     .rms_eps = 1e-5f, .tied = true,
     .block = {.qkv_fused = true, .ffn = ZOO_FFN_FUSED_UP, .rope_factors = true}},
    {.name = "gpt-oss-20b", .arch = "gpt-oss", .source = "openai/gpt-oss-20b",
     .n_layer = 24, .n_embd = 2880, .n_head = 64, .n_head_kv = 8, .head_dim = 64, .n_ff = 2880,
     .n_vocab = 201088, .n_ctx_train = 131072, .n_expert = 32, .n_expert_used = 4, .n_ff_exp = 2880,
     .n_swa = 128, .expert_type = GP_TYPE_MXFP4, .rope_base = 150000, .rms_eps = 1e-5f,
     .block = {.qkv_bias = true, .out_bias = true, .post_attn_norm = true, .no_ffn_norm = true, .sinks = true,
               .ffn = ZOO_FFN_MOE, .moe_bias = true}},
    {.name = "qwen2.5-7b", .arch = "qwen2", .source = "Qwen/Qwen2.5-7B-Instruct",
     .n_layer = 28, .n_embd = 3584, .n_head = 28, .n_head_kv = 4, .head_dim = 128, .n_ff = 18944,
     .n_vocab = 152064, .n_ctx_train = 32768, .rope_base = 1000000, .rms_eps = 1e-6f,
     .block = {.qkv_bias = true, .ffn = ZOO_FFN_GATED}},
    {.name = "mistral-small-3.2-24b", .arch = "mistral3", .source = "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
     .n_layer = 40, .n_embd = 5120, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 32768,
     .n_vocab = 131072, .n_ctx_train = 131072, .rope_base = 1000000000, .rms_eps = 1e-5f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "smollm3-3b", .arch = "smollm3", .source = "HuggingFaceTB/SmolLM3-3B",
     .n_layer = 36, .n_embd = 2048, .n_head = 16, .n_head_kv = 4, .head_dim = 128, .n_ff = 11008,
     .n_vocab = 128256, .n_ctx_train = 65536, .rope_base = 5000000, .rms_eps = 1e-6f, .tied = true,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "seed-oss-36b", .arch = "seed_oss", .source = "ByteDance-Seed/Seed-OSS-36B-Instruct",
     .n_layer = 64, .n_embd = 5120, .n_head = 80, .n_head_kv = 8, .head_dim = 128, .n_ff = 27648,
     .n_vocab = 155136, .n_ctx_train = 524288, .rope_base = 10000000, .rms_eps = 1e-6f,
     .block = {.qkv_bias = true, .post_attn_norm = true, .no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "olmo-2-7b", .arch = "olmo2", .source = "allenai/OLMo-2-1124-7B",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 11008,
     .n_vocab = 100352, .n_ctx_train = 4096, .rope_base = 500000, .rms_eps = 1e-6f,
     .block = {.qk_norm_full = true, .post_norms = true, .ffn = ZOO_FFN_GATED}},
    {.name = "exaone-4.0-32b", .arch = "exaone4", .source = "LGAI-EXAONE/EXAONE-4.0-32B",
     .n_layer = 64, .n_embd = 5120, .n_head = 40, .n_head_kv = 8, .head_dim = 128, .n_ff = 27392,
     .n_vocab = 102400, .n_ctx_train = 131072, .n_swa = 4096, .rope_base = 1000000, .rms_eps = 1e-5f,
     .block = {.qk_norm = true, .post_norms = true, .ffn = ZOO_FFN_GATED}},
    {.name = "gemma-3-12b", .arch = "gemma3", .source = "google/gemma-3-12b-it",
     .n_layer = 48, .n_embd = 3840, .n_head = 16, .n_head_kv = 8, .head_dim = 256, .n_ff = 15360,
     .n_vocab = 262208, .n_ctx_train = 131072, .n_swa = 1024, .rope_base = 1000000, .rms_eps = 1e-6f,
     .tied = true,
     .block = {.qk_norm = true, .post_attn_norm = true, .post_ffw_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "lfm2-1.2b", .arch = "lfm2", .source = "LiquidAI/LFM2-1.2B",
     .n_layer = 16, .n_embd = 2048, .n_head = 32, .n_head_kv = 8, .head_dim = 64, .n_ff = 8192,
     .n_vocab = 65536, .n_ctx_train = 128000, .rope_base = 1000000, .rms_eps = 1e-5f, .tied = true,
     .layer_kinds = "ccaccaccacacacac", .conv_l = 3, .embd_norm_out = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "lfm2-8b-a1b", .arch = "lfm2moe", .source = "LiquidAI/LFM2-8B-A1B",
     .n_layer = 24, .n_embd = 2048, .n_head = 32, .n_head_kv = 8, .head_dim = 64, .n_ff = 7168,
     .n_vocab = 65536, .n_ctx_train = 128000, .n_expert = 32, .n_expert_used = 4, .n_ff_exp = 1792,
     .rope_base = 1000000, .rms_eps = 1e-5f, .tied = true,
     .layer_kinds = "ccacccacccacccacccaccacc", .conv_l = 3, .embd_norm_out = true,
     .moe = {.gating = 2, .probs_bias = true, .dense_lead = 2},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "apertus-8b", .arch = "apertus", .source = "swiss-ai/Apertus-8B-Instruct-2509",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 21504,
     .n_vocab = 131072, .n_ctx_train = 65536, .rope_base = 12000000, .rms_eps = 1e-5f,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_UP_ONLY}},
    {.name = "command-r-35b", .arch = "command-r", .source = "CohereLabs/c4ai-command-r-08-2024",
     .n_layer = 40, .n_embd = 8192, .n_head = 64, .n_head_kv = 8, .head_dim = 128, .n_ff = 22528,
     .n_vocab = 256000, .n_ctx_train = 131072, .rope_base = 4000000, .rms_eps = 1e-5f, .tied = true,
     .layer_norm = true, .logit_scale = 0.0625f, .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "command-r7b", .arch = "cohere2", .source = "CohereLabs/c4ai-command-r7b-12-2024",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 14336,
     .n_vocab = 256000, .n_ctx_train = 132096, .n_swa = 4096, .rope_base = 50000, .rms_eps = 1e-5f,
     .tied = true, .layer_norm = true, .logit_scale = 0.25f, .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "llama-4-scout", .arch = "llama4", .source = "meta-llama/Llama-4-Scout-17B-16E-Instruct",
     .n_layer = 48, .n_embd = 5120, .n_head = 40, .n_head_kv = 8, .head_dim = 128, .n_ff = 16384,
     .n_vocab = 202048, .n_ctx_train = 10485760, .n_expert = 16, .n_expert_used = 1, .n_ff_exp = 8192,
     .moe_step = 1, .rope_base = 500000, .rms_eps = 1e-5f,
     .block = {.ffn = ZOO_FFN_MOE, .shexp = true, .rope_freqs = true}},
    {.name = "deepseek-v3", .arch = "deepseek2", .source = "deepseek-ai/DeepSeek-V3-0324",
     .n_layer = 61, .n_embd = 7168, .n_head = 128, .n_head_kv = 1, .head_dim = 192, .n_ff = 18432,
     .n_vocab = 129280, .n_ctx_train = 163840, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 2048,
     .rope_base = 10000, .rms_eps = 1e-6f,
     .mla = {.q_lora = 1536, .kv_lora = 512, .nope = 128, .rope = 64, .v_head = 128},
     .moe = {.dense_lead = 3, .shared = 1, .groups = 8, .groups_used = 4, .gating = 2, .weights_scale = 2.5f,
             .weights_norm = true, .probs_bias = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "deepseek-v3.2", .arch = "deepseek32", .source = "deepseek-ai/DeepSeek-V3.2",
     .n_layer = 61, .n_embd = 7168, .n_head = 128, .n_head_kv = 1, .head_dim = 192, .n_ff = 18432,
     .n_vocab = 129280, .n_ctx_train = 163840, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 2048,
     .rope_base = 10000, .rms_eps = 1e-6f,
     .mla = {.q_lora = 1536, .kv_lora = 512, .nope = 128, .rope = 64, .v_head = 128,
             .idx_heads = 64, .idx_dim = 128, .idx_top_k = 2048},
     .moe = {.dense_lead = 3, .shared = 1, .groups = 8, .groups_used = 4, .gating = 2, .weights_scale = 2.5f,
             .weights_norm = true, .probs_bias = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    /* GLM-5.2 has GLM-5's shape and a higher rope base; its million-token
     * context makes most of its layers share an indexer */
    {.name = "glm-5", .arch = "glm-dsa", .source = "zai-org/GLM-5", GLM5_SHAPE, .n_ctx_train = 202752,
     .rope_base = 1000000},
    {.name = "glm-5.2", .arch = "glm-dsa", .source = "zai-org/GLM-5.2", GLM5_SHAPE, .n_ctx_train = 1048576,
     .rope_base = 8000000},
    {.name = "qwen3-next-80b-a3b", .arch = "qwen3next", .source = "Qwen/Qwen3-Next-80B-A3B-Instruct",
     .n_layer = 48, .n_embd = 2048, .n_head = 16, .n_head_kv = 2, .head_dim = 256, .n_ff = 5120,
     .n_vocab = 151936, .n_ctx_train = 262144, .n_rot = 64, .n_expert = 512, .n_expert_used = 10,
     .n_ff_exp = 512, .n_ff_shexp = 512, .shexp_gate = true, .q_gate = true, .rope_base = 10000000,
     .rms_eps = 1e-6f,
     .delta = {.interval = 4, .conv = 4, .state = 128, .groups = 16, .dt_rank = 32, .inner = 4096},
     .block = {.qk_norm = true, .post_attn_norm = true, .no_ffn_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "qwen3.5-35b-a3b", .arch = "qwen35moe", .source = "Qwen/Qwen3.5-35B-A3B",
     .n_layer = 40, .n_embd = 2048, .n_head = 16, .n_head_kv = 2, .head_dim = 256, .n_ff = 512,
     .n_vocab = 248320, .n_ctx_train = 262144, .n_rot = 64, .n_expert = 256, .n_expert_used = 8,
     .n_ff_exp = 512, .n_ff_shexp = 512, .shexp_gate = true, .q_gate = true, .rope_base = 10000000,
     .rms_eps = 1e-6f,
     .delta = {.interval = 4, .conv = 4, .state = 128, .groups = 16, .dt_rank = 32, .inner = 4096,
               .ab_split = true},
     .block = {.qk_norm = true, .post_attn_norm = true, .no_ffn_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "qwen3.5-27b", .arch = "qwen35", .source = "Qwen/Qwen3.5-27B",
     .n_layer = 64, .n_embd = 5120, .n_head = 24, .n_head_kv = 4, .head_dim = 256, .n_ff = 17408,
     .n_vocab = 248320, .n_ctx_train = 262144, .n_rot = 64, .q_gate = true, .rope_base = 10000000,
     .rms_eps = 1e-6f,
     .delta = {.interval = 4, .conv = 4, .state = 128, .groups = 16, .dt_rank = 48, .inner = 6144,
               .ab_split = true},
     .block = {.qk_norm = true, .post_attn_norm = true, .no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    /* its released config.json as public notes on the checkpoint list it:
     * the head ranges of the n-gram table are prime-sized there, only their
     * sum (within the 320001536 rows) is given; equal ranges are taken */
    {.name = "qwen3.8-flash-next", .arch = "qwen4exp", .source = "Qwen/Qwen3.8-Flash-Next",
     .n_layer = 48, .n_embd = 2560, .n_head = 24, .n_head_kv = 2, .head_dim = 256, .n_ff = 640,
     .n_vocab = 248320, .n_ctx_train = 262144, .n_rot = 64, .n_expert = 512, .n_expert_used = 10,
     .n_ff_exp = 640, .n_ff_shexp = 640, .shexp_gate = true, .q_gate = true, .rope_base = 10000000,
     .rms_eps = 1e-6f,
     .delta = {.interval = 4, .conv = 4, .state = 128, .groups = 16, .dt_rank = 48, .inner = 6144,
               .ab_split = true},
     .hc = {.count = 4, .low_rank = 320, .idx_heads = 4, .idx_dim = 128, .idx_top_k = 2048, .compress = 4,
            .ple_layer = 1, .ple_ngram = 3, .ple_heads_per_ngram = 8, .ple_kernel = 4, .ple_dim = 160,
            .ple_rows = 320001536},
     .block = {.qk_norm = true, .no_ffn_norm = true, .ffn = ZOO_FFN_MOE}},
    /* full_attn_layers 4, 8, ..., 24, 27 (one-based) are MLA, the rest KDA.
     * value_length is the latent's, as Kimi K3's converter writes it (Kimi
     * Linear's leaves the config's legacy head_dim of 72 there, with which
     * llama.cpp refuses a quantized V cache) */
    {.name = "kimi-linear-48b-a3b", .arch = "kimi-linear", .source = "moonshotai/Kimi-Linear-48B-A3B-Instruct",
     .n_layer = 27, .n_embd = 2304, .n_head = 32, .n_head_kv = 1, .head_dim = 192, .n_ff = 9216,
     .n_vocab = 163840, .n_ctx_train = 1048576, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 1024,
     .rope_base = 10000, .rms_eps = 1e-5f, .layer_kinds = "kkkakkkakkkakkkakkkakkkakka",
     .mla = {.kv_lora = 512, .nope = 128, .rope = 64, .v_head = 128},
     .moe = {.dense_lead = 1, .shared = 1, .gating = 2, .weights_scale = 2.446f, .probs_bias = true},
     .kda = {.head_dim = 128, .conv = 4},
     .block = {.ffn = ZOO_FFN_MOE}},
    /* full_attn_layers 4, 8, ..., 92, 93 (one-based) are MLA, the rest KDA */
    {.name = "kimi-k3", .arch = "kimi-k3", .source = "moonshotai/Kimi-K3",
     .n_layer = 93, .n_embd = 7168, .n_head = 96, .n_head_kv = 1, .head_dim = 192, .n_ff = 33792,
     .n_vocab = 163840, .n_ctx_train = 1048576, .n_expert = 896, .n_expert_used = 16, .n_ff_exp = 3072,
     .expert_type = GP_TYPE_MXFP4, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_kinds = "kkkakkkakkkakkkakkkakkkakkkakkkakkkakkkakkkakkka"
                    "kkkakkkakkkakkkakkkakkkakkkakkkakkkakkkakkkaa",
     .mla = {.q_lora = 1536, .kv_lora = 512, .nope = 128, .rope = 64, .v_head = 128},
     .moe = {.dense_lead = 1, .shared = 2, .gating = 2, .weights_scale = 1.0f, .weights_norm = true,
             .probs_bias = true},
     .kda = {.head_dim = 128, .conv = 4, .full_gate = true, .gate_lb = -5.0f, .res_block = 12, .latent = 3584,
             .situ_beta = 4.0f, .situ_linear_beta = 25.0f, .mla_gate = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    /* Ling 3.0 tiny (7.9B-A1.3B) is not published; its dimensions are the
     * checkpoint's config.json as public integration notes for it list
     * them (layer groups of three KDA layers and one MLA layer, q_lora 256,
     * kv_lora 512, 128 experts of which 8 are used, one shared expert of
     * width 512). The dense lead layer's width and the vocabulary are not
     * given: Ling 2.0's vocabulary and three times the embedding are taken */
    {.name = "ling-3.0-tiny", .arch = "bailingmoe3", .source = "inclusionAI/Ling-3.0-tiny",
     .n_layer = 24, .n_embd = 1536, .n_head = 16, .n_head_kv = 1, .head_dim = 192, .n_ff = 4608,
     .n_vocab = 157184, .n_ctx_train = 8192, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 512,
     .rope_base = 10000, .rms_eps = 1e-6f, .layer_kinds = "kkkakkkakkkakkkakkkakkka",
     .mla = {.q_lora = 256, .kv_lora = 512, .nope = 128, .rope = 64, .v_head = 128},
     .moe = {.dense_lead = 1, .shared = 1, .groups = 8, .groups_used = 4, .gating = 2, .weights_scale = 2.5f,
             .weights_norm = true, .probs_bias = true},
     .kda = {.head_dim = 128, .conv = 4, .gate_lb = -5.0f, .ling = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "glm-4.5-air", .arch = "glm4moe", .source = "zai-org/GLM-4.5-Air",
     .n_layer = 46, .n_embd = 4096, .n_head = 96, .n_head_kv = 8, .head_dim = 128, .n_ff = 10944,
     .n_vocab = 151552, .n_ctx_train = 131072, .n_rot = 64, .n_expert = 128, .n_expert_used = 8,
     .n_ff_exp = 1408, .rope_base = 1000000, .rms_eps = 1e-5f,
     .moe = {.dense_lead = 1, .shared = 1, .gating = 2, .weights_scale = 1.0f, .weights_norm = true,
             .probs_bias = true},
     .block = {.qkv_bias = true, .post_attn_norm = true, .no_ffn_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "ernie-4.5-21b-a3b", .arch = "ernie4_5-moe", .source = "baidu/ERNIE-4.5-21B-A3B-PT",
     .n_layer = 28, .n_embd = 2560, .n_head = 20, .n_head_kv = 4, .head_dim = 128, .n_ff = 12288,
     .n_vocab = 103424, .n_ctx_train = 131072, .n_expert = 64, .n_expert_used = 6, .n_ff_exp = 1536,
     .n_ff_shexp = 3072, .moe_step = 1, .rope_base = 500000, .rms_eps = 1e-5f, .tied = true,
     .moe = {.dense_lead = 1, .probs_bias = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "hunyuan-a13b", .arch = "hunyuan-moe", .source = "tencent/Hunyuan-A13B-Instruct",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 3072,
     .n_vocab = 128167, .n_ctx_train = 262144, .n_expert = 64, .n_expert_used = 8, .n_ff_exp = 3072,
     .n_ff_shexp = 3072, .rope_base = 11158840, .rms_eps = 1e-5f, .tied = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "dots.llm1", .arch = "dots1", .source = "rednote-hilab/dots.llm1.inst",
     .n_layer = 62, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 10944,
     .n_vocab = 152064, .n_ctx_train = 32768, .n_expert = 128, .n_expert_used = 6, .n_ff_exp = 1408,
     .rope_base = 10000000, .rms_eps = 1e-5f,
     .moe = {.dense_lead = 1, .shared = 2, .gating = 2, .weights_scale = 2.5f, .weights_norm = true,
             .probs_bias = true},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "ling-mini-2.0", .arch = "bailingmoe2", .source = "inclusionAI/Ling-mini-2.0",
     .n_layer = 20, .n_embd = 2048, .n_head = 16, .n_head_kv = 4, .head_dim = 128, .n_ff = 5120,
     .n_vocab = 157184, .n_ctx_train = 32768, .n_rot = 64, .n_expert = 256, .n_expert_used = 8,
     .n_ff_exp = 512, .rope_base = 600000, .rms_eps = 1e-6f,
     .moe = {.dense_lead = 1, .shared = 1, .groups = 8, .groups_used = 4, .gating = 2, .weights_scale = 2.5f,
             .weights_norm = true, .probs_bias = true},
     .block = {.qkv_fused = true, .qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "ling-lite-1.5", .arch = "bailingmoe", .source = "inclusionAI/Ling-lite-1.5",
     .n_layer = 28, .n_embd = 2048, .n_head = 16, .n_head_kv = 4, .head_dim = 128, .n_ff = 5632,
     .n_vocab = 126464, .n_ctx_train = 32768, .n_expert = 64, .n_expert_used = 6, .n_ff_exp = 1408,
     .rope_base = 600000, .rms_eps = 1e-6f,
     .moe = {.shared = 2, .weights_norm = true},
     .block = {.qkv_fused = true, .ffn = ZOO_FFN_MOE}},
    {.name = "internlm2.5-7b", .arch = "internlm2", .source = "internlm/internlm2_5-7b-chat",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 14336,
     .n_vocab = 92544, .n_ctx_train = 32768, .rope_base = 1000000, .rms_eps = 1e-5f,
     .block = {.qkv_fused = true, .ffn = ZOO_FFN_GATED}},
    {.name = "starcoder2-7b", .arch = "starcoder2", .source = "bigcode/starcoder2-7b",
     .n_layer = 32, .n_embd = 4608, .n_head = 36, .n_head_kv = 4, .head_dim = 128, .n_ff = 18432,
     .n_vocab = 49152, .n_ctx_train = 16384, .rope_base = 1000000, .rms_eps = 1e-5f, .tied = true,
     .layer_norm = true,
     .block = {.qkv_bias = true, .out_bias = true, .norm_bias = true, .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true}},
    {.name = "stablelm-2-1.6b", .arch = "stablelm", .source = "stabilityai/stablelm-2-1_6b",
     .n_layer = 24, .n_embd = 2048, .n_head = 32, .n_head_kv = 32, .head_dim = 64, .n_ff = 5632,
     .n_vocab = 100352, .n_ctx_train = 4096, .n_rot = 16, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_norm = true, .block = {.qkv_bias = true, .norm_bias = true, .ffn = ZOO_FFN_GATED}},
    {.name = "phi-moe-3.5", .arch = "phimoe", .source = "microsoft/Phi-3.5-MoE-instruct",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 6400,
     .n_vocab = 32064, .n_ctx_train = 131072, .n_expert = 16, .n_expert_used = 2, .n_ff_exp = 6400,
     .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.qkv_bias = true, .out_bias = true, .norm_bias = true, .output_bias = true, .ffn = ZOO_FFN_MOE,
               .rope_factors = true}},
    {.name = "nemotron-mini-4b", .arch = "nemotron", .source = "nvidia/Nemotron-Mini-4B-Instruct",
     .n_layer = 32, .n_embd = 3072, .n_head = 24, .n_head_kv = 8, .head_dim = 128, .n_ff = 9216,
     .n_vocab = 256000, .n_ctx_train = 4096, .n_rot = 64, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_norm = true, .block = {.norm_bias = true, .ffn = ZOO_FFN_UP_ONLY}},
    {.name = "falcon-7b", .arch = "falcon", .source = "tiiuae/falcon-7b",
     .n_layer = 32, .n_embd = 4544, .n_head = 71, .n_head_kv = 1, .head_dim = 64, .n_ff = 18176,
     .n_vocab = 65024, .n_ctx_train = 2048, .rope_base = 10000, .rms_eps = 1e-5f, .layer_norm = true,
     .block = {.qkv_fused = true, .norm_bias = true, .no_ffn_norm = true, .ffn = ZOO_FFN_UP_ONLY}},
    {.name = "mpt-7b", .arch = "mpt", .source = "mosaicml/mpt-7b",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 16384,
     .n_vocab = 50432, .n_ctx_train = 2048, .rope_base = 10000, .rms_eps = 1e-5f, .layer_norm = true,
     .tied = true, .block = {.qkv_fused = true, .ffn = ZOO_FFN_UP_ONLY}},
    {.name = "pythia-6.9b", .arch = "gptneox", .source = "EleutherAI/pythia-6.9b",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 16384,
     .n_vocab = 50432, .n_ctx_train = 2048, .n_rot = 32, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_norm = true,
     .block = {.qkv_fused = true, .qkv_bias = true, .out_bias = true, .norm_bias = true,
               .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true, .parallel_res = true}},
    {.name = "orion-14b", .arch = "orion", .source = "OrionStarAI/Orion-14B-Chat",
     .n_layer = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 40, .head_dim = 128, .n_ff = 15360,
     .n_vocab = 84608, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-5f, .layer_norm = true,
     .block = {.norm_bias = true, .ffn = ZOO_FFN_GATED}},
    {.name = "xverse-13b", .arch = "xverse", .source = "xverse/XVERSE-13B-Chat",
     .n_layer = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 40, .head_dim = 128, .n_ff = 13824,
     .n_vocab = 100534, .n_ctx_train = 8192, .rope_base = 10000, .rms_eps = 1e-6f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "qwen-7b", .arch = "qwen", .source = "Qwen/Qwen-7B-Chat",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 22016,
     .n_vocab = 151936, .n_ctx_train = 8192, .rope_base = 10000, .rms_eps = 1e-6f,
     .block = {.qkv_fused = true, .qkv_bias = true, .ffn = ZOO_FFN_GATED, .ffn_half = true}},
    {.name = "baichuan2-13b", .arch = "baichuan", .source = "baichuan-inc/Baichuan2-13B-Chat",
     .n_layer = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 40, .head_dim = 128, .n_ff = 13696,
     .n_vocab = 125696, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-6f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "minimax-m2", .arch = "minimax-m2", .source = "MiniMaxAI/MiniMax-M2",
     .n_layer = 62, .n_embd = 3072, .n_head = 48, .n_head_kv = 8, .head_dim = 128, .n_ff = 1536,
     .n_vocab = 200064, .n_ctx_train = 196608, .n_rot = 64, .n_expert = 256, .n_expert_used = 8,
     .n_ff_exp = 1536, .rope_base = 5000000, .rms_eps = 1e-6f,
     .moe = {.gating = 2, .probs_bias = true},
     .block = {.qk_norm_full = true, .ffn = ZOO_FFN_MOE}},
    {.name = "minimax-text-01", .arch = "minimax-01", .source = "MiniMaxAI/MiniMax-Text-01",
     .n_layer = 80, .n_embd = 6144, .n_head = 64, .n_head_kv = 8, .head_dim = 128, .n_ff = 9216,
     .n_vocab = 200064, .n_ctx_train = 10240000, .n_rot = 64, .n_expert = 32, .n_expert_used = 2,
     .n_ff_exp = 9216, .rope_base = 10000000, .rms_eps = 1e-5f, .resid_scale = 3.5565588f,
     .lightning = true,
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "mamba2-2.7b", .arch = "mamba2", .source = "state-spaces/mamba2-2.7b",
     .n_layer = 64, .n_embd = 2560, .n_head = 0, .n_head_kv = 0, .head_dim = 0, .n_ff = 0,
     .n_vocab = 50288, .n_ctx_train = 1048576, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .mamba = {.conv = 4, .inner = 5120, .state = 128, .groups = 1, .heads = 80},
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "mamba-2.8b", .arch = "mamba", .source = "state-spaces/mamba-2.8b-hf",
     .n_layer = 64, .n_embd = 2560, .n_head = 0, .n_head_kv = 0, .head_dim = 0, .n_ff = 0,
     .n_vocab = 50280, .n_ctx_train = 1048576, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .mamba = {.conv = 4, .inner = 5120, .state = 16, .groups = 1, .heads = 160, .v1 = true}},
    {.name = "jamba-v0.1", .arch = "jamba", .source = "ai21labs/Jamba-v0.1",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 14336,
     .n_vocab = 65536, .n_ctx_train = 262144, .n_expert = 16, .n_expert_used = 2, .n_ff_exp = 14336,
     .rope_base = 10000, .rms_eps = 1e-6f,
     .layer_kinds = "MNMNaNMNMNMNaNMNMNMNaNMNMNMNaNMN",
     .mamba = {.conv = 4, .inner = 8192, .state = 16, .groups = 1, .heads = 256, .v1 = true, .dt_norms = true},
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "nemotron-nano-9b-v2", .arch = "nemotron_h", .source = "nvidia/NVIDIA-Nemotron-Nano-9B-v2",
     .n_layer = 56, .n_embd = 4480, .n_head = 40, .n_head_kv = 8, .head_dim = 128, .n_ff = 15680,
     .n_vocab = 131072, .n_ctx_train = 131072, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_kinds = "M-M-M-MM-M-M-M*-M-M-M*-M-M-M-M*-M-M-M-M*-M-MM-M-M-M-M-M-",
     .mamba = {.conv = 4, .inner = 10240, .state = 128, .groups = 8, .heads = 128},
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "nemotron-3-nano-30b-a3b", .arch = "nemotron_h_moe", .source = "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B",
     .n_layer = 52, .n_embd = 2688, .n_head = 32, .n_head_kv = 2, .head_dim = 128, .n_ff = 1856,
     .n_vocab = 131072, .n_ctx_train = 262144, .n_expert = 128, .n_expert_used = 6, .n_ff_exp = 1856,
     .n_ff_shexp = 3712, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_kinds = "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME",
     .mamba = {.conv = 4, .inner = 4096, .state = 128, .groups = 8, .heads = 64},
     .moe = {.gating = 2, .weights_scale = 2.5f, .weights_norm = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "granite-4.0-h-350m", .arch = "granitehybrid", .source = "ibm-granite/granite-4.0-h-350m",
     .n_layer = 32, .n_embd = 768, .n_head = 12, .n_head_kv = 4, .head_dim = 64, .n_ff = 2048,
     .n_vocab = 100352, .n_ctx_train = 32768, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .layer_kinds = "MMMMMMMMMMaMMaMMMaMMMMMMMMMaMMMM",
     .logit_scale = 3, .embd_scale = 12, .resid_scale = 0.246f, .attn_scale = 0.0078125f,
     .mamba = {.conv = 4, .inner = 1536, .state = 128, .groups = 1, .heads = 48, .every_ffn = true,
               .no_rope = true},
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "granite-4.0-h-tiny", .arch = "granitehybrid", .source = "ibm-granite/granite-4.0-h-tiny",
     .n_layer = 40, .n_embd = 1536, .n_head = 12, .n_head_kv = 4, .head_dim = 128, .n_ff = 512,
     .n_vocab = 100352, .n_ctx_train = 131072, .n_expert = 64, .n_expert_used = 6, .n_ff_exp = 512,
     .n_ff_shexp = 1024, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .layer_kinds = "MMMMMaMMMMMMMMMaMMMMMMMMMaMMMMMMMMMaMMMM",
     .logit_scale = 3, .embd_scale = 12, .resid_scale = 0.246f, .attn_scale = 0.0078125f,
     .mamba = {.conv = 4, .inner = 3072, .state = 128, .groups = 1, .heads = 48, .every_ffn = true,
               .no_rope = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "falcon-h1-7b", .arch = "falcon-h1", .source = "tiiuae/Falcon-H1-7B-Instruct",
     .n_layer = 44, .n_embd = 3072, .n_head = 12, .n_head_kv = 2, .head_dim = 128, .n_ff = 12288,
     .n_vocab = 130048, .n_ctx_train = 262144, .rope_base = 1e11f, .rms_eps = 1e-5f,
     .mamba = {.conv = 4, .inner = 3072, .state = 256, .groups = 1, .heads = 24, .parallel = true,
               .no_norm = true},
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "plamo-2-1b", .arch = "plamo2", .source = "pfnet/plamo-2-1b",
     .n_layer = 16, .n_embd = 2048, .n_head = 16, .n_head_kv = 1, .head_dim = 128, .n_ff = 8192,
     .n_vocab = 100000, .n_ctx_train = 10485760, .rope_base = 10000, .rms_eps = 1e-6f, .tied = true,
     .layer_kinds = "MaMaMaMaMaMaMaMa",
     .mamba = {.conv = 4, .inner = 4096, .state = 64, .groups = 0, .heads = 32, .plamo = true},
     .block = {.ffn = ZOO_FFN_FUSED_UP}},
    {.name = "qwen3-vl-8b", .arch = "qwen3vl", .source = "Qwen/Qwen3-VL-8B-Instruct",
     .n_layer = 36, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 12288,
     .n_vocab = 151936, .n_ctx_train = 262144, .rope_base = 5000000, .rms_eps = 1e-6f,
     .deepstack = 3, .mrope = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "qwen3-vl-30b-a3b", .arch = "qwen3vlmoe", .source = "Qwen/Qwen3-VL-30B-A3B-Instruct",
     .n_layer = 48, .n_embd = 2048, .n_head = 32, .n_head_kv = 4, .head_dim = 128, .n_ff = 6144,
     .n_vocab = 151936, .n_ctx_train = 262144, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 768,
     .rope_base = 5000000, .rms_eps = 1e-6f, .deepstack = 3, .mrope = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "granite-3.3-8b", .arch = "granite", .source = "ibm-granite/granite-3.3-8b-instruct",
     .n_layer = 40, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 12800,
     .n_vocab = 49159, .n_ctx_train = 131072, .rope_base = 10000000, .rms_eps = 1e-5f, .tied = true,
     .logit_scale = 16, .embd_scale = 12, .resid_scale = 0.22f, .attn_scale = 0.0078125f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "granite-3.1-3b-a800m", .arch = "granitemoe", .source = "ibm-granite/granite-3.1-3b-a800m-instruct",
     .n_layer = 32, .n_embd = 1536, .n_head = 24, .n_head_kv = 8, .head_dim = 64, .n_ff = 512,
     .n_vocab = 49155, .n_ctx_train = 131072, .n_expert = 40, .n_expert_used = 8, .n_ff_exp = 512,
     .rope_base = 10000000, .rms_eps = 1e-6f, .tied = true,
     .logit_scale = 6, .embd_scale = 12, .resid_scale = 0.22f, .attn_scale = 0.015625f,
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "exaone-3.5-7.8b", .arch = "exaone", .source = "LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 14336,
     .n_vocab = 102400, .n_ctx_train = 32768, .rope_base = 1000000, .rms_eps = 1e-5f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "ernie-4.5-0.3b", .arch = "ernie4_5", .source = "baidu/ERNIE-4.5-0.3B-PT",
     .n_layer = 18, .n_embd = 1024, .n_head = 16, .n_head_kv = 2, .head_dim = 128, .n_ff = 3072,
     .n_vocab = 103424, .n_ctx_train = 131072, .rope_base = 500000, .rms_eps = 1e-5f, .tied = true,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "olmoe-1b-7b", .arch = "olmoe", .source = "allenai/OLMoE-1B-7B-0125-Instruct",
     .n_layer = 16, .n_embd = 2048, .n_head = 16, .n_head_kv = 16, .head_dim = 128, .n_ff = 1024,
     .n_vocab = 50304, .n_ctx_train = 4096, .n_expert = 64, .n_expert_used = 8, .n_ff_exp = 1024,
     .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.qk_norm_full = true, .ffn = ZOO_FFN_MOE}},
    {.name = "qwen1.5-moe-a2.7b", .arch = "qwen2moe", .source = "Qwen/Qwen1.5-MoE-A2.7B-Chat",
     .n_layer = 24, .n_embd = 2048, .n_head = 16, .n_head_kv = 16, .head_dim = 128, .n_ff = 5632,
     .n_vocab = 151936, .n_ctx_train = 32768, .n_expert = 60, .n_expert_used = 4, .n_ff_exp = 1408,
     .n_ff_shexp = 5632, .shexp_gate = true, .rope_base = 1000000, .rms_eps = 1e-6f,
     .block = {.qkv_bias = true, .ffn = ZOO_FFN_MOE}},
    {.name = "gemma-2-9b", .arch = "gemma2", .source = "google/gemma-2-9b-it",
     .n_layer = 42, .n_embd = 3584, .n_head = 16, .n_head_kv = 8, .head_dim = 256, .n_ff = 14336,
     .n_vocab = 256000, .n_ctx_train = 8192, .n_swa = 4096, .rope_base = 10000, .rms_eps = 1e-6f, .tied = true,
     .attn_softcap = 50, .final_softcap = 30,
     .block = {.post_attn_norm = true, .post_ffw_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "gemma-7b", .arch = "gemma", .source = "google/gemma-7b-it",
     .n_layer = 28, .n_embd = 3072, .n_head = 16, .n_head_kv = 16, .head_dim = 256, .n_ff = 24576,
     .n_vocab = 256000, .n_ctx_train = 8192, .rope_base = 10000, .rms_eps = 1e-6f, .tied = true,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "afm-4.5b", .arch = "arcee", .source = "arcee-ai/AFM-4.5B",
     .n_layer = 36, .n_embd = 2560, .n_head = 20, .n_head_kv = 4, .head_dim = 128, .n_ff = 18432,
     .n_vocab = 128004, .n_ctx_train = 65536, .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.ffn = ZOO_FFN_UP_ONLY}},
    {.name = "glm-4-9b-0414", .arch = "glm4", .source = "zai-org/GLM-4-9B-0414",
     .n_layer = 40, .n_embd = 4096, .n_head = 32, .n_head_kv = 2, .head_dim = 128, .n_ff = 13696,
     .n_vocab = 151552, .n_ctx_train = 32768, .n_rot = 64, .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.qkv_bias = true, .post_attn_norm = true, .post_ffw_norm = true, .ffn = ZOO_FFN_FUSED_UP}},
    {.name = "qwen2-vl-7b", .arch = "qwen2vl", .source = "Qwen/Qwen2-VL-7B-Instruct",
     .n_layer = 28, .n_embd = 3584, .n_head = 28, .n_head_kv = 4, .head_dim = 128, .n_ff = 18944,
     .n_vocab = 152064, .n_ctx_train = 32768, .rope_base = 1000000, .rms_eps = 1e-6f, .mrope = true,
     .block = {.qkv_bias = true, .ffn = ZOO_FFN_GATED}},
    {.name = "minicpm-2b", .arch = "minicpm", .source = "openbmb/MiniCPM-2B-sft-bf16",
     .n_layer = 40, .n_embd = 2304, .n_head = 36, .n_head_kv = 36, .head_dim = 64, .n_ff = 5760,
     .n_vocab = 122753, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .logit_scale = 0.1111111f, .embd_scale = 12, .resid_scale = 0.2213594f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "qwen3-30b-a3b-2507", .arch = "qwen3moe", .source = "Qwen/Qwen3-30B-A3B-Instruct-2507",
     .n_layer = 48, .n_embd = 2048, .n_head = 32, .n_head_kv = 4, .head_dim = 128, .n_ff = 6144,
     .n_vocab = 151936, .n_ctx_train = 262144, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 768,
     .rope_base = 10000000, .rms_eps = 1e-6f,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "gemma-4-31b", .arch = "gemma4", .source = "google/gemma-4-31B-it",
     .n_layer = 60, .n_embd = 5376, .n_head = 32, .n_head_kv = 16, .head_dim = 256, .n_ff = 21504,
     .n_vocab = 262144, .n_ctx_train = 262144, .n_swa = 1024, .rope_base = 1000000, .rms_eps = 1e-6f,
     .tied = true, .g4 = {.head_dim_global = 512, .n_head_kv_global = 4, .global_every = 6, .k_eq_v = true}},
    {.name = "gemma-4-26b-a4b", .arch = "gemma4", .source = "google/gemma-4-26B-A4B-it",
     .n_layer = 30, .n_embd = 2816, .n_head = 16, .n_head_kv = 8, .head_dim = 256, .n_ff = 2112,
     .n_vocab = 262144, .n_ctx_train = 262144, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 704,
     .n_swa = 1024, .rope_base = 1000000, .rms_eps = 1e-6f, .tied = true,
     .g4 = {.head_dim_global = 512, .n_head_kv_global = 2, .global_every = 6, .k_eq_v = true}},
    {.name = "gemma-4-e4b", .arch = "gemma4", .source = "google/gemma-4-E4B-it",
     .n_layer = 42, .n_embd = 2560, .n_head = 8, .n_head_kv = 2, .head_dim = 256, .n_ff = 10240,
     .n_vocab = 262144, .n_ctx_train = 131072, .n_swa = 512, .rope_base = 1000000, .rms_eps = 1e-6f,
     .tied = true, .g4 = {.head_dim_global = 512, .global_every = 6, .shared_kv = 18, .per_layer = 256}},
    {.name = "gemma-4-e2b", .arch = "gemma4", .source = "google/gemma-4-E2B-it",
     .n_layer = 35, .n_embd = 1536, .n_head = 8, .n_head_kv = 1, .head_dim = 256, .n_ff = 6144,
     .n_vocab = 262144, .n_ctx_train = 131072, .n_swa = 512, .rope_base = 1000000, .rms_eps = 1e-6f,
     .tied = true,
     .g4 = {.head_dim_global = 512, .global_every = 5, .shared_kv = 20, .per_layer = 256, .n_ff_shared = 12288}},
    {.name = "gemma-3n-e4b", .arch = "gemma3n", .source = "google/gemma-3n-E4B-it",
     .n_layer = 35, .n_embd = 2048, .n_head = 8, .n_head_kv = 2, .head_dim = 256, .n_ff = 16384,
     .n_vocab = 262144, .n_ctx_train = 32768, .n_swa = 512, .rope_base = 1000000, .rms_eps = 1e-6f,
     .tied = true, .final_softcap = 30.0f, .altup = 4},
    {.name = "gemma-3n-e2b", .arch = "gemma3n", .source = "google/gemma-3n-E2B-it",
     .n_layer = 30, .n_embd = 2048, .n_head = 8, .n_head_kv = 2, .head_dim = 256, .n_ff = 8192,
     .n_vocab = 262144, .n_ctx_train = 32768, .n_swa = 512, .rope_base = 1000000, .rms_eps = 1e-6f,
     .tied = true, .final_softcap = 30.0f, .altup = 4},
    {.name = "rwkv6-finch-1.6b", .arch = "rwkv6", .source = "RWKV/v6-Finch-1B6-HF",
     .n_layer = 24, .n_embd = 2048, .n_ff = 7168, .n_vocab = 65536, .n_ctx_train = 1048576, .rms_eps = 1e-5f,
     .layer_norm = true,
     .block = {.norm_bias = true},
     .rwkv = {.version = 6, .head_size = 64, .mix_extra = 32, .decay_extra = 64, .rescale = 6}},
    {.name = "rwkv7-goose-1.5b", .arch = "rwkv7", .source = "fla-hub/rwkv7-1.5B-world",
     .n_layer = 24, .n_embd = 2048, .n_ff = 8192, .n_vocab = 65536, .n_ctx_train = 1048576, .rms_eps = 1e-5f,
     .layer_norm = true,
     .block = {.norm_bias = true},
     .rwkv = {.version = 7, .head_size = 64, .decay = 96, .iclr = 96, .value_mix = 64, .gate = 256}},
    {.name = "qrwkv6-32b", .arch = "rwkv6qwen2", .source = "recursal/QRWKV6-32B-Instruct-Preview-v0.1",
     .n_layer = 64, .n_embd = 5120, .n_head_kv = 8, .n_ff = 27648, .n_vocab = 152064, .n_ctx_train = 1048576,
     .rms_eps = 1e-5f,
     .rwkv = {.version = 6, .head_size = 128, .mix_extra = 64, .decay_extra = 128, .hybrid = true}},
    {.name = "arwkv-r1-7b", .arch = "arwkv7", .source = "RWKV-Red-Team/ARWKV-R1-7B",
     .n_layer = 28, .n_embd = 3584, .n_ff = 18944, .n_vocab = 152064, .n_ctx_train = 1048576, .rms_eps = 1e-6f,
     .rwkv = {.version = 7, .head_size = 64, .decay = 64, .iclr = 64, .value_mix = 32, .hybrid = true}},
    /* the converter ties GPT-2's output to the embeddings (no output.weight) */
    {.name = "gpt2-124m", .arch = "gpt2", .source = "openai-community/gpt2",
     .n_layer = 12, .n_embd = 768, .n_head = 12, .n_head_kv = 12, .head_dim = 64, .n_ff = 3072,
     .n_vocab = 50257, .n_ctx_train = 1024, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .layer_norm = true, .pos_embd = true,
     .block = {.qkv_fused = true, .qkv_bias = true, .out_bias = true, .norm_bias = true,
               .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true}},
    {.name = "starcoderbase-1b", .arch = "starcoder", .source = "bigcode/starcoderbase-1b",
     .n_layer = 24, .n_embd = 2048, .n_head = 16, .n_head_kv = 1, .head_dim = 128, .n_ff = 8192,
     .n_vocab = 49152, .n_ctx_train = 8192, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .layer_norm = true, .pos_embd = true,
     .block = {.qkv_fused = true, .qkv_bias = true, .out_bias = true, .norm_bias = true,
               .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true}},
    /* its config.json has no seq_length: the converter writes n_embed as the context */
    {.name = "bloom-560m", .arch = "bloom", .source = "bigscience/bloom-560m",
     .n_layer = 24, .n_embd = 1024, .n_head = 16, .n_head_kv = 16, .head_dim = 64, .n_ff = 4096,
     .n_vocab = 250880, .n_ctx_train = 1024, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .layer_norm = true, .embd_ln = true,
     .block = {.qkv_fused = true, .qkv_bias = true, .out_bias = true, .norm_bias = true,
               .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true}},
    /* Phi-1.5 is built as phi2; Phi-2's heads of 80 refuse a quantized cache */
    {.name = "phi-1.5", .arch = "phi2", .source = "microsoft/phi-1_5",
     .n_layer = 24, .n_embd = 2048, .n_head = 32, .n_head_kv = 32, .head_dim = 64, .n_ff = 8192,
     .n_vocab = 51200, .n_ctx_train = 2048, .n_rot = 32, .rope_base = 10000, .rms_eps = 1e-5f,
     .layer_norm = true,
     .block = {.qkv_bias = true, .out_bias = true, .norm_bias = true, .no_ffn_norm = true, .output_bias = true,
               .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true}},
    {.name = "dbrx", .arch = "dbrx", .source = "databricks/dbrx-instruct",
     .n_layer = 40, .n_embd = 6144, .n_head = 48, .n_head_kv = 8, .head_dim = 128, .n_ff = 10752,
     .n_vocab = 100352, .n_ctx_train = 32768, .n_expert = 16, .n_expert_used = 4, .n_ff_exp = 10752,
     .rope_base = 500000, .rms_eps = 1e-5f, .layer_norm = true, .clamp_kqv = 8.0f,
     .block = {.qkv_fused = true, .no_ffn_norm = true, .attn_out_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "olmo-1b", .arch = "olmo", .source = "allenai/OLMo-1B-hf",
     .n_layer = 16, .n_embd = 2048, .n_head = 16, .n_head_kv = 16, .head_dim = 128, .n_ff = 8192,
     .n_vocab = 50304, .n_ctx_train = 2048, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true,
     .layer_norm = true, .no_norms = true, .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "deepseek-moe-16b", .arch = "deepseek", .source = "deepseek-ai/deepseek-moe-16b-chat",
     .n_layer = 28, .n_embd = 2048, .n_head = 16, .n_head_kv = 16, .head_dim = 128, .n_ff = 10944,
     .n_vocab = 102400, .n_ctx_train = 4096, .n_expert = 64, .n_expert_used = 6, .n_ff_exp = 1408,
     .rope_base = 10000, .rms_eps = 1e-6f, .moe = {.dense_lead = 1, .shared = 2},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "chatglm3-6b", .arch = "chatglm", .source = "THUDM/chatglm3-6b",
     .n_layer = 28, .n_embd = 4096, .n_head = 32, .n_head_kv = 2, .head_dim = 128, .n_ff = 13696,
     .n_vocab = 65024, .n_ctx_train = 8192, .n_rot = 64, .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.qkv_fused = true, .qkv_bias = true, .ffn = ZOO_FFN_FUSED_UP}},
    {.name = "codeshell-7b", .arch = "codeshell", .source = "WisdomShell/CodeShell-7B",
     .n_layer = 42, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 16384,
     .n_vocab = 70144, .n_ctx_train = 8192, .rope_base = 10000, .rms_eps = 1e-5f, .layer_norm = true,
     .block = {.qkv_fused = true, .qkv_bias = true, .out_bias = true, .norm_bias = true,
               .ffn = ZOO_FFN_UP_ONLY, .ffn_bias = true}},
    {.name = "jais-13b", .arch = "jais", .source = "inceptionai/jais-13b-chat",
     .n_layer = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 40, .head_dim = 128, .n_ff = 13653,
     .n_vocab = 84992, .n_ctx_train = 2048, .rope_base = 10000, .rms_eps = 1e-5f, .layer_norm = true,
     .block = {.qkv_fused = true, .qkv_bias = true, .out_bias = true, .norm_bias = true,
               .ffn = ZOO_FFN_GATED, .ffn_bias = true}},
    /* the converter splits c_attn into Q, K and V and the MLP into gate and up */
    {.name = "refact-1.6b", .arch = "refact", .source = "smallcloudai/Refact-1_6B-fim",
     .n_layer = 32, .n_embd = 2048, .n_head = 32, .n_head_kv = 1, .head_dim = 64, .n_ff = 5632,
     .n_vocab = 49216, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "hunyuan-7b", .arch = "hunyuan-dense", .source = "tencent/Hunyuan-7B-Instruct",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 14336,
     .n_vocab = 128167, .n_ctx_train = 262144, .rope_base = 11158840, .rms_eps = 1e-5f, .tied = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_GATED}},
    /* values of n_embd / n_head (64): the converter writes no value_length */
    {.name = "minicpm3-4b", .arch = "minicpm3", .source = "openbmb/MiniCPM3-4B",
     .n_layer = 62, .n_embd = 2560, .n_head = 40, .n_head_kv = 40, .head_dim = 96, .n_ff = 6400,
     .n_vocab = 73448, .n_ctx_train = 32768, .rope_base = 10000, .rms_eps = 1e-5f,
     .mla = {.q_lora = 768, .kv_lora = 256, .nope = 64, .rope = 32, .v_head = 64, .kv_b = true},
     .block = {.ffn = ZOO_FFN_GATED, .rope_factors = true}},
    /* the converter writes the experts' width as feed_forward_length too */
    {.name = "smallthinker-4b-a0.6b", .arch = "smallthinker", .source = "PowerInfer/SmallThinker-4BA0.6B-Instruct",
     .n_layer = 32, .n_embd = 1536, .n_head = 12, .n_head_kv = 2, .head_dim = 128, .n_ff = 768,
     .n_vocab = 151936, .n_ctx_train = 32768, .n_expert = 32, .n_expert_used = 4, .n_ff_exp = 768,
     .n_swa = 4096, .rope_base = 1500000, .rms_eps = 1e-6f, .moe = {.gating = 1},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "snowflake-arctic", .arch = "arctic", .source = "Snowflake/snowflake-arctic-instruct",
     .n_layer = 35, .n_embd = 7168, .n_head = 56, .n_head_kv = 8, .head_dim = 128, .n_ff = 4864,
     .n_vocab = 32000, .n_ctx_train = 4096, .n_expert = 128, .n_expert_used = 2, .n_ff_exp = 4864,
     .rope_base = 10000, .rms_eps = 1e-5f, .block = {.ffn = ZOO_FFN_MOE, .dense_res = true}},
    /* per-layer heads and FFN widths as its configuration derives them */
    {.name = "openelm-270m", .arch = "openelm", .source = "apple/OpenELM-270M",
     .n_layer = 16, .n_embd = 1280, .n_head = 20, .n_head_kv = 5, .head_dim = 64, .n_ff = 5120,
     .n_vocab = 32000, .n_ctx_train = 2048, .rope_base = 10000, .rms_eps = 1e-6f, .tied = true,
     .layer_heads = openelm_270m_heads, .layer_heads_kv = openelm_270m_heads_kv, .layer_ff = openelm_270m_ff,
     .block = {.qkv_fused = true, .qk_norm = true, .ffn = ZOO_FFN_GATED}},
    /* up-cycled from Qwen3-30B-A3B: its shape, with an adjugate expert of
     * head_dim's width per two routed ones */
    {.name = "grovemoe-inst", .arch = "grovemoe", .source = "inclusionAI/GroveMoE-Inst",
     .n_layer = 48, .n_embd = 2048, .n_head = 32, .n_head_kv = 4, .head_dim = 128, .n_ff = 6144,
     .n_vocab = 151936, .n_ctx_train = 40960, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 768,
     .chunk_ff = 128, .rope_base = 1000000, .rms_eps = 1e-6f,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* its converter writes 5 KV heads (n_shared_head) and a 4096 context;
     * attention and the FFN share one norm */
    {.name = "plamo-13b", .arch = "plamo", .source = "pfnet/plamo-13b",
     .n_layer = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 5, .head_dim = 128, .n_ff = 16640,
     .n_vocab = 50432, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-6f,
     .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "bitnet-b1.58-2b-4t", .arch = "bitnet", .source = "microsoft/bitnet-b1.58-2B-4T",
     .n_layer = 30, .n_embd = 2560, .n_head = 20, .n_head_kv = 5, .head_dim = 128, .n_ff = 6912,
     .n_vocab = 128256, .n_ctx_train = 4096, .rope_base = 500000, .rms_eps = 1e-5f, .tied = true,
     .extra_vecs = "attn_sub_norm ffn_sub_norm:f", .block = {.ffn = ZOO_FFN_GATED}},
    /* the language model of DeepSeek-OCR: DeepSeek-V2 layers without latent attention */
    {.name = "deepseek-ocr", .arch = "deepseek2-ocr", .source = "deepseek-ai/DeepSeek-OCR",
     .n_layer = 12, .n_embd = 1280, .n_head = 10, .n_head_kv = 10, .head_dim = 128, .n_ff = 6848,
     .n_vocab = 129280, .n_ctx_train = 8192, .n_expert = 64, .n_expert_used = 6, .n_ff_exp = 896,
     .rope_base = 10000, .rms_eps = 1e-6f, .moe = {.dense_lead = 1, .shared = 2},
     .block = {.ffn = ZOO_FFN_MOE}},
    {.name = "chameleon-7b", .arch = "chameleon", .source = "facebook/chameleon-7b",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 11008,
     .n_vocab = 65536, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-5f,
     .block = {.qk_norm_heads = true, .ffn = ZOO_FFN_GATED}},
    /* PLaMo 3 and Nanbeige 4: their config.json was not found; the
     * dimensions are a plausible size of each (assumed), the tensors and
     * keys those of llama.cpp's loader and converter. Jais 2's are the
     * defaults of its transformers configuration class. */
    {.name = "plamo-3-2b", .arch = "plamo3", .source = "pfnet/plamo-3-nict-2b-base (dimensions assumed)",
     .n_layer = 24, .n_embd = 2048, .n_head = 16, .n_head_kv = 4, .head_dim = 128, .n_ff = 5632,
     .n_vocab = 100000, .n_ctx_train = 4096, .n_swa = 2048, .rope_base = 1000000, .rms_eps = 1e-6f,
     .extra_vecs = "post_attention_norm:b post_ffw_norm:b",
     .block = {.qkv_fused = true, .qk_norm = true, .ffn = ZOO_FFN_FUSED_UP}},
    {.name = "maincoder-1b", .arch = "maincoder", .source = "Maincode/Maincoder-1B",
     .n_layer = 32, .n_embd = 1536, .n_head = 16, .n_head_kv = 4, .head_dim = 96, .n_ff = 4096,
     .n_vocab = 151936, .n_ctx_train = 2048, .rope_base = 1000000, .rms_eps = 1e-5f, .tied = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "nanbeige4-3b", .arch = "nanbeige", .source = "Nanbeige/Nanbeige4-3B-Base (dimensions assumed)",
     .n_layer = 32, .n_embd = 2560, .n_head = 20, .n_head_kv = 4, .head_dim = 128, .n_ff = 10496,
     .n_vocab = 166144, .n_ctx_train = 65536, .rope_base = 70000000, .rms_eps = 1e-5f,
     .block = {.ffn = ZOO_FFN_GATED}},
    {.name = "jais-2-8b", .arch = "jais2", .source = "inception42/Jais-2-8B-Chat (transformers' Jais2Config)",
     .n_layer = 32, .n_embd = 3328, .n_head = 26, .n_head_kv = 26, .head_dim = 128, .n_ff = 26624,
     .n_vocab = 150272, .n_ctx_train = 8192, .rope_base = 500000, .rms_eps = 1e-5f, .layer_norm = true,
     .block = {.qkv_bias = true, .out_bias = true, .norm_bias = true, .ffn_bias = true, .ffn = ZOO_FFN_UP_ONLY}},
    /* the language model of HunyuanOCR (its converter always writes the
     * XD-RoPE sections); Mellum's MoE: dimensions assumed as above */
    {.name = "hunyuan-ocr", .arch = "hunyuan_vl", .source = "tencent/HunyuanOCR",
     .n_layer = 24, .n_embd = 1024, .n_head = 16, .n_head_kv = 8, .head_dim = 128, .n_ff = 3584,
     .n_vocab = 120818, .n_ctx_train = 32768, .rope_base = 10000, .rms_eps = 1e-5f, .tied = true, .mrope = true,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "mellum-moe", .arch = "mellum", .source = "JetBrains Mellum MoE (dimensions assumed)",
     .n_layer = 28, .n_embd = 2048, .n_head = 16, .n_head_kv = 4, .head_dim = 128, .n_ff = 6144,
     .n_vocab = 98304, .n_ctx_train = 65536, .n_expert = 64, .n_expert_used = 8, .n_ff_exp = 768,
     .n_swa = 4096, .rope_base = 500000, .rms_eps = 1e-6f,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* the language model of PaddleOCR-VL: ERNIE 4.5 0.3B with multi-section rope */
    {.name = "paddleocr-vl", .arch = "paddleocr", .source = "PaddlePaddle/PaddleOCR-VL",
     .n_layer = 18, .n_embd = 1024, .n_head = 16, .n_head_kv = 2, .head_dim = 128, .n_ff = 3072,
     .n_vocab = 103424, .n_ctx_train = 131072, .rope_base = 500000, .rms_eps = 1e-5f, .tied = true, .mrope = true,
     .block = {.ffn = ZOO_FFN_GATED}},
    /* Maple and Spark 2.5: dimensions assumed as above; the sliding layers'
     * pattern as their loaders read it. Muse Glimmer: its output multiplier
     * is the logit scale, and its logits are soft-capped. */
    {.name = "muse-glimmer", .arch = "muse-glimmer", .source = "meta-models/Muse-Glimmer-30B (NeMo's configuration)",
     .n_layer = 52, .n_embd = 6656, .n_head = 32, .n_head_kv = 2, .head_dim = 128, .n_ff = 19968,
     .n_vocab = 202048, .n_ctx_train = 16384, .n_swa = 2048, .rope_base = 500000, .rms_eps = 1e-5f,
     .logit_scale = 0.19611613513818404f, .final_softcap = 20.0f, .extra_vecs = "attn_gate:q",
     .block = {.qk_norm = true, .post_attn_norm = true, .post_ffw_norm = true, .ffn = ZOO_FFN_GATED}},
    {.name = "maple-moe", .arch = "maple", .source = "Maple MoE (dimensions assumed)",
     .n_layer = 24, .n_embd = 2048, .n_head = 32, .n_head_kv = 4, .head_dim = 64, .n_ff = 6144,
     .n_vocab = 131072, .n_ctx_train = 131072, .n_expert = 64, .n_expert_used = 4, .n_ff_exp = 1024,
     .n_swa = 128, .rope_base = 150000, .rms_eps = 1e-5f, .swa_layers = "SF", .swiglu_clamp = 7.0f,
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    {.name = "spark-2.5", .arch = "spark2_5", .source = "Spark 2.5 (dimensions assumed)",
     .n_layer = 24, .n_embd = 2048, .n_head = 16, .n_head_kv = 4, .head_dim = 128, .n_ff = 6144,
     .n_vocab = 131072, .n_ctx_train = 32768, .n_swa = 4096, .rope_base = 1000000, .rms_eps = 1e-6f,
     .swa_layers = "SSSF", .extra_vecs = "attn_gate:h", .block = {.ffn = ZOO_FFN_GATED}},
    /* the language model of CogVLM2, with its visual experts beside every
     * attention and FFN */
    {.name = "cogvlm2-19b", .arch = "cogvlm", .source = "THUDM/cogvlm2-llama3-chat-19B",
     .n_layer = 32, .n_embd = 4096, .n_head = 32, .n_head_kv = 32, .head_dim = 128, .n_ff = 14336,
     .n_vocab = 128256, .n_ctx_train = 8192, .rope_base = 500000, .rms_eps = 1e-5f,
     .extra_vecs = "vis_attn_qkv:k vis_attn_output:o vis_gate:u vis_up:u vis_down:d",
     .block = {.qkv_fused = true, .ffn = ZOO_FFN_GATED}},
    /* Talkie: no norm weights but a gain a query head and a scale a layer;
     * its converter writes float32's epsilon; the output gain is a tensor
     * of the checkpoint (1 here) */
    {.name = "talkie", .arch = "talkie", .source = "talkie-1930-13b",
     .n_layer = 40, .n_embd = 5120, .n_head = 40, .n_head_kv = 40, .head_dim = 128, .n_ff = 13696,
     .n_vocab = 65536, .n_ctx_train = 4096, .rope_base = 1000000, .rms_eps = 1.1920929e-7f, .logit_scale = 1.0f,
     .extra_vecs = "attn_q_norm:n layer_output_scale:s", .no_norms = true,
     .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    /* Granite with sliding layers and attention sinks: dimensions assumed
     * (Granite 3.3 8B's), one full layer then three sliding, as its
     * converter lays them out when the configuration does not */
    {.name = "granite-swa-8b", .arch = "granite_swa", .source = "IBM Granite SWA (dimensions assumed)",
     .n_layer = 40, .n_embd = 4096, .n_head = 32, .n_head_kv = 8, .head_dim = 128, .n_ff = 12800,
     .n_vocab = 49159, .n_ctx_train = 131072, .n_swa = 4096, .rope_base = 10000000, .rms_eps = 1e-5f,
     .logit_scale = 16.0f, .embd_scale = 12.0f, .resid_scale = 0.22f, .attn_scale = 0.0078125f,
     .swa_layers = "FSSS", .block = {.sinks = true, .ffn = ZOO_FFN_GATED}},
    /* Laguna: a dense lead layer, routed experts beside a shared one, a
     * sigmoid output gate a head, three sliding layers to one full */
    {.name = "laguna-xs", .arch = "laguna", .source = "poolside/Laguna-XS.2",
     .n_layer = 40, .n_embd = 2048, .n_head = 48, .n_head_kv = 8, .head_dim = 128, .n_ff = 8192,
     .n_vocab = 100352, .n_ctx_train = 131072, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 512,
     .n_swa = 512, .rope_base = 500000, .rms_eps = 1e-6f, .extra_vecs = "attn_gate:h",
     .moe = {.dense_lead = 1, .shared = 1, .gating = 2, .weights_scale = 2.5f, .weights_norm = true,
             .probs_bias = true},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* Hy3's trunk (no next-token layers): a dense lead layer, routed experts
     * beside a shared one */
    {.name = "hy3", .arch = "hy_v3", .source = "tencent/Hy3-preview-Base",
     .n_layer = 80, .n_embd = 4096, .n_head = 64, .n_head_kv = 8, .head_dim = 128, .n_ff = 13312,
     .n_vocab = 120832, .n_ctx_train = 262144, .n_expert = 192, .n_expert_used = 8, .n_ff_exp = 1536,
     .n_ff_shexp = 1536, .rope_base = 11158840, .rms_eps = 1e-5f,
     .moe = {.dense_lead = 1, .gating = 2, .weights_scale = 2.826f, .weights_norm = true},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* Granite Switch: Granite 4.1 3B with 12 rank-32 adapters beside every
     * projection and one single-head router attention layer past the last
     * block (dimensions as its published GGUF's header) */
    {.name = "granite-switch-4.1-3b", .arch = "graniteswitch", .source = "ibm-granite/granite-switch-4.1-3b-preview",
     .n_layer = 40, .n_embd = 2560, .n_head = 40, .n_head_kv = 8, .head_dim = 64, .n_ff = 8192,
     .n_vocab = 100364, .n_ctx_train = 131072, .rope_base = 10000000, .rms_eps = 1e-5f, .tied = true,
     .logit_scale = 10.0f, .embd_scale = 12.0f, .resid_scale = 0.22f, .attn_scale = 0.015625f,
     .adapters = 12, .adapter_rank = 32, .block = {.qkv_fused = true, .ffn = ZOO_FFN_GATED}},
    /* the language model of Mistral Small 4 (text_config, the Mistral4Config
     * it ships with): DeepSeek-V3's latent attention and routed experts with
     * one shared expert, no dense lead layer, softmax routing (its converter
     * writes no gating function or groups) */
    {.name = "mistral-small-4-119b", .arch = "mistral4", .source = "mistralai/Mistral-Small-4-119B-2603",
     .n_layer = 36, .n_embd = 4096, .n_head = 32, .n_head_kv = 1, .head_dim = 128, .n_ff = 12288,
     .n_vocab = 131072, .n_ctx_train = 1048576, .n_expert = 128, .n_expert_used = 4, .n_ff_exp = 2048,
     .rope_base = 10000, .rms_eps = 1e-6f,
     .mla = {.q_lora = 1024, .kv_lora = 256, .nope = 64, .rope = 64, .v_head = 128},
     .moe = {.shared = 1, .weights_scale = 1.0f, .weights_norm = true},
     .block = {.ffn = ZOO_FFN_MOE}},
    /* North Mini Code, as its model card lists the config: attention and the
     * FFN side by side on one RMS norm, 13 full-attention layers (without
     * rope) opening each group of four among 36 sliding ones, 128 experts of
     * which 8 are used; the dense prefix (3072 wide) is taken as one layer
     * and the logit scale as 1 (neither is listed), no shared expert */
    {.name = "north-mini-code-1.0", .arch = "cohere2moe", .source = "CohereLabs/North-Mini-Code-1.0",
     .n_layer = 49, .n_embd = 2048, .n_head = 32, .n_head_kv = 4, .head_dim = 128, .n_ff = 3072,
     .n_vocab = 262144, .n_ctx_train = 500000, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 768,
     .n_swa = 4096, .rope_base = 50000, .rms_eps = 1e-5f, .tied = true, .logit_scale = 1.0f,
     .swa_layers = "FSSS", .moe = {.dense_lead = 1, .weights_norm = true},
     .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_MOE}},
    /* K-EXAONE: its model card gives 48 layers, three 128-token sliding
     * layers to one global (rope on the sliding ones only), a 256K context
     * and a 150K vocabulary; the widths and the routing are assumed
     * (a dense lead layer, sigmoid-routed experts with a selection bias
     * beside one shared expert) */
    {.name = "k-exaone-236b-a23b", .arch = "exaone-moe",
     .source = "LGAI-EXAONE/K-EXAONE-236B-A23B (dimensions assumed)",
     .n_layer = 48, .n_embd = 6144, .n_head = 64, .n_head_kv = 8, .head_dim = 128, .n_ff = 18432,
     .n_vocab = 153600, .n_ctx_train = 262144, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 2048,
     .n_ff_shexp = 2048, .n_swa = 128, .rope_base = 1000000, .rms_eps = 1e-5f, .swa_layers = "SSSF",
     .moe = {.dense_lead = 1, .gating = 2, .weights_scale = 2.5f, .weights_norm = true, .probs_bias = true},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* Trinity Mini: its model card gives 128 experts of which 8 are used
     * beside one shared, a 128K context and (its tokenizer) the vocabulary;
     * llama.cpp names its 32 layers 26B. The widths, the two dense lead
     * layers, the window and the routing scale are assumed. Norms before
     * and after attention and the FFN, a sigmoid gate on the attention
     * output, three sliding layers to one global without rope */
    {.name = "trinity-mini", .arch = "afmoe", .source = "arcee-ai/Trinity-Mini (dimensions assumed)",
     .n_layer = 32, .n_embd = 2048, .n_head = 32, .n_head_kv = 4, .head_dim = 128, .n_ff = 6144,
     .n_vocab = 200192, .n_ctx_train = 131072, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 1024,
     .n_swa = 2048, .rope_base = 10000, .rms_eps = 1e-5f, .extra_vecs = "attn_gate:q",
     .moe = {.dense_lead = 2, .shared = 1, .weights_scale = 2.826f, .weights_norm = true, .probs_bias = true},
     .block = {.qk_norm = true, .post_attn_norm = true, .post_ffw_norm = true, .ffn = ZOO_FFN_MOE}},
    /* MiMo-V2-Flash (its MiMoV2FlashConfig): keys of 192, values of 128, rope
     * on a third of the key; 4 KV heads on the full-attention layers, 8 and
     * sinks on the 128-token sliding ones, five to each full one (the full
     * layer taken first, as the dense first layer is); the attention output
     * scaled; 256 sigmoid-routed experts of which 8 are used. Its converter
     * writes no dense lead count: the first layer's tensors tell it */
    {.name = "mimo-v2-flash", .arch = "mimo2", .source = "XiaomiMiMo/MiMo-V2-Flash",
     .n_layer = 48, .n_embd = 4096, .n_head = 64, .n_head_kv = 4, .head_dim = 192, .n_ff = 16384,
     .n_vocab = 152576, .n_ctx_train = 262144, .n_rot = 64, .n_expert = 256, .n_expert_used = 8,
     .n_ff_exp = 2048, .n_swa = 128, .rope_base = 5000000, .rms_eps = 1e-5f, .swa_layers = "FSSSSS",
     .n_head_kv_swa = 8, .head_dim_v = 128, .sinks_swa = true, .value_scale = 0.707f,
     .moe = {.dense_lead = 1, .lead_by_tensors = true, .probs_bias = true},
     .block = {.sinks = true, .ffn = ZOO_FFN_MOE}},
    /* Step-3.5-Flash (its Step35Config): 64 heads on the full-attention
     * layers, 96 on the 512-token sliding ones (three to each full one, the
     * full one taken first), 8 KV heads on both; per-head Q/K norms and a
     * sigmoid gate a head; three dense lead layers, then 288 experts of
     * which 8 are used beside a shared one. Its SwiGLU limits and the
     * next-token layers are left out */
    {.name = "step-3.5-flash", .arch = "step35", .source = "stepfun-ai/Step-3.5-Flash",
     .n_layer = 45, .n_embd = 4096, .n_head = 64, .n_head_kv = 8, .head_dim = 128, .n_ff = 11264,
     .n_vocab = 128815, .n_ctx_train = 128000, .n_expert = 288, .n_expert_used = 8, .n_ff_exp = 1280,
     .n_ff_shexp = 1280, .n_swa = 512, .rope_base = 10000, .rms_eps = 1e-5f, .swa_layers = "FSSS",
     .n_head_swa = 96, .extra_vecs = "attn_gate:h",
     .moe = {.dense_lead = 3, .weights_scale = 3.0f, .weights_norm = true, .probs_bias = true},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* DeciLM as Llama-3.3-Nemotron-Super-49B has it (Llama-3.1-Nemotron-51B's
     * config was not at hand; its loader and graph are the same): the heads,
     * KV heads and FFN width of each layer from its block_configs, llama3
     * rope factors */
    {.name = "llama-3.3-nemotron-super-49b", .arch = "deci", .source = "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
     .n_layer = 80, .n_embd = 8192, .n_head = 64, .n_head_kv = 8, .head_dim = 128, .n_ff = 28672,
     .n_vocab = 128256, .n_ctx_train = 131072, .rope_base = 500000, .rms_eps = 1e-5f,
     .layer_heads = nemotron_super_49b_heads, .layer_heads_kv = nemotron_super_49b_heads_kv,
     .layer_ff = nemotron_super_49b_ff, .block = {.ffn = ZOO_FFN_GATED, .rope_freqs = true}},
    /* DFM Mimir 1B (HRM-Text): a low and a high stack of 16 layers, run in turn over the token
     * stream (2 high cycles of 3 low ones and a high one), each pass with its own cache: 128
     * cache slots over 32 blocks; parameterless norms, a sigmoid gate on the attention output
     * (dimensions partly assumed: width, heads and cycles as published, the FFN width from HRM's
     * SwiGLU expansion of 4, the vocabulary as transformers' HRM-Text test configuration, the
     * training context) */
    {.name = "dfm-mimir-1b", .arch = "hrm_text", .source = "danish-foundation-models/DFM-Mimir",
     .n_layer = 128, .n_embd = 1536, .n_head = 12, .n_head_kv = 12, .head_dim = 128, .n_ff = 4096,
     .n_vocab = 65536, .n_ctx_train = 4096, .rope_base = 10000, .rms_eps = 1e-5f, .embd_scale = 39.191837f,
     .no_norms = true, .extra_vecs = "attn_gate:q", .hrm_lps = 16, .hrm_h = 2, .hrm_l = 3,
     .block = {.no_ffn_norm = true, .ffn = ZOO_FFN_GATED}},
    /* Hy4 (dimensions assumed: no published config.json was at hand; its
     * converter's DeepSeek-V3 layout, Hy3's vocabulary and the 78 layers
     * its llama.cpp graph mentions): latent attention with a sink a head and
     * a sigmoid gate on the heads' output, four residual copies mixed around
     * every block, sparse attention whose indexer runs on every other layer
     * (the rest reuse its top-k), routed experts with a SwiGLU limit beside a
     * shared one */
    {.name = "hy4", .arch = "hy_v4", .source = "tencent/Hy4-preview (dimensions assumed)",
     .n_layer = 78, .n_embd = 6144, .n_head = 64, .n_head_kv = 1, .head_dim = 192, .n_ff = 18432,
     .n_vocab = 120832, .n_ctx_train = 262144, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 2048,
     .rope_base = 10000, .rms_eps = 1e-5f, .swiglu_clamp = 10.0f,
     .mla = {.q_lora = 1536, .kv_lora = 512, .nope = 128, .rope = 64, .v_head = 128, .idx_heads = 64,
             .idx_dim = 128, .idx_top_k = 2048, .idx_types = "FS", .out_gate = true},
     .ihc = {.count = 4, .eps = 1e-6f, .magnitude = 2.0f},
     .moe = {.dense_lead = 3, .shared = 1, .gating = 2, .weights_scale = 2.5f, .weights_norm = true,
             .probs_bias = true},
     .block = {.sinks = true, .ffn = ZOO_FFN_MOE}},
    /* MiniMax-M3 (its text_config): MiniMax-M2's attention with one Q/K norm
     * a head, three dense lead layers (12288 wide), then 128 sigmoid-routed
     * experts of which 4 are used beside a shared one; MiniMax sparse
     * attention on the routed layers: an indexer of 4 heads of 128 picking 16
     * blocks of 128 positions, the last one always */
    {.name = "minimax-m3", .arch = "minimax-m3", .source = "MiniMaxAI/MiniMax-M3",
     .n_layer = 60, .n_embd = 6144, .n_head = 64, .n_head_kv = 4, .head_dim = 128, .n_ff = 12288,
     .n_vocab = 200064, .n_ctx_train = 1048576, .n_rot = 64, .n_expert = 128, .n_expert_used = 4,
     .n_ff_exp = 3072, .rope_base = 5000000, .rms_eps = 1e-6f,
     .msa = {.idx_heads = 4, .idx_dim = 128, .top_k = 16, .block = 128, .local = 1},
     .moe = {.dense_lead = 3, .shared = 1, .gating = 2, .weights_scale = 2.0f, .weights_norm = true,
             .probs_bias = true},
     .block = {.qk_norm = true, .ffn = ZOO_FFN_MOE}},
    /* DeepSeek-V4-Flash: 43 layers (its next-token layer left out), four
     * hyper-connection copies, 64 heads of 512 reading one K=V head, kept
     * raw over 128 tokens and compressed 4:1 (an indexer of 64 heads of 128
     * picking 512) and 128:1 by turns past the first two layers; 256
     * MXFP4 experts of which 6 are used beside a shared one, the first three
     * layers routing by token id */
    {.name = "deepseek-v4-flash", .arch = "deepseek4", .source = "deepseek-ai/DeepSeek-V4-Flash",
     .n_layer = 43, .n_embd = 4096, .n_head = 64, .n_head_kv = 1, .head_dim = 512, .n_ff = 2048,
     .n_vocab = 129280, .n_ctx_train = 1048576, .n_rot = 64, .n_expert = 256, .n_expert_used = 6,
     .n_ff_exp = 2048, .n_swa = 128, .expert_type = GP_TYPE_MXFP4, .rope_base = 10000, .rms_eps = 1e-6f,
     .swiglu_clamp = 10.0f,
     .dsv4 = {.hc = 4, .sinkhorn = 20, .q_lora = 1024, .o_groups = 8, .o_lora = 1024, .idx_heads = 64,
              .idx_dim = 128, .idx_top_k = 512, .hash_layers = 3, .plain_lead = 2},
     .moe = {.shared = 1, .gating = 4, .weights_scale = 1.5f, .weights_norm = true},
     .block = {.ffn = ZOO_FFN_MOE}},
};
#define N_ZOO (sizeof zoo_models / sizeof zoo_models[0])

/* ---- a Q4_K_M-like type mix --------------------------------------------------- */

/* The type a quantizer would give a weight whose rows are ne0 long: the
 * wanted K-quant when rows hold whole 256-blocks, else Q8_0 (32-blocks),
 * else F16. */
static uint32_t fit_type(uint32_t want, int64_t ne0)
{
    if (want == GP_TYPE_MXFP4 ? ne0 % 32 == 0 : ne0 % 256 == 0)
        return want;
    return ne0 % 32 == 0 ? GP_TYPE_Q8_0 : GP_TYPE_F16;
}

static void weight(gw *w, const char *name, uint32_t want, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2)
{
    int64_t ne[3] = {ne0, ne1, ne2};
    gw_tensor(w, name, fit_type(want, ne0), (uint32_t)n_dims, ne);
}

static void vec(gw *w, const char *name, int n_dims, int64_t ne0, int64_t ne1)
{
    int64_t ne[2] = {ne0, ne1};
    gw_tensor(w, name, GP_TYPE_F32, (uint32_t)n_dims, ne);
}

/* ---- the writer ------------------------------------------------------------------- */

/* Granite Switch: the stacked adapters of every projection, slot 0 the zero
 * one. Their names do not end in "weight", so a quantizer leaves them in the
 * source's 16-bit type. */
static void switch_adapters(gw *w, const zoo_model *m, uint32_t il)
{
    static const char *const proj[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up",
                                       "ffn_down"};
    const int64_t q = (int64_t)m->n_head * m->head_dim, kv = (int64_t)m->n_head_kv * m->head_dim;
    const int64_t in[] = {m->n_embd, m->n_embd, m->n_embd, q, m->n_embd, m->n_embd, m->n_ff};
    const int64_t out[] = {q, kv, kv, m->n_embd, m->n_ff, m->n_ff, m->n_embd};
    const int64_t slots = (int64_t)m->adapters + 1, r = m->adapter_rank;
    char n[96];
    for (size_t i = 0; i < sizeof proj / sizeof proj[0]; i++) {
        int64_t a[3] = {in[i], r, slots}, b[3] = {r, out[i], slots};
        snprintf(n, sizeof n, "blk.%u.%s.lora_a", il, proj[i]);
        gw_tensor(w, n, GP_TYPE_F16, 3, a);
        snprintf(n, sizeof n, "blk.%u.%s.lora_b", il, proj[i]);
        gw_tensor(w, n, GP_TYPE_F16, 3, b);
    }
}

static const char *arch_key(char *k, size_t n, const zoo_model *m, const char *suffix)
{
    snprintf(k, n, "%s.%s", m->arch, suffix);
    return k;
}

/* whether layer il reuses the last indexer's top-k (mla.idx_types) */
static bool zoo_idx_shared(const zoo_model *m, uint32_t il)
{
    return m->mla.idx_types && m->mla.idx_types[il % strlen(m->mla.idx_types)] == 'S';
}

/* whether layer il slides (swa_layers) */
static bool zoo_swa(const zoo_model *m, uint32_t il)
{
    return m->swa_layers && m->swa_layers[il % strlen(m->swa_layers)] == 'S';
}

static uint32_t layer_n_head(const zoo_model *m, uint32_t il)
{
    if (m->layer_heads)
        return m->layer_heads[il];
    return m->n_head_swa && zoo_swa(m, il) ? m->n_head_swa : m->n_head;
}

static uint32_t layer_n_head_kv(const zoo_model *m, uint32_t il)
{
    if (m->layer_heads_kv)
        return m->layer_heads_kv[il];
    return m->n_head_kv_swa && zoo_swa(m, il) ? m->n_head_kv_swa : m->n_head_kv;
}

/* a per-layer head count array (head_count or head_count_kv) */
static void layer_heads_arr(gw *w, const zoo_model *m, const char *suffix, bool kv)
{
    uint32_t h[512];
    for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
        h[il] = kv ? layer_n_head_kv(m, il) : layer_n_head(m, il);
    char k[128];
    snprintf(k, sizeof k, "%s.%s", m->arch, suffix);
    gw_arr_u32(w, k, h, m->n_layer);
}

static void key_u32(gw *w, const zoo_model *m, const char *suffix, uint32_t v)
{
    char k[128];
    snprintf(k, sizeof k, "%s.%s", m->arch, suffix);
    gw_u32(w, k, v);
}

static void key_f32(gw *w, const zoo_model *m, const char *suffix, float v)
{
    char k[128];
    snprintf(k, sizeof k, "%s.%s", m->arch, suffix);
    gw_f32(w, k, v);
}

static bool g4_global(const zoo_model *m, uint32_t il)
{
    return il % m->g4.global_every == m->g4.global_every - 1;
}

static bool g4_has_kv(const zoo_model *m, uint32_t il)
{
    return il < m->n_layer - m->g4.shared_kv;
}

static uint32_t g4_n_ff(const zoo_model *m, uint32_t il)
{
    return m->g4.n_ff_shared && !g4_has_kv(m, il) ? m->g4.n_ff_shared : m->n_ff;
}

/* Gemma 4's keys, as its converter writes them: the global layers' head
 * size as key/value_length, the sliding ones' as *_swa, per-layer arrays
 * where layers differ. */
static void gemma4_hparams(gw *w, const zoo_model *m)
{
    const zoo_gemma4 *g = &m->g4;
    uint32_t ff[512], kv[512];
    bool swa[512];
    for (uint32_t il = 0; il < m->n_layer && il < 512; il++) {
        ff[il] = g4_n_ff(m, il);
        kv[il] = g4_global(m, il) && g->n_head_kv_global ? g->n_head_kv_global : m->n_head_kv;
        swa[il] = !g4_global(m, il);
    }
    char k[128];
    snprintf(k, sizeof k, "%s.feed_forward_length", m->arch);
    if (g->n_ff_shared)
        gw_arr_u32(w, k, ff, m->n_layer);
    else
        gw_u32(w, k, m->n_ff);
    snprintf(k, sizeof k, "%s.attention.head_count_kv", m->arch);
    if (g->n_head_kv_global)
        gw_arr_u32(w, k, kv, m->n_layer);
    else
        gw_u32(w, k, m->n_head_kv);
    key_u32(w, m, "attention.key_length", g->head_dim_global);
    key_u32(w, m, "attention.value_length", g->head_dim_global);
    key_u32(w, m, "attention.key_length_swa", m->head_dim);
    key_u32(w, m, "attention.value_length_swa", m->head_dim);
    key_u32(w, m, "rope.dimension_count", g->head_dim_global);
    key_u32(w, m, "rope.dimension_count_swa", m->head_dim);
    key_f32(w, m, "rope.freq_base_swa", 10000.0f);
    snprintf(k, sizeof k, "%s.attention.sliding_window_pattern", m->arch);
    gw_arr_bool(w, k, swa, m->n_layer);
    key_u32(w, m, "attention.shared_kv_layers", g->shared_kv);
    key_u32(w, m, "embedding_length_per_layer_input", g->per_layer);
    key_f32(w, m, "final_logit_softcapping", 30.0f);
}

/* Gemma 3n's own keys, as its converter writes them: four sliding layers to
 * one global, the AltUp and per-layer input widths, the shared caches
 * (llama.cpp v0.5.0 reads only the pattern and the rope base of the sliding
 * layers) */
static void gemma3n_hparams(gw *w, const zoo_model *m)
{
    bool swa[512];
    for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
        swa[il] = il % 5 < 4;
    char k[128];
    snprintf(k, sizeof k, "%s.attention.sliding_window_pattern", m->arch);
    gw_arr_bool(w, k, swa, m->n_layer);
    key_f32(w, m, "rope.freq_base_swa", 10000.0f);
    key_u32(w, m, "altup.active_idx", 0);
    key_u32(w, m, "altup.num_inputs", m->altup);
    key_u32(w, m, "embedding_length_per_layer_input", G3N_PER_LAYER);
    key_u32(w, m, "attention.shared_kv_layers", m->n_layer > G3N_KV_LAYERS ? m->n_layer - G3N_KV_LAYERS : 0);
}

/* DeepSeek-V4's compress ratio of layer il: none on the lead layers, then
   4 and 128 by turns */
static uint32_t dsv4_ratio(const zoo_model *m, uint32_t il)
{
    if (il < m->dsv4.plain_lead)
        return 0;
    return (il - m->dsv4.plain_lead) % 2 ? 128 : 4;
}

static void hparams(gw *w, const zoo_model *m)
{
    char ak[128];
    gw_str(w, "general.architecture", m->arch);
    gw_str(w, "general.name", m->name);
    gw_u32(w, "general.file_type", 15); /* Q4_K_M */
    gw_u32(w, "general.quantization_version", 2);
    key_u32(w, m, "context_length", m->n_ctx_train);
    key_u32(w, m, "embedding_length", m->n_embd);
    key_u32(w, m, "block_count", m->n_layer);
    const bool nemotron = m->layer_kinds && m->mamba.inner && !m->mamba.every_ffn && !m->mamba.v1 &&
                          !m->mamba.plamo;
    const bool g4 = m->g4.head_dim_global > 0;
    if (!nemotron && !g4)
        m->layer_ff ? gw_arr_u32(w, arch_key(ak, sizeof ak, m, "feed_forward_length"), m->layer_ff, m->n_layer)
                    : key_u32(w, m, "feed_forward_length", m->n_ff);
    if (m->mamba.plamo) {
        /* PLaMo 2's converter writes the query heads per layer too, zero on mixers */
        uint32_t h[512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
            h[il] = m->layer_kinds[il] == 'M' ? 0 : m->n_head;
        char k[128];
        snprintf(k, sizeof k, "%s.attention.head_count", m->arch);
        gw_arr_u32(w, k, h, m->n_layer);
    } else {
        m->layer_heads || m->n_head_swa ? layer_heads_arr(w, m, "attention.head_count", false)
                                        : key_u32(w, m, "attention.head_count", m->n_head);
    }
    if (nemotron) {
        /* Nemotron-H: the kind of a layer is in its head_count_kv and
         * feed_forward_length entries */
        uint32_t kv[512], ff[512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++) {
            char k = m->layer_kinds[il];
            kv[il] = k == '*' ? m->n_head_kv : 0;
            ff[il] = k == '-' ? m->n_ff : k == 'E' ? m->n_ff_exp : 0;
        }
        char k[128];
        snprintf(k, sizeof k, "%s.attention.head_count_kv", m->arch);
        gw_arr_u32(w, k, kv, m->n_layer);
        snprintf(k, sizeof k, "%s.feed_forward_length", m->arch);
        gw_arr_u32(w, k, ff, m->n_layer);
    } else if (m->layer_kinds) {
        uint32_t kv[512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
            kv[il] = strchr("cMNk", m->layer_kinds[il]) ? 0 : m->n_head_kv;
        char k[128];
        snprintf(k, sizeof k, "%s.attention.head_count_kv", m->arch);
        gw_arr_u32(w, k, kv, m->n_layer);
        if (m->conv_l)
            key_u32(w, m, "shortconv.l_cache", m->conv_l);
    } else if (!g4) {
        m->layer_heads_kv || m->n_head_kv_swa ? layer_heads_arr(w, m, "attention.head_count_kv", true)
                                              : key_u32(w, m, "attention.head_count_kv", m->n_head_kv);
    }
    if (m->mla.kv_lora && m->mla.kv_b) {
        /* MiniCPM3's converter: the heads' key size only */
        key_u32(w, m, "attention.key_length", m->mla.nope + m->mla.rope);
        key_u32(w, m, "attention.q_lora_rank", m->mla.q_lora);
        key_u32(w, m, "attention.kv_lora_rank", m->mla.kv_lora);
    } else if (m->mla.kv_lora) {
        /* the cache row (latent + rope) and the latent, as converted */
        key_u32(w, m, "attention.key_length", m->mla.kv_lora + m->mla.rope);
        key_u32(w, m, "attention.value_length", m->mla.kv_lora);
        key_u32(w, m, "attention.key_length_mla", m->mla.nope + m->mla.rope);
        key_u32(w, m, "attention.value_length_mla", m->mla.v_head);
        if (m->mla.q_lora)
            key_u32(w, m, "attention.q_lora_rank", m->mla.q_lora);
        key_u32(w, m, "attention.kv_lora_rank", m->mla.kv_lora);
        if (m->mla.idx_heads) {
            key_u32(w, m, "attention.indexer.head_count", m->mla.idx_heads);
            key_u32(w, m, "attention.indexer.key_length", m->mla.idx_dim);
            key_u32(w, m, "attention.indexer.top_k", m->mla.idx_top_k);
            if (m->mla.idx_types) {
                bool full[512];
                for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
                    full[il] = !zoo_idx_shared(m, il);
                char k[128];
                snprintf(k, sizeof k, "%s.attention.indexer.types", m->arch);
                gw_arr_bool(w, k, full, m->n_layer);
            }
        }
    } else if (!g4) {
        key_u32(w, m, "attention.key_length", m->head_dim);
        key_u32(w, m, "attention.value_length", m->head_dim_v ? m->head_dim_v : m->head_dim);
    }
    key_f32(w, m, m->layer_norm ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon", m->rms_eps);
    if (m->logit_scale > 0)
        key_f32(w, m, "logit_scale", m->logit_scale);
    if (m->clamp_kqv > 0)
        key_f32(w, m, "attention.clamp_kqv", m->clamp_kqv);
    if (m->value_scale > 0)
        key_f32(w, m, "attention.value_scale", m->value_scale);
    if (m->chunk_ff) {   /* as GroveMoE's converter writes them */
        key_u32(w, m, "expert_chunk_feed_forward_length", m->chunk_ff);
        key_u32(w, m, "experts_per_group", 2);
        key_f32(w, m, "expert_group_scale", 0.05f);
    }
    if (m->embd_scale > 0)
        key_f32(w, m, "embedding_scale", m->embd_scale);
    if (m->resid_scale > 0)
        key_f32(w, m, "residual_scale", m->resid_scale);
    if (m->attn_scale > 0)
        key_f32(w, m, "attention.scale", m->attn_scale);
    if (m->attn_softcap > 0)
        key_f32(w, m, "attn_logit_softcapping", m->attn_softcap);
    if (m->final_softcap > 0)
        key_f32(w, m, "final_logit_softcapping", m->final_softcap);
    if (m->adapters) {
        /* the last adapters tokens switch to an adapter, each read as one substitute token */
        uint32_t act[256], sub[256];
        for (uint32_t i = 0; i < m->adapters && i < 256; i++) {
            act[i] = m->n_vocab - m->adapters + i;
            sub[i] = m->n_vocab - m->adapters - 1;
        }
        key_u32(w, m, "adapters.count", m->adapters);
        key_u32(w, m, "adapters.lora_rank", m->adapter_rank);
        key_f32(w, m, "adapters.router_gain", 15.0f);
        char k[128];
        gw_arr_u32(w, arch_key(k, sizeof k, m, "adapters.token_ids_activate"), act, m->adapters);
        gw_arr_u32(w, arch_key(k, sizeof k, m, "adapters.token_ids_substitute"), sub, m->adapters);
    }
    if (m->hrm_lps) {
        key_u32(w, m, "hrm.layers_per_stack", m->hrm_lps);
        key_u32(w, m, "hrm.h_cycles", m->hrm_h);
        key_u32(w, m, "hrm.l_cycles", m->hrm_l);
    }
    key_f32(w, m, "rope.freq_base", m->rope_base);
    if (!g4)
        key_u32(w, m, "rope.dimension_count", m->mla.kv_lora ? m->mla.rope : m->n_rot ? m->n_rot : m->head_dim);
    else
        gemma4_hparams(w, m);
    if (m->n_swa)
        key_u32(w, m, "attention.sliding_window", m->n_swa);
    if (m->altup)
        gemma3n_hparams(w, m);
    if (m->swa_layers) {
        bool swa[512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
            swa[il] = m->swa_layers[il % strlen(m->swa_layers)] == 'S';
        char k[128];
        snprintf(k, sizeof k, "%s.attention.sliding_window_pattern", m->arch);
        gw_arr_bool(w, k, swa, m->n_layer);
    }
    if (m->swiglu_clamp > 0)
        key_f32(w, m, "swiglu_clamp_exp", m->swiglu_clamp);
    if (m->n_expert) {
        key_u32(w, m, "expert_count", m->n_expert);
        key_u32(w, m, "expert_used_count", m->n_expert_used);
        key_u32(w, m, "expert_feed_forward_length", m->n_ff_exp);
        if (m->moe_step)
            key_u32(w, m, "interleave_moe_layer_step", m->moe_step);
        if (m->n_ff_shexp)
            key_u32(w, m, "expert_shared_feed_forward_length", m->n_ff_shexp);
        if (m->moe.dense_lead && !m->moe.lead_by_tensors)
            key_u32(w, m, "leading_dense_block_count", m->moe.dense_lead);
        if (m->moe.shared)
            key_u32(w, m, "expert_shared_count", m->moe.shared);
        if (m->moe.groups) {
            key_u32(w, m, "expert_group_count", m->moe.groups);
            key_u32(w, m, "expert_group_used_count", m->moe.groups_used);
        }
        if (m->moe.gating)
            key_u32(w, m, "expert_gating_func", m->moe.gating);
        if (m->moe.weights_scale > 0)
            key_f32(w, m, "expert_weights_scale", m->moe.weights_scale);
        if (m->moe.weights_norm) {
            char k[128];
            snprintf(k, sizeof k, "%s.expert_weights_norm", m->arch);
            gw_bool(w, k, true);
        }
    }
    if (!strcmp(m->arch, "apertus")) {
        /* xIELU's parameters (one value for every layer) */
        gw_f32(w, "xielu.alpha_n", 0.8f);
        gw_f32(w, "xielu.alpha_p", 0.8f);
        gw_f32(w, "xielu.beta", 0.5f);
        gw_f32(w, "xielu.eps", -1e-6f);
    }
    if (m->deepstack)
        key_u32(w, m, "n_deepstack_layers", m->deepstack);
    if (m->delta.ab_split || m->mrope) {
        /* multi-section rope: text positions only, the sections still required */
        const int32_t sections[4] = {m->mrope ? 24 : 11, m->mrope ? 20 : 11, m->mrope ? 20 : 10, 0};
        char k[128];
        snprintf(k, sizeof k, "%s.rope.dimension_sections", m->arch);
        gw_arr_i32(w, k, sections, 4);
    }
    if (m->mamba.inner) {
        key_u32(w, m, "ssm.conv_kernel", m->mamba.conv);
        key_u32(w, m, "ssm.inner_size", m->mamba.inner);
        key_u32(w, m, "ssm.state_size", m->mamba.state);
        key_u32(w, m, "ssm.group_count", m->mamba.groups);
        key_u32(w, m, "ssm.time_step_rank", m->mamba.heads);
        key_f32(w, m, "attention.layer_norm_epsilon", m->rms_eps);
        if (m->mamba.no_rope) {
            char k[128];
            snprintf(k, sizeof k, "%s.rope.scaling.finetuned", m->arch);
            gw_bool(w, k, false);
        }
    }
    if (m->rwkv.version) {
        key_u32(w, m, "wkv.head_size", m->rwkv.head_size);
        if (m->rwkv.hybrid)
            key_u32(w, m, "token_shift_count", 1);
        if (m->rwkv.version == 6) {
            key_u32(w, m, "time_mix_extra_dim", m->rwkv.mix_extra);
            key_u32(w, m, "time_decay_extra_dim", m->rwkv.decay_extra);
            key_u32(w, m, "rescale_every_n_layers", m->rwkv.rescale);
        } else {
            key_u32(w, m, "attention.decay_lora_rank", m->rwkv.decay);
            key_u32(w, m, "attention.iclr_lora_rank", m->rwkv.iclr);
            key_u32(w, m, "attention.value_residual_mix_lora_rank", m->rwkv.value_mix);
            key_u32(w, m, "attention.gate_lora_rank", m->rwkv.gate);
        }
    }
    if (m->delta.interval) {
        key_u32(w, m, "full_attention_interval", m->delta.interval);
        key_u32(w, m, "ssm.conv_kernel", m->delta.conv);
        key_u32(w, m, "ssm.state_size", m->delta.state);
        key_u32(w, m, "ssm.group_count", m->delta.groups);
        key_u32(w, m, "ssm.time_step_rank", m->delta.dt_rank);
        key_u32(w, m, "ssm.inner_size", m->delta.inner);
    }
    if (m->kda.head_dim) {
        key_u32(w, m, "ssm.conv_kernel", m->kda.conv);
        key_u32(w, m, "kda.head_dim", m->kda.head_dim);
        if (m->kda.gate_lb < 0)
            key_f32(w, m, "kda.gate_lower_bound", m->kda.gate_lb);
        if (m->kda.latent)
            key_u32(w, m, "expert_latent_length", m->kda.latent);
        if (m->kda.situ_beta > 0) {   /* Kimi K3's, all required by its loader */
            key_u32(w, m, "attn_res.block_size", m->kda.res_block);
            key_f32(w, m, "activation.situ_beta", m->kda.situ_beta);
            key_f32(w, m, "activation.situ_linear_beta", m->kda.situ_linear_beta);
        }
    }
    if (m->kda.swiglu_clamp) {
        /* one limit per layer: none on the dense lead layer, and some
           layers without one */
        float lim[2][512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++) {
            lim[0][il] = il < m->moe.dense_lead || il % 3 == 0 ? 0.0f : 7.0f;
            lim[1][il] = il % 2 ? 5.0f : 0.0f;
        }
        for (int a = 0; a < 2; a++) {
            unsigned char buf[4 + 8 + 512 * 4];
            const uint32_t t = 6;   /* an array of f32 */
            const uint64_t n = m->n_layer;
            memcpy(buf, &t, 4);
            memcpy(buf + 4, &n, 8);
            memcpy(buf + 12, lim[a], n * 4);
            char k[128];
            snprintf(k, sizeof k, "%s.%s", m->arch, a ? "swiglu_clamp_shexp" : "swiglu_clamp_exp");
            gw_raw(w, k, 9, buf, 12 + n * 4);
        }
    }
    if (m->ihc.count) {
        key_u32(w, m, "hyper_connection.count", m->ihc.count);
        key_f32(w, m, "hyper_connection.epsilon", m->ihc.eps);
        key_f32(w, m, "hyper_connection.magnitude", m->ihc.magnitude);
    }
    if (m->dsv4.hc) {
        const zoo_dsv4 *d = &m->dsv4;
        key_u32(w, m, "attention.q_lora_rank", d->q_lora);
        key_u32(w, m, "attention.indexer.head_count", d->idx_heads);
        key_u32(w, m, "attention.indexer.key_length", d->idx_dim);
        key_u32(w, m, "attention.indexer.top_k", d->idx_top_k);
        key_u32(w, m, "attention.output_group_count", d->o_groups);
        key_u32(w, m, "attention.output_lora_rank", d->o_lora);
        key_f32(w, m, "attention.compress_rope_freq_base", 160000.0f);
        key_u32(w, m, "hyper_connection.count", d->hc);
        key_u32(w, m, "hyper_connection.sinkhorn_iterations", d->sinkhorn);
        key_f32(w, m, "hyper_connection.epsilon", 1e-6f);
        key_u32(w, m, "hash_layer_count", d->hash_layers);
        key_u32(w, m, "embedding_length_out", d->hc * m->n_embd);
        uint32_t r[512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
            r[il] = dsv4_ratio(m, il);
        char k[128];
        gw_arr_u32(w, arch_key(k, sizeof k, m, "attention.compress_ratios"), r, m->n_layer);
    }
    if (m->msa.idx_heads) {
        key_u32(w, m, "attention.indexer.head_count", m->msa.idx_heads);
        key_u32(w, m, "attention.indexer.key_length", m->msa.idx_dim);
        key_u32(w, m, "attention.indexer.top_k", m->msa.top_k);
        key_u32(w, m, "attention.indexer.block_size", m->msa.block);
        key_u32(w, m, "attention.indexer.local_blocks", m->msa.local);
    }
    if (m->hc.count) {
        key_u32(w, m, "hyper_connection.count", m->hc.count);
        key_u32(w, m, "hyper_connection.low_rank", m->hc.low_rank);
        key_u32(w, m, "attention.indexer.head_count", m->hc.idx_heads);
        key_u32(w, m, "attention.indexer.key_length", m->hc.idx_dim);
        key_u32(w, m, "attention.indexer.top_k", m->hc.idx_top_k);
        /* the full-attention layers' ratio, zero on the linear ones */
        uint32_t r[512];
        for (uint32_t il = 0; il < m->n_layer && il < 512; il++)
            r[il] = (il + 1) % m->delta.interval == 0 ? m->hc.compress : 0;
        char k[128];
        snprintf(k, sizeof k, "%s.attention.compress_ratios", m->arch);
        gw_arr_u32(w, k, r, m->n_layer);
        if (m->hc.ple_dim) {
            snprintf(k, sizeof k, "%s.ple.layers", m->arch);
            gw_arr_u32(w, k, &m->hc.ple_layer, 1);
            key_u32(w, m, "ple.ngram_size", m->hc.ple_ngram);
            key_u32(w, m, "ple.heads_per_ngram", m->hc.ple_heads_per_ngram);
            key_u32(w, m, "ple.conv_kernel", m->hc.ple_kernel);
            key_u32(w, m, "ple.eos_token_id", 2);
            key_u32(w, m, "embedding_length_per_layer_input", m->hc.ple_dim);
            /* the hash's constants: one multiplier per n-gram position, each
               head's range of rows (equal ranges filling the table) */
            const uint64_t heads = (uint64_t)(m->hc.ple_ngram - 1) * m->hc.ple_heads_per_ngram;
            uint64_t mul[8], off[64], size[64];
            for (uint64_t i = 0; i < m->hc.ple_ngram && i < 8; i++)
                mul[i] = 2 * i + 1;
            for (uint64_t h = 0; h < heads && h < 64; h++) {
                size[h] = m->hc.ple_rows / heads;
                off[h] = h * size[h];
            }
            const struct { const char *name; const uint64_t *v; uint64_t n; } arr[3] = {
                {"ple.layer_multipliers", mul, m->hc.ple_ngram},
                {"ple.head_offsets", off, heads},
                {"ple.head_vocab_sizes", size, heads}};
            for (int a = 0; a < 3; a++) {
                unsigned char buf[4 + 8 + 64 * 8];
                uint32_t t = 10;   /* an array of u64 */
                memcpy(buf, &t, 4);
                memcpy(buf + 4, &arr[a].n, 8);
                memcpy(buf + 12, arr[a].v, arr[a].n * 8);
                snprintf(k, sizeof k, "%s.%s", m->arch, arr[a].name);
                gw_raw(w, k, 9, buf, 12 + arr[a].n * 8);
            }
        }
    }
    if (m->arch && !strcmp(m->arch, "gptneox")) {
        char k[128];
        snprintf(k, sizeof k, "%s.use_parallel_residual", m->arch);
        gw_bool(w, k, m->block.parallel_res);
    }
    if (m->block.rope_factors) {
        key_u32(w, m, "rope.scaling.original_context_length", 4096);
        char k[128];
        snprintf(k, sizeof k, "%s.rope.scaling.type", m->arch);
        gw_str(w, k, "longrope");
    }
    /* A tokenizer of the right size: token strings only (SentencePiece
     * kind, which needs neither scores nor merges). */
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_arr_str_n(w, "tokenizer.ggml.tokens", m->n_vocab);
    gw_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gw_u32(w, "tokenizer.ggml.eos_token_id", 2);
}

static void attention(gw *w, const zoo_model *m, const zoo_block *b, uint32_t il)
{
    char n[96];
    const int64_t hv = m->head_dim_v ? m->head_dim_v : m->head_dim;
    int64_t q = (int64_t)layer_n_head(m, il) * m->head_dim;
    int64_t kv = (int64_t)layer_n_head_kv(m, il) * m->head_dim;
    int64_t v = (int64_t)layer_n_head_kv(m, il) * hv, o = (int64_t)layer_n_head(m, il) * hv;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    if (q == 0)   /* an attention-free layer: not even its norm */
        return;
    if (!b->post_norms && !m->hc.count && !m->no_norms)
        vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    if (b->norm_bias)
        vec(w, T("attn_norm.bias"), 1, m->n_embd, 1);
    if (m->hc.count) {   /* the sparse attention's indexer */
        weight(w, T("indexer.q_proj.weight"), GP_TYPE_Q8_0, 2, m->n_embd, (int64_t)m->hc.idx_heads * m->hc.idx_dim, 1);
        weight(w, T("indexer.k_proj.weight"), GP_TYPE_Q8_0, 2, m->n_embd, m->hc.idx_dim, 1);
        vec(w, T("indexer.q_norm.weight"), 1, m->hc.idx_dim, 1);
        vec(w, T("indexer.k_norm.weight"), 1, m->hc.idx_dim, 1);
    }
    if (m->msa.idx_heads && il >= m->moe.dense_lead) {   /* the sparse layers' indexer, kept F32 */
        vec(w, T("indexer.q_proj.weight"), 2, m->n_embd, (int64_t)m->msa.idx_heads * m->msa.idx_dim);
        vec(w, T("indexer.k_proj.weight"), 2, m->n_embd, m->msa.idx_dim);
        vec(w, T("indexer.q_norm.weight"), 1, m->msa.idx_dim, 1);
        vec(w, T("indexer.k_norm.weight"), 1, m->msa.idx_dim, 1);
    }
    if (m->mla.kv_lora) {
        const zoo_mla *a = &m->mla;
        int64_t hk = a->nope + a->rope;
        if (a->q_lora) {
            weight(w, T("attn_q_a.weight"), GP_TYPE_Q4_K, 2, m->n_embd, a->q_lora, 1);
            vec(w, T("attn_q_a_norm.weight"), 1, a->q_lora, 1);
            weight(w, T("attn_q_b.weight"), GP_TYPE_Q4_K, 2, a->q_lora, hk * m->n_head, 1);
        } else {
            weight(w, T("attn_q.weight"), GP_TYPE_Q4_K, 2, m->n_embd, hk * m->n_head, 1);
        }
        weight(w, T("attn_kv_a_mqa.weight"), GP_TYPE_Q4_K, 2, m->n_embd, a->kv_lora + a->rope, 1);
        vec(w, T("attn_kv_a_norm.weight"), 1, a->kv_lora, 1);
        if (a->kv_b) {
            weight(w, T("attn_kv_b.weight"), GP_TYPE_Q4_K, 2, a->kv_lora, (int64_t)(a->nope + a->v_head) * m->n_head, 1);
        } else {
            weight(w, T("attn_k_b.weight"), GP_TYPE_Q8_0, 3, a->nope, a->kv_lora, m->n_head);
            weight(w, T("attn_v_b.weight"), GP_TYPE_Q8_0, 3, a->kv_lora, a->v_head, m->n_head);
        }
        weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, (int64_t)a->v_head * m->n_head, m->n_embd, 1);
        if (m->kda.mla_gate)
            weight(w, T("attn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, (int64_t)a->v_head * m->n_head, 1);
        if (m->kda.ling)
            weight(w, T("attn_gate.weight"), GP_TYPE_F16, 2, m->n_embd, m->n_head, 1);
        if (a->out_gate)
            weight(w, T("attn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, (int64_t)a->v_head * m->n_head, 1);
        if (b->sinks)
            vec(w, T("attn_sinks.weight"), 1, m->n_head, 1);
        if (a->idx_heads && !zoo_idx_shared(m, il)) {
            vec(w, T("indexer.k_norm.weight"), 1, a->idx_dim, 1);
            vec(w, T("indexer.k_norm.bias"), 1, a->idx_dim, 1);
            vec(w, T("indexer.proj.weight"), 2, m->n_embd, a->idx_heads);
            weight(w, T("indexer.attn_k.weight"), GP_TYPE_Q8_0, 2, m->n_embd, a->idx_dim, 1);
            weight(w, T("indexer.attn_q_b.weight"), GP_TYPE_Q8_0, 2, a->q_lora, (int64_t)a->idx_heads * a->idx_dim, 1);
        }
        if (b->rope_factors && il == 0) {   /* LongRoPE on the rope part (MiniCPM3) */
            vec(w, "rope_factors_long.weight", 1, a->rope / 2, 1);
            vec(w, "rope_factors_short.weight", 1, a->rope / 2, 1);
        }
        return;
    }
    if (b->qkv_fused) {
        weight(w, T("attn_qkv.weight"), GP_TYPE_Q4_K, 2, m->n_embd, q + 2 * kv, 1);
        if (b->qkv_bias)
            vec(w, T("attn_qkv.bias"), 1, q + 2 * kv, 1);
    } else {
        weight(w, T("attn_q.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->q_gate ? 2 * q : q, 1);
        weight(w, T("attn_k.weight"), GP_TYPE_Q4_K, 2, m->n_embd, kv, 1);
        weight(w, T("attn_v.weight"), GP_TYPE_Q6_K, 2, m->n_embd, v, 1);
        if (b->qkv_bias) {
            vec(w, T("attn_q.bias"), 1, q, 1);
            vec(w, T("attn_k.bias"), 1, kv, 1);
            vec(w, T("attn_v.bias"), 1, kv, 1);
        }
    }
    if (b->qk_norm) {
        vec(w, T("attn_q_norm.weight"), 1, m->head_dim, 1);
        vec(w, T("attn_k_norm.weight"), 1, m->head_dim, 1);
    }
    if (b->qk_norm_full) {
        vec(w, T("attn_q_norm.weight"), 1, q, 1);
        vec(w, T("attn_k_norm.weight"), 1, kv, 1);
    }
    if (b->qk_norm_heads) {
        vec(w, T("attn_q_norm.weight"), 2, m->head_dim, m->n_head);
        vec(w, T("attn_k_norm.weight"), 2, m->head_dim, m->n_head_kv);
    }
    weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, o, m->n_embd, 1);
    if (b->out_bias)
        vec(w, T("attn_output.bias"), 1, m->n_embd, 1);
    if (b->sinks && (!m->sinks_swa || zoo_swa(m, il)))
        vec(w, T("attn_sinks.weight"), 1, layer_n_head(m, il), 1);
    if (b->attn_out_norm)
        vec(w, T("attn_output_norm.weight"), 1, m->n_embd, 1);
    if (b->post_attn_norm || b->post_norms)
        vec(w, T("post_attention_norm.weight"), 1, m->n_embd, 1);
    if (b->rope_freqs && il == 0)
        vec(w, "rope_freqs.weight", 1, (m->n_rot ? m->n_rot : m->head_dim) / 2, 1);
    /* LongRoPE's factors: one pair of tensors, shared by every layer. */
    if (b->rope_factors && il == 0) {
        uint32_t half = (m->n_rot ? m->n_rot : m->head_dim) / 2;
        vec(w, "rope_factors_long.weight", 1, half, 1);
        vec(w, "rope_factors_short.weight", 1, half, 1);
    }
#undef T
}

/* a gated delta net block (qwen3next) */
static void delta_net(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_delta *d = &m->delta;
    int64_t key = (int64_t)d->state * d->groups, ch = 2 * key + d->inner;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    if (!m->hc.count)
        vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    weight(w, T("attn_qkv.weight"), GP_TYPE_Q4_K, 2, m->n_embd, ch, 1);
    weight(w, T("attn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, d->inner, 1);
    vec(w, T("ssm_conv1d.weight"), 2, d->conv, ch);
    vec(w, T("ssm_dt.bias"), 1, d->dt_rank, 1);
    vec(w, T("ssm_a"), 1, d->dt_rank, 1);
    if (d->ab_split) {
        weight(w, T("ssm_alpha.weight"), GP_TYPE_F16, 2, m->n_embd, d->dt_rank, 1);
        weight(w, T("ssm_beta.weight"), GP_TYPE_F16, 2, m->n_embd, d->dt_rank, 1);
    } else {
        weight(w, T("ssm_ba.weight"), GP_TYPE_F16, 2, m->n_embd, 2 * (int64_t)d->dt_rank, 1);
    }
    vec(w, T("ssm_norm.weight"), 1, d->inner / d->dt_rank, 1);
    weight(w, T("ssm_out.weight"), GP_TYPE_Q4_K, 2, d->inner, m->n_embd, 1);
    if (m->block.post_attn_norm)
        vec(w, T("post_attention_norm.weight"), 1, m->n_embd, 1);
#undef T
}

/* a Kimi Delta Attention block: Q, K and V each through a short
 * convolution, the low-rank decay gate and output gate, beta, A and the
 * decay bias, the output norm of one head */
static void kda_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_kda *k = &m->kda;
    const int64_t E = m->n_embd, d = k->head_dim, di = d * m->n_head;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, E, 1);
    gw_tensor(w, T("ssm_conv1d_q.weight"), GP_TYPE_F32, 3, (int64_t[]){k->conv, 1, di});
    gw_tensor(w, T("ssm_conv1d_k.weight"), GP_TYPE_F32, 3, (int64_t[]){k->conv, 1, di});
    gw_tensor(w, T("ssm_conv1d_v.weight"), GP_TYPE_F32, 3, (int64_t[]){k->conv, 1, di});
    weight(w, T("attn_q.weight"), GP_TYPE_Q4_K, 2, E, di, 1);
    weight(w, T("attn_k.weight"), GP_TYPE_Q4_K, 2, E, di, 1);
    weight(w, T("attn_v.weight"), GP_TYPE_Q6_K, 2, E, di, 1);
    if (k->ling) {
        weight(w, T("ssm_f_a.weight"), GP_TYPE_Q8_0, 2, E, di, 1);
    } else {
        weight(w, T("ssm_f_a.weight"), GP_TYPE_Q8_0, 2, E, d, 1);
        weight(w, T("ssm_f_b.weight"), GP_TYPE_Q8_0, 2, d, di, 1);
    }
    weight(w, T("ssm_beta.weight"), GP_TYPE_F16, 2, E, m->n_head, 1);
    if (k->full_gate)   /* Kimi K3's A is one value per head, flat */
        vec(w, T("ssm_a"), 1, m->n_head, 1);
    else
        vec(w, T("ssm_a"), 2, 1, m->n_head);
    vec(w, T("ssm_dt.bias"), 1, di, 1);
    if (k->full_gate) {
        weight(w, T("ssm_g.weight"), GP_TYPE_Q8_0, 2, E, di, 1);
    } else if (k->ling) {
        weight(w, T("ssm_g_a.weight"), GP_TYPE_Q8_0, 2, E, di, 1);
    } else {
        weight(w, T("ssm_g_a.weight"), GP_TYPE_Q8_0, 2, E, d, 1);
        weight(w, T("ssm_g_b.weight"), GP_TYPE_Q8_0, 2, d, di, 1);
    }
    vec(w, T("ssm_norm.weight"), 1, d, 1);
    weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, di, E, 1);
#undef T
}

/* a Mamba-2 mixer */
static void mamba2(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_mamba *a = &m->mamba;
    int64_t ch = a->inner + 2 * (int64_t)a->groups * a->state, proj = ch + a->inner + a->heads;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    if (!a->parallel)   /* else attention's norm, read twice */
        vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    weight(w, T("ssm_in.weight"), GP_TYPE_Q4_K, 2, m->n_embd, proj, 1);
    vec(w, T("ssm_conv1d.weight"), 2, a->conv, ch);
    vec(w, T("ssm_conv1d.bias"), 1, ch, 1);
    vec(w, T("ssm_dt.bias"), 1, a->heads, 1);
    vec(w, T("ssm_a"), 2, 1, a->heads);
    vec(w, T("ssm_d"), 2, 1, a->heads);
    if (!a->no_norm)
        vec(w, T("ssm_norm.weight"), 2, a->inner / a->groups, a->groups);
    weight(w, T("ssm_out.weight"), GP_TYPE_Q4_K, 2, a->inner, m->n_embd, 1);
#undef T
}

/* a MiniMax-01 lightning attention layer's mixer */
static void lightning_attention(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const int64_t q = (int64_t)m->n_head * m->head_dim;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    vec(w, T("attn_norm_2.weight"), 1, q, 1);
    weight(w, T("attn_qkv.weight"), GP_TYPE_Q4_K, 2, m->n_embd, 3 * q, 1);
    weight(w, T("attn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, q, 1);
    weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, q, m->n_embd, 1);
#undef T
}

/* a PLaMo 2 layer: its mixer ('M') or attention, then post norms and the FFN
 * (llama.cpp names the post norms and the mixer's norms without .weight) */
static void plamo2_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_mamba *a = &m->mamba;
    const int64_t E = m->n_embd, dt_dim = E / 16 > 64 ? E / 16 : 64;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, E, 1);
    if (m->layer_kinds[il] == 'M') {
        weight(w, T("ssm_in.weight"), GP_TYPE_Q4_K, 2, E, 2 * (int64_t)a->inner, 1);
        vec(w, T("ssm_conv1d.weight"), 2, a->conv, a->inner);
        weight(w, T("ssm_x.weight"), GP_TYPE_Q8_0, 2, a->inner, dt_dim + 2 * (int64_t)a->state, 1);
        weight(w, T("ssm_dt.weight"), GP_TYPE_Q8_0, 2, dt_dim, a->heads, 1);
        vec(w, T("ssm_dt.bias"), 1, a->heads, 1);
        vec(w, T("ssm_a"), 1, a->heads, 1);
        vec(w, T("ssm_d"), 1, a->heads, 1);
        weight(w, T("ssm_out.weight"), GP_TYPE_Q4_K, 2, a->inner, E, 1);
        vec(w, T("ssm_dt_norm"), 1, dt_dim, 1);
        vec(w, T("ssm_b_norm"), 1, a->state, 1);
        vec(w, T("ssm_c_norm"), 1, a->state, 1);
    } else {
        const int64_t d = m->head_dim, q = (int64_t)m->n_head * d, kv = (int64_t)m->n_head_kv * d;
        weight(w, T("attn_qkv.weight"), GP_TYPE_Q4_K, 2, E, q + 2 * kv, 1);
        vec(w, T("attn_q_norm.weight"), 2, d, m->n_head);
        vec(w, T("attn_k_norm.weight"), 2, d, m->n_head_kv);
        weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, q, E, 1);
    }
    vec(w, T("post_attention_norm"), 1, E, 1);
    vec(w, T("ffn_norm.weight"), 1, E, 1);
    weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_ff, E, 1);
    weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, E, 2 * (int64_t)m->n_ff, 1);
    vec(w, T("post_ffw_norm"), 1, E, 1);
#undef T
}

/* a Mamba-1 mixer */
static void mamba1(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_mamba *a = &m->mamba;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    weight(w, T("ssm_in.weight"), GP_TYPE_Q4_K, 2, m->n_embd, 2 * (int64_t)a->inner, 1);
    vec(w, T("ssm_conv1d.weight"), 2, a->conv, a->inner);
    vec(w, T("ssm_conv1d.bias"), 1, a->inner, 1);
    weight(w, T("ssm_x.weight"), GP_TYPE_Q8_0, 2, a->inner, a->heads + 2 * (int64_t)a->state, 1);
    weight(w, T("ssm_dt.weight"), GP_TYPE_Q8_0, 2, a->heads, a->inner, 1);
    vec(w, T("ssm_dt.bias"), 1, a->inner, 1);
    if (a->dt_norms) {
        vec(w, T("ssm_dt_norm.weight"), 1, a->heads, 1);
        vec(w, T("ssm_b_norm.weight"), 1, a->state, 1);
        vec(w, T("ssm_c_norm.weight"), 1, a->state, 1);
    }
    vec(w, T("ssm_a"), 2, a->state, a->inner);
    vec(w, T("ssm_d"), 1, a->inner, 1);
    weight(w, T("ssm_out.weight"), GP_TYPE_Q4_K, 2, a->inner, m->n_embd, 1);
#undef T
}

/* an RWKV-6 or RWKV-7 block: LayerNorm, time mix, LayerNorm, channel mix */
static void rwkv_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_rwkv *r = &m->rwkv;
    const int64_t E = m->n_embd, H = r->head_size;
    const int64_t kv = r->hybrid && m->n_head_kv && m->n_head_kv != E / H ? m->n_head_kv * H : E;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, E, 1);
    if (!r->hybrid) {
        vec(w, T("attn_norm.bias"), 1, E, 1);
        vec(w, T("attn_norm_2.weight"), 1, E, 1);
        vec(w, T("attn_norm_2.bias"), 1, E, 1);
    }
    if (r->version == 6) {
        weight(w, T("time_mix_w1.weight"), GP_TYPE_F16, 2, E, 5 * (int64_t)r->mix_extra, 1);
        weight(w, T("time_mix_w2.weight"), GP_TYPE_F16, 3, r->mix_extra, E, 5);
        vec(w, T("time_mix_lerp_x.weight"), 1, E, 1);
        gw_tensor(w, T("time_mix_lerp_fused.weight"), GP_TYPE_F32, 4, (int64_t[]){E, 1, 1, 5});
        if (!r->hybrid)
            vec(w, T("time_mix_first.weight"), 2, H, E / H);
        vec(w, T("time_mix_decay.weight"), 1, E, 1);
        weight(w, T("time_mix_decay_w1.weight"), GP_TYPE_F16, 2, E, r->decay_extra, 1);
        weight(w, T("time_mix_decay_w2.weight"), GP_TYPE_F16, 2, r->decay_extra, E, 1);
        weight(w, T("time_mix_gate.weight"), GP_TYPE_Q4_K, 2, E, E, 1);
        if (r->hybrid) {   /* Qwen's attention biases */
            vec(w, T("time_mix_receptance.bias"), 1, E, 1);
            vec(w, T("time_mix_key.bias"), 1, kv, 1);
            vec(w, T("time_mix_value.bias"), 1, kv, 1);
        }
    } else {
        vec(w, T("time_mix_w0.weight"), 1, E, 1);
        weight(w, T("time_mix_w1.weight"), GP_TYPE_F16, 2, E, r->decay, 1);
        weight(w, T("time_mix_w2.weight"), GP_TYPE_F16, 2, r->decay, E, 1);
        vec(w, T("time_mix_a0.weight"), 1, E, 1);
        weight(w, T("time_mix_a1.weight"), GP_TYPE_F16, 2, E, r->iclr, 1);
        weight(w, T("time_mix_a2.weight"), GP_TYPE_F16, 2, r->iclr, E, 1);
        /* the first layer's value mix is read by no one, and sized by the ICLR rank */
        uint32_t vr = il == 0 ? r->iclr : r->value_mix;
        vec(w, T("time_mix_v0.weight"), 1, E, 1);
        weight(w, T("time_mix_v1.weight"), GP_TYPE_F16, 2, E, vr, 1);
        weight(w, T("time_mix_v2.weight"), GP_TYPE_F16, 2, vr, E, 1);
        if (r->gate) {
            weight(w, T("time_mix_g1.weight"), GP_TYPE_F16, 2, E, r->gate, 1);
            weight(w, T("time_mix_g2.weight"), GP_TYPE_F16, 2, r->gate, E, 1);
        }
        gw_tensor(w, T("time_mix_lerp_fused.weight"), GP_TYPE_F32, 4, (int64_t[]){E, 1, 1, r->gate ? 6 : 5});
        vec(w, T("time_mix_k_k.weight"), 1, E, 1);
        vec(w, T("time_mix_k_a.weight"), 1, E, 1);
        vec(w, T("time_mix_r_k.weight"), 1, E, 1);
    }
    weight(w, T("time_mix_key.weight"), GP_TYPE_Q4_K, 2, E, kv, 1);
    weight(w, T("time_mix_value.weight"), GP_TYPE_Q4_K, 2, E, kv, 1);
    weight(w, T("time_mix_receptance.weight"), GP_TYPE_Q4_K, 2, E, E, 1);
    if (!(r->hybrid && r->version == 6)) {
        vec(w, T("time_mix_ln.weight"), 1, E, 1);
        vec(w, T("time_mix_ln.bias"), 1, E, 1);
    }
    weight(w, T("time_mix_output.weight"), GP_TYPE_Q4_K, 2, E, E, 1);
    if (r->hybrid) {
        vec(w, T("ffn_norm.weight"), 1, E, 1);
        weight(w, T("ffn_gate.weight"), GP_TYPE_Q4_K, 2, E, m->n_ff, 1);
        weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, E, m->n_ff, 1);
        weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_ff, E, 1);
        return;
    }
    vec(w, T("channel_mix_lerp_k.weight"), 1, E, 1);
    weight(w, T("channel_mix_key.weight"), GP_TYPE_Q4_K, 2, E, m->n_ff, 1);
    weight(w, T("channel_mix_value.weight"), GP_TYPE_Q6_K, 2, m->n_ff, E, 1);
    if (r->version == 6) {
        vec(w, T("channel_mix_lerp_r.weight"), 1, E, 1);
        weight(w, T("channel_mix_receptance.weight"), GP_TYPE_Q4_K, 2, E, E, 1);
    }
#undef T
}

/* Nemotron-H's squared-ReLU MLP ('-') or MoE ('E') layer */
static void nemotron_ffn(gw *w, const zoo_model *m, uint32_t il, bool moe)
{
    char n[96];
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    if (!moe) {
        weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff, 1);
        weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_ff, m->n_embd, 1);
    } else {
        vec(w, T("ffn_gate_inp.weight"), 2, m->n_embd, m->n_expert);
        vec(w, T("exp_probs_b.bias"), 1, m->n_expert, 1);
        weight(w, T("ffn_up_exps.weight"), GP_TYPE_Q4_K, 3, m->n_embd, m->n_ff_exp, m->n_expert);
        weight(w, T("ffn_down_exps.weight"), GP_TYPE_Q6_K, 3, m->n_ff_exp, m->n_embd, m->n_expert);
        weight(w, T("ffn_up_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff_shexp, 1);
        weight(w, T("ffn_down_shexp.weight"), GP_TYPE_Q6_K, 2, m->n_ff_shexp, m->n_embd, 1);
    }
#undef T
}

/* LFM2's short convolution block */
static void short_conv(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    vec(w, T("shortconv.conv.weight"), 2, m->conv_l, m->n_embd);
    weight(w, T("shortconv.in_proj.weight"), GP_TYPE_Q4_K, 2, m->n_embd, 3 * (int64_t)m->n_embd, 1);
    weight(w, T("shortconv.out_proj.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_embd, 1);
#undef T
}

static void feed_forward(gw *w, const zoo_model *m, const zoo_block *b, uint32_t il)
{
    char n[96];
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    if (!b->no_ffn_norm && !b->post_norms)
        /* Falcon-H1's has no .weight suffix, as its converter names it */
        vec(w, m->mamba.parallel ? T("ffn_norm") : T("ffn_norm.weight"), 1, m->n_embd, 1);
    if (b->norm_bias && !b->no_ffn_norm)
        vec(w, T("ffn_norm.bias"), 1, m->n_embd, 1);
    if (b->post_norms || b->post_ffw_norm)
        vec(w, T("post_ffw_norm.weight"), 1, m->n_embd, 1);
    zoo_ffn kind = b->ffn;
    if (kind == ZOO_FFN_MOE && il < m->moe.dense_lead)
        kind = ZOO_FFN_GATED;
    switch (kind) {
    case ZOO_FFN_GATED: {
        const int64_t ff = m->layer_ff ? m->layer_ff[il] : b->ffn_half ? m->n_ff / 2 : m->n_ff;
        weight(w, T("ffn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, ff, 1);
        weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, m->n_embd, ff, 1);
        weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, ff, m->n_embd, 1);
        if (b->ffn_bias) {
            vec(w, T("ffn_gate.bias"), 1, ff, 1);
            vec(w, T("ffn_up.bias"), 1, ff, 1);
            vec(w, T("ffn_down.bias"), 1, m->n_embd, 1);
        }
        break;
    }
    case ZOO_FFN_UP_ONLY:
        weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff, 1);
        weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_ff, m->n_embd, 1);
        if (b->ffn_bias) {
            vec(w, T("ffn_up.bias"), 1, m->n_ff, 1);
            vec(w, T("ffn_down.bias"), 1, m->n_embd, 1);
        }
        break;
    case ZOO_FFN_FUSED_UP:
        weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, m->n_embd, 2 * (int64_t)m->n_ff, 1);
        weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_ff, m->n_embd, 1);
        break;
    case ZOO_FFN_MOE: {
        /* the experts' width: Kimi K3's run on a latent one, projected down and back up */
        const int64_t ex = m->kda.latent ? m->kda.latent : m->n_embd;
        vec(w, T("ffn_gate_inp.weight"), 2, m->n_embd, m->n_expert);
        if (b->dense_res) {
            weight(w, T("ffn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_embd, 1);
            weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_embd, 1);
            weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_embd, m->n_embd, 1);
            vec(w, T("ffn_norm_exps.weight"), 1, m->n_embd, 1);
        }
        /* As released, some families' experts have a type of their own. */
        weight(w, T("ffn_gate_exps.weight"), m->expert_type ? m->expert_type : GP_TYPE_Q4_K, 3, ex,
               m->n_ff_exp, m->n_expert);
        weight(w, T("ffn_up_exps.weight"), m->expert_type ? m->expert_type : GP_TYPE_Q4_K, 3, ex,
               m->n_ff_exp, m->n_expert);
        weight(w, T("ffn_down_exps.weight"), m->expert_type ? m->expert_type : GP_TYPE_Q6_K, 3, m->n_ff_exp,
               ex, m->n_expert);
        if (m->kda.latent) {
            weight(w, T("ffn_routed_down.weight"), GP_TYPE_Q8_0, 2, m->n_embd, ex, 1);
            weight(w, T("ffn_routed_up.weight"), GP_TYPE_Q8_0, 2, ex, m->n_embd, 1);
            vec(w, T("ffn_routed_norm.weight"), 1, ex, 1);
        }
        if (m->chunk_ff) {
            weight(w, T("ffn_gate_chexps.weight"), GP_TYPE_Q4_K, 3, m->n_embd, m->chunk_ff, m->n_expert / 2);
            weight(w, T("ffn_up_chexps.weight"), GP_TYPE_Q4_K, 3, m->n_embd, m->chunk_ff, m->n_expert / 2);
            weight(w, T("ffn_down_chexps.weight"), GP_TYPE_Q6_K, 3, m->chunk_ff, m->n_embd, m->n_expert / 2);
        }
        if (m->moe.probs_bias)
            vec(w, T("exp_probs_b.bias"), 1, m->n_expert, 1);
        if (m->n_ff_shexp) {
            if (m->shexp_gate)
                vec(w, T("ffn_gate_inp_shexp.weight"), 1, m->n_embd, 1);
            weight(w, T("ffn_gate_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff_shexp, 1);
            weight(w, T("ffn_up_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff_shexp, 1);
            weight(w, T("ffn_down_shexp.weight"), GP_TYPE_Q6_K, 2, m->n_ff_shexp, m->n_embd, 1);
        }
        if (m->moe.shared) {
            int64_t fs = (int64_t)m->moe.shared * m->n_ff_exp;
            weight(w, T("ffn_gate_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, fs, 1);
            weight(w, T("ffn_up_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, fs, 1);
            weight(w, T("ffn_down_shexp.weight"), GP_TYPE_Q6_K, 2, fs, m->n_embd, 1);
        }
        if (b->shexp) {
            weight(w, T("ffn_gate_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff_exp, 1);
            weight(w, T("ffn_up_shexp.weight"), GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff_exp, 1);
            weight(w, T("ffn_down_shexp.weight"), GP_TYPE_Q6_K, 2, m->n_ff_exp, m->n_embd, 1);
        }
        if (b->moe_bias) {
            vec(w, T("ffn_gate_inp.bias"), 1, m->n_expert, 1);
            vec(w, T("ffn_gate_exps.bias"), 2, m->n_ff_exp, m->n_expert);
            vec(w, T("ffn_up_exps.bias"), 2, m->n_ff_exp, m->n_expert);
            vec(w, T("ffn_down_exps.bias"), 2, m->n_embd, m->n_expert);
        }
        break;
    }
    }
#undef T
}

/* a Gemma 4 block: attention with the layer's own head size (none of K/V
 * on KV-shared layers, no V on k_eq_v global layers), the dense MLP, the
 * routed experts beside it, and the per-layer embedding's gate */
static void gemma4_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_gemma4 *g = &m->g4;
    bool global = g4_global(m, il), has_kv = g4_has_kv(m, il);
    int64_t d = global ? g->head_dim_global : m->head_dim;
    int64_t hkv = global && g->n_head_kv_global ? g->n_head_kv_global : m->n_head_kv;
    int64_t q = (int64_t)m->n_head * d, kv = hkv * d, ff = g4_n_ff(m, il);
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, m->n_embd, 1);
    weight(w, T("attn_q.weight"), GP_TYPE_Q4_K, 2, m->n_embd, q, 1);
    if (has_kv) {
        weight(w, T("attn_k.weight"), GP_TYPE_Q4_K, 2, m->n_embd, kv, 1);
        if (!(global && g->k_eq_v))
            weight(w, T("attn_v.weight"), GP_TYPE_Q6_K, 2, m->n_embd, kv, 1);
        vec(w, T("attn_k_norm.weight"), 1, d, 1);
    }
    vec(w, T("attn_q_norm.weight"), 1, d, 1);
    weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, q, m->n_embd, 1);
    vec(w, T("post_attention_norm.weight"), 1, m->n_embd, 1);
    vec(w, T("layer_output_scale.weight"), 1, 1, 1);
    if (global && il == g->global_every - 1)   /* proportional rope of the global layers, one copy */
        vec(w, "rope_freqs.weight", 1, g->head_dim_global / 2, 1);
    vec(w, T("ffn_norm.weight"), 1, m->n_embd, 1);
    weight(w, T("ffn_gate.weight"), GP_TYPE_Q4_K, 2, m->n_embd, ff, 1);
    weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, m->n_embd, ff, 1);
    weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, ff, m->n_embd, 1);
    vec(w, T("post_ffw_norm.weight"), 1, m->n_embd, 1);
    if (m->n_expert) {
        vec(w, T("ffn_gate_inp.weight"), 2, m->n_embd, m->n_expert);
        vec(w, T("ffn_gate_inp.scale"), 1, m->n_embd, 1);
        vec(w, T("pre_ffw_norm_2.weight"), 1, m->n_embd, 1);
        vec(w, T("post_ffw_norm_1.weight"), 1, m->n_embd, 1);
        vec(w, T("post_ffw_norm_2.weight"), 1, m->n_embd, 1);
        weight(w, T("ffn_gate_up_exps.weight"), GP_TYPE_Q4_K, 3, m->n_embd, 2 * (int64_t)m->n_ff_exp, m->n_expert);
        weight(w, T("ffn_down_exps.weight"), GP_TYPE_Q6_K, 3, m->n_ff_exp, m->n_embd, m->n_expert);
        vec(w, T("ffn_down_exps.scale"), 1, m->n_expert, 1);
    }
    if (g->per_layer) {
        weight(w, T("inp_gate.weight"), GP_TYPE_F16, 2, m->n_embd, g->per_layer, 1);
        weight(w, T("proj.weight"), GP_TYPE_F16, 2, g->per_layer, m->n_embd, 1);
        vec(w, T("post_norm.weight"), 1, m->n_embd, 1);
    }
#undef T
}

/* a Gemma 3n block: Gemma 3's attention (no K/V past the cache-owning
 * layers), the gated MLP, the AltUp router, predictor and corrector, the
 * Laurel branch and the per-layer input's gate */
static void gemma3n_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const int64_t e = m->n_embd, d = m->head_dim, q = (int64_t)m->n_head * d, kv = (int64_t)m->n_head_kv * d;
    const int64_t a = m->altup;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, e, 1);
    weight(w, T("attn_q.weight"), GP_TYPE_Q4_K, 2, e, q, 1);
    weight(w, T("attn_k.weight"), GP_TYPE_Q4_K, 2, e, kv, 1);
    weight(w, T("attn_v.weight"), GP_TYPE_Q6_K, 2, e, kv, 1);
    weight(w, T("attn_output.weight"), GP_TYPE_Q4_K, 2, q, e, 1);
    vec(w, T("attn_q_norm.weight"), 1, d, 1);
    vec(w, T("attn_k_norm.weight"), 1, d, 1);
    vec(w, T("post_attention_norm.weight"), 1, e, 1);
    vec(w, T("ffn_norm.weight"), 1, e, 1);
    weight(w, T("ffn_gate.weight"), GP_TYPE_Q4_K, 2, e, m->n_ff, 1);
    weight(w, T("ffn_up.weight"), GP_TYPE_Q4_K, 2, e, m->n_ff, 1);
    weight(w, T("ffn_down.weight"), GP_TYPE_Q6_K, 2, m->n_ff, e, 1);
    vec(w, T("post_ffw_norm.weight"), 1, e, 1);
    weight(w, T("inp_gate.weight"), GP_TYPE_F16, 2, e, G3N_PER_LAYER, 1);
    weight(w, T("proj.weight"), GP_TYPE_F16, 2, G3N_PER_LAYER, e, 1);
    vec(w, T("post_norm.weight"), 1, e, 1);
    vec(w, T("altup_correct_coef.weight"), 2, a, a);
    vec(w, T("altup_correct_scale.weight"), 1, e, 1);
    vec(w, T("altup_predict_coef.weight"), 2, a, a * a);
    weight(w, T("altup_router.weight"), GP_TYPE_F16, 2, e, a, 1);
    vec(w, T("altup_router_norm.weight"), 1, e, 1);
    weight(w, T("laurel_l.weight"), GP_TYPE_F16, 2, e, G3N_LAUREL, 1);
    weight(w, T("laurel_r.weight"), GP_TYPE_F16, 2, G3N_LAUREL, e, 1);
    vec(w, T("laurel_post_norm.weight"), 1, e, 1);
#undef T
}

/* Hy4's mixes of the residual copies before attention and the FFN: the
 * pre and post weights of each copy from one projection, a bias and a
 * scale for each of the two */
static void ihc_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const int64_t hc = m->ihc.count;
    static const char *const parts[2] = {"attn", "ffn"};
    for (int p = 0; p < 2; p++) {
        snprintf(n, sizeof n, "blk.%u.hc_%s_fn.weight", il, parts[p]);
        weight(w, n, GP_TYPE_F16, 2, hc * m->n_embd, 2 * hc, 1);
        snprintf(n, sizeof n, "blk.%u.hc_%s_base.weight", il, parts[p]);
        vec(w, n, 1, 2 * hc, 1);
        snprintf(n, sizeof n, "blk.%u.hc_%s_scale.weight", il, parts[p]);
        vec(w, n, 1, 2, 1);
    }
}

/* qwen4exp's hyper-connection mixers before the token mixer and the FFN,
 * and the PLE module on its layer */
static void hc_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_hc *h = &m->hc;
    const int64_t E = m->n_embd, hd = (int64_t)h->count * E;
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    static const char *const parts[2] = {"attn", "ffn"};
    for (int p = 0; p < 2; p++) {
        char k[64];
        snprintf(k, sizeof k, "hc_%s_norm.weight", parts[p]);
        vec(w, (snprintf(n, sizeof n, "blk.%u.%s", il, k), n), 2, E, h->count);
        snprintf(k, sizeof k, "hc_%s_down.weight", parts[p]);
        weight(w, (snprintf(n, sizeof n, "blk.%u.%s", il, k), n), GP_TYPE_F16, 2, hd, h->low_rank, 1);
        snprintf(k, sizeof k, "hc_%s_up.weight", parts[p]);
        weight(w, (snprintf(n, sizeof n, "blk.%u.%s", il, k), n), GP_TYPE_F16, 2, h->low_rank, hd, 1);
        snprintf(k, sizeof k, "hc_%s_inject.weight", parts[p]);
        weight(w, (snprintf(n, sizeof n, "blk.%u.%s", il, k), n), GP_TYPE_F16, 2, hd, h->count, 1);
    }
    if (h->ple_dim && il == h->ple_layer) {
        weight(w, T("ple_key.weight"), GP_TYPE_Q8_0, 2, E, hd, 1);
        weight(w, T("ple_value.weight"), GP_TYPE_Q8_0, 2, E, E, 1);
        vec(w, T("ple_norm_key.weight"), 2, E, h->count);
        vec(w, T("ple_norm_query.weight"), 2, E, h->count);
        vec(w, T("ple_norm_conv.weight"), 2, E, h->count);
        vec(w, T("ple_conv1d.weight"), 2, h->ple_kernel, hd);
    }
#undef T
}

/* A layer's extra norm weights (zoo_model.extra_vecs). */
static void extra_vecs(gw *w, const zoo_model *m, uint32_t il)
{
    for (const char *p = m->extra_vecs; p && *p;) {
        size_t len = strcspn(p, " ");
        size_t base = strcspn(p, ": ");
        bool ff = memchr(p + base, 'f', len - base) != NULL;
        bool bare = memchr(p + base, 'b', len - base) != NULL;
        bool heads = memchr(p + base, 'h', len - base) != NULL;
        bool full = memchr(p + base, 'q', len - base) != NULL;
        char n[96];
        snprintf(n, sizeof n, "blk.%u.%.*s%s", il, (int)base, p, bare ? "" : ".weight");
        const int64_t q = (int64_t)m->n_head * m->head_dim;
        if (memchr(p + base, 's', len - base))
            vec(w, n, 1, 1, 1);
        else if (memchr(p + base, 'n', len - base))
            vec(w, n, 2, 1, m->n_head);
        else if (memchr(p + base, 'k', len - base))
            weight(w, n, GP_TYPE_Q4_K, 2, m->n_embd, 3 * q, 1);
        else if (memchr(p + base, 'o', len - base))
            weight(w, n, GP_TYPE_Q4_K, 2, q, m->n_embd, 1);
        else if (memchr(p + base, 'u', len - base))
            weight(w, n, GP_TYPE_Q4_K, 2, m->n_embd, m->n_ff, 1);
        else if (memchr(p + base, 'd', len - base))
            weight(w, n, GP_TYPE_Q6_K, 2, m->n_ff, m->n_embd, 1);
        else if (heads)
            weight(w, n, GP_TYPE_F16, 2, m->n_embd, layer_n_head(m, il), 1);
        else if (full)
            weight(w, n, GP_TYPE_Q4_K, 2, m->n_embd, (int64_t)m->n_head * m->head_dim, 1);
        else
            vec(w, n, 1, ff ? m->n_ff : m->n_embd, 1);
        p += len;
        p += strspn(p, " ");
    }
}

/* a DeepSeek-V4 block: the low-rank Q, one K=V head, the compressors of its
   ratio (and the indexer of the 4:1 layers), the grouped output, the two
   hyper-connection mixers, then routed experts (by token id on the hash
   layers) beside a shared one */
static void dsv4_block(gw *w, const zoo_model *m, uint32_t il)
{
    char n[96];
    const zoo_dsv4 *d = &m->dsv4;
    const int64_t E = m->n_embd, hd = m->head_dim, nh = m->n_head, hc = d->hc, mix = (2 + hc) * hc;
    const uint32_t ratio = dsv4_ratio(m, il);
#define T(fmt) (snprintf(n, sizeof n, "blk.%u." fmt, il), n)
    vec(w, T("attn_norm.weight"), 1, E, 1);
    vec(w, T("attn_sinks.weight"), 1, nh, 1);
    weight(w, T("attn_q_a.weight"), GP_TYPE_Q8_0, 2, E, d->q_lora, 1);
    vec(w, T("attn_q_a_norm.weight"), 1, d->q_lora, 1);
    weight(w, T("attn_q_b.weight"), GP_TYPE_Q8_0, 2, d->q_lora, nh * hd, 1);
    weight(w, T("attn_kv.weight"), GP_TYPE_Q8_0, 2, E, hd, 1);
    vec(w, T("attn_kv_a_norm.weight"), 1, hd, 1);
    weight(w, T("attn_output_a.weight"), GP_TYPE_Q8_0, 3, nh * hd / d->o_groups, d->o_lora, d->o_groups);
    weight(w, T("attn_output_b.weight"), GP_TYPE_Q8_0, 2, (int64_t)d->o_groups * d->o_lora, E, 1);
    vec(w, T("hc_attn_fn.weight"), 2, hc * E, mix);
    vec(w, T("hc_attn_base.weight"), 1, mix, 1);
    vec(w, T("hc_attn_scale.weight"), 1, 3, 1);
    vec(w, T("hc_ffn_fn.weight"), 2, hc * E, mix);
    vec(w, T("hc_ffn_base.weight"), 1, mix, 1);
    vec(w, T("hc_ffn_scale.weight"), 1, 3, 1);
    if (ratio) {
        const int64_t coff = ratio == 4 ? 2 : 1;
        weight(w, T("attn_compressor_kv.weight"), GP_TYPE_F16, 2, E, coff * hd, 1);
        weight(w, T("attn_compressor_gate.weight"), GP_TYPE_F16, 2, E, coff * hd, 1);
        vec(w, T("attn_compressor_ape.weight"), 2, coff * hd, ratio);
        vec(w, T("attn_compressor_norm.weight"), 1, hd, 1);
        if (ratio == 4) {
            weight(w, T("indexer.proj.weight"), GP_TYPE_F16, 2, E, d->idx_heads, 1);
            weight(w, T("indexer.attn_q_b.weight"), GP_TYPE_Q8_0, 2, d->q_lora, (int64_t)d->idx_heads * d->idx_dim, 1);
            weight(w, T("indexer_compressor_kv.weight"), GP_TYPE_F16, 2, E, 2 * (int64_t)d->idx_dim, 1);
            weight(w, T("indexer_compressor_gate.weight"), GP_TYPE_F16, 2, E, 2 * (int64_t)d->idx_dim, 1);
            vec(w, T("indexer_compressor_ape.weight"), 2, 2 * (int64_t)d->idx_dim, 4);
            vec(w, T("indexer_compressor_norm.weight"), 1, d->idx_dim, 1);
        }
    }
    vec(w, T("ffn_gate_inp.weight"), 2, E, m->n_expert);
    if (il < d->hash_layers) {
        const int64_t ne[2] = {m->n_expert_used, (int64_t)m->n_vocab};
        gw_tensor(w, T("ffn_gate_tid2eid.weight"), GP_TYPE_I32, 2, ne);
    } else {
        vec(w, T("exp_probs_b.bias"), 1, m->n_expert, 1);
    }
    vec(w, T("ffn_norm.weight"), 1, E, 1);
    const uint32_t et = m->expert_type ? m->expert_type : GP_TYPE_Q4_K;
    weight(w, T("ffn_gate_exps.weight"), et, 3, E, m->n_ff_exp, m->n_expert);
    weight(w, T("ffn_up_exps.weight"), et, 3, E, m->n_ff_exp, m->n_expert);
    weight(w, T("ffn_down_exps.weight"), et, 3, m->n_ff_exp, E, m->n_expert);
    const int64_t fs = (int64_t)m->moe.shared * m->n_ff_exp;
    weight(w, T("ffn_gate_shexp.weight"), GP_TYPE_Q4_K, 2, E, fs, 1);
    weight(w, T("ffn_up_shexp.weight"), GP_TYPE_Q4_K, 2, E, fs, 1);
    weight(w, T("ffn_down_shexp.weight"), GP_TYPE_Q6_K, 2, fs, E, 1);
#undef T
}

static bool write_model(const zoo_model *m, const char *dir)
{
    char name_buf[96];
    gw *w = gw_new(3);
    hparams(w, m);
    weight(w, "token_embd.weight", GP_TYPE_Q4_K, 2, m->n_embd, m->n_vocab, 1);
    if (m->pos_embd)
        weight(w, "position_embd.weight", GP_TYPE_Q4_K, 2, m->n_embd, m->n_ctx_train, 1);
    if (m->embd_ln) {
        vec(w, "token_embd_norm.weight", 1, m->n_embd, 1);
        vec(w, "token_embd_norm.bias", 1, m->n_embd, 1);
    }
    if (m->hc.count) {
        /* the last hyper-connection mixer is the output norm */
        const int64_t hd = (int64_t)m->hc.count * m->n_embd;
        vec(w, "output_hc_norm.weight", 2, m->n_embd, m->hc.count);
        weight(w, "output_hc_down.weight", GP_TYPE_F16, 2, hd, m->hc.low_rank, 1);
        weight(w, "output_hc_up.weight", GP_TYPE_F16, 2, m->hc.low_rank, hd, 1);
        if (m->hc.ple_dim)
            weight(w, "per_layer_token_embd.weight", GP_TYPE_Q8_0, 2, m->hc.ple_dim, (int64_t)m->hc.ple_rows, 1);
    } else if (!m->no_norms) {
        vec(w, m->embd_norm_out ? "token_embd_norm.weight" : "output_norm.weight", 1, m->n_embd, 1);
    }
    if (m->ihc.count) {   /* the streams' last mix, before the final norm */
        weight(w, "output_hc_fn.weight", GP_TYPE_F16, 2, (int64_t)m->ihc.count * m->n_embd, m->ihc.count, 1);
        vec(w, "output_hc_base.weight", 1, m->ihc.count, 1);
        vec(w, "output_hc_scale.weight", 1, 1, 1);
    }
    if (m->block.norm_bias)
        vec(w, "output_norm.bias", 1, m->n_embd, 1);
    if (!m->tied)
        weight(w, "output.weight", GP_TYPE_Q6_K, 2, m->n_embd, m->n_vocab, 1);
    if (m->block.output_bias)
        vec(w, "output.bias", 1, m->n_vocab, 1);
    if (m->g4.per_layer) {
        /* per-layer token embeddings and their projection from the embeddings */
        int64_t pl = (int64_t)m->g4.per_layer * m->n_layer;
        weight(w, "per_layer_token_embd.weight", GP_TYPE_Q8_0, 2, pl, m->n_vocab, 1);
        weight(w, "per_layer_model_proj.weight", GP_TYPE_F16, 2, m->n_embd, pl, 1);
        vec(w, "per_layer_proj_norm.weight", 1, m->g4.per_layer, 1);
    }
    if (m->altup) {
        /* the extra AltUp copies' projections in and out, the per-layer
           token embeddings and their projection from the embeddings */
        int64_t pl = (int64_t)G3N_PER_LAYER * m->n_layer;
        weight(w, "altup_proj.weight", GP_TYPE_F16, 3, m->n_embd, m->n_embd, m->altup - 1);
        weight(w, "altup_unembd_proj.weight", GP_TYPE_F16, 3, m->n_embd, m->n_embd, m->altup - 1);
        weight(w, "per_layer_token_embd.weight", GP_TYPE_Q8_0, 2, pl, m->n_vocab, 1);
        weight(w, "per_layer_model_proj.weight", GP_TYPE_F16, 2, m->n_embd, pl, 1);
        vec(w, "per_layer_proj_norm.weight", 1, G3N_PER_LAYER, 1);
    }
    if (m->rwkv.version && !m->rwkv.hybrid) {
        /* the first block's LayerNorm of the embeddings */
        vec(w, "token_embd_norm.weight", 1, m->n_embd, 1);
        vec(w, "token_embd_norm.bias", 1, m->n_embd, 1);
    }
    if (m->kda.res_block)
        vec(w, "output_res_score.weight", 1, m->n_embd, 1);
    if (m->dsv4.hc) {   /* the output's hyper-connection mixer */
        vec(w, "output_hc_fn.weight", 2, (int64_t)m->dsv4.hc * m->n_embd, m->dsv4.hc);
        vec(w, "output_hc_base.weight", 1, m->dsv4.hc, 1);
        vec(w, "output_hc_scale.weight", 1, 1, 1);
    }
    if (m->hrm_lps)   /* the low cycles' learned starting state */
        vec(w, "hrm.z_l_init", 1, m->n_embd, 1);
    /* the blocks with weights (HRM-Text's later cache slots reuse the first ones) */
    const uint32_t n_blocks = m->hrm_lps ? 2 * m->hrm_lps : m->n_layer;
    for (uint32_t il = 0; il < n_blocks; il++) {
        if (m->kda.res_block) {
            vec(w, (snprintf(name_buf, sizeof name_buf, "blk.%u.attn_res_score.weight", il), name_buf), 1,
                m->n_embd, 1);
            vec(w, (snprintf(name_buf, sizeof name_buf, "blk.%u.ffn_res_score.weight", il), name_buf), 1,
                m->n_embd, 1);
        }
        if (m->rwkv.version) {
            rwkv_block(w, m, il);
            continue;
        }
        if (m->dsv4.hc) {
            dsv4_block(w, m, il);
            continue;
        }
        if (m->g4.head_dim_global) {
            gemma4_block(w, m, il);
            continue;
        }
        if (m->altup) {
            gemma3n_block(w, m, il);
            continue;
        }
        if (m->mamba.plamo) {
            plamo2_block(w, m, il);
            continue;
        }
        if (m->lightning) {
            if ((il + 1) % 8 != 0)
                lightning_attention(w, m, il);
            else
                attention(w, m, &m->block, il);
            feed_forward(w, m, &m->block, il);
            continue;
        }
        if (m->mamba.parallel) {
            attention(w, m, &m->block, il);
            mamba2(w, m, il);
            feed_forward(w, m, &m->block, il);
            continue;
        }
        if (m->mamba.every_ffn) {
            if (m->layer_kinds[il] == 'M')
                mamba2(w, m, il);
            else
                attention(w, m, &m->block, il);
            feed_forward(w, m, &m->block, il);
            continue;
        }
        if (m->mamba.v1 && m->layer_kinds) {
            char k = m->layer_kinds[il];
            if (k == 'M' || k == 'N')
                mamba1(w, m, il);
            else
                attention(w, m, &m->block, il);
            zoo_block b = m->block;
            b.ffn = k == 'N' || k == 'A' ? ZOO_FFN_MOE : ZOO_FFN_GATED;
            feed_forward(w, m, &b, il);
            continue;
        }
        if (m->mamba.v1) {
            mamba1(w, m, il);
            continue;
        }
        if (m->mamba.inner) {
            char k = m->layer_kinds ? m->layer_kinds[il] : 'M';
            if (k == 'M')
                mamba2(w, m, il);
            else if (k == '*')
                attention(w, m, &m->block, il);
            else
                nemotron_ffn(w, m, il, k == 'E');
            continue;
        }
        if (m->hc.count)
            hc_block(w, m, il);
        if (m->ihc.count)
            ihc_block(w, m, il);
        if (m->layer_kinds && m->layer_kinds[il] == 'c')
            short_conv(w, m, il);
        else if (m->layer_kinds && m->layer_kinds[il] == 'k')
            kda_block(w, m, il);
        else if (m->delta.interval && (il + 1) % m->delta.interval != 0)
            delta_net(w, m, il);
        else
            attention(w, m, &m->block, il);
        feed_forward(w, m, &m->block, il);
        extra_vecs(w, m, il);
        if (m->adapters)
            switch_adapters(w, m, il);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.gguf", dir, m->name);
    bool ok = gw_write(w, path, false);
    gw_free(w);
    if (!ok)
        fprintf(stderr, "make_zoo: %s: cannot write\n", path);
    return ok;
}

/* DeciLM's kinds of layer at toy sizes: attention-free ones among
 * attention ones, FFN widths of their own */
static const uint32_t tiny_nas_heads[8] = {4, 4, 0, 4, 0, 0, 4, 4};
static const uint32_t tiny_nas_heads_kv[8] = {2, 2, 0, 2, 0, 0, 2, 2};
static const uint32_t tiny_nas_ff[8] = {96, 192, 64, 96, 32, 64, 96, 96};

/* The same family at toy sizes: every pattern kept (sliding, recurrent and
 * MoE layers, latent attention, the indexer), every width small. */
static zoo_model tiny(const zoo_model *m)
{
    zoo_model t = *m;
    t.layer_heads = t.layer_heads_kv = t.layer_ff = NULL;
    bool no_attn = false;
    for (uint32_t il = 0; m->layer_heads && il < m->n_layer; il++)
        no_attn |= m->layer_heads[il] == 0;
    if (no_attn) {
        t.layer_heads = tiny_nas_heads;
        t.layer_heads_kv = tiny_nas_heads_kv;
        t.layer_ff = tiny_nas_ff;
    }
    t.n_layer = m->n_layer < 8 ? m->n_layer : 8;
    t.n_embd = 128;   /* = heads * head size: some families require it */
    t.n_head = 4;
    t.n_head_kv = m->n_head_kv == 1 ? 1 : m->n_head_kv == m->n_head ? 4 : 2;   /* MQA, MHA, GQA kept */
    t.head_dim = 32;
    t.n_ff = 96;
    t.n_vocab = 64;
    t.n_ctx_train = m->n_ctx_train >= 1048576 ? m->n_ctx_train : 4096;   /* GLM-5.2 tells its indexers by it */
    if (m->n_rot)
        t.n_rot = 16;
    if (m->n_swa)
        t.n_swa = 64;
    if (m->n_expert) {
        t.n_expert = 8;
        t.n_expert_used = m->n_expert_used < 2 ? m->n_expert_used : 2;
        t.n_ff_exp = m->n_ff_exp == m->n_ff ? t.n_ff : 32;   /* experts sized by n_ff stay so */
    }
    if (m->n_ff_shexp)
        t.n_ff_shexp = m->n_ff_shexp == m->n_ff ? t.n_ff : 32;
    /* sliding layers with more heads (or KV heads) keep more; V heads narrower than K's stay so */
    t.n_head_swa = m->n_head_swa ? 8 : 0;
    t.n_head_kv_swa = m->n_head_kv_swa ? 4 : 0;
    t.head_dim_v = m->head_dim_v ? 16 : 0;
    if (m->moe.groups) {
        t.moe.groups = 4;
        t.moe.groups_used = 2;
    }
    if (m->moe.dense_lead)
        t.moe.dense_lead = 1;
    if (m->mla.kv_lora) {
        /* a cache row (latent + rope) of whole quantized blocks, as every real one is */
        t.mla = (zoo_mla){.q_lora = m->mla.q_lora ? 32 : 0, .kv_lora = 32, .nope = 16, .rope = 32, .v_head = 16,
                          .idx_types = m->mla.idx_types, .out_gate = m->mla.out_gate};
        t.head_dim = 32;
        if (m->mla.idx_heads)
            t.mla.idx_heads = 2, t.mla.idx_dim = 64, t.mla.idx_top_k = 16;
    }
    if (m->mamba.inner) {
        /* the inner width twice the embedding, as Granite requires */
        t.mamba.conv = 4, t.mamba.inner = 256, t.mamba.state = 16, t.mamba.heads = 8;
        t.mamba.groups = m->mamba.groups > 1 ? 2 : m->mamba.groups;
        if (m->layer_kinds)   /* every kind within the eight layers */
            t.layer_kinds = m->mamba.plamo       ? "MaMaMaMa"
                            : m->mamba.v1        ? "MNMNaNMA"
                            : m->mamba.every_ffn ? "MMMaMMaM"
                            : m->n_expert        ? "MEM*EMEM"
                                                 : "M-M*M-M-";
    }
    if (m->g4.head_dim_global) {
        t.g4.head_dim_global = 64;
        t.g4.global_every = 3;
        t.g4.n_head_kv_global = m->g4.n_head_kv_global ? 1 : 0;
        t.g4.shared_kv = m->g4.shared_kv ? 2 : 0;   /* the last own-KV layers: sliding, then global */
        t.g4.per_layer = m->g4.per_layer ? 16 : 0;
        t.g4.n_ff_shared = m->g4.n_ff_shared ? 2 * t.n_ff : 0;
    }
    if (m->rwkv.version) {
        /* no attention heads; heads of the WKV size, the low ranks small */
        t.n_head = t.n_head_kv = t.head_dim = 0;
        t.rwkv.head_size = 32;
        t.rwkv.mix_extra = m->rwkv.mix_extra ? 8 : 0;
        t.rwkv.decay_extra = m->rwkv.decay_extra ? 16 : 0;
        t.rwkv.rescale = m->rwkv.rescale ? 3 : 0;
        t.rwkv.decay = m->rwkv.decay ? 16 : 0;
        t.rwkv.iclr = m->rwkv.iclr ? 16 : 0;
        t.rwkv.value_mix = m->rwkv.value_mix ? 8 : 0;
        t.rwkv.gate = m->rwkv.gate ? 32 : 0;
        t.n_head_kv = m->n_head_kv ? 2 : 0;   /* 4 heads of 32: grouped in twos */
    }
    if (m->kda.head_dim) {
        /* the residual banked every third layer: three banks in eight */
        t.kda.head_dim = 32;
        t.kda.res_block = m->kda.res_block ? 3 : 0;
        t.kda.latent = m->kda.latent ? 64 : 0;
        /* Ling 3's SwiGLU limits, which the released config may list */
        t.kda.swiglu_clamp = m->kda.ling;
    }
    if (m->delta.interval)
        t.delta = (zoo_delta){.interval = 4, .conv = 4, .state = 16, .groups = 2, .dt_rank = 4, .inner = 64,
                              .ab_split = m->delta.ab_split};
    if (m->hc.count) {
        /* the n-gram heads as wide as the embedding, as llama.cpp requires;
           blocks of four cached tokens, a budget of a few blocks */
        t.hc = (zoo_hc){.count = m->hc.count, .low_rank = 16, .idx_heads = 2, .idx_dim = 32, .idx_top_k = 16,
                        .compress = m->hc.compress, .ple_layer = m->hc.ple_layer, .ple_ngram = 3,
                        .ple_heads_per_ngram = 2, .ple_kernel = 4, .ple_dim = m->hc.ple_dim ? 32 : 0,
                        .ple_rows = 256};
    }
    if (m->adapters)
        t.adapters = 2, t.adapter_rank = 8;
    if (m->hrm_lps) {   /* one layer a stack, the cycles kept */
        t.hrm_lps = 1;
        t.n_layer = m->hrm_h * (m->hrm_l + 1);
    }
    if (m->dsv4.hc) {
        /* one K=V head as wide as the heads' row; both compress ratios, the
           hash layers and the plain lead kept */
        t.n_head_kv = 1;
        t.head_dim = m->head_dim;
        t.n_rot = m->n_rot;
        t.dsv4 = (zoo_dsv4){.hc = m->dsv4.hc, .sinkhorn = 2, .q_lora = 32, .o_groups = 2, .o_lora = 16,
                            .idx_heads = 2, .idx_dim = m->dsv4.idx_dim, .idx_top_k = 16, .hash_layers = 1,
                            .plain_lead = m->dsv4.plain_lead};
    }
    if (m->msa.idx_heads)   /* one indexer head per KV head, as the sparse graph requires */
        t.msa = (zoo_msa){.idx_heads = t.n_head_kv, .idx_dim = 32, .top_k = 2, .block = 16, .local = 1};
    return t;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--tiny")) {
        if (mkdir(argv[2], 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "make_zoo: %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        int rc = 0;
        for (size_t i = 0; i < N_ZOO; i++) {
            zoo_model t = tiny(&zoo_models[i]);
            char name[128];
            snprintf(name, sizeof name, "zoo-%s", zoo_models[i].name);
            t.name = name;
            if (!write_model(&t, argv[2]))
                rc = 1;
        }
        return rc;
    }
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < N_ZOO; i++)
            printf("%s %s %s\n", zoo_models[i].name, zoo_models[i].arch, zoo_models[i].source);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: make_zoo OUT_DIR [NAME...] | make_zoo --list\n");
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_zoo: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < N_ZOO; i++) {
        bool wanted = argc == 2;
        for (int a = 2; a < argc; a++)
            wanted |= !strcmp(argv[a], zoo_models[i].name);
        if (wanted && !write_model(&zoo_models[i], dir))
            rc = 1;
    }
    return rc;
}
