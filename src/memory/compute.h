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
    GP_COMPUTE_FAMILY_LFM2 = 3,
    /* phi3 (Phi-3, Phi-4-mini): fused QKV, Q scaled after rope, one up
       projection of twice the FFN width split by SwiGLU */
    GP_COMPUTE_FAMILY_PHI3 = 4,
    /* gpt-oss: biased attention with sinks, interleaved sliding window,
       biased router and experts weighted by a soft-max over the chosen
       ones, output rows gathered after the last layer */
    GP_COMPUTE_FAMILY_GPT_OSS = 5,
    /* olmo2, exaone4: no norm before attention or FFN, a norm after each */
    GP_COMPUTE_FAMILY_POSTNORM = 6,
    /* command-r, cohere2: attention and FFN side by side on one LayerNorm */
    GP_COMPUTE_FAMILY_COHERE = 7,
    /* falcon, gptneox (use_parallel_residual): attention and a LayerNorm'd
       FFN side by side, both added to the residual */
    GP_COMPUTE_FAMILY_PARALLEL = 16,
    /* mamba: Mamba-1 layers only (one scan head per inner channel) */
    GP_COMPUTE_FAMILY_MAMBA1 = 17,
    /* jamba: Mamba-1 or attention (no rope) layers, each followed by a dense
       FFN or routed experts */
    GP_COMPUTE_FAMILY_JAMBA = 18,
    /* llama4: chunked attention with rope and L2-normed Q/K beside global
       layers without rope whose Q takes a temperature; experts weighted
       before they run, beside a shared expert */
    GP_COMPUTE_FAMILY_LLAMA4 = 8,
    /* deepseek32: deepseek2 whose attention reads only the cached tokens a
       lightning indexer picks (DeepSeek sparse attention) */
    GP_COMPUTE_FAMILY_DEEPSEEK32 = 9,
    /* qwen3next, qwen35moe: gated delta net layers beside gated attention
       layers, routed experts beside a gated shared expert */
    GP_COMPUTE_FAMILY_QWEN3NEXT = 10,
    /* mamba2, nemotron_h, nemotron_h_moe: Mamba-2 layers beside attention
       (no rope) and squared-ReLU MLP or MoE layers */
    GP_COMPUTE_FAMILY_MAMBA2 = 11,
    /* granitehybrid: Mamba-2 or attention layers, each followed by an FFN
       (dense, or routed experts beside a shared expert) */
    GP_COMPUTE_FAMILY_GRANITEHYBRID = 12,
    /* falcon-h1: attention and a Mamba-2 mixer side by side in every layer,
       then an FFN */
    GP_COMPUTE_FAMILY_FALCON_H1 = 13,
    /* gemma4: gemma3's layer with heads of their own size on sliding and
       global layers, V RMS-normed (or the K projection itself on global
       layers), later layers reading earlier caches, per-layer token
       embeddings, routed experts beside a dense MLP, soft-capped logits */
    GP_COMPUTE_FAMILY_GEMMA4 = 14,
    /* gemma3n: gemma4's attention and per-layer inputs on AltUp's parallel
       copies of the hidden state (predicted and corrected per layer), a
       low-rank Laurel branch beside attention, a gaussian top-k on the
       first layers' FFN gate */
    GP_COMPUTE_FAMILY_GEMMA3N = 15,
    /* rwkv6: a time mix (token shift, low-rank lerps, the WKV-6 scan with
       its state, a group norm and a gate) and a channel mix (squared-ReLU
       key, sigmoid receptance), each after a LayerNorm */
    GP_COMPUTE_FAMILY_RWKV6 = 19,
    /* rwkv7: RWKV-6's block with the WKV-7 scan, its decay, in-context
       learning rate and value-residual LoRAs, and a channel mix without
       receptance */
    GP_COMPUTE_FAMILY_RWKV7 = 20,
    /* rwkv6qwen2 (QRWKV-6): RWKV-6's time mix without its bonus (grouped
       keys and values, biases) after an RMS norm, then a gated FFN */
    GP_COMPUTE_FAMILY_RWKV6QWEN2 = 21,
    /* arwkv7 (ARWKV-7): RWKV-7's time mix after an RMS norm, then a gated FFN */
    GP_COMPUTE_FAMILY_ARWKV7 = 22,
    /* plamo2: PLaMo 2's own Mamba mixers (no groups; dt, B and C projected
       from x and RMS-normed) in turn with attention layers (fused QKV,
       per-head norms), each between two norms, then an FFN between two */
    GP_COMPUTE_FAMILY_PLAMO2 = 23,
    /* minimax-01: lightning attention layers (a key-value state per head,
       a normed and gated output) beside softmax attention, each followed by
       routed experts, the normed input scaled as the residual */
    GP_COMPUTE_FAMILY_MINIMAX01 = 24,
    /* kimi-linear: Kimi Delta Attention layers (Q, K and V each through a
       short convolution, a per-channel decay, the fused delta net, a gated
       output norm) beside latent attention without rope; routed experts
       beside a shared expert */
    GP_COMPUTE_FAMILY_KIMI_LINEAR = 25,
    /* kimi-k3: kimi-linear's layers with a full-rank KDA output gate, a
       sigmoid gate on the MLA output, SiTU activations, routed experts on a
       latent width, and the residual banked every few layers and mixed back
       in by learned scores before each norm */
    GP_COMPUTE_FAMILY_KIMI_K3 = 26,
    /* bailingmoe3 (Ling 3): Kimi Delta Attention layers with full-rank
       decay and output gates beside MLA layers with rope whose heads are
       each gated by a sigmoid; deepseek2's FFN; the final norm over the
       whole ubatch stays an output */
    GP_COMPUTE_FAMILY_BAILINGMOE3 = 27,
    /* qwen4exp (Qwen3.8-Flash-Next): copies of the residual mixed by
       low-rank gates in place of every norm (hyper-connections), gated
       delta net layers beside gated attention over the blocks of cached
       tokens an indexer picks, one layer's hashed n-gram embedding, routed
       experts beside a gated shared expert */
    GP_COMPUTE_FAMILY_QWEN4EXP = 28,
    /* smallthinker: the llama-style layer with routed experts only, whose
       router reads the layer's input before its norm */
    GP_COMPUTE_FAMILY_SMALLTHINKER = 29,
    /* grovemoe: qwen3moe's layer whose experts are picked by a sigmoid of
       the router's logits, then adjugate experts (one per group of routed
       ones) run on the routed experts' output, scaled and added to it */
    GP_COMPUTE_FAMILY_GROVEMOE = 30,
    /* bitnet: the llama layer with an RMS norm before each branch's last
       projection (attention's output, the FFN's down) */
    GP_COMPUTE_FAMILY_BITNET = 31,
    /* muse-glimmer: RMS-normed token embeddings; norms before and after
       attention and after the FFN, the attention's output gated by a
       sigmoid before its projection; rope on the sliding layers only */
    GP_COMPUTE_FAMILY_MUSE_GLIMMER = 32,
    /* cohere2moe: Cohere2's parallel layer (attention and the FFN on one
       norm) with routed experts, the shared expert averaged in; the last
       layer runs on every token and the final norm stays an output */
    GP_COMPUTE_FAMILY_COHERE2MOE = 33,
    /* afmoe (Trinity): scaled token embeddings; norms before and after
       attention and the FFN, the attention's output gated by a sigmoid
       before its projection; dense lead layers, then routed experts beside
       a shared one */
    GP_COMPUTE_FAMILY_AFMOE = 34,
    /* step35 (Step-3.5-Flash): the llama layer with a sigmoid gate a head
       on the attention output before its projection; no layer gathers the
       output rows: the last layer's output stays a graph output, and the
       rows are gathered before the final norm */
    GP_COMPUTE_FAMILY_STEP35 = 35,
    /* deci (Nemotron NAS): the llama layer with heads, KV heads and FFN
       width of its own: no attention (nor residual add before the FFN) on
       a layer without heads, one projection on a layer without KV heads,
       no FFN on a layer without a width */
    GP_COMPUTE_FAMILY_DECI = 36,
    /* laguna: the llama-style layer (routed experts beside a shared one)
       whose attention output is gated by a softplus of its own projection
       of the attention's input, one value a head or a value */
    GP_COMPUTE_FAMILY_LAGUNA = 37,
    /* talkie: the llama-style layer without norm weights, rope before the
       Q/K norms, the RMS-normed embeddings scaled into every layer's output */
    GP_COMPUTE_FAMILY_TALKIE = 38,
    /* hy-v3: the llama-style layer (routed experts beside a shared one)
       whose output rows are gathered only after the final norm, which stays
       a graph output */
    GP_COMPUTE_FAMILY_HY_V3 = 39,
    /* graniteswitch: Granite's layer with fused QKV whose every projection
       adds a low-rank adapter picked per token (two mul_mat_id), the
       adapter read back from a single-head router attention over a cache
       layer of its own past the last block */
    GP_COMPUTE_FAMILY_GRANITESWITCH = 40,
    /* hrm_text: a low and a high stack of parameterless-normed layers with
       sigmoid-gated attention, run in turn (the low one l_cycles times, then
       the high one, h_cycles over), each pass on cache slots of its own that
       reuse the stacks' weights */
    GP_COMPUTE_FAMILY_HRM_TEXT = 41,
    /* hy-v4: deepseek32 inside independent hyper-connections (copies of
       the residual mixed around every block), a gate before wo */
    GP_COMPUTE_FAMILY_HY_V4 = 42,
    /* minimax-m3: the llama-style layer whose layers past the dense lead run
       MiniMax sparse attention (an indexer with a cache of its own picks
       blocks of positions) where llama.cpp enables it */
    GP_COMPUTE_FAMILY_MINIMAX_M3 = 43,
    /* deepseek4: hyper-connections around attention over a raw window and
       compressed cells (an indexer picking the 4:1 ones) and routed
       experts; an upper bound, not yet node for node */
    GP_COMPUTE_FAMILY_DEEPSEEK4 = 44
} gp_compute_family;

