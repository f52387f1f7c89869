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
 * that live elsewhere (weights, KV cache, recurrent state). Then we replay the
 * allocator:
 *   - graph inputs (token ids, embeddings input, positions, KV row indices,
 *     the KQ mask, output row ids, Hadamard rotation matrices) are allocated
 *     first, in leaf order;
 *   - nodes are visited in order; a node is placed in its parent's memory
 *     when the op may run in place (add, mul, div, scale, rms_norm, rope,
 *     soft_max, unary, clamp, ...), the parent has the same type/shape/
 *     strides, has no other pending consumer and no live views, and is not a
 *     graph output; a parent reached through a view at offset 0 of a root
 *     with no other views can also be reused;
 *   - otherwise the tensor goes into the best-fitting free block (the
 *     smallest block that is big enough, excluding the last block), else at
 *     the end of the last block, which grows the buffer; sizes are padded to
 *     32 bytes (CPU buffer alignment);
 *   - once a tensor's last consumer ran and no view of it is pending it is
 *     freed and merged with neighbouring free blocks; graph outputs (final
 *     norm and logits) are never freed.
 * The buffer size is the largest end offset reached.
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
 * Approximations
 * --------------
 * - Node order inside ggml's expansion is reproduced for the listed
 *   families; other architectures should be mapped onto the closest family
 *   (errors then come from differing intermediate tensors).
 * - gp_compute_bytes_split builds only the device's layers: a device that
 *   does not start at layer 0 receives the residual stream as an input copy,
 *   a device without the output layer has no logits. The scheduler's extra
 *   input copies between splits and the CPU-side graph of a partial offload
 *   are not modelled (unvalidated; single-device figures are exact).
 * - Backends other than CPU may pad tensor sizes (alloc size), use another
 *   alignment or add op-offload graphs; only the CPU rules are modelled.
 */
#include "compute.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* graph IR                                                                  */

enum { GT_F32 = 0, GT_F16 = 1, GT_I32 = 2, GT_I64 = 3 };

#define GP_EXT (-2)   /* view of a tensor outside the compute buffer */
#define GP_NONE (-1)
#define GP_MAX_SRC 4
#define GP_ALIGN 32u
#define GP_MAX_FREE 256

typedef struct {
    int64_t ne[4];
    int64_t nb[4];
    uint64_t size;
    int type;
    int view_src;      /* root tensor this is a view of; GP_NONE, GP_EXT */
    int offs0;         /* view starts at the root's first byte */
    int src[GP_MAX_SRC];
    int nsrc;
    int inplace;       /* op may run in place */
    int is_input;
    int is_output;
    /* allocator state */
    int n_children;
    int n_views;
    int allocated;
    uint64_t addr;
} gp_t;

typedef struct {
    gp_t *t;
    int n, cap;
    int *leafs;
    int nleaf, leafcap;
    int *nodes;
    int nnode, nodecap;
    int err;
} gp_graph;

static int type_size(int type) {
    switch (type) {
        case GT_F16: return 2;
        case GT_I64: return 8;
        default: return 4;
    }
}

