/*
 * build.h - what a family's builder works with: the reserve being built
 * (gpg_ctx) and the shared blocks llama.cpp's src/llama-graph.cpp provides
 * (inputs, attention, MLA, dense and MoE FFN, short convolution).
 *
 * Each block adds its tensors in the order ggml's depth-first expansion puts
 * them and tags every op with the weight it reads (its device decides where
 * the op runs) and every write into the KV cache or recurrent state.
 *
 * Owns: the blocks. Calls ir.h only; memory/families/ calls it.
 */
#ifndef GP_GRAPH_BUILD_H
#define GP_GRAPH_BUILD_H

#include <stdint.h>

#include "memory/compute.h"
#include "memory/graph/ir.h"

/* One worst-case prompt-processing reserve. */
typedef struct {
    const gp_compute_model *m;
    const gp_compute_run *r;
    const gp_compute_placement *pl;   /* NULL: all on the CPU */
    int64_t T;          /* tokens in the reserved ubatch */
    int64_t n_out;      /* output rows */
    int64_t n_seq;      /* sequences in the ubatch */
    int64_t n_stream;   /* KV streams */
    int64_t n_kv;       /* full-attention cells per stream */
    int64_t n_kv_swa;   /* SWA cells per stream */
    int fa;
    int k_rot, v_rot;   /* Hadamard rotation sizes of a quantized cache (0 = none) */
    int k_rot_swa_n;    /* K rotation size of the sliding cache (its own head size) */
    int mla;            /* K cache only (MLA): no V row indices */
    int dsa;            /* DeepSeek sparse attention: the indexer's cache and inputs */
    int conv_state;     /* the model has short-conv recurrent state */
    /* inputs */
    int attn_temp;      /* the graph has the attention temperature input (llama4) */
    int inp_tokens, inp_embd, inp_pos, out_ids, rs_copy, inp_attn_scale;
    int inp_ple;        /* token ids of the per-layer embeddings (gemma4 E models) */
    int rs_main, rs_extra;   /* views of rs_copy: rows of the ubatch / the rest */
    int embd_wide;      /* the token embeddings padded to the deepstack input's width */
    int k_idxs, v_idxs, mask, k_rot_t, v_rot_t;
    int k_idxs_swa, v_idxs_swa, mask_swa, k_rot_swa, v_rot_swa;
    /* DeepSeek sparse attention: the indexer cache's rows, rotation and mask,
       and each layer's zeros (zeros_0, then zeros_1 + il - 1) */
    int k_idxs_lid, k_rot_lid, mask_lid, dsa_zeros0, dsa_zeros1;
    int64_t dsa_top_k;  /* min(cells, indexer top-k) */
    int dsa_top_idx;    /* the last full indexer's top-k, read by the layers sharing it */
    uint32_t il;        /* layer being built (n_layer: output) */
    int router;         /* building Granite Switch's router attention: its cache is the
                           layer past the last block (pl->router_kv) */
} gpg_ctx;

/* Layer shape */
uint32_t gpg_layer_n_head_kv(const gp_compute_model *m, uint32_t il);
uint32_t gpg_layer_n_head(const gp_compute_model *m, uint32_t il);
uint32_t gpg_layer_n_ff(const gp_compute_model *m, uint32_t il);
int gpg_layer_swa(const gp_compute_model *m, uint32_t il);
/* per-head K and V sizes of layer il (sliding layers may differ) */
int64_t gpg_layer_head_dim_k(const gp_compute_model *m, uint32_t il);
int64_t gpg_layer_head_dim_v(const gp_compute_model *m, uint32_t il);
/* the widest V row of any layer (n_embd_v_gqa_max) */
int64_t gpg_v_gqa_max(const gp_compute_model *m);
int gpg_layer_rec(const gp_compute_model *m, uint32_t il);
/* a sparse-attention layer on the last full indexer's top-k (GLM-5.2) */
int gpg_layer_idx_shared(const gp_compute_model *m, uint32_t il);
/* the layer has attention (not recurrent, or recurrent beside attention) */
int gpg_layer_attends(const gp_compute_model *m, uint32_t il);
int gpg_any_swa(const gp_compute_model *m);
/* layer il's attention applies rope (not every no_rope_step-th layer, nor
   full-attention layers beside sliding ones with no_rope_full) */