/* The family of the name an architecture's row gives (src/model/arch.c);
   the llama-style decoder for NULL or a name no family has. */
gp_compute_family gp_compute_family_named(const char *name);

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
    int      fused_qkv;    /* one attn_qkv weight instead of attn_q/k/v */
    int      attn_bias;    /* attn_q/k/v biases (added after each projection) */
    int      attn_out_bias;/* attn_output bias */
    int      attn_sinks;   /* attn_sinks: one learned logit per head (gpt-oss) */
    int      attn_gate;    /* attn_gate: the attention output has a gate of its own (Step 3.5's is
                              optional) */
    uint32_t no_rope_step; /* layers il with (il + 1) % no_rope_step == 0 skip rope (0: none) */
    int      no_rope_full; /* with sliding-window layers present, full-attention layers skip rope */
    int      rope_dense_lead; /* ... except the dense lead layers, which keep it */
    int      qk_norm_full; /* the Q/K norms span every head (one weight of n_head * head_dim) */
    int      qk_norm_after_rope; /* per-head Q/K norms after rope, not before (hunyuan-moe) */
    int      rows_after_norm;    /* the output rows gathered after the final norm, which stays
                                    a graph output over the whole ubatch (nemotron_h) */
    int      ffn_ungated;  /* dense FFN without a gate: up, an activation in place, down */
    int      ffn_fused_up; /* dense FFN whose up projection holds gate and up (twice the
                              width), halved by SwiGLU (phi3, glm4) */
    int      dense_res;    /* beside the routed experts (on the layer's input, normed by
                              ffn_norm_exps) a dense FFN of the embedding's width (Arctic) */
    int      pos_embd;     /* learned absolute positions (position_embd, GPT-2): their rows are
                              looked up by the positions and added to the token embeddings */
    int      embd_scaled;  /* the token embeddings are scaled (a tensor of their own where the
                              first layer's device is not theirs) */
    int      parallel_ffn_norm; /* parallel family: the FFN has a norm of its own (GPT-NeoX), else
                                   it reads the attention's (Falcon) */
    int      layer_norm;   /* block norms are LayerNorms: never in place (arch table) */
    int      logits_copied; /* the logits are copied with a slice overwritten (Chameleon) */
    int      logits_all_rows; /* no output rows gathered: logits over the whole ubatch (CogVLM) */
    int      ssm_dt_b_c_norm; /* Mamba-1 mixers RMS-norm dt, B and C (Jamba) */
    int      norm_bias;    /* the block norms have a bias (attn_norm.bias) */
    int      pre_norm;     /* layers norm their input (attn_norm); post-norm families may not */

    /* optional per-layer values; NULL = uniform / none */
    const uint8_t  *layer_is_swa;        /* 1 = sliding-window attention layer */
    const uint8_t  *layer_is_recurrent;  /* 1 = recurrent (short-conv) layer */
    const uint8_t  *layer_idx_shared;    /* 1 = sparse attention on the last full indexer's top-k
                                            (no indexer, no indexer cache); NULL: none */
    const uint32_t *layer_n_ff;          /* per-layer feed_forward_length */
    const uint8_t  *layer_no_heads;      /* 1 = the header gives the layer no heads (a DeciLM layer
                                            without attention); layer_n_head reads the model's */
    const uint8_t  *layer_no_experts;    /* 1 = the layer has no routed experts in the header
                                            (a dense FFN where the model is MoE); NULL: none */
    const uint32_t *layer_n_head_kv;     /* per-layer head_count_kv */
    const uint32_t *layer_n_head;        /* per-layer head_count (OpenELM) */

    /* sliding window */
    uint32_t n_swa;        /* {arch}.attention.sliding_window */

    /* mixture of experts (n_expert == 0: dense) */
    uint32_t n_expert;           /* {arch}.expert_count */
    uint32_t n_expert_used;      /* {arch}.expert_used_count */
    uint32_t n_ff_exp;           /* {arch}.expert_feed_forward_length */
    uint32_t n_ff_shexp;         /* total shared-expert width: expert_shared_count * n_ff_exp
                                    (deepseek2) or expert_shared_feed_forward_length */
    uint32_t n_layer_dense_lead; /* {arch}.leading_dense_block_count */
    uint32_t moe_every;          /* {arch}.interleave_moe_layer_step: layer il routes experts
                                    when (il + 1) % moe_every == 0 (0: every layer past the lead) */
    int      expert_weights_norm;/* {arch}.expert_weights_norm (qwen3moe: 1) */
    int      expert_weights_scaled; /* expert_weights_scale present and != 1 */
    gp_compute_gating gating;    /* {arch}.expert_gating_func (1 softmax, 2 sigmoid) */
    int      expert_probs_bias;  /* exp_probs_b tensor present (deepseek3) */
    uint32_t expert_groups;      /* {arch}.expert_group_count: experts chosen within the best */
    uint32_t expert_groups_used; /* {arch}.expert_group_used_count groups (> 1 groups only) */
    int      router_bias;        /* ffn_gate_inp bias */
    int      expert_bias;        /* ffn_{gate,up,down}_exps biases (added per chosen expert) */
    uint32_t n_chexp;            /* GroveMoE's adjugate experts (ffn_*_chexps), one per group of
                                    routed ones; 0: none */
    uint32_t n_ff_chexp;         /* their width */

    /* MLA (deepseek2 family) */
    uint32_t q_lora_rank;   /* {arch}.attention.q_lora_rank (0 = lite, plain wq) */
    uint32_t kv_lora_rank;  /* {arch}.attention.kv_lora_rank */
    uint32_t qk_nope;       /* key_length - rope_dim (mla: key_length_mla - rope) */
    uint32_t qk_rope;       /* {arch}.rope.dimension_count */
    uint32_t v_head_dim;    /* value_length (mla: value_length_mla) */
    uint32_t idx_n_head;    /* {arch}.attention.indexer.head_count (deepseek32) */
    uint32_t idx_head_dim;  /* {arch}.attention.indexer.key_length */
    uint32_t idx_top_k;     /* {arch}.attention.indexer.top_k */
    uint32_t idx_block;     /* {arch}.attention.indexer.block_size: positions per block (minimax-m3) */

    /* short conv (lfm2) */
    uint32_t conv_l_cache;  /* {arch}.shortconv.l_cache */
    uint32_t n_deepstack;   /* the input embeddings carry this many more slices, each added to
                               the output of one of the first layers (qwen3vl) */

    /* gated delta net (qwen3next, qwen35moe): ssm.* keys */
    uint32_t ssm_conv;      /* conv_kernel */
    uint32_t ssm_inner;     /* inner_size: value heads * value head size */
    uint32_t ssm_state;     /* state_size: key head size */
    uint32_t ssm_groups;    /* group_count: key heads */
    uint32_t ssm_dt_rank;   /* time_step_rank: value heads */
    int      ssm_ab_split;  /* separate ssm_alpha / ssm_beta weights (qwen35moe), else one ssm_ba */
    int      ssm_norm;      /* Mamba-2 output has its per-group RMS norm (ssm_norm) */
    int      rec_attends;   /* recurrent layers also attend, with a KV cache (falcon-h1) */
    int      shexp_gate;    /* a sigmoid gate on the shared expert (ffn_gate_inp_shexp) */
    uint32_t pos_per_tok;   /* positions per token (4: multi-section rope); 0 = 1 */

    /* per-layer head sizes and shared caches (gemma4) */
    uint32_t head_dim_k_swa;        /* sliding layers' key_length_swa; 0: head_dim_k */
    uint32_t head_dim_v_swa;        /* value_length_swa; 0: head_dim_v */
    const int32_t *layer_kv_src;    /* the layer whose cache layer il reads (il: its own); NULL: own */
    const uint8_t *layer_v_from_k;  /* 1 = no attn_v: V is the K projection (gemma4 global layers) */
    uint32_t n_embd_per_layer;      /* per-layer token embedding width (gemma4 E models); 0: none */

    /* RWKV (rwkv6, rwkv7) */
    uint32_t wkv_head;          /* wkv.head_size */
    uint32_t rwkv_mix_extra;    /* time_mix_extra_dim: the lerps' low rank (RWKV-6) */
    uint32_t rwkv_decay_extra;  /* time_decay_extra_dim (RWKV-6) */
    uint32_t rwkv_rescale;      /* rescale_every_n_layers: the residual halved (RWKV-6; 0 none) */
    uint32_t rwkv_lora_decay;   /* attention.decay_lora_rank (RWKV-7) */
    uint32_t rwkv_lora_iclr;    /* attention.iclr_lora_rank */
    uint32_t rwkv_lora_value;   /* attention.value_residual_mix_lora_rank */
    uint32_t rwkv_lora_gate;    /* attention.gate_lora_rank; 0: no output gate */
    uint32_t rwkv_shifts;       /* token_shift_count: tokens saved per layer */
    int      rwkv_first;        /* time_mix_first present: RWKV-6's bonus (else QRWKV's scan) */
    int      rwkv_group_norm;   /* time_mix_ln present: the scan's output group-normed */
    int      rwkv_bias;         /* biases on the receptance (1), key (2) and value (4) */

    /* Kimi Delta Attention (kimi-linear): n_head heads of kda_head on
       Q, K, V and the state; the convolutions' window is ssm_conv */
    uint32_t kda_head;          /* kda.head_dim */
    /* Kimi K3 */
    int      kda_full_gate;     /* one full-rank output gate (ssm_g), not g_b(g_a(x)) */
    int      kda_gate_lb;       /* the decay gate is a scaled sigmoid (kda.gate_lower_bound) */
    int      mla_out_gate;      /* the MLA output times a sigmoid gate before wo (attn_gate) */
    int      attn_gate_per_head;/* the attention output gate (attn_gate) has one value a head,
                                   broadcast over the head (Laguna XS.2); else one a value */
    uint32_t attn_res_block;    /* attn_res.block_size: the residual banked every this many
                                   layers (0: never) */
    uint32_t n_embd_latent;     /* expert_latent_length: the routed experts' width (0: n_embd) */
    int      latent_norm;       /* the experts' latent output RMS-normed (ffn_routed_norm) */
    int      situ_linear;       /* SiTU bounds the up branch too (situ_linear_beta > 0) */
    /* Ling 3 (bailingmoe3) */
    int      kda_no_lora;       /* KDA's decay and output gates are full-rank (ssm_f_a, ssm_g_a of the
                                   inner width, no f_b / g_b); the decay gate is
                                   lower bound * sigmoid(A * (f_a x + bias)) */
    /* qwen4exp */
    uint32_t hc_count;          /* hyper_connection.count: copies of the residual (0: none) */
    uint32_t dsv4_o_groups;     /* attention.output_group_count: the grouped output projection (deepseek4) */
    uint32_t dsv4_o_lora;       /* attention.output_lora_rank: each group's width */
    uint32_t hc_low_rank;       /* hyper_connection.low_rank: the mixers' gate projections */
    const uint32_t *layer_compress; /* per layer: sparse attention over blocks of this many cached
                                       tokens, picked by the indexer (0: dense); NULL: none */
    uint32_t ple_n_heads;       /* the hashed n-gram embedding's rows per token (0: none) */
    uint32_t ple_head_dim;      /* their width (embedding_length_per_layer_input) */
    uint32_t ple_layer;         /* the layer that adds it */
    uint32_t ple_ngram;         /* its convolution's dilation */
    uint32_t ple_conv_kernel;   /* and taps */
    int      ple_conv_cast;     /* the convolution's kernel is not F32: each tap is cast first */
    /* per layer: 1 the routed experts' SwiGLU is clamped, 2 the dense or
       shared FFN's (bailingmoe3): a silu, two clamps and a product in place
       of one SwiGLU op; NULL: none */
    const uint8_t *layer_swiglu_clamp;
    /* Granite Switch */
    uint32_t adapter_slots;     /* the stacked adapters of each projection, slot 0 the zero
                                   delta (adapters.count + 1) */
    uint32_t adapter_rank;      /* their rank (adapters.lora_rank) */
    int      resid_scaled;      /* residual_scale set: each branch is scaled before its add */
    /* HRM-Text: n_layer is the cache slots, hrm_lps * hrm_h * (hrm_l + 1); slot s
       reads the weights of block (s / hrm_lps) % (hrm_l + 1) == hrm_l ? hrm_lps : 0,
       plus s % hrm_lps (0: every layer its own) */
    uint32_t hrm_lps, hrm_h, hrm_l;
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

