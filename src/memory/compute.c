/*
 * compute.c - model of llama.cpp's compute buffer (v0.5.0 graph + ggml-alloc).
 *
 * What llama.cpp measures
 * -----------------------
 * At context creation llama.cpp reserves the worst-case prompt-processing
 * graph once: a ubatch of n_tokens = min(n_ctx, n_ubatch) tokens (rounded up
 * to a multiple of n_seq), split into n_seq sequences of equal length, with
 * n_outputs = min(n_tokens, n_outputs_max) rows of logits, and with the KV
 * cache seen at its full size (n_kv = cells per stream: n_ctx for a unified
 * cache, n_ctx/n_seq otherwise; sliding-window layers use the SWA cache size).
 * The scheduler hands that graph to ggml-alloc, and the compute buffer is the
 * high-water mark of ggml-alloc's placement, not a sum of tensor sizes.
 *
 * How it is predicted
 * -------------------
 * We rebuild that graph node by node, in the order ggml's depth-first
 * expansion puts it (the same ops, shapes, strides, views and in-place
 * candidates as llama.cpp's per-architecture builders), leaving out tensors
 * that live elsewhere (weights, KV cache, recurrent state), then replay the
 * backend scheduler and ggml-alloc over it.
 *
 * Where it lives
 * --------------
 *   graph/ir.c, graph/alloc.c, graph/sched.c   the tensor graph, the
 *       ggml-alloc replay, the scheduler's devices, splits and copies;
 *   graph/inputs.c, attn.c, ffn.c, shortconv.c  the blocks llama.cpp's
 *       llama-graph.cpp shares between architectures;
 *   families/NAME.c                             one layer loop per family,
 *       registered in families/families.c;
 *   this file                                   the public API: the reserve's
 *       sizes, the shape checks, the layer placement.
 *
 * Which tensors make the peak
 * ---------------------------
 * It depends on the configuration, which is why a max-of-phases formula is
 * off: with flash attention off the peak is inside attention (the
 * n_kv x n_tokens x n_head f32 KQ tensor, soft-maxed in place, plus the
 * f32 mask, K/Q/V, the residual stream and the input leaves that stay alive
 * until the last layer). With flash attention on it is usually the FFN
 * (gate, up and the GLU output live together, or the MoE expert
 * intermediates n_ff_exp x n_used x n_tokens plus the n_embd x n_used x
 * n_tokens down-projection), stacked on top of the f16 mask and leaves,
 * sometimes the logits of the last layer (n_vocab x n_outputs). Holes left
 * by freed tensors that are too small for the next big tensor push the peak
 * above the naive sum; all of that falls out of the replay.
 *
 * Details reproduced
 * ------------------
 * - quantized K (head_dim_k % 64 == 0) or V cache: Q/K (and V and the
 *   attention output) are multiplied with a Hadamard rotation matrix, which
 *   adds one extra f32 copy of each and two small rotation inputs;
 * - flash attention off: mask is f32 and the V cache is stored transposed
 *   (V row indices are n_tokens x n_embd_v_gqa i64); on: mask is f16;
 * - the last layer gathers only the output rows (get_rows with out_ids)
 *   after attention, so its FFN runs on n_outputs rows;
 * - MoE: router logits, soft-max/sigmoid, argsort top-k, weight gather,
 *   optional weight normalisation, gate/up/down through mul_mat_id, the
 *   weighting multiply and a chain of n_used adds;
 * - MLA (deepseek2): absorbed q_nope x wk_b, concatenated Q/K, FA output
 *   decompressed with wv_b; with FA off a contiguous copy of V (f16) is
 *   made from the K cache;
 * - lfm2 short-conv layers: in_proj, gating, transposed concat with the
 *   conv state, ssm_conv, out_proj (the small state gathers are included).
 *
 * - ubatch size: n_batch is first clamped to the requested (unpadded)
 *   context, n_ubatch to n_batch; n_outputs = min(n_ubatch, n_outputs_max)
 *   is taken before the token count is rounded up to a multiple of n_seq.
 * - lfm2: the conv state of recurrent layer j is gathered right after the
 *   last explicitly expanded tensor of layer j-1 (after the attention output
 *   or after the state write-back), and in the last layer the residual rows
 *   are gathered before the convolution; these orderings decide which small
 *   tensors sit under the peak.
 *
 * Approximations: the families here reproduce llama.cpp's node order; an
 * architecture mapped onto the closest family gets errors from the
 * intermediate tensors that differ. Device assumptions: see graph/sched.c.
 */
#include "memory/compute.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/families/family.h"
#include "memory/graph/build.h"

/* Bounds of what the replay accepts. They lie far beyond any real model or
   run (and beyond anything llama.cpp could allocate), and keep every stride
   and size the builders compute inside int64_t, every address inside the
   allocator's range and the graph small enough to replay in milliseconds.
   Shapes outside them are refused up front (gp_compute_bytes_split). */