int gpg_layer_rope(const gp_compute_model *m, uint32_t il);
int gpg_any_full(const gp_compute_model *m);
/* the layer whose weights layer il reads: il, or the block an HRM-Text cache
   slot reuses */
uint32_t gpg_weight_layer(const gp_compute_model *m, uint32_t il);

/* Tags: op `id` reads weight `kind` of the current layer (GPG_W_* for the
   model-wide ones); op `id` writes the current layer's cache or state. */
void gpg_weight(gpg_ctx *c, gpg_graph *g, int id, int kind, int opk);
void gpg_writes_cache(gpg_ctx *c, gpg_graph *g, int id);
/* bytes of n elements of a cache type (ggml row size) */
uint64_t gpg_cache_row_bytes(int type, uint64_t n);
/* view of the current layer's K (or V) cache read by attention: outside the
   compute buffer, but copied into another device's buffer when attention
   runs there */
int gpg_kv_view(gpg_ctx *c, gpg_graph *g, uint64_t bytes);
/* bytes held outside the compute buffer on device be (a cache, a weight),
   read by an op: no op of its own, but copied into another device's
   compute buffer when an op there reads it */
int gpg_outside_view(gpg_graph *g, uint64_t bytes, int be);

/* Blocks */
/* the graph inputs, in llama.cpp's order */
void gpg_inputs(gpg_ctx *c, gpg_graph *g);
/* K's rotation size on the sliding (swa != 0) or the global cache */
int64_t gpg_k_rot_n(const gpg_ctx *c, int swa);
/* x * H with H an n x n rotation */
int gpg_hadamard(gpg_graph *g, int x, int rot_leaf, int64_t n);
/* x plus a bias (a weight of the kind given: biases go where their weight is) */
int gpg_add_bias(gpg_ctx *c, gpg_graph *g, int x, int kind);
/* RMS norm times its weight */
int gpg_rms_mul(gpg_ctx *c, gpg_graph *g, int x, int kind);
/* a layer's or the output's norm as the family has it: RMS or LayerNorm,
   with its bias when the model has one */
int gpg_block_norm(gpg_ctx *c, gpg_graph *g, int x, int kind);
/* LayerNorm times its weight (ggml_norm cannot run in place) */
int gpg_layer_norm(gpg_ctx *c, gpg_graph *g, int x, int kind);

/* What sets one family's attention apart from the standard block. */
typedef struct {
    int k_before_v;     /* the cache stores expand K before V (gemma3) */
    int q_scale;        /* Q is scaled after rope (gemma3, phi3) */
    int qk_layer_norm;  /* the per-head Q/K norms are LayerNorms (command-r) */
    int k_norm_plain;   /* K's per-head RMS norm has no weight (Talkie: only Q has a gain) */
    int l2_after_rope;  /* rope layers: Q and K RMS-normed (no weight) after rope (llama4) */
    int temp_no_rope;   /* layers without rope: Q times the attention temperature input */
    int q_gate;         /* Q's projection interleaves a gate per head (qwen3next): twice as
                           wide, Q a strided view of it */
    int *q_full;        /* with q_gate: gets the reshaped [2 head_dim, heads, T] product,
                           whose second halves gate the attention output */
    int no_wo;          /* stop before the output projection */
    int *fetch_state;   /* gather the next recurrent layer's conv state right
                           after the attention output (lfm2) */
    /* builds the mask attention reads, at the point the graph first needs
       it (before flash attention, after KQ without); NULL: the KQ mask */
    int (*mask)(gpg_ctx *c, gpg_graph *g, void *arg);
    void *mask_arg;
} gpg_attn_opts;

/* standard attention on the KV cache of layer il; returns the wo output
   (or the attention output with no_wo) */
int gpg_attn(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, const gpg_attn_opts *o);
/* the same in steps, for graphs that expand something else before the
   output projection: llama.cpp expands the projections, the cache stores
   and the attention itself when the attention is built (gpg_attn_qkv
   returns Q, gpg_attn_core the attention output), while wo (gpg_attn_out,
   after the V rotation of a quantized cache) is reached later, through the
   layer's output */
int gpg_attn_qkv(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, const gpg_attn_opts *o);
int gpg_attn_core(gpg_ctx *c, gpg_graph *g, int q, uint32_t il, const gpg_attn_opts *o);
int gpg_attn_out(gpg_ctx *c, gpg_graph *g, int attn, uint32_t il);
/* gpg_attn_out's two steps: the V rotation of a quantized cache (inside
   llama.cpp's build_attn), and wo (which a family may apply later) */