static int push_int(int **arr, int *n, int *cap, int v) {
    if (*n >= *cap) {
        int nc = *cap ? *cap * 2 : 1024;
        int *na = (int *)realloc(*arr, (size_t)nc * sizeof(int));
        if (!na) return -1;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

static int new_tensor(gp_graph *g) {
    if (g->err) return 0;
    if (g->n >= g->cap) {
        int nc = g->cap ? g->cap * 2 : 4096;
        gp_t *nt = (gp_t *)realloc(g->t, (size_t)nc * sizeof(gp_t));
        if (!nt) { g->err = 1; return 0; }
        g->t = nt;
        g->cap = nc;
    }
    gp_t *t = &g->t[g->n];
    memset(t, 0, sizeof(*t));
    t->view_src = GP_NONE;
    for (int i = 0; i < GP_MAX_SRC; i++) t->src[i] = GP_NONE;
    return g->n++;
}

static void set_contig(gp_t *t, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    t->type = type;
    t->ne[0] = ne0; t->ne[1] = ne1; t->ne[2] = ne2; t->ne[3] = ne3;
    t->nb[0] = type_size(type);
    t->nb[1] = t->nb[0] * ne0;
    t->nb[2] = t->nb[1] * ne1;
    t->nb[3] = t->nb[2] * ne2;
    t->size = (uint64_t)(t->nb[3] * ne3);
}

/* graph input leaf */
static int g_input(gp_graph *g, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    set_contig(&g->t[id], type, ne0, ne1, ne2, ne3);
    g->t[id].is_input = 1;
    if (push_int(&g->leafs, &g->nleaf, &g->leafcap, id)) g->err = 1;
    return id;
}

static void add_node(gp_graph *g, int id) {
    if (push_int(&g->nodes, &g->nnode, &g->nodecap, id)) g->err = 1;
}

static void set_srcs(gp_t *t, int s0, int s1, int s2) {
    int s[3] = { s0, s1, s2 };
    t->nsrc = 0;
    for (int i = 0; i < 3; i++) {
        if (s[i] >= 0) t->src[t->nsrc++] = s[i];
    }
}

/* computed node with a fresh contiguous result */
static int g_op(gp_graph *g, int inplace, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3,
                int s0, int s1, int s2) {
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    gp_t *t = &g->t[id];
    set_contig(t, type, ne0, ne1, ne2, ne3);
    t->inplace = inplace;
    set_srcs(t, s0, s1, s2);
    add_node(g, id);
    return id;
}

/* same shape as a source, new contiguous result */
static int g_op_like(gp_graph *g, int inplace, int like, int s0, int s1, int s2) {
    if (g->err || like < 0) { g->err = 1; return GP_NONE; }
    gp_t l = g->t[like];
    return g_op(g, inplace, l.type, l.ne[0], l.ne[1], l.ne[2], l.ne[3], s0, s1, s2);
}

static int root_of(gp_graph *g, int src) {
    if (src < 0) return GP_EXT;
    return g->t[src].view_src >= 0 ? g->t[src].view_src
         : (g->t[src].view_src == GP_EXT ? GP_EXT : src);
}

/* view with explicit shape and strides */
static int g_view(gp_graph *g, int src, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3,
                  int64_t nb1, int64_t nb2, int64_t nb3, int offs0) {
    if (g->err || src < 0) { g->err = 1; return GP_NONE; }
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    gp_t *t = &g->t[id];
    const gp_t *s = &g->t[src];
    t->type = s->type;
    t->ne[0] = ne0; t->ne[1] = ne1; t->ne[2] = ne2; t->ne[3] = ne3;
    t->nb[0] = s->nb[0]; t->nb[1] = nb1; t->nb[2] = nb2; t->nb[3] = nb3;
    t->size = 0;
    t->view_src = root_of(g, src);
    t->offs0 = offs0 && (s->view_src < 0 || s->offs0);
    t->src[0] = src;
    t->nsrc = 1;
    add_node(g, id);
    return id;
}

static int g_reshape(gp_graph *g, int src, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    if (g->err || src < 0) { g->err = 1; return GP_NONE; }
    int64_t es = g->t[src].nb[0];
    return g_view(g, src, ne0, ne1, ne2, ne3, es * ne0, es * ne0 * ne1, es * ne0 * ne1 * ne2, 1);
}

/* permute (0,2,1,3): swap dims 1 and 2 */
static int g_permute_12(gp_graph *g, int src) {
    if (g->err || src < 0) { g->err = 1; return GP_NONE; }
    gp_t s = g->t[src];
    int id = g_view(g, src, s.ne[0], s.ne[2], s.ne[1], s.ne[3], s.nb[2], s.nb[1], s.nb[3], 1);
    return id;
}

/* node writing into an external tensor (KV cache / state): never allocated */
static int g_ext(gp_graph *g, int s0, int s1, int s2) {
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    gp_t *t = &g->t[id];
    t->type = GT_F32;
    t->view_src = GP_EXT;
    set_srcs(t, s0, s1, s2);
    add_node(g, id);
    return id;
}

static void g_free(gp_graph *g) {
    free(g->t);
    free(g->leafs);
    free(g->nodes);
    memset(g, 0, sizeof(*g));
}

/* ------------------------------------------------------------------------ */
/* allocator replay                                                          */

typedef struct {
    uint64_t off[GP_MAX_FREE];
    uint64_t sz[GP_MAX_FREE];
    int n;
    uint64_t max_size;
    int err;
} gp_alloc;

static uint64_t pad_align(uint64_t x) { return (x + GP_ALIGN - 1) / GP_ALIGN * GP_ALIGN; }

static void fa_remove(gp_alloc *a, int i) {
    for (int j = i; j < a->n - 1; j++) { a->off[j] = a->off[j + 1]; a->sz[j] = a->sz[j + 1]; }
    a->n--;
}

static uint64_t fa_alloc(gp_alloc *a, uint64_t size) {
    size = pad_align(size);
    int best = -1;
    uint64_t best_size = UINT64_MAX;
    for (int i = 0; i < a->n - 1; i++) {
        if (a->sz[i] >= size && a->sz[i] <= best_size) { best = i; best_size = a->sz[i]; }
    }
    if (best < 0) best = a->n - 1; /* last block is unbounded */
    uint64_t addr = a->off[best];
    a->off[best] += size;
    a->sz[best] -= size;
    if (a->sz[best] == 0) fa_remove(a, best);
    if (addr + size > a->max_size) a->max_size = addr + size;
    return addr;
}

static void fa_free(gp_alloc *a, uint64_t off, uint64_t size) {
    size = pad_align(size);
    for (int i = 0; i < a->n; i++) {
        if (a->off[i] + a->sz[i] == off) {
            a->sz[i] += size;
            if (i < a->n - 1 && a->off[i] + a->sz[i] == a->off[i + 1]) {
                a->sz[i] += a->sz[i + 1];
                fa_remove(a, i + 1);
            }
            return;
        }
        if (off + size == a->off[i]) {
            a->off[i] = off;
            a->sz[i] += size;
            if (i > 0 && a->off[i - 1] + a->sz[i - 1] == a->off[i]) {
                a->sz[i - 1] += a->sz[i];
                fa_remove(a, i);
            }
            return;
        }
    }
    if (a->n >= GP_MAX_FREE) { a->err = 1; return; }
    int pos = 0;
    while (pos < a->n && a->off[pos] < off) pos++;
    for (int j = a->n; j > pos; j--) { a->off[j] = a->off[j - 1]; a->sz[j] = a->sz[j - 1]; }
    a->off[pos] = off;
    a->sz[pos] = size;
    a->n++;
}

static int same_layout(const gp_t *a, const gp_t *b) {
    if (a->type != b->type) return 0;
    for (int i = 0; i < 4; i++) {
        if (a->ne[i] != b->ne[i] || a->nb[i] != b->nb[i]) return 0;
    }
    return 1;
}

static void place(gp_graph *g, gp_alloc *a, int id) {
    gp_t *t = &g->t[id];
    if (t->allocated || t->view_src != GP_NONE) return;
    t->allocated = 1;
    if (t->inplace) {
        for (int i = 0; i < t->nsrc; i++) {
            gp_t *p = &g->t[t->src[i]];
            /* only tensors placed by the allocator itself (views never are) */
            if (p->view_src != GP_NONE || !p->allocated) continue;
            if (p->is_output) continue;
            if (!same_layout(t, p)) continue;
            if (p->n_children != 1 || p->n_views != 0) continue;
            t->addr = p->addr;
            p->allocated = 0;
            {
                uint64_t ps = pad_align(p->size), ns = pad_align(t->size);
                if (ps > ns) fa_free(a, t->addr + ns, ps - ns);
            }
            return;
        }
    }
    t->addr = fa_alloc(a, t->size);
}

static void release(gp_graph *g, gp_alloc *a, int id) {
    gp_t *t = &g->t[id];
    if (t->is_output) return;
    fa_free(a, t->addr, t->size);
    t->allocated = 0;
}

static uint64_t replay(gp_graph *g) {
    gp_alloc a;
    memset(&a, 0, sizeof(a));
    a.n = 1;
    a.off[0] = 0;
    a.sz[0] = UINT64_MAX / 4;

    for (int i = 0; i < g->n; i++) {
        g->t[i].n_children = 0;
        g->t[i].n_views = 0;
        g->t[i].allocated = 0;
    }
    for (int i = 0; i < g->nleaf; i++) place(g, &a, g->leafs[i]);
    for (int k = 0; k < g->nnode; k++) {
        gp_t *t = &g->t[g->nodes[k]];
        if (t->view_src >= 0) g->t[t->view_src].n_views++;
        for (int j = 0; j < t->nsrc; j++) g->t[t->src[j]].n_children++;
    }
    for (int k = 0; k < g->nnode; k++) {
        int id = g->nodes[k];
        place(g, &a, id);
        gp_t *t = &g->t[id];
        for (int j = 0; j < t->nsrc; j++) {
            gp_t *p = &g->t[t->src[j]];
            p->n_children--;
            if (p->n_children == 0 && p->n_views == 0) {
                if (p->view_src >= 0) {
                    gp_t *vs = &g->t[p->view_src];
                    vs->n_views--;
                    if (vs->n_views == 0 && vs->n_children == 0 && vs->allocated) {
                        release(g, &a, p->view_src);
                    }
                } else if (p->view_src == GP_NONE && p->allocated) {
                    release(g, &a, t->src[j]);
                }
            }
        }
        if (a.err) return 0;
    }
    return a.max_size;
}

/* ------------------------------------------------------------------------ */
/* graph builders                                                            */

typedef struct {
    const gp_compute_model *m;
    const gp_compute_run *r;
    int64_t T;          /* tokens in the reserved ubatch */
    int64_t n_out;      /* output rows */
    int64_t n_seq;      /* sequences in the ubatch */
    int64_t n_stream;   /* KV streams */
    int64_t n_kv;       /* full-attention cells per stream */
    int64_t n_kv_swa;   /* SWA cells per stream */
    int fa;
    int k_rot, v_rot;   /* rotation sizes (0 = none) */
    /* inputs */
    int inp_tokens, inp_embd, inp_pos, out_ids, rs_copy;
    int k_idxs, v_idxs, mask, k_rot_t, v_rot_t;
    int k_idxs_swa, v_idxs_swa, mask_swa, k_rot_swa, v_rot_swa;
    uint32_t l_begin, l_end;
    int has_output;
} gp_ctx;

static int is_quant(int type) {
    return !(type == GP_COMPUTE_TYPE_F32 || type == GP_COMPUTE_TYPE_F16 || type == GP_COMPUTE_TYPE_BF16);
}

static uint32_t layer_n_head_kv(const gp_compute_model *m, uint32_t il) {
    return m->layer_n_head_kv ? m->layer_n_head_kv[il] : m->n_head_kv;
}
static uint32_t layer_n_ff(const gp_compute_model *m, uint32_t il) {
    return m->layer_n_ff ? m->layer_n_ff[il] : m->n_ff;
}
static int layer_swa(const gp_compute_model *m, uint32_t il) {
    return m->layer_is_swa ? m->layer_is_swa[il] != 0 : 0;
}
static int layer_rec(const gp_compute_model *m, uint32_t il) {
    return m->layer_is_recurrent ? m->layer_is_recurrent[il] != 0 : 0;
}
static int any_swa(const gp_compute_model *m) {
    if (!m->layer_is_swa) return 0;
    for (uint32_t i = 0; i < m->n_layer; i++) if (m->layer_is_swa[i]) return 1;
    return 0;
}
static int any_full(const gp_compute_model *m) {
    for (uint32_t i = 0; i < m->n_layer; i++) if (!layer_swa(m, i) && !layer_rec(m, i)) return 1;
    return 0;
}

/* x * H with H an n x n rotation: reshape to [n, N/n], mul_mat, reshape back */
static int hadamard(gp_graph *g, int x, int rot_leaf, int64_t n) {
    gp_t s = g->t[x];
    int64_t tot = s.ne[0] * s.ne[1] * s.ne[2] * s.ne[3];
    int r = g_reshape(g, x, n, tot / n, 1, 1);
    int mm = g_op(g, 0, GT_F32, n, tot / n, 1, 1, rot_leaf, r, GP_NONE);
    return g_reshape(g, mm, s.ne[0], s.ne[1], s.ne[2], s.ne[3]);
}

static int rms_mul(gp_graph *g, int x) {
    int n = g_op_like(g, 1, x, x, GP_NONE, GP_NONE);
    return g_op_like(g, 1, n, n, GP_NONE, GP_NONE);
}

/* standard multi-head attention on the KV cache; returns wo output */
static int state_fetch(gp_ctx *c, gp_graph *g);

/* standard attention; when fetch_state is given, the conv state of the next
   (recurrent) layer is gathered right after the attention output, which is
   where ggml's expansion order puts it */
static int build_attn_std(gp_ctx *c, gp_graph *g, int x, uint32_t il, int gemma, int no_wo,
                          int *fetch_state) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, hk = m->head_dim_k, hv = m->head_dim_v;
    const int64_t nh = m->n_head, nkv = layer_n_head_kv(m, il);
    const int swa = layer_swa(m, il);
    const int64_t n_kv = swa ? c->n_kv_swa : c->n_kv;
    const int64_t ns = c->n_stream;
    const int k_rot_t = swa ? c->k_rot_swa : c->k_rot_t;
    const int v_rot_t = swa ? c->v_rot_swa : c->v_rot_t;
    const int k_idxs = swa ? c->k_idxs_swa : c->k_idxs;
    const int v_idxs = swa ? c->v_idxs_swa : c->v_idxs;
    const int mask = swa ? c->mask_swa : c->mask;

    /* Q */
    int q = g_op(g, 0, GT_F32, hk * nh, T, 1, 1, x, GP_NONE, GP_NONE);
    q = g_reshape(g, q, hk, nh, T, 1);
    if (m->qk_norm) q = rms_mul(g, q);
    q = g_op_like(g, 1, q, q, c->inp_pos, GP_NONE);                 /* rope */
    if (gemma) q = g_op_like(g, 1, q, q, GP_NONE, GP_NONE);          /* scale */
    if (c->k_rot) q = hadamard(g, q, k_rot_t, c->k_rot);

    int k = GP_NONE, v = GP_NONE;
    for (int pass = 0; pass < 2; pass++) {
        /* kv cache: V expanded before K; iswa (gemma3): K before V */
        int do_k = gemma ? (pass == 0) : (pass == 1);
        if (do_k) {
            k = g_op(g, 0, GT_F32, hk * nkv, T, 1, 1, x, GP_NONE, GP_NONE);
            k = g_reshape(g, k, hk, nkv, T, 1);
            if (m->qk_norm) k = rms_mul(g, k);
            k = g_op_like(g, 1, k, k, c->inp_pos, GP_NONE);         /* rope */
            if (c->k_rot) k = hadamard(g, k, k_rot_t, c->k_rot);
        } else {
            v = g_op(g, 0, GT_F32, hv * nkv, T, 1, 1, x, GP_NONE, GP_NONE);
            v = g_reshape(g, v, hv, nkv, T, 1);
            if (c->v_rot) v = hadamard(g, v, v_rot_t, c->v_rot);
        }
    }
    /* store K */
    {
        gp_t s = g->t[k];
        int kv2 = g_view(g, k, hk * nkv, T, 1, 1, s.nb[1] * nkv, s.nb[1] * nkv * T, s.nb[1] * nkv * T, 1);
        g_ext(g, kv2, k_idxs, GP_NONE);
    }
    /* store V */
    {
        gp_t s = g->t[v];
        if (c->fa) {
            int vv = g_view(g, v, hv * nkv, T, 1, 1, s.nb[1] * nkv, s.nb[1] * nkv * T, s.nb[1] * nkv * T, 1);
            g_ext(g, vv, v_idxs, GP_NONE);
        } else {
            int vv = g_reshape(g, v, hv * nkv, T, 1, 1);
            vv = g_reshape(g, vv, 1, hv * nkv * T, 1, 1);
            g_ext(g, vv, v_idxs, GP_NONE);
        }
    }
    /* attention */
    gp_t qs = g->t[q];
    int qv = g_view(g, q, hk, nh, T / ns, ns, qs.nb[1], qs.nb[2], qs.nb[2] * (T / ns), 1);
    int qp = g_permute_12(g, qv);
    int cur;
    if (c->fa) {
        int o = g_op(g, 0, GT_F32, hv, nh, T / ns, ns, qp, mask, GP_NONE);
        cur = g_reshape(g, o, hv * nh, T, 1, 1);
    } else {
        int kq = g_op(g, 0, GT_F32, n_kv, T / ns, nh, ns, qp, GP_NONE, GP_NONE);
        kq = g_op_like(g, 1, kq, kq, mask, GP_NONE);                  /* soft_max */
        int kqv = g_op(g, 0, GT_F32, hv, T / ns, nh, ns, kq, GP_NONE, GP_NONE);
        int p = g_permute_12(g, kqv);
        cur = g_op(g, 0, GT_F32, hv * nh, T, 1, 1, p, GP_NONE, GP_NONE); /* cont */
    }
    if (fetch_state) *fetch_state = state_fetch(c, g);
    if (c->v_rot) cur = hadamard(g, cur, v_rot_t, c->v_rot);
    if (no_wo) return cur;
    return g_op(g, 0, GT_F32, m->n_embd, T, 1, 1, cur, GP_NONE, GP_NONE); /* wo */
}

/* MLA attention (deepseek2, absorbed form); returns wo output */
static int build_attn_mla(gp_ctx *c, gp_graph *g, int x) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nh = m->n_head, ns = c->n_stream;
    const int64_t nope = m->qk_nope, rope = m->qk_rope, kvr = m->kv_lora_rank, vh = m->v_head_dim;
    const int64_t hk = nope + rope;
    int q;
    if (m->q_lora_rank > 0) {
        q = g_op(g, 0, GT_F32, m->q_lora_rank, T, 1, 1, x, GP_NONE, GP_NONE);
        q = rms_mul(g, q);
        q = g_op(g, 0, GT_F32, hk * nh, T, 1, 1, q, GP_NONE, GP_NONE);
    } else {
        q = g_op(g, 0, GT_F32, hk * nh, T, 1, 1, x, GP_NONE, GP_NONE);
    }
    int q3 = g_reshape(g, q, hk, nh, T, 1);
    gp_t qs = g->t[q3];
    int q_nope = g_view(g, q3, nope, nh, T, 1, qs.nb[1], qs.nb[2], qs.nb[3], 1);
    int q_nope_p = g_permute_12(g, q_nope);
    int qa = g_op(g, 0, GT_F32, kvr, T, nh, 1, q_nope_p, GP_NONE, GP_NONE);
    int qa_p = g_permute_12(g, qa);
    int q_pe = g_view(g, q3, rope, nh, T, 1, qs.nb[1], qs.nb[2], qs.nb[3], 0);
    q_pe = g_op(g, 1, GT_F32, rope, nh, T, 1, q_pe, c->inp_pos, GP_NONE);
    int Q = g_op(g, 0, GT_F32, kvr + rope, nh, T, 1, qa_p, q_pe, GP_NONE);

    int kvpe = g_op(g, 0, GT_F32, kvr + rope, T, 1, 1, x, GP_NONE, GP_NONE);
    gp_t ks = g->t[kvpe];
    int kv_c = g_view(g, kvpe, kvr, T, 1, 1, ks.nb[1], ks.nb[2], ks.nb[3], 1);
    kv_c = rms_mul(g, kv_c);
    int vcur = g_reshape(g, kv_c, kvr, 1, T, 1);
    int k_pe = g_view(g, kvpe, rope, 1, T, 1, ks.nb[1], ks.nb[1], ks.nb[2], 0);
    k_pe = g_op(g, 1, GT_F32, rope, 1, T, 1, k_pe, c->inp_pos, GP_NONE);
    int K = g_op(g, 0, GT_F32, kvr + rope, 1, T, 1, vcur, k_pe, GP_NONE);
    {
        gp_t s = g->t[K];
        int kv2 = g_view(g, K, kvr + rope, T, 1, 1, s.nb[1], s.nb[2], s.nb[3], 1);
        g_ext(g, kv2, c->k_idxs, GP_NONE);
    }
    int cur;
    if (c->fa) {
        gp_t s = g->t[Q];
        int qv = g_view(g, Q, kvr + rope, nh, T / ns, ns, s.nb[1], s.nb[2], s.nb[2] * (T / ns), 1);
        int qp = g_permute_12(g, qv);
        int o = g_op(g, 0, GT_F32, kvr, nh, T / ns, ns, qp, c->mask, GP_NONE);
        int op = g_permute_12(g, o);
        int mla = g_op(g, 0, GT_F32, vh, T / ns, nh, ns, op, GP_NONE, GP_NONE);
        int mp = g_permute_12(g, mla);
        int ct = g_op(g, 0, GT_F32, vh, nh, T / ns, ns, mp, GP_NONE, GP_NONE);
        cur = g_reshape(g, ct, vh * nh, T, 1, 1);
    } else {
        int vc = g_op(g, 0, GT_F16, c->n_kv, kvr, 1, ns, GP_NONE, GP_NONE, GP_NONE); /* v_cont */
        gp_t s = g->t[Q];
        int qv = g_view(g, Q, kvr + rope, nh, T / ns, ns, s.nb[1], s.nb[2], s.nb[2] * (T / ns), 1);
        int qp = g_permute_12(g, qv);
        int kq = g_op(g, 0, GT_F32, c->n_kv, T / ns, nh, ns, qp, GP_NONE, GP_NONE);
        kq = g_op_like(g, 1, kq, kq, c->mask, GP_NONE);
        int kqv = g_op(g, 0, GT_F32, kvr, T / ns, nh, ns, vc, kq, GP_NONE);
        int mla = g_op(g, 0, GT_F32, vh, T / ns, nh, ns, kqv, GP_NONE, GP_NONE);
        int p = g_permute_12(g, mla);
        cur = g_op(g, 0, GT_F32, vh * nh, T, 1, 1, p, GP_NONE, GP_NONE);
    }
    return g_op(g, 0, GT_F32, m->n_embd, T, 1, 1, cur, GP_NONE, GP_NONE);
}

