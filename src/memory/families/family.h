/*
 * family.h - one graph builder per family, as llama.cpp has one per
 * architecture (src/models/NAME.cpp): its layer loop, and what its shape
 * needs. Adding a family is one file here and one row in families.c; the
 * architectures it serves name it in src/model/arch.c.
 *
 * Owns: the families' layer loops. Calls memory/graph/ only.
 */
#ifndef GP_FAMILIES_FAMILY_H
#define GP_FAMILIES_FAMILY_H

#include <stdbool.h>

#include "memory/compute.h"
#include "memory/graph/build.h"

typedef struct gpg_family {
    gp_compute_family id;
    const char *name;
    int mla;        /* attention is MLA: MLA dimensions required, no sliding window */
    int recurrent;  /* has recurrent layers (their state rows come as an input) */
    int attn_temp;  /* layers without rope read an attention temperature input */
    int dsa;        /* DeepSeek sparse attention (an indexer with a cache of its own); 2: only
                       where the model has an indexer (a top-k), else plain latent attention */
    int ssm;        /* recurrent layers are Mamba-2 (1), gated delta nets (2), Mamba-1 (3) or
                       PLaMo 2's mixers (4): ssm.* dims needed */
    int rwkv;       /* RWKV's version (6, 7): wkv.* and the time mix's ranks needed */
    int rwkv_shifts;/* the tokens saved per layer (2: time and channel mix; 1: the
                       hybrids' time mix, beside a gated FFN) */
    int ffn_by_width; /* a layer has an FFN only where its feed_forward_length is set */
    int attn_by_heads;/* a layer attends only where it has KV heads (DeciLM: a layer without
                         them has no attention, or one projection in its place) */
    int lightning;  /* recurrent layers are lightning attention: a head_dim x head_dim state per head */
    int kda;        /* recurrent layers are Kimi Delta Attention: kda.head_dim needed */
    int hc;         /* hyper-connections, indexed sparse attention and the hashed n-gram
                       embedding (qwen4exp): their dimensions needed */
    int msa;        /* MiniMax sparse attention: an indexer head per KV head, its block size */
    int dsv4;       /* DeepSeek-V4: hyper-connections, the Q down-projection, the grouped output,
                       the compress ratios and the indexer */
    /* the graph inputs, where the family creates them itself (where ggml
       first reaches each); NULL: gpg_inputs */
    void (*inputs)(gpg_ctx *c, gpg_graph *g);
    /* builds the reserve's graph after the inputs; returns 0 or -1 */
    int (*build)(gpg_ctx *c, gpg_graph *g);
} gpg_family;

/* NULL for an id no family builds */
const gpg_family *gpg_family_get(gp_compute_family id);