int gpg_attn_vrot(gpg_ctx *c, gpg_graph *g, int attn, uint32_t il);
int gpg_attn_wo(gpg_ctx *c, gpg_graph *g, int attn);
/* What sets one family's latent attention apart. */
typedef struct {
    int qr;             /* the normed Q down-projection, already built (GPG_NONE: build it) */
    /* builds the mask attention reads, at the point the graph first needs
       it (before flash attention, after KQ without); NULL: the KQ mask */
    int (*mask)(gpg_ctx *c, gpg_graph *g, void *arg);
    void *mask_arg;
    int nope;           /* no rope (Kimi): Q's and K's rope parts enter the concats as they
                           are, Q's views are of the projection itself */
} gpg_mla_opts;

/* MLA attention (deepseek2, absorbed form); returns the wo output; o NULL:
   the defaults */
int gpg_attn_mla(gpg_ctx *c, gpg_graph *g, int x, const gpg_mla_opts *o);
/* the same in steps: the projections and the cache store (what build_attn
   expands; returns Q), then the attention over the cache up to wo (returns
   the heads' output [v_head * heads, T]) */
int gpg_attn_mla_qkv(gpg_ctx *c, gpg_graph *g, int x, const gpg_mla_opts *o);
int gpg_attn_mla_core(gpg_ctx *c, gpg_graph *g, int Q, const gpg_mla_opts *o);

/* dense gated FFN; kind0 is the gate's weight kind, up and down follow it */
int gpg_ffn_dense(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t n_embd, int64_t T, int kind0);
/* dense FFN without a gate: up, an activation in place (silu, gelu, xIELU),
   down */
int gpg_ffn_ungated(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T);
/* up holding gate and up (2 n_ff wide), SwiGLU, down (phi3, glm4) */
int gpg_ffn_fused_up(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T);

/* gated FFN with SiTU instead of SwiGLU (Kimi K3); kind0 as gpg_ffn_dense */
int gpg_ffn_situ(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T, int kind0);

/* FFN without a gate and squared ReLU (Nemotron-H's MLP and shared expert) */
int gpg_ffn_relu2(gpg_ctx *c, gpg_graph *g, int x, int64_t n_ff, int64_t T, int up_kind, int down_kind);

/* What sets one family's routed experts apart. */
typedef struct {
    int softmax_chosen; /* the router's logits pick the experts, a soft-max over
                           the chosen ones weights them (gpt-oss) */
    int relu2;          /* experts without a gate: up, squared ReLU, down (Nemotron-H) */
    int weight_first;   /* the raw logits pick the experts; each token's input is
                           repeated per chosen expert and weighted before the
                           experts run, not after (llama4) */
    int situ;           /* SiTU instead of SwiGLU (Kimi K3) */
    int latent;         /* the experts run on x projected down to n_embd_latent
                           (ffn_routed_down; the router reads x itself); they
                           return that width (Kimi K3) */
    const int *logits;  /* the router's logits, built by the family from another
                           input (SmallThinker: the layer's input, before its
                           norm); NULL: the router reads x */
    int sigmoid_select; /* a sigmoid of the logits picks the experts, the soft-max
                           still weights them (GroveMoE) */
    int clamp_fused;    /* a clamped SwiGLU is one fused op (ggml_swiglu_clamp: a new
                           tensor beside gate and up), not llama.cpp's in-place chain */
    int adjugate;       /* GroveMoE's adjugate experts (n_chexp of n_ff_chexp): a
                           token's routed choice (as many as there are adjugate
                           experts at most) divided down to their groups, through
                           a float cast, a scale and a cast back */
} gpg_moe_opts;

/* The chosen experts of each token and their weights. */
typedef struct { int topk, weights; } gpg_moe_choice;

/* routed experts: router, top-k, gate/up/down through mul_mat_id, weighted
   sum; o NULL: the defaults */
int gpg_ffn_moe(gpg_ctx *c, gpg_graph *g, int x, int64_t T, const gpg_moe_opts *o);
/* the same in llama.cpp's two expansions: the router's choice and weights
   (which ggml reaches first, before the experts' input may be), then the
   experts on x */