static int build_ffn_dense(gp_graph *g, int x, int64_t n_ff, int64_t n_embd, int64_t T) {
    int gate = g_op(g, 0, GT_F32, n_ff, T, 1, 1, x, GP_NONE, GP_NONE);
    int up = g_op(g, 0, GT_F32, n_ff, T, 1, 1, x, GP_NONE, GP_NONE);
    int act = g_op(g, 0, GT_F32, n_ff, T, 1, 1, gate, up, GP_NONE);  /* swiglu / geglu */
    return g_op(g, 0, GT_F32, n_embd, T, 1, 1, act, GP_NONE, GP_NONE);
}

static int build_ffn_moe(gp_ctx *c, gp_graph *g, int x, int64_t T) {
    const gp_compute_model *m = c->m;
    const int64_t ne = m->n_expert, nu = m->n_expert_used, nf = m->n_ff_exp, nd = m->n_embd;
    int logits = g_op(g, 0, GT_F32, ne, T, 1, 1, x, GP_NONE, GP_NONE);
    int probs = g_op_like(g, 1, logits, logits, GP_NONE, GP_NONE);   /* soft_max / sigmoid */
    int sel = probs;
    if (m->expert_probs_bias) sel = g_op_like(g, 1, probs, probs, GP_NONE, GP_NONE);
    int probs3 = GP_NONE;
    if (!m->expert_probs_bias) probs3 = g_reshape(g, probs, 1, ne, T, 1);
    int as = g_op(g, 0, GT_I32, ne, T, 1, 1, sel, GP_NONE, GP_NONE);   /* argsort */
    gp_t ass = g->t[as];
    int topk = g_view(g, as, nu, T, 1, 1, ass.nb[1], ass.nb[2], ass.nb[3], 1);
    if (m->expert_probs_bias) probs3 = g_reshape(g, probs, 1, ne, T, 1);
    int w = g_op(g, 0, GT_F32, 1, nu, T, 1, probs3, topk, GP_NONE); /* get_rows */
    if (m->expert_weights_norm) {
        int w2 = g_reshape(g, w, nu, T, 1, 1);
        int sum = g_op(g, 0, GT_F32, 1, T, 1, 1, w2, GP_NONE, GP_NONE);
        sum = g_op_like(g, 1, sum, sum, GP_NONE, GP_NONE);            /* clamp */
        int dv = g_op_like(g, 1, w2, w2, sum, GP_NONE);                /* div */
        w = g_reshape(g, dv, 1, nu, T, 1);
    }
    if (m->expert_weights_scaled) w = g_op_like(g, 1, w, w, GP_NONE, GP_NONE);
    int xr = g_reshape(g, x, nd, 1, T, 1);
    int gate = g_op(g, 0, GT_F32, nf, nu, T, 1, xr, topk, GP_NONE);
    int up = g_op(g, 0, GT_F32, nf, nu, T, 1, xr, topk, GP_NONE);
    int act = g_op(g, 0, GT_F32, nf, nu, T, 1, gate, up, GP_NONE);
    int down = g_op(g, 0, GT_F32, nd, nu, T, 1, act, topk, GP_NONE);
    int wd = g_op_like(g, 1, down, down, w, GP_NONE);                  /* mul */
    gp_t ws = g->t[wd];
    /* one strided view per used expert, summed by a chain of adds */
    int first = GP_NONE, acc = GP_NONE;
    for (int64_t i = 0; i < nu; i++) {
        int v = g_view(g, wd, nd, T, 1, 1, ws.nb[2], ws.nb[3], ws.nb[3], i == 0);
        if (i == 0) { first = v; continue; }
        if (i == 1) acc = g_op(g, 1, GT_F32, nd, T, 1, 1, first, v, GP_NONE);
        else acc = g_op(g, 1, GT_F32, nd, T, 1, 1, acc, v, GP_NONE);
    }
    if (nu == 1) acc = g_op(g, 0, GT_F32, nd, T, 1, 1, first, GP_NONE, GP_NONE);
    return acc;
}