#define GP_MAX_LAYERS        4096u
#define GP_MAX_WIDTH         (1u << 30)   /* any one dimension (embedding, FFN, vocabulary) */
#define GP_MAX_HEADS         (1u << 16)
#define GP_MAX_HEAD_DIM      (1u << 16)
#define GP_MAX_EXPERTS       (1u << 16)
#define GP_MAX_LORA_RANK     (1u << 24)
#define GP_MAX_CONV_L        (1u << 10)
#define GP_MAX_SEQ           256u          /* llama.cpp's LLAMA_MAX_SEQ */
#define GP_MAX_CTX           (1u << 31)
/* Graph tensors per layer, routed-expert views aside (the largest layer,
   MLA or attention + MoE + shared experts with every option, stays well
   below it). */
#define GP_LAYER_TENSORS     128u
#define GP_MAX_GRAPH         (1u << 17)    /* estimated tensors of the built graph */

static int is_quant(int type) {
    return !(type == GP_COMPUTE_TYPE_F32 || type == GP_COMPUTE_TYPE_F16 || type == GP_COMPUTE_TYPE_BF16);
}

/* the Hadamard rotation size of a quantized K cache: the largest power of
   two dividing the head size, from 64 up (0: none) */
static int rot_size_k(uint32_t hd) {
    if (hd == 0 || hd % 64 != 0) return 0;
    uint32_t n = 64;
    do { n *= 2; } while (hd % n == 0);
    return (int)(n / 2);
}

uint32_t gp_compute_kv_cells_full(const gp_compute_run *r) {
    if (!r || r->n_seq == 0) return 0;
    return r->kv_unified ? r->n_ctx : r->n_ctx / r->n_seq;
}

uint32_t gp_compute_kv_cells_swa(const gp_compute_model *m, const gp_compute_run *r) {
    uint32_t base = gp_compute_kv_cells_full(r);
    if (!m || r->swa_full) return base;
    uint64_t want = (uint64_t)m->n_swa * (r->kv_unified ? r->n_seq : 1) + r->n_ubatch;
    uint64_t s = want < base ? want : base;
    s = (s + 255) / 256 * 256;
    return (uint32_t)s;
}

static int placement_ok(const gp_compute_model *m, const gp_compute_placement *pl) {
    if (!pl) return 1;
    if (pl->n_devices < 1 || pl->n_devices > GP_COMPUTE_MAX_DEVICES || !pl->layer) return 0;
    if (pl->out_norm_dev >= pl->n_devices || pl->output_dev >= pl->n_devices) return 0;
    if (pl->output_bytes > GPG_MAX_TENSOR_BYTES) return 0;
    if (pl->router_kv >= pl->n_devices) return 0;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        if (pl->layer[il].kv >= pl->n_devices) return 0;
        for (int k = 0; k < GP_COMPUTE_W_COUNT; k++) {
            if (pl->layer[il].w[k] >= pl->n_devices) return 0;
            if (pl->layer[il].w_bytes[k] > GPG_MAX_TENSOR_BYTES) return 0;
        }
    }
    return 1;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* a * b * c, or UINT64_MAX when it does not fit */
static uint64_t mul3(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_mul_overflow(r, c, &r)) return UINT64_MAX;
    return r;
}

/* The shape checks, done once before anything is built: every field a family
   reads is present and in range, per-layer kinds fit the family (only recurrent
   families have recurrent layers, MLA has no sliding-window cache), heads divide into
   KV heads, the graph stays small and its largest tensor fits the address
   range (the Hadamard rotation, at most head_dim_k squared, is far below it).
   Everything the builders compute is then well defined. */