int gpg_build_llama(gpg_ctx *c, gpg_graph *g);
int gpg_build_gemma3(gpg_ctx *c, gpg_graph *g);
int gpg_build_gemma4(gpg_ctx *c, gpg_graph *g);
int gpg_build_gemma3n(gpg_ctx *c, gpg_graph *g);
int gpg_build_deepseek2(gpg_ctx *c, gpg_graph *g);
int gpg_build_lfm2(gpg_ctx *c, gpg_graph *g);
int gpg_build_phi3(gpg_ctx *c, gpg_graph *g);
int gpg_build_gpt_oss(gpg_ctx *c, gpg_graph *g);
int gpg_build_postnorm(gpg_ctx *c, gpg_graph *g);
int gpg_build_cohere(gpg_ctx *c, gpg_graph *g);
int gpg_build_parallel(gpg_ctx *c, gpg_graph *g);
int gpg_build_mamba1(gpg_ctx *c, gpg_graph *g);
int gpg_build_jamba(gpg_ctx *c, gpg_graph *g);
int gpg_build_llama4(gpg_ctx *c, gpg_graph *g);
int gpg_build_deepseek32(gpg_ctx *c, gpg_graph *g);
int gpg_build_qwen3next(gpg_ctx *c, gpg_graph *g);
int gpg_build_mamba2(gpg_ctx *c, gpg_graph *g);
int gpg_build_granitehybrid(gpg_ctx *c, gpg_graph *g);
int gpg_build_falcon_h1(gpg_ctx *c, gpg_graph *g);
int gpg_build_rwkv6(gpg_ctx *c, gpg_graph *g);
int gpg_build_rwkv7(gpg_ctx *c, gpg_graph *g);
int gpg_build_rwkv6qwen2(gpg_ctx *c, gpg_graph *g);
int gpg_build_arwkv7(gpg_ctx *c, gpg_graph *g);
int gpg_build_plamo2(gpg_ctx *c, gpg_graph *g);
int gpg_build_minimax01(gpg_ctx *c, gpg_graph *g);
int gpg_build_kimi_linear(gpg_ctx *c, gpg_graph *g);
int gpg_build_kimi_k3(gpg_ctx *c, gpg_graph *g);
int gpg_build_bailingmoe3(gpg_ctx *c, gpg_graph *g);
int gpg_build_qwen4exp(gpg_ctx *c, gpg_graph *g);
int gpg_build_smallthinker(gpg_ctx *c, gpg_graph *g);
int gpg_build_grovemoe(gpg_ctx *c, gpg_graph *g);
int gpg_build_bitnet(gpg_ctx *c, gpg_graph *g);
int gpg_build_muse_glimmer(gpg_ctx *c, gpg_graph *g);
int gpg_build_cohere2moe(gpg_ctx *c, gpg_graph *g);
int gpg_build_afmoe(gpg_ctx *c, gpg_graph *g);
/* Trinity's and Muse Glimmer's layer loop: norms around attention and the
 * FFN, a sigmoid gate on the attention output; embd_rms_norm: the token
 * embeddings RMS-normed first (Muse Glimmer) */
int gpg_build_gated_postnorm(gpg_ctx *c, gpg_graph *g, bool embd_rms_norm);
int gpg_build_step35(gpg_ctx *c, gpg_graph *g);
int gpg_build_deci(gpg_ctx *c, gpg_graph *g);
int gpg_build_laguna(gpg_ctx *c, gpg_graph *g);
int gpg_build_talkie(gpg_ctx *c, gpg_graph *g);
int gpg_build_hy_v3(gpg_ctx *c, gpg_graph *g);
int gpg_build_graniteswitch(gpg_ctx *c, gpg_graph *g);
void gpg_inputs_graniteswitch(gpg_ctx *c, gpg_graph *g);
int gpg_build_hrm_text(gpg_ctx *c, gpg_graph *g);
int gpg_build_hy_v4(gpg_ctx *c, gpg_graph *g);
void gpg_inputs_hy_v4(gpg_ctx *c, gpg_graph *g);
int gpg_build_minimax_m3(gpg_ctx *c, gpg_graph *g);
int gpg_build_deepseek4(gpg_ctx *c, gpg_graph *g);
void gpg_inputs_deepseek4(gpg_ctx *c, gpg_graph *g);
void gpg_inputs_qwen4exp(gpg_ctx *c, gpg_graph *g);

/* One hybrid layer's mixer on its input (normed here): Mamba-2 (or, without
   groups, Mamba-1) on recurrent layers, their state gathers moved back to *mark (ggml reaches them before
   anything of the layers ahead); attention elsewhere. *mark moves past what
   the layer expands; the returned output is reached only later. */
int gpg_hybrid_mixer(gpg_ctx *c, gpg_graph *g, int inpL, uint32_t il, int *mark);

/* Gemma 4's attention, shared with Gemma 3n: Q, K and V with their cache
   stores (Q only on a layer reading an earlier layer's cache), then
   attention over that cache. */
int gpg_gemma4_attn_qkv(gpg_ctx *c, gpg_graph *g, int x, uint32_t il);
int gpg_gemma4_attn_core(gpg_ctx *c, gpg_graph *g, int q, uint32_t il);

#endif
