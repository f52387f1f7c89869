/* Per-architecture rules that the GGUF header does not spell out. */
#ifndef GP_MODEL_ARCH_H
#define GP_MODEL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gp_recurrent_rule {
    GP_RECR_NONE = 0,
    GP_RECR_ALL,          /* every layer is recurrent (Mamba, RWKV) */
    GP_RECR_KV_ZERO,      /* layers with head_count_kv == 0 (LFM2, Jamba, Granite hybrid) */
    GP_RECR_KV_FF_ZERO,   /* head_count_kv == 0 and feed_forward_length == 0 (Nemotron-H) */
    GP_RECR_INTERVAL,     /* all but every full_attention_interval-th layer (Qwen3-Next) */
} gp_recurrent_rule;

/* What llama.cpp v0.5.0 does with flash attention for an architecture. */
typedef enum gp_arch_flash_attn {
    GP_ARCH_FA_ANY = 0,        /* as asked ("auto" resolves on) */
    GP_ARCH_FA_FORCED_OFF,     /* llama_init_from_model turns it off whatever was asked (Grok's
                                  soft-capped attention) */
    GP_ARCH_FA_ABORTS,         /* the graph aborts with it on: a 2-D value handed to the cache's
                                  untransposed store (PLM); only -fa off runs */
} gp_arch_flash_attn;

typedef struct gp_arch_rules {
    const char *name;
    const char *graph;          /* the compute-graph family that builds it; NULL: the llama-style
                                   decoder (or deepseek2's when its layers are latent attention) */
    uint32_t swa_period;        /* pattern used when the file gives none; 0 = no SWA */
    bool swa_dense_first;       /* the full-attention layer opens each period */
    bool swa_needs_window;      /* SWA only when attention.sliding_window > 0 */
    uint32_t swa_default_window;/* window when the key is absent */
    uint32_t swa_only_n_layer;  /* sliding window only for this block count (EXAONE 4: the 32B) */
    bool swa_chunked;
    bool swa_all_attention;     /* every attention layer is SWA when a window is set (LFM2) */
    gp_recurrent_rule recurrent;
    uint32_t recurrent_interval;/* default for GP_RECR_INTERVAL */
    bool mla;                   /* deepseek2-style latent attention when kv_lora_rank > 0 */
    bool embd_norm_is_output;   /* "token_embd_norm" is the output norm (LFM2) */
    uint32_t no_rope_step;      /* every no_rope_step-th layer has no rotary embedding (SmolLM3) */
    bool no_rope_full;          /* full-attention layers have none when others slide (EXAONE 4) */
    bool rope_dense_lead;       /* with no_rope_full, the dense lead layers keep rope all the same
                                   (Cohere2 MoE) */
    uint32_t pos_per_tok;       /* positions per token of multi-section rope (4); 0 = 1 */
    bool moe_norm_w;            /* the graph renormalises the chosen experts' weights itself */
    bool qk_norm_after_rope;    /* Q/K norms come after rope (Hunyuan) */
    bool recurrent_attends;     /* a recurrent layer also has attention and a KV cache (Falcon-H1) */
    bool rope_if_finetuned;     /* rope only when rope.scaling.finetuned (default true) is set
                                   (Granite 4.0-H writes false: no position encoding) */
    bool indexer_types;         /* some DSA layers share the previous full indexer's top-k:
                                   attention.indexer.types, else by training context (GLM-5.2) */
    bool embd_scaled;           /* the graph scales the token embeddings (Gemma: by sqrt(n_embd)) */
    bool checked;               /* bench/referee measures a released model of it against llama.cpp
                                   and holds it exact (bench/accuracy --tier1 checks the mark) */
    bool rows_after_norm;       /* no layer gathers the output rows: the final norm runs on the whole
                                   ubatch, stays a graph output, and the rows are gathered after it */
    bool head_dim_swa;          /* sliding layers have heads of their own size
                                   (attention.key_length_swa / value_length_swa) */
    bool kv_shared_layers;      /* the last attention.shared_kv_layers layers read an earlier
                                   layer's cache instead of keeping one (Gemma 4) */
    uint32_t kv_from_start;     /* only the first kv_from_start layers keep a cache, the later ones
                                   read the last earlier layer's of their kind (Gemma 3n: 20) */
    bool v_pad_every_layer;     /* every layer keeps a cache (one plain KV cache, no layer filter):
                                   with V stored transposed, a layer without KV heads still has a
                                   V cache as wide as the widest (DeciLM) */
    bool tied_output_first;     /* a tied output is created before token_embd: on the CPU too it
                                   is a second copy of the embeddings (Gemma 4) */
    bool rope_freqs_full;       /* rope_freqs belongs to the full-attention layers only (Gemma 4) */
    bool ssm_v1;                /* Mamba-1 mixers: no groups (ssm.group_count is not read), so
                                   the conv state spans the inner width alone (mamba, jamba) */
    bool layer_norm;            /* the layers' and the output's norms are LayerNorms (ggml_norm,
                                   which never runs in place), not RMS norms */
    bool lightning;             /* recurrent layers are lightning attention: their state is one
                                   key_length x key_length matrix per head (MiniMax-01) */
    bool indexer_attn;          /* every full-attention layer keeps its sparse-attention indexer's
                                   keys (one head of attention.indexer.key_length, in the K cache's
                                   type) in a cache of its own (qwen4exp) */
    bool indexer_msa;           /* MiniMax sparse attention: every layer past the dense lead keeps a
                                   second cache, a plain one of a single head whose keys are
                                   attention.indexer.key_length wide and whose values are as wide
                                   as the model's (MiniMax-M3) */
    bool dsv4_cache;            /* DeepSeek-V4's caches: every layer keeps one K=V head raw over the
                                   sliding window, in a stream per sequence whatever was asked; the
                                   layers with a compress ratio keep that head compressed too (4:1
                                   ones the lightning indexer's keys beside it) and the compressors'
                                   F32 states */
    bool embd_is_output;        /* no output tensor is created: the logits read token_embd on its own
                                   device, with no copy on the output layer's (BitNet) */
    bool logits_copied;         /* the logits are copied once more, a slice of them overwritten
                                   (Chameleon masks its image tokens with ggml_set_1d) */
    bool router_layer;          /* llama.cpp adds one weightless layer past the last block: a single
                                   head attention with a cache of its own, counted as a layer when
                                   layers are split (Granite Switch's adapter router) */
    bool logits_all_rows;       /* the graph never gathers the output rows: the last layer, the
                                   final norm and the logits run over the whole ubatch (CogVLM) */
    gp_arch_flash_attn flash_attn;
} gp_arch_rules;

/* The row of an architecture; a neutral one for names llama.cpp v0.5.0 does
 * not know, which *known tells. */
const gp_arch_rules *gp_arch_lookup(const char *arch, bool *known);

/* Row i of the table, NULL past its end. */
const gp_arch_rules *gp_arch_at(size_t i);

#endif