static int shape_ok(const gpg_ctx *c, const gpg_family *fam) {
    const gp_compute_model *m = c->m;
    if (!fam) return 0;
    if (m->n_layer == 0 || m->n_layer > GP_MAX_LAYERS) return 0;
    if (m->n_embd == 0 || m->n_embd > GP_MAX_WIDTH) return 0;
    if (m->n_vocab == 0 || m->n_vocab > GP_MAX_WIDTH) return 0;
    if (c->n_seq < 1 || c->n_seq > GP_MAX_SEQ || c->n_kv < 1 || c->n_kv > GP_MAX_CTX) return 0;
    if (c->n_kv_swa < 1 || c->n_kv_swa > GP_MAX_CTX || c->T < 1 || c->T > GP_MAX_CTX) return 0;

    /* per-layer kinds and what they need */
    const uint32_t L = m->conv_l_cache ? m->conv_l_cache : 3;
    int n_attn = 0, n_rec = 0, n_moe = 0;
    uint64_t nkv_max = 0, ff_max = 0;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        /* families that tell layers apart by FFN width: a layer with one
           is an MLP (or MoE) layer alone, one without is attention alone;
           DeciLM's by KV heads: a layer without them does not attend, and
           one without an FFN width has none */
        const int ffn_only = (fam->ffn_by_width && gpg_layer_n_ff(m, il) > 0) ||
                             (fam->attn_by_heads && gpg_layer_n_head_kv(m, il) == 0);
        if (gpg_layer_rec(m, il)) {
            if (!fam->recurrent) return 0;
            n_rec = 1;
        }
        if (gpg_layer_attends(m, il) && !ffn_only) {
            if (fam->mla && gpg_layer_swa(m, il)) return 0;
            n_attn = 1;
            if (!fam->mla) {
                const uint32_t nkv = gpg_layer_n_head_kv(m, il);
                if (nkv == 0 || nkv > GP_MAX_HEADS || gpg_layer_n_head(m, il) % nkv != 0) return 0;
                nkv_max = max_u64(nkv_max, nkv);
            }
        }
        if (gpg_layer_moe(m, il)) {
            n_moe = 1;
        } else {
            const uint32_t ff = gpg_layer_n_ff(m, il);
            if (ff == 0 && (fam->ffn_by_width || fam->attn_by_heads)) continue;
            if (ff == 0 || ff > GP_MAX_WIDTH) return 0;
            ff_max = max_u64(ff_max, ff);
        }
    }
    if (n_rec && fam->ssm == 4) {
        /* PLaMo 2: no groups, as llama.cpp asserts; whole heads */
        const uint64_t d = m->ssm_inner, H = m->ssm_dt_rank, ds = m->ssm_state;
        if (d == 0 || d > GP_MAX_WIDTH || H == 0 || H > GP_MAX_HEADS || d % H != 0) return 0;
        if (m->ssm_groups != 0) return 0;
        if (ds == 0 || ds > GP_MAX_HEAD_DIM || m->ssm_conv < 2 || m->ssm_conv > GP_MAX_CONV_L) return 0;
    } else if (n_rec && fam->ssm == 3) {
        /* Mamba-1: no groups; the time-step rank is dt's projection width */
        const uint64_t d = m->ssm_inner, H = m->ssm_dt_rank, ds = m->ssm_state;
        if (d == 0 || d > GP_MAX_WIDTH || H == 0 || H > GP_MAX_WIDTH) return 0;
        if (ds == 0 || ds > GP_MAX_HEAD_DIM || m->ssm_conv < 2 || m->ssm_conv > GP_MAX_CONV_L) return 0;
    } else if (n_rec && fam->ssm) {
        /* the mixers' dimensions divide as llama.cpp asserts them */
        const uint64_t d = m->ssm_inner, G = m->ssm_groups, H = m->ssm_dt_rank, ds = m->ssm_state;
        if (d == 0 || d > GP_MAX_WIDTH || G == 0 || G > GP_MAX_HEADS || H == 0 || H > GP_MAX_HEADS) return 0;
        if (ds == 0 || ds > GP_MAX_HEAD_DIM || m->ssm_conv < 2 || m->ssm_conv > GP_MAX_CONV_L) return 0;
        if (d % H != 0 || (fam->ssm == 1 && d % G != 0)) return 0;
        if (fam->ssm == 2 && (H % G != 0 || d / H != ds)) return 0;
    }
    if (n_rec && fam->rwkv) {
        /* whole heads; the time mix's low ranks present (RWKV-7's value mix
           only where a layer after the first reads it) */
        const uint64_t H = m->wkv_head;
        if (H == 0 || H > GP_MAX_HEAD_DIM || m->n_embd % H != 0) return 0;
        const uint32_t ranks6[2] = { m->rwkv_mix_extra, m->rwkv_decay_extra };
        const uint32_t ranks7[3] = { m->rwkv_lora_decay, m->rwkv_lora_iclr,
                                     m->n_layer > 1 ? m->rwkv_lora_value : 1 };
        const uint32_t *rk = fam->rwkv == 6 ? ranks6 : ranks7;
        for (int i = 0; i < (fam->rwkv == 6 ? 2 : 3); i++)
            if (rk[i] == 0 || rk[i] > GP_MAX_WIDTH) return 0;
        if (m->rwkv_lora_gate > GP_MAX_WIDTH) return 0;
        /* the tokens saved per layer as the family's graph asserts them;
           grouped keys and values divide the heads */
        if (m->rwkv_shifts != (uint32_t)fam->rwkv_shifts) return 0;
        const uint32_t nkv = m->n_head_kv;
        if (nkv > GP_MAX_HEADS || (nkv && (m->n_embd / H) % nkv != 0)) return 0;
    }
    if (n_rec && fam->lightning) {
        /* one head size for keys and values, as llama.cpp asserts */
        if (m->n_head == 0 || m->n_head > GP_MAX_HEADS) return 0;
        if (m->head_dim_k == 0 || m->head_dim_k > GP_MAX_HEAD_DIM || m->head_dim_v != m->head_dim_k) return 0;
    }
    if (n_rec && fam->kda) {
        /* whole heads of kda.head_dim on Q, K, V and the state; each
           convolution keeps a window of at least one token */
        const uint64_t d = m->kda_head;
        if (d == 0 || d > GP_MAX_HEAD_DIM || m->n_head == 0 || m->n_head > GP_MAX_HEADS) return 0;
        if (m->ssm_conv < 2 || m->ssm_conv > GP_MAX_CONV_L) return 0;
    }
    if (fam->hc) {
        /* qwen4exp: copies of the residual mixed through a low rank; the
           indexer on every sparse layer; the n-gram heads as wide as the
           embedding, on a recurrent layer, as llama.cpp asserts them; every
           layer routes experts */
        if (m->hc_count < 2 || m->hc_count > GP_MAX_HEADS) return 0;
        if (m->hc_low_rank == 0 || m->hc_low_rank > GP_MAX_WIDTH) return 0;
        if (m->head_dim_k != m->head_dim_v) return 0;
        /* the views the graph takes one by one: the output mixer's copies,
           each sparse layer's block members and indexer heads */
        uint64_t views = m->hc_count;
        for (uint32_t il = 0; il < m->n_layer; il++) {
            const uint32_t r = m->layer_compress ? m->layer_compress[il] : 0;
            if (!gpg_layer_moe(m, il)) return 0;
            if (!r || gpg_layer_rec(m, il)) continue;
            if (r > GP_MAX_CONV_L || m->idx_top_k == 0 || m->idx_top_k > GP_MAX_CTX) return 0;
            if (m->idx_n_head == 0 || m->idx_n_head > GP_MAX_HEADS) return 0;
            if (m->idx_head_dim == 0 || m->idx_head_dim > GP_MAX_HEAD_DIM) return 0;
            views += (uint64_t)r + m->idx_n_head;
        }
        if (views > GP_MAX_GRAPH) return 0;
        if (m->ple_n_heads) {
            if (m->ple_layer >= m->n_layer || !gpg_layer_rec(m, m->ple_layer)) return 0;
            if ((uint64_t)m->ple_n_heads * m->ple_head_dim != m->n_embd) return 0;
            if (m->ple_ngram < 2 || m->ple_ngram > 8) return 0;
            if (m->ple_conv_kernel < 1 || m->ple_conv_kernel > GP_MAX_CONV_L) return 0;
        }
    }
    if (m->family == GP_COMPUTE_FAMILY_GRANITESWITCH) {
        /* fused QKV, one head size, the adapter counts llama.cpp accepts */
        if (!m->fused_qkv || m->head_dim_k != m->head_dim_v) return 0;
        if (m->adapter_slots < 1 || m->adapter_slots > 4097) return 0;
        if (m->adapter_rank == 0 || m->adapter_rank > 4096) return 0;
    }
    if (m->family == GP_COMPUTE_FAMILY_HRM_TEXT) {
        /* the cache slots are the passes over the two stacks, as llama.cpp asserts */
        if (m->hrm_lps == 0 || m->hrm_h == 0 || m->hrm_l == 0) return 0;
        if (mul3(m->hrm_lps, m->hrm_h, (uint64_t)m->hrm_l + 1) != m->n_layer) return 0;
    }
    if (fam->dsv4 && n_attn) {
        /* DeepSeek-V4 as llama.cpp asserts it: copies of the residual, a Q
           down-projection, whole groups of heads in the output projection,
           ratios of 0, 4 and 128 (an indexer on the 4:1 layers) */
        if (m->hc_count < 2 || m->hc_count > GP_MAX_HEADS) return 0;
        if (m->q_lora_rank == 0 || m->q_lora_rank > GP_MAX_LORA_RANK) return 0;
        if (m->dsv4_o_groups == 0 || m->n_head % m->dsv4_o_groups != 0) return 0;
        if (m->dsv4_o_lora == 0 || m->dsv4_o_lora > GP_MAX_WIDTH) return 0;
        for (uint32_t il = 0; il < m->n_layer; il++) {
            const uint32_t r = m->layer_compress ? m->layer_compress[il] : 0;
            if (r != 0 && r != 4 && r != 128) return 0;
            if (r == 4 && (m->idx_n_head == 0 || m->idx_n_head > GP_MAX_HEADS || m->idx_head_dim == 0 ||
                           m->idx_head_dim > GP_MAX_HEAD_DIM || m->idx_top_k == 0)) return 0;
        }
    }
    if (fam->msa && n_attn) {
        /* MiniMax sparse attention as llama.cpp asserts it: one indexer head
           per KV head, whole groups of query heads, one head size; blocks of
           positions (their floor of 256 padded to whole blocks) */
        if (m->n_head_kv == 0 || m->n_head_kv > GP_MAX_HEADS || m->idx_n_head != m->n_head_kv) return 0;
        if (m->n_head % m->n_head_kv != 0 || m->head_dim_k != m->head_dim_v) return 0;
        if (m->idx_head_dim == 0 || m->idx_head_dim > GP_MAX_HEAD_DIM || m->idx_top_k == 0) return 0;
        if (m->idx_block == 0 || m->idx_block > GP_MAX_CTX) return 0;
        for (uint32_t il = 0; il < m->n_layer; il++)
            if (gpg_layer_n_head(m, il) != m->n_head || gpg_layer_n_head_kv(m, il) != m->n_head_kv) return 0;
    }
    if (m->n_embd_latent > GP_MAX_WIDTH) return 0;
    if (n_rec && (L < 2 || L > GP_MAX_CONV_L)) return 0;
    if (m->n_deepstack > m->n_layer) return 0;
    if (n_attn) {
        if (m->n_head == 0 || m->n_head > GP_MAX_HEADS) return 0;
        if (fam->mla) {
            if (m->kv_lora_rank == 0 || m->kv_lora_rank > GP_MAX_LORA_RANK) return 0;
            if (m->q_lora_rank > GP_MAX_LORA_RANK) return 0;
            if (m->qk_nope == 0 || m->qk_nope > GP_MAX_HEAD_DIM) return 0;
            if (m->qk_rope == 0 || m->qk_rope > GP_MAX_HEAD_DIM) return 0;
            if (m->v_head_dim == 0 || m->v_head_dim > GP_MAX_HEAD_DIM) return 0;
            if (c->dsa) {
                /* the indexer reads the Q down-projection */
                if (m->q_lora_rank == 0) return 0;
                if (m->idx_n_head == 0 || m->idx_n_head > GP_MAX_HEADS) return 0;
                if (m->idx_head_dim == 0 || m->idx_head_dim > GP_MAX_HEAD_DIM) return 0;
                if (m->idx_top_k == 0) return 0;
                /* a layer sharing an indexer needs one before it */
                if (gpg_layer_idx_shared(m, 0)) return 0;
            }
        } else {
            if (m->head_dim_k == 0 || m->head_dim_k > GP_MAX_HEAD_DIM) return 0;
            if (m->head_dim_v == 0 || m->head_dim_v > GP_MAX_HEAD_DIM) return 0;
            if (m->n_head_kv > GP_MAX_HEADS) return 0;
            if (m->head_dim_k_swa > GP_MAX_HEAD_DIM || m->head_dim_v_swa > GP_MAX_HEAD_DIM) return 0;
        }
    }
    if (n_moe) {
        if (m->n_expert > GP_MAX_EXPERTS) return 0;
        if (m->n_expert_used == 0 || m->n_expert_used > m->n_expert) return 0;
        if (m->n_ff_exp == 0 || m->n_ff_exp > GP_MAX_WIDTH) return 0;
        if (m->n_ff_shexp > GP_MAX_WIDTH) return 0;
        if (m->n_chexp > m->n_expert || m->n_ff_chexp > GP_MAX_WIDTH) return 0;
        if (m->family == GP_COMPUTE_FAMILY_GROVEMOE && (m->n_chexp == 0 || m->n_ff_chexp == 0)) return 0;
        /* groups as llama.cpp asserts them: dividing the experts, each
           group's two best scoring it, at least as many experts in the kept
           groups as are used */
        if (m->expert_groups > 1) {
            if (m->n_expert % m->expert_groups != 0 || m->n_expert / m->expert_groups < 2) return 0;
            if (m->expert_groups_used == 0 || m->expert_groups_used > m->expert_groups) return 0;
            if ((uint64_t)m->expert_groups_used * (m->n_expert / m->expert_groups) < m->n_expert_used) return 0;
        }
    }

    /* graph size: tensors per layer plus one view and one add per used expert */
    const uint64_t per_layer = GP_LAYER_TENSORS + (n_moe ? 2ull * m->n_expert_used : 0) * (m->n_chexp ? 2 : 1);
    if ((uint64_t)m->n_layer * per_layer > GP_MAX_GRAPH) return 0;

    /* The widest row of any tensor (every factor is below 2^31 by now, so
       each product of two fits), times the most rows, in the widest type. */
    const uint64_t nd = m->n_embd, nh = m->n_head, T = (uint64_t)c->T, n_kv = (uint64_t)c->n_kv;
    uint64_t w = max_u64(3 * nd, m->n_vocab);
    w = max_u64(w, nd * (1 + (uint64_t)m->n_deepstack));
    if (n_rec && fam->ssm) {
        const uint64_t d = m->ssm_inner, G = m->ssm_groups, H = m->ssm_dt_rank, ds = m->ssm_state;
        w = max_u64(w, 2 * d + 2 * G * ds + H);                       /* input projection */
        w = max_u64(w, d * ds);                                        /* state rows */
        if (fam->ssm == 4) w = max_u64(w, 64 + 2 * ds);                 /* dt, B and C */
    }
    w = max_u64(w, ff_max);
    if (n_rec && fam->rwkv) {
        w = max_u64(w, nd * m->wkv_head);                                 /* state rows, the scan */
        w = max_u64(w, 6 * nd);                                            /* the fused lerps */
        w = max_u64(w, 5 * (uint64_t)m->rwkv_mix_extra);
        w = max_u64(w, max_u64(m->rwkv_decay_extra, m->rwkv_lora_decay));
        w = max_u64(w, max_u64(m->rwkv_lora_iclr, max_u64(m->rwkv_lora_value, m->rwkv_lora_gate)));
    }
    if (n_rec && fam->lightning) {
        const uint64_t hd = m->head_dim_k;
        w = max_u64(w, hd * hd * nh);                                  /* the states */
        w = max_u64(w, 3 * hd * nh);                                   /* Q, K and V */
        w = max_u64(w, T * nh);                                        /* decay by distance */
    }
    if (n_rec && fam->kda) {
        const uint64_t di = (uint64_t)m->kda_head * nh;
        w = max_u64(w, 3 * (uint64_t)(m->ssm_conv - 1) * di);           /* conv state rows */
        w = max_u64(w, di * m->kda_head);                               /* state rows, the fused op */
    }
    w = max_u64(w, n_kv);
    uint64_t cache_row = 0;   /* elements of one cache row */
    if (m->attn_res_block)   /* the banked residuals: one row per layer at most */
        w = max_u64(w, nd * ((m->n_layer + m->attn_res_block - 1) / m->attn_res_block + 1));
    if (n_moe) {
        w = max_u64(w, nd * m->n_expert_used);
        w = max_u64(w, (uint64_t)m->n_embd_latent * m->n_expert_used);
        w = max_u64(w, m->n_expert);
        w = max_u64(w, m->n_ff_shexp);
        w = max_u64(w, (uint64_t)m->n_ff_exp * m->n_expert_used);
        w = max_u64(w, (uint64_t)m->n_ff_chexp * m->n_expert_used);
        w = max_u64(w, nd * m->n_expert_used);
    }
    if (n_attn) {
        w = max_u64(w, n_kv * nh);                                    /* KQ */
        if (fam->mla) {
            const uint64_t kvr = m->kv_lora_rank, rope = m->qk_rope;
            w = max_u64(w, m->q_lora_rank);
            w = max_u64(w, ((uint64_t)m->qk_nope + rope) * nh);
            w = max_u64(w, (kvr + rope) * nh);
            w = max_u64(w, (uint64_t)m->v_head_dim * nh);
            w = max_u64(w, (uint64_t)m->idx_n_head * m->idx_head_dim);   /* indexer Q */
            cache_row = kvr + rope;
        } else {
            const uint64_t hk = m->head_dim_k, hv = m->head_dim_v;
            w = max_u64(w, max_u64(hk, hv) * max_u64(nh, nkv_max));
            w = max_u64(w, hv * m->n_head_kv);                        /* V row indices */
            cache_row = max_u64(hk, hv) * nkv_max;
        }
    }
    uint64_t rows = T;
    if (n_rec) {
        w = max_u64(w, (uint64_t)(L - 1) * nd);
        rows += (uint64_t)(L - 1) * (uint64_t)c->n_seq;               /* conv concat */
    }
    if (n_rec && fam->kda)   /* the conv concats; the fused op's state rows */
        rows += max_u64(m->ssm_conv - 1, m->kda_head) * (uint64_t)c->n_seq;
    if (fam->hc) {
        /* the residual's copies and their gates; the indexer's scores (a row
           of blocks per head and token); the n-gram convolution's history */
        w = max_u64(w, (uint64_t)m->hc_count * nd);
        w = max_u64(w, n_kv * max_u64(m->idx_n_head, 1));
        rows += (uint64_t)(m->ple_conv_kernel ? m->ple_conv_kernel - 1 : 0) * m->ple_ngram * (uint64_t)c->n_seq;
    }
    if (mul3(w, rows, 8) > GPG_MAX_TENSOR_BYTES) return 0;
    /* the cache itself, as read by attention (f32 is the widest type) */
    if (mul3(n_kv * (uint64_t)c->n_stream, cache_row, 4) > GPG_MAX_TENSOR_BYTES) return 0;
    return 1;
}