void gpg_moe_route(gpg_ctx *c, gpg_graph *g, int x, int64_t T, const gpg_moe_opts *o, gpg_moe_choice *r);
int gpg_moe_experts(gpg_ctx *c, gpg_graph *g, int x, int64_t T, const gpg_moe_opts *o, const gpg_moe_choice *r);
int gpg_ffn_layer_opts(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, int64_t T, const gpg_moe_opts *o);

/* whether layer il routes experts (past the dense lead, every moe_every-th) */
int gpg_layer_moe(const gp_compute_model *m, uint32_t il);
/* one layer's FFN: routed experts (plus shared experts) on MoE layers, else
   the dense FFN; _opts with the family's MoE options */
int gpg_ffn_layer(gpg_ctx *c, gpg_graph *g, int x, uint32_t il, int64_t T);

/* The second half of a pre-norm decoder layer (llama and most others):
   on the last layer the output rows of both, then residual add, FFN norm,
   FFN, residual add. Returns the layer's output. */
int gpg_ffn_residual(gpg_ctx *c, gpg_graph *g, int attn_out, int residual, uint32_t il);

/* The parts every decoder shares: token embeddings (get_rows); the last
   layer's gather of the output rows (of the branch and of the residual; it
   also narrows c->T to the output rows); final norm and logits, the graph's
   outputs. */
int gpg_token_embd(gpg_ctx *c, gpg_graph *g);
void gpg_output_rows(gpg_ctx *c, gpg_graph *g, int *cur, int *residual);
/* layer il's output plus its deepstack slice of the input (qwen3vl) */
int gpg_deepstack(gpg_ctx *c, gpg_graph *g, int x, uint32_t il);
/* one gather of the output rows of x (get_rows with out_ids) */
int gpg_rows(gpg_ctx *c, gpg_graph *g, int x);
void gpg_logits(gpg_ctx *c, gpg_graph *g, int x);
/* the logits of an already normed hidden state (both graph outputs) */
void gpg_head(gpg_ctx *c, gpg_graph *g, int normed);
/* the final norm over the whole ubatch, kept as an output (the hidden state
   a next-token head reads), then the output rows and the head */
void gpg_logits_after_norm(gpg_ctx *c, gpg_graph *g, int x);

/* DeepSeek sparse attention (dsa.c): its inputs in ggml's order; the
   indexer's keys into its cache (before the attention's own projections);
   the mask that unmasks each query's top-k cached tokens (qr: the normed Q
   down-projection, x: the attention input; a gpg_mla_opts mask builder) */
void gpg_inputs_dsa(gpg_ctx *c, gpg_graph *g);
/* the same; rotated 0: the indexer's keys and queries are not rotated (Hy4
   skips the Hadamard matrix: it does not change their dot products) */
void gpg_inputs_dsa_opts(gpg_ctx *c, gpg_graph *g, int rotated);
void gpg_dsa_index_k(gpg_ctx *c, gpg_graph *g, int x);
typedef struct { int qr, x; } gpg_dsa_mask_arg;
int gpg_dsa_mask(gpg_ctx *c, gpg_graph *g, void *arg);

/* recurrent state rows of the current layer gathered by their row indices
   (an unused cell cleared first, the rows beyond the ubatch's sequences
   written back after): returns [row, n_seq] */
int gpg_rs_gather(gpg_ctx *c, gpg_graph *g, int64_t row);

/* Kimi Delta Attention (kda.c): the recurrent layer of kimi-linear and
   kimi-k3 from the normed input x; returns the output projection [E, T].
   In two steps: what the layer expands (the states, the convolutions, the
   fused op and the new state's write-back), then the output, which ggml
   reaches later (gpg_kda_out, from what gpg_kda_in keeps). */
typedef struct { int x, gdn; } gpg_kda_state;
int gpg_kda(gpg_ctx *c, gpg_graph *g, int x);
void gpg_kda_in(gpg_ctx *c, gpg_graph *g, int x, gpg_kda_state *s);
int gpg_kda_out(gpg_ctx *c, gpg_graph *g, const gpg_kda_state *s);
/* gpg_kda_in with the conv state gathered apart (gpg_kda_conv_state), for
   graphs that gather it before their normed input is reached (Ling 3) */
int gpg_kda_conv_state(gpg_ctx *c, gpg_graph *g);
void gpg_kda_in_from(gpg_ctx *c, gpg_graph *g, int x, int conv_state, gpg_kda_state *s);