/* Predicted compute buffer bytes of a single-device (CPU) run; 0 on invalid
   input or out of memory. Invalid input includes shapes the graph builders do
   not describe (recurrent layers outside the lfm2 family, sliding-window
   layers with MLA, a family's required field zero, heads that are not a
   multiple of the KV heads, more than 256 sequences) and shapes far beyond
   any real model (over ~1000 layers, a tensor above 2^56 bytes). */
uint64_t gp_compute_bytes(const gp_compute_model *m, const gp_compute_run *r);

/* ---------------------------------------------------------------------- */
/* Several devices                                                         */
/*
 * Devices are numbered like this: device 0 is the CPU (host), devices
 * 1..n_devices-1 are the GPUs in llama.cpp's device order (CUDA0 = 1,
 * CUDA1 = 2, ...; RPC servers in --rpc order count as GPUs).
 *
 * Weight kinds: every weight tensor that is an operand of a graph op. A
 * layer's placement gives the device of each kind separately, because -ot
 * moves individual tensors (regex on their names, see
 * gp_compute_weight_kind); -ngl/-ts move whole layers (all kinds + KV).
 */
typedef enum {
    GP_COMPUTE_W_ATTN_NORM = 0,   /* blk.N.attn_norm */
    GP_COMPUTE_W_ATTN_Q,          /* blk.N.attn_q */
    GP_COMPUTE_W_ATTN_K,          /* blk.N.attn_k */
    GP_COMPUTE_W_ATTN_V,          /* blk.N.attn_v */
    GP_COMPUTE_W_ATTN_OUT,        /* blk.N.attn_output */
    GP_COMPUTE_W_ATTN_Q_NORM,     /* blk.N.attn_q_norm */
    GP_COMPUTE_W_ATTN_K_NORM,     /* blk.N.attn_k_norm */
    GP_COMPUTE_W_ATTN_POST_NORM,  /* blk.N.post_attention_norm (gemma3) */
    GP_COMPUTE_W_ATTN_Q_A,        /* blk.N.attn_q_a (MLA) */
    GP_COMPUTE_W_ATTN_Q_A_NORM,   /* blk.N.attn_q_a_norm (MLA) */
    GP_COMPUTE_W_ATTN_Q_B,        /* blk.N.attn_q_b (MLA) */
    GP_COMPUTE_W_ATTN_KV_A,       /* blk.N.attn_kv_a_mqa (MLA) */
    GP_COMPUTE_W_ATTN_KV_A_NORM,  /* blk.N.attn_kv_a_norm (MLA) */
    GP_COMPUTE_W_ATTN_K_B,        /* blk.N.attn_k_b (MLA) */
    GP_COMPUTE_W_ATTN_V_B,        /* blk.N.attn_v_b (MLA) */
    GP_COMPUTE_W_FFN_NORM,        /* blk.N.ffn_norm */
    GP_COMPUTE_W_FFN_GATE,        /* blk.N.ffn_gate (dense FFN) */
    GP_COMPUTE_W_FFN_UP,          /* blk.N.ffn_up */
    GP_COMPUTE_W_FFN_DOWN,        /* blk.N.ffn_down */
    GP_COMPUTE_W_FFN_POST_NORM,   /* blk.N.post_ffw_norm (gemma3) */
    GP_COMPUTE_W_FFN_ROUTER,      /* blk.N.ffn_gate_inp */
    GP_COMPUTE_W_FFN_PROBS_B,     /* blk.N.exp_probs_b */
    GP_COMPUTE_W_FFN_GATE_EXPS,   /* blk.N.ffn_gate_exps (routed experts) */
    GP_COMPUTE_W_FFN_UP_EXPS,     /* blk.N.ffn_up_exps */
    GP_COMPUTE_W_FFN_DOWN_EXPS,   /* blk.N.ffn_down_exps */
    GP_COMPUTE_W_FFN_GATE_SHEXP,  /* blk.N.ffn_gate_shexp (shared experts) */
    GP_COMPUTE_W_FFN_UP_SHEXP,    /* blk.N.ffn_up_shexp */
    GP_COMPUTE_W_FFN_DOWN_SHEXP,  /* blk.N.ffn_down_shexp */
    GP_COMPUTE_W_CONV_IN,         /* blk.N.shortconv.in_proj (lfm2) */
    GP_COMPUTE_W_CONV,            /* blk.N.shortconv.conv */
    GP_COMPUTE_W_CONV_OUT,        /* blk.N.shortconv.out_proj */
    GP_COMPUTE_W_ATTN_QKV,        /* blk.N.attn_qkv (fused Q, K, V) */
    GP_COMPUTE_W_ATTN_SINKS,      /* blk.N.attn_sinks */
    GP_COMPUTE_W_IDX_K,           /* blk.N.indexer.attn_k (DeepSeek sparse attention) */
    GP_COMPUTE_W_IDX_K_NORM,      /* blk.N.indexer.k_norm */
    GP_COMPUTE_W_IDX_Q_B,         /* blk.N.indexer.attn_q_b */
    GP_COMPUTE_W_IDX_PROJ,        /* blk.N.indexer.proj */
    GP_COMPUTE_W_ATTN_GATE,       /* blk.N.attn_gate (delta net output gate) */
    GP_COMPUTE_W_SSM_CONV,        /* blk.N.ssm_conv1d */
    GP_COMPUTE_W_SSM_BA,          /* blk.N.ssm_ba */
    GP_COMPUTE_W_SSM_ALPHA,       /* blk.N.ssm_alpha */
    GP_COMPUTE_W_SSM_BETA,        /* blk.N.ssm_beta */
    GP_COMPUTE_W_SSM_DT,          /* blk.N.ssm_dt */
    GP_COMPUTE_W_SSM_A,           /* blk.N.ssm_a */
    GP_COMPUTE_W_SSM_NORM,        /* blk.N.ssm_norm */
    GP_COMPUTE_W_SSM_OUT,         /* blk.N.ssm_out */
    GP_COMPUTE_W_FFN_GATE_INP_SHEXP, /* blk.N.ffn_gate_inp_shexp */
    GP_COMPUTE_W_SSM_IN,          /* blk.N.ssm_in (Mamba-2) */
    GP_COMPUTE_W_SSM_D,           /* blk.N.ssm_d */
    GP_COMPUTE_W_SSM_X,           /* blk.N.ssm_x (Mamba-1: dt, B and C from x) */
    GP_COMPUTE_W_TOKEN_EMBD_NORM,       /* token_embd_norm (the first layer's: RWKV) */
    GP_COMPUTE_W_ATTN_NORM_2,           /* blk.N.attn_norm_2 (RWKV: the channel mix's norm) */
    GP_COMPUTE_W_TMIX_W1,               /* blk.N.time_mix_w1 (RWKV time mix) */
    GP_COMPUTE_W_TMIX_W2,               /* blk.N.time_mix_w2 */
    GP_COMPUTE_W_TMIX_LERP_X,           /* blk.N.time_mix_lerp_x */
    GP_COMPUTE_W_TMIX_LERP_FUSED,       /* blk.N.time_mix_lerp_fused */
    GP_COMPUTE_W_TMIX_FIRST,            /* blk.N.time_mix_first */
    GP_COMPUTE_W_TMIX_DECAY,            /* blk.N.time_mix_decay */
    GP_COMPUTE_W_TMIX_DECAY_W1,         /* blk.N.time_mix_decay_w1 */
    GP_COMPUTE_W_TMIX_DECAY_W2,         /* blk.N.time_mix_decay_w2 */
    GP_COMPUTE_W_TMIX_KEY,              /* blk.N.time_mix_key */
    GP_COMPUTE_W_TMIX_VALUE,            /* blk.N.time_mix_value */
    GP_COMPUTE_W_TMIX_RECEPTANCE,       /* blk.N.time_mix_receptance */
    GP_COMPUTE_W_TMIX_GATE,             /* blk.N.time_mix_gate */
    GP_COMPUTE_W_TMIX_LN,               /* blk.N.time_mix_ln */
    GP_COMPUTE_W_TMIX_OUTPUT,           /* blk.N.time_mix_output */
    GP_COMPUTE_W_TMIX_W0,               /* blk.N.time_mix_w0 (RWKV-7) */
    GP_COMPUTE_W_TMIX_A0,               /* blk.N.time_mix_a0 */
    GP_COMPUTE_W_TMIX_A1,               /* blk.N.time_mix_a1 */
    GP_COMPUTE_W_TMIX_A2,               /* blk.N.time_mix_a2 */
    GP_COMPUTE_W_TMIX_V0,               /* blk.N.time_mix_v0 */
    GP_COMPUTE_W_TMIX_V1,               /* blk.N.time_mix_v1 */
    GP_COMPUTE_W_TMIX_V2,               /* blk.N.time_mix_v2 */
    GP_COMPUTE_W_TMIX_G1,               /* blk.N.time_mix_g1 */
    GP_COMPUTE_W_TMIX_G2,               /* blk.N.time_mix_g2 */
    GP_COMPUTE_W_TMIX_K_K,              /* blk.N.time_mix_k_k */
    GP_COMPUTE_W_TMIX_K_A,              /* blk.N.time_mix_k_a */
    GP_COMPUTE_W_TMIX_R_K,              /* blk.N.time_mix_r_k */
    GP_COMPUTE_W_CMIX_LERP_K,           /* blk.N.channel_mix_lerp_k (RWKV channel mix) */
    GP_COMPUTE_W_CMIX_LERP_R,           /* blk.N.channel_mix_lerp_r */
    GP_COMPUTE_W_CMIX_KEY,              /* blk.N.channel_mix_key */
    GP_COMPUTE_W_CMIX_VALUE,            /* blk.N.channel_mix_value */
    GP_COMPUTE_W_CMIX_RECEPTANCE,       /* blk.N.channel_mix_receptance */
    GP_COMPUTE_W_SSM_DT_NORM,           /* blk.N.ssm_dt_norm (PLaMo 2's mixer) */
    GP_COMPUTE_W_SSM_B_NORM,            /* blk.N.ssm_b_norm */
    GP_COMPUTE_W_SSM_C_NORM,            /* blk.N.ssm_c_norm */
    GP_COMPUTE_W_SSM_CONV_Q,            /* blk.N.ssm_conv1d_q (Kimi Delta Attention) */
    GP_COMPUTE_W_SSM_CONV_K,            /* blk.N.ssm_conv1d_k */
    GP_COMPUTE_W_SSM_CONV_V,            /* blk.N.ssm_conv1d_v */
    GP_COMPUTE_W_SSM_F_A,               /* blk.N.ssm_f_a (the decay gate, low rank) */
    GP_COMPUTE_W_SSM_F_B,               /* blk.N.ssm_f_b */
    GP_COMPUTE_W_SSM_G_A,               /* blk.N.ssm_g_a (the output gate, low rank) */
    GP_COMPUTE_W_SSM_G_B,               /* blk.N.ssm_g_b */
    GP_COMPUTE_W_SSM_G,                 /* blk.N.ssm_g (Kimi K3: the full-rank output gate) */
    GP_COMPUTE_W_ATTN_RES_SCORE,        /* blk.N.attn_res_score (the banked residuals' scores) */
    GP_COMPUTE_W_FFN_RES_SCORE,         /* blk.N.ffn_res_score */
    GP_COMPUTE_W_FFN_ROUTED_DOWN,       /* blk.N.ffn_routed_down (to the experts' latent width) */
    GP_COMPUTE_W_FFN_ROUTED_UP,         /* blk.N.ffn_routed_up */
    GP_COMPUTE_W_FFN_ROUTED_NORM,       /* blk.N.ffn_routed_norm */
    /* qwen4exp */
    GP_COMPUTE_W_HC_ATTN_NORM,          /* blk.N.hc_attn_norm (the mixer before the token mixer) */
    GP_COMPUTE_W_HC_ATTN_DOWN,          /* blk.N.hc_attn_down */
    GP_COMPUTE_W_HC_ATTN_UP,            /* blk.N.hc_attn_up */
    GP_COMPUTE_W_HC_ATTN_INJECT,        /* blk.N.hc_attn_inject */
    GP_COMPUTE_W_HC_FFN_NORM,           /* blk.N.hc_ffn_norm (the mixer before the FFN) */
    GP_COMPUTE_W_HC_FFN_DOWN,           /* blk.N.hc_ffn_down */
    GP_COMPUTE_W_HC_FFN_UP,             /* blk.N.hc_ffn_up */
    GP_COMPUTE_W_HC_FFN_INJECT,         /* blk.N.hc_ffn_inject */
    GP_COMPUTE_W_IDX_Q_PROJ,            /* blk.N.indexer.q_proj (the sparse attention's indexer) */
    GP_COMPUTE_W_IDX_K_PROJ,            /* blk.N.indexer.k_proj */
    GP_COMPUTE_W_IDX_Q_NORM,            /* blk.N.indexer.q_norm */
    GP_COMPUTE_W_PLE_KEY,               /* blk.N.ple_key (the hashed n-gram embedding's module) */
    GP_COMPUTE_W_PLE_VALUE,             /* blk.N.ple_value */
    GP_COMPUTE_W_PLE_NORM_KEY,          /* blk.N.ple_norm_key */
    GP_COMPUTE_W_PLE_NORM_QUERY,        /* blk.N.ple_norm_query */
    GP_COMPUTE_W_PLE_NORM_CONV,         /* blk.N.ple_norm_conv */
    GP_COMPUTE_W_PLE_CONV,              /* blk.N.ple_conv1d */
    GP_COMPUTE_W_FFN_GATE_CHEXPS,       /* blk.N.ffn_gate_chexps (GroveMoE's adjugate experts) */
    GP_COMPUTE_W_FFN_UP_CHEXPS,         /* blk.N.ffn_up_chexps */
    GP_COMPUTE_W_FFN_DOWN_CHEXPS,       /* blk.N.ffn_down_chexps */
    GP_COMPUTE_W_ATTN_SUB_NORM,         /* blk.N.attn_sub_norm (BitNet: before the output projection) */
    GP_COMPUTE_W_FFN_SUB_NORM,          /* blk.N.ffn_sub_norm (BitNet: before the down projection) */
    GP_COMPUTE_W_LAYER_OUT_SCALE,       /* blk.N.layer_output_scale (Talkie: the embeddings' weight in
                                           the layer's output) */
    /* Granite Switch's stacked adapters, A then B of each projection */
    GP_COMPUTE_W_ATTN_Q_LORA_A,         /* blk.N.attn_q.lora_a */
    GP_COMPUTE_W_ATTN_Q_LORA_B,         /* blk.N.attn_q.lora_b */
    GP_COMPUTE_W_ATTN_K_LORA_A,         /* blk.N.attn_k.lora_a */
    GP_COMPUTE_W_ATTN_K_LORA_B,         /* blk.N.attn_k.lora_b */
    GP_COMPUTE_W_ATTN_V_LORA_A,         /* blk.N.attn_v.lora_a */
    GP_COMPUTE_W_ATTN_V_LORA_B,         /* blk.N.attn_v.lora_b */
    GP_COMPUTE_W_ATTN_OUT_LORA_A,       /* blk.N.attn_output.lora_a */
    GP_COMPUTE_W_ATTN_OUT_LORA_B,       /* blk.N.attn_output.lora_b */
    GP_COMPUTE_W_FFN_GATE_LORA_A,       /* blk.N.ffn_gate.lora_a */
    GP_COMPUTE_W_FFN_GATE_LORA_B,       /* blk.N.ffn_gate.lora_b */
    GP_COMPUTE_W_FFN_UP_LORA_A,         /* blk.N.ffn_up.lora_a */
    GP_COMPUTE_W_FFN_UP_LORA_B,         /* blk.N.ffn_up.lora_b */
    GP_COMPUTE_W_FFN_DOWN_LORA_A,       /* blk.N.ffn_down.lora_a */
    GP_COMPUTE_W_FFN_DOWN_LORA_B,       /* blk.N.ffn_down.lora_b */
    GP_COMPUTE_W_HC_ATTN_FN,            /* blk.N.hc_attn_fn (DeepSeek-V4: the mixing weights before
                                           attention) */
    GP_COMPUTE_W_HC_FFN_FN,             /* blk.N.hc_ffn_fn (before the FFN) */
    GP_COMPUTE_W_ATTN_KV,               /* blk.N.attn_kv (DeepSeek-V4's one K=V head) */
    GP_COMPUTE_W_ATTN_OUT_A,            /* blk.N.attn_output_a (the grouped low-rank output) */
    GP_COMPUTE_W_ATTN_OUT_B,            /* blk.N.attn_output_b */
    GP_COMPUTE_W_ATTN_COMP_KV,          /* blk.N.attn_compressor_kv (the head's compressor) */
    GP_COMPUTE_W_IDX_COMP_KV,           /* blk.N.indexer_compressor_kv (the indexer's) */
    GP_COMPUTE_W_COUNT
} gp_compute_wkind;