int gp_compute_bytes_split(const gp_compute_model *m, const gp_compute_run *r,
                           const gp_compute_placement *pl, uint64_t *out) {
    if (!out) return -1;
    const uint32_t nd = pl ? pl->n_devices : 1;
    if (nd >= 1 && nd <= GP_COMPUTE_MAX_DEVICES) memset(out, 0, nd * sizeof(uint64_t));
    if (!m || !r || m->n_layer == 0 || m->n_layer > GP_MAX_LAYERS || r->n_seq == 0 ||
        r->n_seq > GP_MAX_SEQ || r->n_ctx == 0 || r->n_ctx > GP_MAX_CTX) return -1;
    if (!placement_ok(m, pl)) return -1;
    gpg_ctx c;
    memset(&c, 0, sizeof(c));
    c.m = m;
    c.r = r;
    c.pl = pl;
    /* n_batch is clamped to the requested (unpadded) context, n_ubatch to n_batch */
    uint32_t ctx_req = r->n_ctx_req ? r->n_ctx_req : r->n_ctx;
    uint32_t nb = r->n_batch ? r->n_batch : 2048;
    if (nb > ctx_req) nb = ctx_req;
    uint32_t ub = r->n_ubatch ? r->n_ubatch : 512;
    if (ub > nb) ub = nb;
    int64_t T0 = ub < r->n_ctx ? ub : r->n_ctx;
    int64_t ns = r->n_seq;
    int64_t T = T0;
    if (T % ns) T = (T + ns - 1) / ns * ns;    /* ubatch of n_seq equal sequences */
    uint32_t omax = r->n_outputs_max ? r->n_outputs_max : nb;
    c.T = T;
    c.n_out = T0 < (int64_t)omax ? T0 : (int64_t)omax;
    if (c.n_out < 1) c.n_out = 1;
    if (m->logits_all_rows) c.n_out = T;   /* gathering them all: the bound's copies */
    c.n_seq = ns;
    c.n_stream = r->kv_unified ? 1 : ns;
    c.n_kv = gp_compute_kv_cells_full(r);
    c.n_kv_swa = gp_compute_kv_cells_swa(m, r);
    c.fa = r->flash_attn != 0;
    const gpg_family *fam = gpg_family_get(m->family);
    /* 2: an indexer only where the model has one (a top-k) */
    c.dsa = fam && (fam->dsa == 1 || (fam->dsa && m->idx_top_k));
    if (!shape_ok(&c, fam)) return -1;
    c.mla = fam->mla;
    c.conv_state = fam->recurrent;
    c.attn_temp = fam->attn_temp && gpg_any_swa(m) && m->no_rope_step;
    if (!fam->mla) {
        c.k_rot = is_quant(r->type_k) ? rot_size_k(m->head_dim_k) : 0;
        c.v_rot = (is_quant(r->type_v) && m->head_dim_v % 64 == 0) ? 64 : 0;
        /* each cache sizes K's rotation by its own head size */
        c.k_rot_swa_n = c.k_rot && m->head_dim_k_swa ? rot_size_k(m->head_dim_k_swa) : c.k_rot;
    }

    gpg_graph g;
    memset(&g, 0, sizeof(g));
    int rc = -1;
    if (fam->inputs) fam->inputs(&c, &g);
    else gpg_inputs(&c, &g);
    if (fam->build(&c, &g) == 0) rc = gpg_schedule_and_replay(&g, pl, m->n_layer, out);
    gpg_free(&g);
    if (rc != 0) memset(out, 0, nd * sizeof(uint64_t));
    return rc;
}