/* short convolution (lfm2), first half: in_proj, B*x, concat with the
   previous conv state, state write-back. The state of the next recurrent
   layer is gathered right after the write-back (that is where ggml's
   expansion puts it). Returns the concat tensor; *c_gate gets the C view. */
static int state_fetch(gp_ctx *c, gp_graph *g) {
    const gp_compute_model *m = c->m;
    const int64_t L = m->conv_l_cache ? m->conv_l_cache : 3;
    int st = g_op(g, 0, GT_F32, (L - 1) * m->n_embd, c->n_seq, 1, 1, c->rs_copy, GP_NONE, GP_NONE);
    return g_reshape(g, st, L - 1, m->n_embd, c->n_seq, 1);
}

static int build_shortconv_a(gp_ctx *c, gp_graph *g, int x, int state, int fetch_next,
                             int *c_gate, int *next_state) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nd = m->n_embd, L = m->conv_l_cache ? m->conv_l_cache : 3;
    const int64_t ns = c->n_seq;
    int xr = g_reshape(g, x, nd, T, 1, 1);
    int ip = g_op(g, 0, GT_F32, 3 * nd, T, 1, 1, xr, GP_NONE, GP_NONE);
    gp_t is = g->t[ip];
    int b = g_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 1);
    int xx = g_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 0);
    int bx = g_op(g, 0, GT_F32, nd, T, 1, 1, b, xx, GP_NONE);
    gp_t bs = g->t[bx];
    int bxt = g_view(g, bx, T / ns, nd, ns, 1, bs.nb[0], bs.nb[2], bs.nb[3], 1);
    int cat = g_op(g, 0, GT_F32, T / ns + L - 1, nd, ns, 1, state, bxt, GP_NONE);
    gp_t cs = g->t[cat];
    int last = g_view(g, cat, L - 1, nd, ns, 1, cs.nb[1], cs.nb[2], cs.nb[3], 0);
    g_ext(g, last, GP_NONE, GP_NONE);
    *next_state = fetch_next ? state_fetch(c, g) : GP_NONE;
    *c_gate = g_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 0);
    return cat;
}