#define GP_COMPUTE_MAX_DEVICES 16

/* Placement of one repeating layer. */
typedef struct {
    uint8_t  w[GP_COMPUTE_W_COUNT];     /* device holding each weight kind */
    uint8_t  kv;                        /* device of the layer's KV cache / recurrent
                                           state (the layer's -ngl/-ts device; -ot
                                           does not move it) */
    uint64_t w_bytes[GP_COMPUTE_W_COUNT]; /* optional: bytes of each weight tensor
                                           (ggml_nbytes). Only used when a weight on
                                           the CPU is op-offloaded to a GPU, which
                                           copies it into that GPU's compute buffer;
                                           0 = unknown (copy not counted) */
} gp_compute_layer_place;

typedef struct {
    uint32_t n_devices;                 /* 1 + number of GPUs (all GPUs llama.cpp sees,
                                           used or not), <= GP_COMPUTE_MAX_DEVICES */
    const gp_compute_layer_place *layer;/* [m->n_layer] */
    uint8_t  out_norm_dev;              /* output_norm (lfm2: token_embd_norm) device */
    uint8_t  output_dev;                /* output matrix device (the output "layer") */
    uint64_t output_bytes;              /* optional bytes of the output matrix (op offload) */
    /* llama.cpp's pipeline parallelism (scheduler keeps 4 copies of every graph
       input and every cross-device input, never freed). It is on when
       n_gpus > 1, -ngl > n_layer (every layer and the output on GPUs),
       -sm layer, KV offload on, no -ot at all (even one that moves nothing) and
       every GPU backend supports async + events (CUDA, RPC: yes). */
    int      pipeline_parallel;
    /* Op offload (the ONE place where it is modelled): a GPU backend that runs
       ops whose weight sits in CPU memory when the op's batch is >= 32 rows
       (CUDA, ROCm/HIP, SYCL, Vulkan: 1; RPC, Metal: 0). The weight is then
       copied into the first such GPU's compute buffer. [device]; index 0 unused. */
    uint8_t  op_offload[GP_COMPUTE_MAX_DEVICES];
    /* Granite Switch: device of the router layer's cache (the layer llama.cpp
       adds past the last block) */
    uint8_t  router_kv;
} gp_compute_placement;