int gp_compute_family_recurrent(gp_compute_family family) {
    const gpg_family *f = gpg_family_get(family);
    return f && f->recurrent;
}

uint64_t gp_compute_bytes(const gp_compute_model *m, const gp_compute_run *r) {
    uint64_t out[1] = { 0 };
    if (gp_compute_bytes_split(m, r, NULL, out) != 0) return 0;
    return out[0];
}

int gp_compute_place_layers(const gp_compute_model *m, uint32_t n_gpus, int32_t n_gpu_layers,
                            const float *ts, gp_compute_placement *pl,
                            gp_compute_layer_place *layers) {
    if (!m || !pl || !layers || m->n_layer == 0 || m->n_layer > GP_MAX_LAYERS ||
        n_gpus >= GP_COMPUTE_MAX_DEVICES) return -1;
    memset(pl, 0, sizeof(*pl));
    memset(layers, 0, m->n_layer * sizeof(*layers));
    pl->n_devices = n_gpus + 1;
    pl->layer = layers;
    const int n_layer_all = (int)m->n_layer;
    int ngl = n_gpu_layers < 0 ? n_layer_all + 1 : n_gpu_layers;
    /* cumulative normalized split points (float, like llama.cpp) */
    float splits[GP_COMPUTE_MAX_DEVICES];
    int all_zero = 1;
    for (uint32_t i = 0; i < n_gpus; i++) if (ts && ts[i] != 0.0f) all_zero = 0;
    float sum = 0.0f;
    for (uint32_t i = 0; i < n_gpus; i++) {
        sum += all_zero ? 1.0f : ts[i];
        splits[i] = sum;
    }
    for (uint32_t i = 0; i < n_gpus; i++) splits[i] /= sum;
    const int i_gpu_start = n_layer_all + 1 - ngl > 0 ? n_layer_all + 1 - ngl : 0;
    const int act = n_gpus == 0 ? 0 : (ngl < n_layer_all + 1 ? ngl : n_layer_all + 1);
    for (int il = 0; il <= n_layer_all; il++) {
        int dev = 0;
        if (!(il < i_gpu_start || il - i_gpu_start >= act)) {
            float v = (float)(il - i_gpu_start) / (float)act;
            uint32_t gi = 0;
            while (gi < n_gpus && !(v < splits[gi])) gi++;   /* upper_bound */
            if (gi >= n_gpus) gi = n_gpus - 1;
            dev = (int)gi + 1;
        }
        if (il < n_layer_all) {
            for (int k = 0; k < GP_COMPUTE_W_COUNT; k++) layers[il].w[k] = (uint8_t)dev;
            layers[il].kv = (uint8_t)dev;
            pl->router_kv = (uint8_t)dev;   /* a router layer follows the last block */
        } else {
            pl->output_dev = (uint8_t)dev;
            pl->out_norm_dev = (uint8_t)dev;
        }
    }
    pl->pipeline_parallel = n_gpus > 1 && ngl > n_layer_all;
    return 0;
}