/* gated delta net (deltanet.c): the recurrent layer of qwen3next and
   qwen35moe from the normed input x; returns the output projection [E, T] */
int gpg_delta_net(gpg_ctx *c, gpg_graph *g, int x);
/* What sets one family's gated delta net apart. */
typedef struct {
    int state_cont;     /* the new conv state is copied out contiguous before its write-back
                           (qwen4exp) */
} gpg_delta_opts;
int gpg_delta_net_opts(gpg_ctx *c, gpg_graph *g, int x, const gpg_delta_opts *o);

/* Mamba-2 (mamba2.c): the state gathers, which ggml reaches before the
   layers ahead of them, then the mixer from the normed input x, then its
   output (which ggml reaches only through the next layer) */
typedef struct { int conv_state, zxbcdt, x, scan; } gpg_mamba2;
void gpg_mamba2_states(gpg_ctx *c, gpg_graph *g, gpg_mamba2 *s);
void gpg_mamba2_mixer(gpg_ctx *c, gpg_graph *g, int x, gpg_mamba2 *s);
int gpg_mamba2_out(gpg_ctx *c, gpg_graph *g, const gpg_mamba2 *s);
/* What both Mamba mixers share (mamba2.c): the causal convolution of x
   [width, tokens] after the gathered conv state, with the new conv state
   written back and the SSM state's unused cell cleared (returns silu of the
   biased convolution); and the scan's new states written back */
int gpg_ssm_conv(gpg_ctx *c, gpg_graph *g, int conv_state, int x, int64_t width);
void gpg_ssm_scan_states(gpg_ctx *c, gpg_graph *g, int scan, int64_t rs);
/* Mamba-1 (mamba1.c), the same three parts; zxbcdt holds x and z */
void gpg_mamba1_states(gpg_ctx *c, gpg_graph *g, gpg_mamba2 *s);
void gpg_mamba1_mixer(gpg_ctx *c, gpg_graph *g, int x, gpg_mamba2 *s);
int gpg_mamba1_out(gpg_ctx *c, gpg_graph *g, const gpg_mamba2 *s);

/* RWKV (rwkv.c), one layer in the order ggml reaches it: the token shift
   and WKV state gathers; the saved token the time mix joins to its input
   (before the layer input itself, which may be the layer before's channel
   mix); the input's norm and sx (the shifted tokens minus the tokens); the
   time mix up to the scan, its state written back. RWKV-6 and RWKV-7 then
   take the scan's output, the residual, the channel mix's LayerNorm and
   write the new token shift back (time_mix_out); the channel mix (the
   layer's output) is reached only through the next layer. The QRWKV-6 and
   ARWKV-7 hybrids write back their one saved token (shift_store) and reach
   the scan's output, the residual and a gated FFN only through the next
   layer (ffn_layer). `last` gathers the output rows first. */
typedef struct {
    int shift, wkv_state;           /* the gathered rows */
    int shift_3d, att_saved;        /* [E, shifts, S], the time mix's saved token */
    int inpL_3d, att_norm, xxx;     /* the input, normed, the fused lerp */
    int r, k, v, scan;              /* RWKV-7's kept heads; the scan */
    int ffn_inp, ffn_norm;
} gpg_rwkv;
void gpg_rwkv_states(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s);
void gpg_rwkv_att_shift(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s);
int gpg_rwkv_att_norm(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int inpL);
void gpg_rwkv6_time_mix(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int sx);
/* v_first: the first layer's value, kept for the later layers' residual mix */
void gpg_rwkv7_time_mix(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int sx, int *v_first);
void gpg_rwkv_time_mix_out(gpg_ctx *c, gpg_graph *g, gpg_rwkv *s, int version);
int gpg_rwkv_channel_mix(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s, int last, int version);
void gpg_rwkv_shift_store(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s);
int gpg_rwkv_ffn_layer(gpg_ctx *c, gpg_graph *g, const gpg_rwkv *s, int last, int version);

/* short convolution (lfm2) */
int gpg_conv_state_fetch(gpg_ctx *c, gpg_graph *g, uint32_t il_state);
int gpg_shortconv_a(gpg_ctx *c, gpg_graph *g, int x, int state, int fetch_next,
                    int *c_gate, int *next_state);
int gpg_shortconv_b(gpg_ctx *c, gpg_graph *g, int cat, int c_gate);

#endif