/* Per-device compute buffers of a placement: fills out[0..n_devices-1] with the
   bytes of each device's compute buffer (device 0 = CPU). Returns 0, or -1 on
   invalid input / out of memory (out then zeroed). pl == NULL: everything on
   the CPU (out[0] == gp_compute_bytes). The prediction is the first
   prompt-processing reserve, the one a no_alloc dry run reports. */
int gp_compute_bytes_split(const gp_compute_model *m, const gp_compute_run *r,
                           const gp_compute_placement *pl, uint64_t *out);

/* Fill a placement from -ngl / -ts as llama.cpp v0.5.0 does (split mode layer):
   n_gpu_layers counts the output layer as one (N = output + the last N-1
   repeating layers; < 0 = all); ts[0..n_gpus-1] are the -ts fractions (NULL or
   all zero = equal shares here; llama.cpp then uses each GPU's free memory, pass
   those instead). layers must have m->n_layer entries. Sets pipeline_parallel
   by the rule above assuming no -ot; op_offload all 0 and w_bytes 0 (set them
   afterwards). With n_gpus == 0 everything is on the CPU. Returns 0 or -1. */
int gp_compute_place_layers(const gp_compute_model *m, uint32_t n_gpus, int32_t n_gpu_layers,
                            const float *ts, gp_compute_placement *pl,
                            gp_compute_layer_place *layers);

/* Map a GGUF tensor name ("blk.12.ffn_up_exps.weight") to its weight kind and
   layer, so that a caller can apply -ot patterns per tensor. Returns the kind,
   or -1 for tensors that are not per-layer graph operands (token_embd, output,
   output_norm, rope_freqs, unknown names). */
int gp_compute_weight_kind(const char *name, uint32_t *layer);

/* Whether a family's builder models recurrent layers (others are estimated). */
int gp_compute_family_recurrent(gp_compute_family family);

/* Helpers exposed for callers and tests. */
uint32_t gp_compute_kv_cells_full(const gp_compute_run *r);
uint32_t gp_compute_kv_cells_swa(const gp_compute_model *m, const gp_compute_run *r);

#ifdef __cplusplus
}
#endif

#endif /* GP_COMPUTE_H */