static const char *const wkind_names[] = {
    "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm", "attn_k_norm",
    "post_attention_norm", "attn_q_a", "attn_q_a_norm", "attn_q_b", "attn_kv_a_mqa",
    "attn_kv_a_norm", "attn_k_b", "attn_v_b", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down",
    "post_ffw_norm", "ffn_gate_inp", "exp_probs_b", "ffn_gate_exps", "ffn_up_exps",
    "ffn_down_exps", "ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp",
    "shortconv.in_proj", "shortconv.conv", "shortconv.out_proj", "attn_qkv", "attn_sinks",
    "indexer.attn_k", "indexer.k_norm", "indexer.attn_q_b", "indexer.proj",
    "attn_gate", "ssm_conv1d", "ssm_ba", "ssm_alpha", "ssm_beta", "ssm_dt", "ssm_a", "ssm_norm", "ssm_out",
    "ffn_gate_inp_shexp", "ssm_in", "ssm_d", "ssm_x",
    "token_embd_norm", "attn_norm_2", "time_mix_w1", "time_mix_w2", "time_mix_lerp_x",
    "time_mix_lerp_fused", "time_mix_first", "time_mix_decay", "time_mix_decay_w1", "time_mix_decay_w2",
    "time_mix_key", "time_mix_value", "time_mix_receptance", "time_mix_gate", "time_mix_ln",
    "time_mix_output", "time_mix_w0", "time_mix_a0", "time_mix_a1", "time_mix_a2", "time_mix_v0",
    "time_mix_v1", "time_mix_v2", "time_mix_g1", "time_mix_g2", "time_mix_k_k", "time_mix_k_a",
    "time_mix_r_k", "channel_mix_lerp_k", "channel_mix_lerp_r", "channel_mix_key", "channel_mix_value",
    "channel_mix_receptance",
    "ssm_dt_norm", "ssm_b_norm", "ssm_c_norm",
    "ssm_conv1d_q", "ssm_conv1d_k", "ssm_conv1d_v", "ssm_f_a", "ssm_f_b", "ssm_g_a", "ssm_g_b",
    "ssm_g", "attn_res_score", "ffn_res_score", "ffn_routed_down", "ffn_routed_up", "ffn_routed_norm",
    /* qwen4exp */
    "hc_attn_norm", "hc_attn_down", "hc_attn_up", "hc_attn_inject", "hc_ffn_norm", "hc_ffn_down",
    "hc_ffn_up", "hc_ffn_inject", "indexer.q_proj", "indexer.k_proj", "indexer.q_norm",
    "ple_key", "ple_value", "ple_norm_key", "ple_norm_query", "ple_norm_conv", "ple_conv1d",
    "ffn_gate_chexps", "ffn_up_chexps", "ffn_down_chexps", "attn_sub_norm", "ffn_sub_norm",
    "layer_output_scale",
    "attn_q.lora_a", "attn_q.lora_b", "attn_k.lora_a", "attn_k.lora_b", "attn_v.lora_a", "attn_v.lora_b",
    "attn_output.lora_a", "attn_output.lora_b", "ffn_gate.lora_a", "ffn_gate.lora_b",
    "ffn_up.lora_a", "ffn_up.lora_b", "ffn_down.lora_a", "ffn_down.lora_b",
    /* deepseek4 */
    "hc_attn_fn", "hc_ffn_fn", "attn_kv", "attn_output_a", "attn_output_b", "attn_compressor_kv",
    "indexer_compressor_kv"
};