/* second half: ssm_conv, C gating, out_proj */
static int build_shortconv_b(gp_ctx *c, gp_graph *g, int cat, int c_gate) {
    const int64_t T = c->T, nd = c->m->n_embd;
    int conv = g_op(g, 0, GT_F32, nd, T, 1, 1, cat, GP_NONE, GP_NONE);
    int y = g_op(g, 1, GT_F32, nd, T, 1, 1, c_gate, conv, GP_NONE);
    int o = g_op(g, 0, GT_F32, nd, T, 1, 1, y, GP_NONE, GP_NONE);
    return g_reshape(g, o, nd, T, 1, 1);
}

static void build_inputs(gp_ctx *c, gp_graph *g) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T;
    int has_full = any_full(m), has_swa = any_swa(m);
    int first_swa = layer_swa(m, c->l_begin < m->n_layer ? c->l_begin : 0);
    int mask_type = c->fa ? GT_F16 : GT_F32;
    const int64_t hv_all = (int64_t)m->head_dim_v * m->n_head_kv;

    c->inp_tokens = g_input(g, GT_I32, T, 1, 1, 1);
    c->inp_embd = g_input(g, GT_F32, m->n_embd, T, 1, 1);
    c->rs_copy = GP_NONE;
    if (m->family == GP_COMPUTE_FAMILY_LFM2) c->rs_copy = g_input(g, GT_I32, c->n_seq, 1, 1, 1);

    c->k_rot_t = c->v_rot_t = c->k_rot_swa = c->v_rot_swa = GP_NONE;
    c->k_idxs = c->v_idxs = c->mask = GP_NONE;
    c->k_idxs_swa = c->v_idxs_swa = c->mask_swa = GP_NONE;

    for (int pass = 0; pass < 2; pass++) {
        int swa = first_swa ? (pass == 0) : (pass == 1);
        if (swa && !has_swa) continue;
        if (!swa && !has_full) continue;
        int *kr = swa ? &c->k_rot_swa : &c->k_rot_t;
        int *vr = swa ? &c->v_rot_swa : &c->v_rot_t;
        if (c->k_rot) *kr = g_input(g, GT_F32, c->k_rot, c->k_rot, 1, 1);
        if (pass == 0) c->inp_pos = g_input(g, GT_I32, T, 1, 1, 1);
        if (c->v_rot) *vr = g_input(g, GT_F32, c->v_rot, c->v_rot, 1, 1);
        int64_t nkv = swa ? c->n_kv_swa : c->n_kv;
        int *ki = swa ? &c->k_idxs_swa : &c->k_idxs;
        int *vi = swa ? &c->v_idxs_swa : &c->v_idxs;
        int *mk = swa ? &c->mask_swa : &c->mask;
        *ki = g_input(g, GT_I64, T, 1, 1, 1);
        if (m->family != GP_COMPUTE_FAMILY_DEEPSEEK2) {
            *vi = c->fa ? g_input(g, GT_I64, T, 1, 1, 1) : g_input(g, GT_I64, T * hv_all, 1, 1, 1);
        }
        *mk = g_input(g, mask_type, nkv, T / c->n_stream, 1, c->n_stream);
    }
    if (!has_full && !has_swa) c->inp_pos = g_input(g, GT_I32, T, 1, 1, 1);
    c->out_ids = g_input(g, GT_I32, c->n_out, 1, 1, 1);
}