_Static_assert(sizeof wkind_names / sizeof wkind_names[0] == GP_COMPUTE_W_COUNT,
               "one name per weight kind, in the enum's order");

/* wkind_names' indexes in name order, for a binary search */
static int wkind_order[GP_COMPUTE_W_COUNT];
static pthread_once_t wkind_once = PTHREAD_ONCE_INIT;

static int by_wkind_name(const void *a, const void *b)
{
    return strcmp(wkind_names[*(const int *)a], wkind_names[*(const int *)b]);
}

static void wkind_sort(void)
{
    for (int k = 0; k < GP_COMPUTE_W_COUNT; k++)
        wkind_order[k] = k;
    qsort(wkind_order, GP_COMPUTE_W_COUNT, sizeof wkind_order[0], by_wkind_name);
}

/* The kind named exactly p[0..n), or -1. */
static int wkind_find(const char *p, size_t n)
{
    size_t lo = 0, hi = GP_COMPUTE_W_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *name = wkind_names[wkind_order[mid]];
        int c = strncmp(p, name, n);
        if (c == 0)
            c = name[n] ? -1 : 0;   /* p's prefix is shorter than name */
        if (c == 0)
            return wkind_order[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

int gp_compute_weight_kind(const char *name, uint32_t *layer) {
    if (!name || strncmp(name, "blk.", 4) != 0) return -1;
    /* fused gate and up experts: on the gate's device */
    const char *gu = strstr(name, ".ffn_gate_up_exps");
    if (gu && (gu[17] == '.' || gu[17] == '\0')) {
        int k = gp_compute_weight_kind("blk.0.ffn_gate_exps", NULL);
        if (layer && sscanf(name + 4, "%u", layer) != 1) return -1;
        return k;
    }
    const char *p = name + 4;
    uint32_t il = 0;
    if (*p < '0' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9') {
        if (il > (UINT32_MAX - 9) / 10) return -1;   /* no such layer */
        il = il * 10 + (uint32_t)(*p - '0');
        p++;
    }
    if (*p != '.') return -1;
    p++;
    /* the longest name that matches: an adapter (attn_q.lora_a) is not its
       projection's weight (attn_q); names end where the tensor's does or at
       a dot, so each such prefix is looked up, the longest first */
    pthread_once(&wkind_once, wkind_sort);
    size_t ends[16], n_ends = 0;
    for (size_t i = 0;; i++) {
        if ((p[i] == '.' || p[i] == '\0') && n_ends < sizeof ends / sizeof ends[0])
            ends[n_ends++] = i;
        if (p[i] == '\0')
            break;
    }
    int best = -1;
    while (n_ends > 0 && best < 0)
        best = wkind_find(p, ends[--n_ends]);
    if (best >= 0 && layer) *layer = il;
    return best;
}