static int build_graph(gp_ctx *c, gp_graph *g) {
    const gp_compute_model *m = c->m;
    const int64_t nd = m->n_embd;
    const int fam = m->family;
    build_inputs(c, g);

    int64_t T = c->T;
    /* token embeddings (get_rows) */
    int inpL;
    if (c->l_begin == 0) {
        inpL = g_op(g, 0, GT_F32, nd, T, 1, 1, c->inp_tokens, GP_NONE, GP_NONE);
        if (fam == GP_COMPUTE_FAMILY_GEMMA3) inpL = g_op_like(g, 1, inpL, inpL, GP_NONE, GP_NONE);
    } else {
        /* later device of a layer split: the residual stream arrives as a
           scheduler input copy */
        inpL = g_input(g, GT_F32, nd, T, 1, 1);
    }

    int state = GP_NONE;
    for (uint32_t il = c->l_begin; il < c->l_end; il++) {
        const int last = (il == m->n_layer - 1) && c->has_output;
        int inpSA = inpL;
        int rec = layer_rec(m, il);
        int next_rec = il + 1 < c->l_end && layer_rec(m, il + 1);
        if (rec && state == GP_NONE) state = state_fetch(c, g);
        int cur = rms_mul(g, inpL);
        int rows_done = 0;
        if (fam == GP_COMPUTE_FAMILY_DEEPSEEK2) {
            cur = build_attn_mla(c, g, cur);
        } else if (rec) {
            int more = next_rec;
            int c_gate = GP_NONE, next = GP_NONE;
            int cat = build_shortconv_a(c, g, cur, state, more, &c_gate, &next);
            state = next;
            if (last) {
                /* add(prev_rows, cur_rows): the residual gather comes first */
                inpSA = g_op(g, 0, GT_F32, nd, c->n_out, 1, 1, inpSA, c->out_ids, GP_NONE);
            }
            cur = build_shortconv_b(c, g, cat, c_gate);
            if (last) {
                cur = g_op(g, 0, GT_F32, nd, c->n_out, 1, 1, cur, c->out_ids, GP_NONE);
                rows_done = 1;
            }
        } else if (fam == GP_COMPUTE_FAMILY_LFM2 && last) {
            cur = build_attn_std(c, g, cur, il, 0, 1, next_rec ? &state : NULL);
            inpSA = g_op(g, 0, GT_F32, nd, c->n_out, 1, 1, inpSA, c->out_ids, GP_NONE);
            cur = g_op(g, 0, GT_F32, nd, c->T, 1, 1, cur, GP_NONE, GP_NONE); /* wo */
            cur = g_op(g, 0, GT_F32, nd, c->n_out, 1, 1, cur, c->out_ids, GP_NONE);
            rows_done = 1;
        } else {
            cur = build_attn_std(c, g, cur, il, fam == GP_COMPUTE_FAMILY_GEMMA3, 0,
                                 next_rec ? &state : NULL);
        }
        if (last) {
            if (!rows_done) {
                cur = g_op(g, 0, GT_F32, nd, c->n_out, 1, 1, cur, c->out_ids, GP_NONE);
                inpSA = g_op(g, 0, GT_F32, nd, c->n_out, 1, 1, inpSA, c->out_ids, GP_NONE);
            }
            T = c->n_out;
            c->T = T;
        }
        int ffn_inp;
        if (fam == GP_COMPUTE_FAMILY_GEMMA3) {
            cur = rms_mul(g, cur);                                  /* post attn norm */
            ffn_inp = g_op_like(g, 1, cur, cur, inpSA, GP_NONE);
        } else if (fam == GP_COMPUTE_FAMILY_LFM2) {
            ffn_inp = g_op_like(g, 1, inpSA, inpSA, cur, GP_NONE);
        } else {
            ffn_inp = g_op_like(g, 1, cur, cur, inpSA, GP_NONE);
        }
        cur = rms_mul(g, ffn_inp);
        int is_moe = m->n_expert > 0 && il >= m->n_layer_dense_lead;
        int ffn;
        if (is_moe) {
            ffn = build_ffn_moe(c, g, cur, T);
            if (m->n_ff_shexp > 0) {
                int sh = build_ffn_dense(g, cur, m->n_ff_shexp, nd, T);
                ffn = g_op_like(g, 1, ffn, ffn, sh, GP_NONE);
            }
        } else {
            ffn = build_ffn_dense(g, cur, layer_n_ff(m, il), nd, T);
        }
        if (fam == GP_COMPUTE_FAMILY_GEMMA3) ffn = rms_mul(g, ffn);  /* post ffn norm */
        if (fam == GP_COMPUTE_FAMILY_LFM2) {
            inpL = g_op_like(g, 1, ffn_inp, ffn_inp, ffn, GP_NONE);
        } else {
            inpL = g_op_like(g, 1, ffn, ffn, ffn_inp, GP_NONE);
        }
    }
    if (c->has_output) {
        int n = g_op_like(g, 1, inpL, inpL, GP_NONE, GP_NONE);
        int rn = g_op_like(g, 1, n, n, GP_NONE, GP_NONE);
        g->t[rn].is_output = 1;
        int lo = g_op(g, 0, GT_F32, m->n_vocab, c->T, 1, 1, rn, GP_NONE, GP_NONE);
        g->t[lo].is_output = 1;
    }
    return g->err ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* public API                                                                */

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

static int rot_size_k(uint32_t hd) {
    if (hd == 0 || hd % 64 != 0) return 0;
    uint32_t n = 64;
    do { n *= 2; } while (hd % n == 0);
    return (int)(n / 2);
}

uint64_t gp_compute_bytes_split(const gp_compute_model *m, const gp_compute_run *r,
                                const gp_compute_split *s) {
    if (!m || !r || m->n_layer == 0 || m->n_embd == 0 || r->n_seq == 0 || r->n_ctx == 0) return 0;
    gp_ctx c;
    memset(&c, 0, sizeof(c));
    c.m = m;
    c.r = r;
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
    c.n_seq = ns;
    c.n_stream = r->kv_unified ? 1 : ns;
    c.n_kv = gp_compute_kv_cells_full(r);
    c.n_kv_swa = gp_compute_kv_cells_swa(m, r);
    c.fa = r->flash_attn != 0;
    if (m->family != GP_COMPUTE_FAMILY_DEEPSEEK2) {
        c.k_rot = is_quant(r->type_k) ? rot_size_k(m->head_dim_k) : 0;
        c.v_rot = (is_quant(r->type_v) && m->head_dim_v % 64 == 0) ? 64 : 0;
    }
    c.l_begin = s ? s->layer_begin : 0;
    c.l_end = s ? s->layer_end : m->n_layer;
    if (c.l_end > m->n_layer) c.l_end = m->n_layer;
    c.has_output = s ? s->has_output : 1;

    gp_graph g;
    memset(&g, 0, sizeof(g));
    uint64_t res = 0;
    if (build_graph(&c, &g) == 0) res = replay(&g);
    g_free(&g);
    return res;
}

uint64_t gp_compute_bytes(const gp_compute_model *m, const gp_compute_run *r) {
    return gp_compute_bytes_split(m, r, NULL);
}
