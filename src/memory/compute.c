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
 * Several devices (layer split, -ot, RPC / GPUs)
 * -----------------------------------------------
 * With several devices the scheduler (ggml_backend_sched) first gives every
 * op a device, then cuts the op sequence into splits (runs of ops on one
 * device) and gives each device its own compute buffer; one ggml-alloc pass
 * over the whole sequence places each tensor in its device's buffer.
 *   - Device of an op: graph inputs are on the CPU; an op writing the KV
 *     cache or recurrent state runs where that cache lives; an op reading a
 *     weight runs on the weight's device (rope and flash attention do not
 *     count their small weights); everything else inherits from its
 *     neighbours: GPU devices are spread down then up the op sequence (CPU
 *     ops stop the spreading), then any device down then up.
 *   - Op offload: a CUDA/ROCm/Vulkan/SYCL device also runs an op whose
 *     weight is in CPU memory when its batch (mul_mat: rows of the
 *     activation, mul_mat_id: tokens, others: rows) is >= 32 and it is not a
 *     get_rows; the first such GPU takes it and the weight is copied into
 *     that GPU's compute buffer. RPC and Metal devices do not. This is the
 *     one place op offload is modelled (gp_compute_placement.op_offload);
 *     it could not be checked against a real GPU.
 *   - A source living on another device is copied into the consuming
 *     device's buffer once per (tensor, device) and kept until its last
 *     consumer there: the residual stream and the norm output at a device
 *     boundary, the token positions, KV row indices, mask and output ids,
 *     the recurrent-state row indices, and the K/V cache views when an
 *     attention op lands on another device than its cache (lfm2: fetching
 *     the next recurrent layer's state inside the previous layer drags that
 *     layer's flash attention onto the next device). All copies of a split
 *     are allocated at the start of the split; the source stays alive until
 *     then.
 *   - Pipeline parallelism (all layers and the output on >= 2 GPUs, no -ot):
 *     the scheduler keeps 4 copies of every graph input (CPU buffer) and of
 *     every cross-device copy (receiving buffer), allocated first and never
 *     freed.
 *   - llama.cpp pins the attention-norm op of each layer to the layer's
 *     device for small batches (< 32 tokens) or full offload, but the
 *     reserve that sizes the buffers in a no_alloc dry run resets those pins,
 *     so they are not applied here. A real run sizes buffers as the maximum
 *     over three reserves (prompt, one token, prompt with pins); figures can
 *     then differ slightly on partial offloads.
 *
 * Approximations
 * --------------
 * - Node order inside ggml's expansion is reproduced for the listed
 *   families; other architectures should be mapped onto the closest family
 *   (errors then come from differing intermediate tensors).
 * - Every device is assumed to support every op, to use 32-byte alignment
 *   and plain tensor sizes (true for CPU and RPC servers backed by a CPU;
 *   CUDA pads some quantized tensors and adds fleeting memory for some ops).
 * - Op-offloaded weight copies use the caller's weight byte sizes (0 when
 *   not given).
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
#define GP_MAX_TENSOR_BYTES  (1ull << 56)
/* Graph tensors per layer, routed-expert views aside (the largest layer,
   MLA or attention + MoE + shared experts with every option, stays well
   below it). */
#define GP_LAYER_TENSORS     128u
#define GP_MAX_GRAPH         (1u << 17)    /* estimated tensors of the built graph */
/* Hard ceiling including the scheduler's copies. */
#define GP_MAX_TENSORS       (1 << 20)

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
    /* scheduler */
    int viewop;        /* view / reshape / permute node (skipped by the passes) */
    int dep;           /* scheduler dependency view (does not count as a view) */
    int pdev;          /* device fixed by the written tensor (KV / state), -1 */
    int wdev;          /* device of the weight the op reads, -1 none */
    int wkey;          /* weight identity (layer * W_COUNT + kind), -1 none */
    uint64_t wbytes;   /* bytes of that weight (op-offload copy) */
    int opk;           /* op kind for op offload batch size */
    int be;            /* assigned device */
    /* allocator state */
    int buf;
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
    if (g->n >= GP_MAX_TENSORS) { g->err = 1; return 0; }
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
    t->pdev = t->wdev = t->wkey = t->be = -1;
    for (int i = 0; i < GP_MAX_SRC; i++) t->src[i] = GP_NONE;
    return g->n++;
}

/* Returns -1 when the size leaves the accepted range (the entry checks keep
   real shapes far from it). */
static int set_contig(gp_t *t, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    t->type = type;
    t->ne[0] = ne0; t->ne[1] = ne1; t->ne[2] = ne2; t->ne[3] = ne3;
    t->nb[0] = type_size(type);
    int64_t size;
    if (ne0 < 0 || ne1 < 0 || ne2 < 0 || ne3 < 0 ||
        __builtin_mul_overflow(t->nb[0], ne0, &t->nb[1]) ||
        __builtin_mul_overflow(t->nb[1], ne1, &t->nb[2]) ||
        __builtin_mul_overflow(t->nb[2], ne2, &t->nb[3]) ||
        __builtin_mul_overflow(t->nb[3], ne3, &size) ||
        (uint64_t)size > GP_MAX_TENSOR_BYTES) {
        t->nb[1] = t->nb[2] = t->nb[3] = 0;
        t->size = 0;
        return -1;
    }
    t->size = (uint64_t)size;
    return 0;
}

/* graph input leaf */
static int g_input(gp_graph *g, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    if (set_contig(&g->t[id], type, ne0, ne1, ne2, ne3)) { g->err = 1; return GP_NONE; }
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
    if (set_contig(t, type, ne0, ne1, ne2, ne3)) { g->err = 1; return GP_NONE; }
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
    t->viewop = 1;
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
    if (best < 0) {
        best = a->n - 1; /* last block: the rest of the address range */
        if (a->sz[best] <= size) { a->err = 1; return 0; }
    }
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

/* a: one allocator per buffer (device); buf: the buffer of the node that
   asks for the tensor */
static void place(gp_graph *g, gp_alloc *a, int id, int buf) {
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
            t->buf = p->buf;
            p->allocated = 0;
            {
                uint64_t ps = pad_align(p->size), ns = pad_align(t->size);
                if (ps > ns) fa_free(&a[t->buf], t->addr + ns, ps - ns);
            }
            return;
        }
    }
    t->buf = buf;
    t->addr = fa_alloc(&a[buf], t->size);
}

static void release(gp_graph *g, gp_alloc *a, int id) {
    gp_t *t = &g->t[id];
    if (t->is_output) return;
    fa_free(&a[t->buf], t->addr, t->size);
    t->allocated = 0;
}

/* ggml-alloc over a node / leaf order with a buffer per entry; out[b] gets
   the high-water mark of buffer b. Returns 0 or -1. */
static int replay(gp_graph *g, const int *leafs, const int *leaf_buf, int nleaf,
                  const int *nodes, const int *node_buf, int nnode, int nbuf, uint64_t *out) {
    gp_alloc *a = (gp_alloc *)calloc((size_t)nbuf, sizeof(gp_alloc));
    if (!a) return -1;
    for (int b = 0; b < nbuf; b++) {
        a[b].n = 1;
        a[b].off[0] = 0;
        a[b].sz[0] = UINT64_MAX / 4;
    }
    for (int i = 0; i < g->n; i++) {
        g->t[i].n_children = 0;
        g->t[i].n_views = 0;
        g->t[i].allocated = 0;
    }
    for (int i = 0; i < nleaf; i++) place(g, a, leafs[i], leaf_buf[i]);
    for (int k = 0; k < nnode; k++) {
        gp_t *t = &g->t[nodes[k]];
        if (t->view_src >= 0 && !t->dep) g->t[t->view_src].n_views++;
        for (int j = 0; j < t->nsrc; j++) g->t[t->src[j]].n_children++;
    }
    int err = 0;
    for (int k = 0; k < nnode && !err; k++) {
        int id = nodes[k];
        gp_t *t = &g->t[id];
        for (int j = 0; j < t->nsrc; j++) place(g, a, t->src[j], node_buf[k]);
        place(g, a, id, node_buf[k]);
        for (int j = 0; j < t->nsrc; j++) {
            gp_t *p = &g->t[t->src[j]];
            p->n_children--;
            if (p->n_children == 0 && p->n_views == 0) {
                if (p->view_src >= 0) {
                    gp_t *vs = &g->t[p->view_src];
                    vs->n_views--;
                    if (vs->n_views == 0 && vs->n_children == 0 && vs->allocated) {
                        release(g, a, p->view_src);
                    }
                } else if (p->view_src == GP_NONE && p->allocated) {
                    release(g, a, t->src[j]);
                }
            }
        }
        for (int b = 0; b < nbuf; b++) err |= a[b].err;
    }
    for (int b = 0; b < nbuf; b++) out[b] = err ? 0 : a[b].max_size;
    free(a);
    return err ? -1 : 0;
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
    int rs_main, rs_extra;   /* views of rs_copy: rows of the ubatch / the rest */
    int k_idxs, v_idxs, mask, k_rot_t, v_rot_t;
    int k_idxs_swa, v_idxs_swa, mask_swa, k_rot_swa, v_rot_swa;
    const gp_compute_placement *pl;   /* NULL: all on the CPU */
    uint32_t il;        /* layer being built (n_layer: output) */
} gp_ctx;

/* internal weight kinds beyond the per-layer ones */
enum { K_TOK = GP_COMPUTE_W_COUNT, K_OUT_NORM, K_OUTPUT, K_ALL };
enum { OPK_OTHER = 0, OPK_MM = 1, OPK_MMID = 2, OPK_GETROWS = 3 };

/* op id reads weight `kind` of the current layer: pass-1 device */
static void tw(gp_ctx *c, gp_graph *g, int id, int kind, int opk) {
    if (g->err || id < 0) return;
    gp_t *t = &g->t[id];
    const gp_compute_placement *pl = c->pl;
    uint32_t il = kind >= GP_COMPUTE_W_COUNT ? c->m->n_layer : c->il;
    int dev = 0;
    uint64_t bytes = 0;
    if (pl) {
        if (kind == K_OUT_NORM) dev = pl->out_norm_dev;
        else if (kind == K_OUTPUT) { dev = pl->output_dev; bytes = pl->output_bytes; }
        else if (kind < GP_COMPUTE_W_COUNT) { dev = pl->layer[il].w[kind]; bytes = pl->layer[il].w_bytes[kind]; }
    }
    t->wdev = dev;
    t->wkey = (int)il * K_ALL + kind;
    t->wbytes = bytes;
    t->opk = opk;
}

/* bytes of n elements of a cache type (ggml row size) */
static uint64_t cache_row_bytes(int type, uint64_t n) {
    switch (type) {
        case 0: return n * 4;                    /* f32 */
        case 1: case 30: return n * 2;           /* f16, bf16 */
        case 2: case 20: return n / 32 * 18;     /* q4_0, iq4_nl */
        case 3: return n / 32 * 20;              /* q4_1 */
        case 6: return n / 32 * 22;              /* q5_0 */
        case 7: return n / 32 * 24;              /* q5_1 */
        case 8: return n / 32 * 34;              /* q8_0 */
        default: return n / 32 * 34;
    }
}

/* view of the current layer's K (or V) cache read by attention: outside the
   compute buffer, but copied into another device's compute buffer when the
   attention op runs there */
static int kv_view(gp_ctx *c, gp_graph *g, uint64_t bytes) {
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    gp_t *t = &g->t[id];
    t->type = 98;                       /* matches no activation layout */
    t->ne[0] = t->ne[1] = t->ne[2] = t->ne[3] = 1;
    t->size = bytes;
    t->view_src = GP_EXT;
    t->be = c->pl ? c->pl->layer[c->il].kv : 0;
    return id;
}

static void set_src4(gp_graph *g, int id, int s0, int s1, int s2, int s3) {
    if (g->err || id < 0) return;
    gp_t *t = &g->t[id];
    int s[4] = { s0, s1, s2, s3 };
    t->nsrc = 0;
    for (int i = 0; i < 4; i++) if (s[i] >= 0) t->src[t->nsrc++] = s[i];
}

/* node writes into the current layer's KV cache / recurrent state */
static void tkv(gp_ctx *c, gp_graph *g, int id) {
    if (g->err || id < 0) return;
    g->t[id].pdev = c->pl ? c->pl->layer[c->il].kv : 0;
}

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

static int rms_mul(gp_ctx *c, gp_graph *g, int x, int kind) {
    int n = g_op_like(g, 1, x, x, GP_NONE, GP_NONE);
    int r = g_op_like(g, 1, n, n, GP_NONE, GP_NONE);
    tw(c, g, r, kind, OPK_OTHER);
    return r;
}

/* standard multi-head attention on the KV cache; returns wo output */
static int state_fetch(gp_ctx *c, gp_graph *g, uint32_t il_state);

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
    tw(c, g, q, GP_COMPUTE_W_ATTN_Q, OPK_MM);
    q = g_reshape(g, q, hk, nh, T, 1);
    if (m->qk_norm) q = rms_mul(c, g, q, GP_COMPUTE_W_ATTN_Q_NORM);
    q = g_op_like(g, 1, q, q, c->inp_pos, GP_NONE);                 /* rope */
    if (gemma) q = g_op_like(g, 1, q, q, GP_NONE, GP_NONE);          /* scale */
    if (c->k_rot) q = hadamard(g, q, k_rot_t, c->k_rot);

    int k = GP_NONE, v = GP_NONE;
    for (int pass = 0; pass < 2; pass++) {
        /* kv cache: V expanded before K; iswa (gemma3): K before V */
        int do_k = gemma ? (pass == 0) : (pass == 1);
        if (do_k) {
            k = g_op(g, 0, GT_F32, hk * nkv, T, 1, 1, x, GP_NONE, GP_NONE);
            tw(c, g, k, GP_COMPUTE_W_ATTN_K, OPK_MM);
            k = g_reshape(g, k, hk, nkv, T, 1);
            if (m->qk_norm) k = rms_mul(c, g, k, GP_COMPUTE_W_ATTN_K_NORM);
            k = g_op_like(g, 1, k, k, c->inp_pos, GP_NONE);         /* rope */
            if (c->k_rot) k = hadamard(g, k, k_rot_t, c->k_rot);
        } else {
            v = g_op(g, 0, GT_F32, hv * nkv, T, 1, 1, x, GP_NONE, GP_NONE);
            tw(c, g, v, GP_COMPUTE_W_ATTN_V, OPK_MM);
            v = g_reshape(g, v, hv, nkv, T, 1);
            if (c->v_rot) v = hadamard(g, v, v_rot_t, c->v_rot);
        }
    }
    /* store K */
    {
        gp_t s = g->t[k];
        int kv2 = g_view(g, k, hk * nkv, T, 1, 1, s.nb[1] * nkv, s.nb[1] * nkv * T, s.nb[1] * nkv * T, 1);
        tkv(c, g, g_ext(g, kv2, k_idxs, GP_NONE));
    }
    /* store V */
    {
        gp_t s = g->t[v];
        if (c->fa) {
            int vv = g_view(g, v, hv * nkv, T, 1, 1, s.nb[1] * nkv, s.nb[1] * nkv * T, s.nb[1] * nkv * T, 1);
            tkv(c, g, g_ext(g, vv, v_idxs, GP_NONE));
        } else {
            int vv = g_reshape(g, v, hv * nkv, T, 1, 1);
            vv = g_reshape(g, vv, 1, hv * nkv * T, 1, 1);
            tkv(c, g, g_ext(g, vv, v_idxs, GP_NONE));
        }
    }
    /* attention */
    gp_t qs = g->t[q];
    int qv = g_view(g, q, hk, nh, T / ns, ns, qs.nb[1], qs.nb[2], qs.nb[2] * (T / ns), 1);
    int qp = g_permute_12(g, qv);
    const uint64_t cells = (uint64_t)n_kv * (uint64_t)ns;
    int kvk = kv_view(c, g, cells * cache_row_bytes(c->r->type_k, (uint64_t)hk * nkv));
    int kvv = kv_view(c, g, cells * cache_row_bytes(c->r->type_v, (uint64_t)hv * nkv));
    int cur;
    if (c->fa) {
        int o = g_op(g, 0, GT_F32, hv, nh, T / ns, ns, qp, mask, GP_NONE);
        set_src4(g, o, qp, kvk, kvv, mask);
        cur = g_reshape(g, o, hv * nh, T, 1, 1);
    } else {
        int kq = g_op(g, 0, GT_F32, n_kv, T / ns, nh, ns, kvk, qp, GP_NONE);
        kq = g_op_like(g, 1, kq, kq, mask, GP_NONE);                  /* soft_max */
        int kqv = g_op(g, 0, GT_F32, hv, T / ns, nh, ns, kvv, kq, GP_NONE);
        int p = g_permute_12(g, kqv);
        cur = g_op(g, 0, GT_F32, hv * nh, T, 1, 1, p, GP_NONE, GP_NONE); /* cont */
    }
    if (fetch_state) *fetch_state = state_fetch(c, g, il + 1);
    if (c->v_rot) cur = hadamard(g, cur, v_rot_t, c->v_rot);
    if (no_wo) return cur;
    cur = g_op(g, 0, GT_F32, m->n_embd, T, 1, 1, cur, GP_NONE, GP_NONE); /* wo */
    tw(c, g, cur, GP_COMPUTE_W_ATTN_OUT, OPK_MM);
    return cur;
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
        tw(c, g, q, GP_COMPUTE_W_ATTN_Q_A, OPK_MM);
        q = rms_mul(c, g, q, GP_COMPUTE_W_ATTN_Q_A_NORM);
        q = g_op(g, 0, GT_F32, hk * nh, T, 1, 1, q, GP_NONE, GP_NONE);
        tw(c, g, q, GP_COMPUTE_W_ATTN_Q_B, OPK_MM);
    } else {
        q = g_op(g, 0, GT_F32, hk * nh, T, 1, 1, x, GP_NONE, GP_NONE);
        tw(c, g, q, GP_COMPUTE_W_ATTN_Q, OPK_MM);
    }
    int q3 = g_reshape(g, q, hk, nh, T, 1);
    gp_t qs = g->t[q3];
    int q_nope = g_view(g, q3, nope, nh, T, 1, qs.nb[1], qs.nb[2], qs.nb[3], 1);
    int q_nope_p = g_permute_12(g, q_nope);
    int qa = g_op(g, 0, GT_F32, kvr, T, nh, 1, q_nope_p, GP_NONE, GP_NONE);
    tw(c, g, qa, GP_COMPUTE_W_ATTN_K_B, OPK_MM);
    int qa_p = g_permute_12(g, qa);
    int q_pe = g_view(g, q3, rope, nh, T, 1, qs.nb[1], qs.nb[2], qs.nb[3], 0);
    q_pe = g_op(g, 1, GT_F32, rope, nh, T, 1, q_pe, c->inp_pos, GP_NONE);
    int Q = g_op(g, 0, GT_F32, kvr + rope, nh, T, 1, qa_p, q_pe, GP_NONE);

    int kvpe = g_op(g, 0, GT_F32, kvr + rope, T, 1, 1, x, GP_NONE, GP_NONE);
    tw(c, g, kvpe, GP_COMPUTE_W_ATTN_KV_A, OPK_MM);
    gp_t ks = g->t[kvpe];
    int kv_c = g_view(g, kvpe, kvr, T, 1, 1, ks.nb[1], ks.nb[2], ks.nb[3], 1);
    kv_c = rms_mul(c, g, kv_c, GP_COMPUTE_W_ATTN_KV_A_NORM);
    int vcur = g_reshape(g, kv_c, kvr, 1, T, 1);
    int k_pe = g_view(g, kvpe, rope, 1, T, 1, ks.nb[1], ks.nb[1], ks.nb[2], 0);
    k_pe = g_op(g, 1, GT_F32, rope, 1, T, 1, k_pe, c->inp_pos, GP_NONE);
    int K = g_op(g, 0, GT_F32, kvr + rope, 1, T, 1, vcur, k_pe, GP_NONE);
    {
        gp_t s = g->t[K];
        int kv2 = g_view(g, K, kvr + rope, T, 1, 1, s.nb[1], s.nb[2], s.nb[3], 1);
        tkv(c, g, g_ext(g, kv2, c->k_idxs, GP_NONE));
    }
    const uint64_t cells = (uint64_t)c->n_kv * (uint64_t)ns;
    const uint64_t krow = cache_row_bytes(c->r->type_k, (uint64_t)(kvr + rope));
    int kvk = kv_view(c, g, cells * krow);
    /* V is the first kv_lora_rank values of each K row */
    int kvv = kv_view(c, g, cells ? (cells - 1) * krow + cache_row_bytes(c->r->type_k, (uint64_t)kvr) : 0);
    int cur;
    if (c->fa) {
        gp_t s = g->t[Q];
        int qv = g_view(g, Q, kvr + rope, nh, T / ns, ns, s.nb[1], s.nb[2], s.nb[2] * (T / ns), 1);
        int qp = g_permute_12(g, qv);
        int o = g_op(g, 0, GT_F32, kvr, nh, T / ns, ns, qp, c->mask, GP_NONE);
        set_src4(g, o, qp, kvk, kvv, c->mask);
        int op = g_permute_12(g, o);
        int mla = g_op(g, 0, GT_F32, vh, T / ns, nh, ns, op, GP_NONE, GP_NONE);
        tw(c, g, mla, GP_COMPUTE_W_ATTN_V_B, OPK_MM);
        int mp = g_permute_12(g, mla);
        int ct = g_op(g, 0, GT_F32, vh, nh, T / ns, ns, mp, GP_NONE, GP_NONE);
        cur = g_reshape(g, ct, vh * nh, T, 1, 1);
    } else {
        int vc = g_op(g, 0, GT_F16, c->n_kv, kvr, 1, ns, kvv, GP_NONE, GP_NONE); /* v_cont */
        gp_t s = g->t[Q];
        int qv = g_view(g, Q, kvr + rope, nh, T / ns, ns, s.nb[1], s.nb[2], s.nb[2] * (T / ns), 1);
        int qp = g_permute_12(g, qv);
        int kq = g_op(g, 0, GT_F32, c->n_kv, T / ns, nh, ns, kvk, qp, GP_NONE);
        kq = g_op_like(g, 1, kq, kq, c->mask, GP_NONE);
        int kqv = g_op(g, 0, GT_F32, kvr, T / ns, nh, ns, vc, kq, GP_NONE);
        int mla = g_op(g, 0, GT_F32, vh, T / ns, nh, ns, kqv, GP_NONE, GP_NONE);
        tw(c, g, mla, GP_COMPUTE_W_ATTN_V_B, OPK_MM);
        int p = g_permute_12(g, mla);
        cur = g_op(g, 0, GT_F32, vh * nh, T, 1, 1, p, GP_NONE, GP_NONE);
    }
    cur = g_op(g, 0, GT_F32, m->n_embd, T, 1, 1, cur, GP_NONE, GP_NONE);
    tw(c, g, cur, GP_COMPUTE_W_ATTN_OUT, OPK_MM);
    return cur;
}

/* kind0: gate kind; up and down follow it in gp_compute_wkind */
static int build_ffn_dense(gp_ctx *c, gp_graph *g, int x, int64_t n_ff, int64_t n_embd, int64_t T,
                           int kind0) {
    int gate = g_op(g, 0, GT_F32, n_ff, T, 1, 1, x, GP_NONE, GP_NONE);
    tw(c, g, gate, kind0, OPK_MM);
    int up = g_op(g, 0, GT_F32, n_ff, T, 1, 1, x, GP_NONE, GP_NONE);
    tw(c, g, up, kind0 + 1, OPK_MM);
    int act = g_op(g, 0, GT_F32, n_ff, T, 1, 1, gate, up, GP_NONE);  /* swiglu / geglu */
    int down = g_op(g, 0, GT_F32, n_embd, T, 1, 1, act, GP_NONE, GP_NONE);
    tw(c, g, down, kind0 + 2, OPK_MM);
    return down;
}

static int build_ffn_moe(gp_ctx *c, gp_graph *g, int x, int64_t T) {
    const gp_compute_model *m = c->m;
    const int64_t ne = m->n_expert, nu = m->n_expert_used, nf = m->n_ff_exp, nd = m->n_embd;
    int logits = g_op(g, 0, GT_F32, ne, T, 1, 1, x, GP_NONE, GP_NONE);
    tw(c, g, logits, GP_COMPUTE_W_FFN_ROUTER, OPK_MM);
    int probs = g_op_like(g, 1, logits, logits, GP_NONE, GP_NONE);   /* soft_max / sigmoid */
    int sel = probs;
    if (m->expert_probs_bias) {
        sel = g_op_like(g, 1, probs, probs, GP_NONE, GP_NONE);
        tw(c, g, sel, GP_COMPUTE_W_FFN_PROBS_B, OPK_OTHER);
    }
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
    tw(c, g, gate, GP_COMPUTE_W_FFN_GATE_EXPS, OPK_MMID);
    int up = g_op(g, 0, GT_F32, nf, nu, T, 1, xr, topk, GP_NONE);
    tw(c, g, up, GP_COMPUTE_W_FFN_UP_EXPS, OPK_MMID);
    int act = g_op(g, 0, GT_F32, nf, nu, T, 1, gate, up, GP_NONE);
    int down = g_op(g, 0, GT_F32, nd, nu, T, 1, act, topk, GP_NONE);
    tw(c, g, down, GP_COMPUTE_W_FFN_DOWN_EXPS, OPK_MMID);
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
static int state_fetch(gp_ctx *c, gp_graph *g, uint32_t il_state) {
    const gp_compute_model *m = c->m;
    const int64_t L = m->conv_l_cache ? m->conv_l_cache : 3;
    const uint32_t il_save = c->il;
    c->il = il_state < m->n_layer ? il_state : il_save;
    /* clear of an unused state cell (in place on the state tensor) */
    tkv(c, g, g_ext(g, GP_NONE, GP_NONE, GP_NONE));
    if (c->rs_main == GP_NONE) {
        gp_t rs = g->t[c->rs_copy];
        c->rs_main = g_view(g, c->rs_copy, c->n_seq, 1, 1, 1, rs.nb[1], rs.nb[2], rs.nb[3], 1);
        c->rs_extra = g_view(g, c->rs_copy, 0, 1, 1, 1, rs.nb[1], rs.nb[2], rs.nb[3], 0);
    }
    int st = g_op(g, 0, GT_F32, (L - 1) * m->n_embd, c->n_seq, 1, 1, c->rs_main, GP_NONE, GP_NONE);
    /* states of the cells beyond the ubatch's sequences (none when reserving)
       copied back into the state tensor */
    int ex = g_op(g, 0, GT_F32, (L - 1) * m->n_embd, 0, 1, 1, c->rs_extra, GP_NONE, GP_NONE);
    tkv(c, g, g_ext(g, ex, GP_NONE, GP_NONE));
    c->il = il_save;
    return g_reshape(g, st, L - 1, m->n_embd, c->n_seq, 1);
}

static int build_shortconv_a(gp_ctx *c, gp_graph *g, int x, int state, int fetch_next,
                             int *c_gate, int *next_state) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nd = m->n_embd, L = m->conv_l_cache ? m->conv_l_cache : 3;
    const int64_t ns = c->n_seq;
    int xr = g_reshape(g, x, nd, T, 1, 1);
    int ip = g_op(g, 0, GT_F32, 3 * nd, T, 1, 1, xr, GP_NONE, GP_NONE);
    tw(c, g, ip, GP_COMPUTE_W_CONV_IN, OPK_MM);
    gp_t is = g->t[ip];
    int b = g_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 1);
    int xx = g_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 0);
    int bx = g_op(g, 0, GT_F32, nd, T, 1, 1, b, xx, GP_NONE);
    gp_t bs = g->t[bx];
    int bxt = g_view(g, bx, T / ns, nd, ns, 1, bs.nb[0], bs.nb[2], bs.nb[3], 1);
    int cat = g_op(g, 0, GT_F32, T / ns + L - 1, nd, ns, 1, state, bxt, GP_NONE);
    gp_t cs = g->t[cat];
    int last = g_view(g, cat, L - 1, nd, ns, 1, cs.nb[1], cs.nb[2], cs.nb[3], 0);
    tkv(c, g, g_ext(g, last, GP_NONE, GP_NONE));
    *next_state = fetch_next ? state_fetch(c, g, c->il + 1) : GP_NONE;
    *c_gate = g_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 0);
    return cat;
}

/* second half: ssm_conv, C gating, out_proj */
static int build_shortconv_b(gp_ctx *c, gp_graph *g, int cat, int c_gate) {
    const int64_t T = c->T, nd = c->m->n_embd;
    int conv = g_op(g, 0, GT_F32, nd, T, 1, 1, cat, GP_NONE, GP_NONE);
    tw(c, g, conv, GP_COMPUTE_W_CONV, OPK_OTHER);
    int y = g_op(g, 1, GT_F32, nd, T, 1, 1, c_gate, conv, GP_NONE);
    int o = g_op(g, 0, GT_F32, nd, T, 1, 1, y, GP_NONE, GP_NONE);
    tw(c, g, o, GP_COMPUTE_W_CONV_OUT, OPK_MM);
    return g_reshape(g, o, nd, T, 1, 1);
}

static void build_inputs(gp_ctx *c, gp_graph *g) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T;
    int has_full = any_full(m), has_swa = any_swa(m);
    int first_swa = layer_swa(m, 0);
    int mask_type = c->fa ? GT_F16 : GT_F32;
    const int64_t hv_all = (int64_t)m->head_dim_v * m->n_head_kv;

    c->inp_tokens = g_input(g, GT_I32, T, 1, 1, 1);
    c->inp_embd = g_input(g, GT_F32, m->n_embd, T, 1, 1);
    c->rs_copy = c->rs_main = c->rs_extra = GP_NONE;
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
    c->il = 0;
    int inpL = g_op(g, 0, GT_F32, nd, T, 1, 1, c->inp_tokens, GP_NONE, GP_NONE);
    tw(c, g, inpL, K_TOK, OPK_GETROWS);
    if (fam == GP_COMPUTE_FAMILY_GEMMA3) inpL = g_op_like(g, 1, inpL, inpL, GP_NONE, GP_NONE);

    int state = GP_NONE;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        const int last = il == m->n_layer - 1;
        c->il = il;
        int inpSA = inpL;
        int rec = layer_rec(m, il);
        int next_rec = il + 1 < m->n_layer && layer_rec(m, il + 1);
        if (rec && state == GP_NONE) state = state_fetch(c, g, il);
        int cur = rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
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
            tw(c, g, cur, GP_COMPUTE_W_ATTN_OUT, OPK_MM);
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
            cur = rms_mul(c, g, cur, GP_COMPUTE_W_ATTN_POST_NORM);
            ffn_inp = g_op_like(g, 1, cur, cur, inpSA, GP_NONE);
        } else if (fam == GP_COMPUTE_FAMILY_LFM2) {
            ffn_inp = g_op_like(g, 1, inpSA, inpSA, cur, GP_NONE);
        } else {
            ffn_inp = g_op_like(g, 1, cur, cur, inpSA, GP_NONE);
        }
        cur = rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        int is_moe = m->n_expert > 0 && il >= m->n_layer_dense_lead;
        int ffn;
        if (is_moe) {
            ffn = build_ffn_moe(c, g, cur, T);
            if (m->n_ff_shexp > 0) {
                int sh = build_ffn_dense(c, g, cur, m->n_ff_shexp, nd, T, GP_COMPUTE_W_FFN_GATE_SHEXP);
                ffn = g_op_like(g, 1, ffn, ffn, sh, GP_NONE);
            }
        } else {
            ffn = build_ffn_dense(c, g, cur, layer_n_ff(m, il), nd, T, GP_COMPUTE_W_FFN_GATE);
        }
        if (fam == GP_COMPUTE_FAMILY_GEMMA3) ffn = rms_mul(c, g, ffn, GP_COMPUTE_W_FFN_POST_NORM);
        if (fam == GP_COMPUTE_FAMILY_LFM2) {
            inpL = g_op_like(g, 1, ffn_inp, ffn_inp, ffn, GP_NONE);
        } else {
            inpL = g_op_like(g, 1, ffn, ffn, ffn_inp, GP_NONE);
        }
    }
    {
        c->il = m->n_layer;
        int rn = rms_mul(c, g, inpL, K_OUT_NORM);
        if (!g->err) g->t[rn].is_output = 1;
        int lo = g_op(g, 0, GT_F32, m->n_vocab, c->T, 1, 1, rn, GP_NONE, GP_NONE);
        tw(c, g, lo, K_OUTPUT, OPK_MM);
        if (!g->err) g->t[lo].is_output = 1;
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

/* ------------------------------------------------------------------------ */
/* scheduler: device assignment, splits, cross-device input copies          */

#define GP_N_COPIES 4   /* GGML_SCHED_MAX_COPIES */

typedef struct {
    int be;         /* device */
    int start, end; /* range in g->nodes */
    int *in;        /* inputs (tensor ids) in order of discovery */
    int nin, incap;
} gp_split;

static int64_t view_nbytes(const gp_t *t) {
    if (t->view_src == GP_NONE || (t->view_src == GP_EXT && t->type >= 98)) return (int64_t)t->size;
    int64_t n = type_size(t->type);
    for (int i = 0; i < 4; i++) {
        if (t->ne[i] <= 0) return 0;
        n += (t->ne[i] - 1) * t->nb[i];
    }
    return n;
}

/* new tensor with the layout of src (ggml_dup_tensor_layout) */
static int dup_layout(gp_graph *g, int src) {
    int id = new_tensor(g);
    if (g->err) return GP_NONE;
    gp_t *s = &g->t[src], *t = &g->t[id];
    t->type = s->type;
    memcpy(t->ne, s->ne, sizeof(t->ne));
    memcpy(t->nb, s->nb, sizeof(t->nb));
    t->size = (uint64_t)view_nbytes(s);
    return id;
}

static int64_t op_batch(const gp_t *t) {
    switch (t->opk) {
        case OPK_GETROWS: return 0;
        case OPK_MM: return t->ne[1];
        case OPK_MMID: return t->ne[2];
        default: return t->ne[1] * t->ne[2] * t->ne[3];
    }
}

/* expansion pass of the scheduler; up/down, gpu only or all */
static void expand(gp_graph *g, int nn, int up, int gpu_only) {
    int cur = -1;
    for (int s = 0; s < nn; s++) {
        gp_t *t = &g->t[g->nodes[up ? nn - 1 - s : s]];
        if (t->viewop) continue;
        if (t->be != -1) cur = (gpu_only && t->be == 0) ? -1 : t->be;
        else if (cur != -1) t->be = cur;   /* every backend modelled supports every op */
    }
}

static int push_split_input(gp_split *sp, int id) {
    return push_int(&sp->in, &sp->nin, &sp->incap, id);
}

static int schedule_and_replay(gp_ctx *c, gp_graph *g, uint64_t *out) {
    const gp_compute_placement *pl = c->pl;
    const int nd = pl ? (int)pl->n_devices : 1;
    const int ncopy = (pl && pl->pipeline_parallel && nd > 1) ? GP_N_COPIES : 1;
    const int nn = g->nnode;
    int rc = -1;
    gp_split *sp = NULL;
    int nsp = 0, spcap = 0;
    int *cpy = NULL, *gin = NULL, *wpseudo = NULL;
    int *ginl = NULL, nginl = 0, ginlcap = 0;
    int *n2 = NULL, nn2 = 0, n2cap = 0, *b2 = NULL, nb2 = 0, b2cap = 0;
    int *l2 = NULL, nl2 = 0, l2cap = 0, *lb2 = NULL, nlb2 = 0, lb2cap = 0;

    /* pass 1: graph inputs on the CPU; ops writing the KV cache / state on
       its device; ops reading a weight on the weight's device, unless a GPU
       offloads it (CPU weight, batch >= 32, not get_rows) */
    for (int i = 0; i < g->nleaf; i++) g->t[g->leafs[i]].be = 0;
    for (int k = 0; k < nn; k++) {
        gp_t *t = &g->t[g->nodes[k]];
        t->be = -1;
        if (t->viewop) continue;
        if (t->pdev >= 0) { t->be = t->pdev; continue; }
        if (t->wdev < 0) continue;
        t->be = t->wdev;
        if (t->wdev == 0 && pl && t->opk != OPK_GETROWS && op_batch(t) >= 32) {
            for (int b = 1; b < nd; b++) {
                if (pl->op_offload[b]) { t->be = b; break; }
            }
        }
    }
    /* pass 2: expand GPU assignments down and up, then any down and up */
    expand(g, nn, 0, 1);
    expand(g, nn, 1, 1);
    expand(g, nn, 0, 0);
    expand(g, nn, 1, 0);
    /* pass 3: leftovers go where most of their sources are (GPUs first) */
    for (int k = 0; k < nn; k++) {
        gp_t *t = &g->t[g->nodes[k]];
        if (t->viewop || t->be != -1) continue;
        int best = -1, bestn = -1;
        for (int o = 0; o < nd; o++) {
            int b = o + 1 < nd ? o + 1 : 0;   /* scheduler order: GPUs, then CPU */
            int cnt = 0;
            for (int j = 0; j < t->nsrc; j++) {
                const gp_t *s = &g->t[t->src[j]];
                int sb = s->be != -1 ? s->be : (s->view_src >= 0 ? g->t[s->view_src].be : -1);
                if (sb == b) cnt++;
            }
            if (cnt > bestn) { bestn = cnt; best = b; }
        }
        t->be = best;
    }
    /* pass 4: views follow their root; unassigned sources follow the node */
    for (int k = 0; k < nn; k++) {
        gp_t *t = &g->t[g->nodes[k]];
        if (t->view_src >= 0 && t->be == -1) t->be = g->t[t->view_src].be;
        for (int j = 0; j < t->nsrc; j++) {
            gp_t *s = &g->t[t->src[j]];
            if (s->be == -1) s->be = s->view_src >= 0 ? g->t[s->view_src].be : t->be;
        }
        if (t->be == -1) t->be = nd > 1 ? 1 : 0;
    }

    /* weights read by an op on another device (op offload) become sources */
    const int nw = (int)(c->m->n_layer + 1) * K_ALL;
    wpseudo = (int *)malloc((size_t)nw * sizeof(int));
    if (!wpseudo) goto done;
    for (int i = 0; i < nw; i++) wpseudo[i] = GP_NONE;
    for (int k = 0; k < nn; k++) {
        int id = g->nodes[k];
        gp_t *t = &g->t[id];
        if (t->viewop || t->wkey < 0 || t->wkey >= nw || t->wdev == t->be) continue;
        if (wpseudo[t->wkey] == GP_NONE) {
            int w = new_tensor(g);
            if (g->err) goto done;
            t = &g->t[id];
            gp_t *wt = &g->t[w];
            wt->type = 99;                 /* matches no activation layout */
            wt->ne[0] = wt->ne[1] = wt->ne[2] = wt->ne[3] = 1;
            wt->size = t->wbytes;
            wt->view_src = GP_EXT;         /* lives in a weight buffer */
            wt->be = t->wdev;
            wpseudo[t->wkey] = w;
        }
        /* mul_mat / mul_mat_id / get_rows read the weight as src0 */
        int w = wpseudo[t->wkey];
        if (t->nsrc >= GP_MAX_SRC) goto done;
        if (t->opk != OPK_OTHER) {
            for (int j = t->nsrc; j > 0; j--) t->src[j] = t->src[j - 1];
            t->src[0] = w;
        } else {
            t->src[t->nsrc] = w;
        }
        t->nsrc++;
    }

    /* pass 5: splits and copies of sources that live on another device */
    const int ncap = g->n;
    cpy = (int *)malloc((size_t)ncap * (size_t)nd * (size_t)ncopy * sizeof(int));
    gin = (int *)malloc((size_t)ncap * (size_t)ncopy * sizeof(int));
    if (!cpy || !gin) goto done;
    for (size_t i = 0; i < (size_t)ncap * (size_t)nd * (size_t)ncopy; i++) cpy[i] = GP_NONE;
    for (size_t i = 0; i < (size_t)ncap * (size_t)ncopy; i++) gin[i] = GP_NONE;
    {
        int k = 0;
        while (k < nn && g->t[g->nodes[k]].viewop) k++;
        int cur = k < nn ? g->t[g->nodes[k]].be : 0;
        spcap = 16;
        sp = (gp_split *)calloc((size_t)spcap, sizeof(gp_split));
        if (!sp) goto done;
        nsp = 1;
        sp[0].be = cur;
        sp[0].start = 0;
        for (; k < nn; k++) {
            int id = g->nodes[k];
            if (g->t[id].viewop) continue;
            int nbe = g->t[id].be;
            int need_new = 0;
            if (nbe == cur && sp[nsp - 1].nin > 0 && g->t[id].wkey >= 0 && g->t[id].wdev != cur)
                need_new = 1;
            if (nbe != cur || need_new) {
                sp[nsp - 1].end = k;
                if (nsp >= spcap) {
                    gp_split *ns2 = (gp_split *)realloc(sp, (size_t)spcap * 2 * sizeof(gp_split));
                    if (!ns2) goto done;
                    sp = ns2;
                    memset(sp + spcap, 0, (size_t)spcap * sizeof(gp_split));
                    spcap *= 2;
                }
                sp[nsp].be = nbe;
                sp[nsp].start = k;
                nsp++;
                cur = nbe;
            }
            for (int j = 0; j < g->t[id].nsrc; j++) {
                int s = g->t[id].src[j];
                if (s >= ncap) goto done;
                int sb = g->t[s].be;
                if (g->t[s].is_input && ncopy > 1 && gin[(size_t)s * ncopy] == GP_NONE) {
                    for (int cc = 0; cc < ncopy; cc++) {
                        int tc = cc == 0 ? s : dup_layout(g, s);
                        if (g->err) goto done;
                        g->t[tc].is_input = 1;
                        g->t[tc].is_output = 1;
                        g->t[tc].be = sb;
                        gin[(size_t)s * ncopy + cc] = tc;
                    }
                    if (push_int(&ginl, &nginl, &ginlcap, s)) goto done;
                }
                if (sb != cur) {
                    size_t key = ((size_t)s * nd + (size_t)cur) * ncopy;
                    if (cpy[key] == GP_NONE) {
                        for (int cc = 0; cc < ncopy; cc++) {
                            int tc = dup_layout(g, s);
                            if (g->err) goto done;
                            if (ncopy > 1) { g->t[tc].is_input = 1; g->t[tc].is_output = 1; }
                            g->t[tc].be = cur;
                            cpy[key + cc] = tc;
                        }
                        if (push_split_input(&sp[nsp - 1], s)) goto done;
                    }
                    g->t[id].src[j] = cpy[key];
                }
            }
        }
        sp[nsp - 1].end = nn;
    }

    /* the scheduler's graph: per split its input copies (a dependency on the
       source, then the copy), then its nodes */
    for (int si = 0; si < nsp; si++) {
        for (int j = 0; j < sp[si].nin; j++) {
            int s = sp[si].in[j];
            int dep = new_tensor(g);
            if (g->err) goto done;
            g->t[dep].view_src = g->t[s].view_src >= 0 ? g->t[s].view_src : s;
            if (g->t[s].view_src == GP_EXT) g->t[dep].view_src = GP_EXT;
            g->t[dep].dep = 1;
            g->t[dep].src[0] = s;
            g->t[dep].nsrc = 1;
            if (push_int(&n2, &nn2, &n2cap, dep) || push_int(&b2, &nb2, &b2cap, g->t[s].be)) goto done;
            int cp = cpy[((size_t)s * nd + (size_t)sp[si].be) * ncopy];
            if (push_int(&n2, &nn2, &n2cap, cp) || push_int(&b2, &nb2, &b2cap, sp[si].be)) goto done;
        }
        for (int k = sp[si].start; k < sp[si].end; k++) {
            int id = g->nodes[k];
            if (push_int(&n2, &nn2, &n2cap, id) || push_int(&b2, &nb2, &b2cap, g->t[id].be)) goto done;
        }
    }
    if (ncopy > 1) {
        for (int i = 0; i < nginl; i++) {
            for (int cc = 0; cc < ncopy; cc++) {
                int tc = gin[(size_t)ginl[i] * ncopy + cc];
                if (push_int(&l2, &nl2, &l2cap, tc) || push_int(&lb2, &nlb2, &lb2cap, g->t[tc].be)) goto done;
            }
        }
        for (int si = 0; si < nsp; si++) {
            for (int j = 0; j < sp[si].nin; j++) {
                for (int cc = 0; cc < ncopy; cc++) {
                    int tc = cpy[((size_t)sp[si].in[j] * nd + (size_t)sp[si].be) * ncopy + cc];
                    if (push_int(&l2, &nl2, &l2cap, tc) || push_int(&lb2, &nlb2, &lb2cap, sp[si].be)) goto done;
                }
            }
        }
    }
    for (int i = 0; i < g->nleaf; i++) {
        int id = g->leafs[i];
        if (push_int(&l2, &nl2, &l2cap, id) || push_int(&lb2, &nlb2, &lb2cap, g->t[id].be)) goto done;
    }
    rc = replay(g, l2, lb2, nl2, n2, b2, nn2, nd, out);

done:
    if (sp) for (int i = 0; i < nsp; i++) free(sp[i].in);
    free(sp); free(cpy); free(gin); free(wpseudo); free(ginl);
    free(n2); free(b2); free(l2); free(lb2);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* public API                                                                */

static int placement_ok(const gp_compute_model *m, const gp_compute_placement *pl) {
    if (!pl) return 1;
    if (pl->n_devices < 1 || pl->n_devices > GP_COMPUTE_MAX_DEVICES || !pl->layer) return 0;
    if (pl->out_norm_dev >= pl->n_devices || pl->output_dev >= pl->n_devices) return 0;
    if (pl->output_bytes > GP_MAX_TENSOR_BYTES) return 0;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        if (pl->layer[il].kv >= pl->n_devices) return 0;
        for (int k = 0; k < GP_COMPUTE_W_COUNT; k++) {
            if (pl->layer[il].w[k] >= pl->n_devices) return 0;
            if (pl->layer[il].w_bytes[k] > GP_MAX_TENSOR_BYTES) return 0;
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
   reads is present and in range, per-layer kinds fit the family (only lfm2
   has recurrent layers, MLA has no sliding-window cache), heads divide into
   KV heads, the graph stays small and its largest tensor fits the address
   range (the Hadamard rotation, at most head_dim_k squared, is far below it).
   Everything the builders compute is then well defined. */
static int shape_ok(const gp_ctx *c) {
    const gp_compute_model *m = c->m;
    const int fam = m->family;
    if (fam != GP_COMPUTE_FAMILY_LLAMA && fam != GP_COMPUTE_FAMILY_GEMMA3 &&
        fam != GP_COMPUTE_FAMILY_DEEPSEEK2 && fam != GP_COMPUTE_FAMILY_LFM2) return 0;
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
        if (layer_rec(m, il)) {
            if (fam != GP_COMPUTE_FAMILY_LFM2) return 0;
            n_rec = 1;
        } else {
            if (fam == GP_COMPUTE_FAMILY_DEEPSEEK2 && layer_swa(m, il)) return 0;
            n_attn = 1;
            if (fam != GP_COMPUTE_FAMILY_DEEPSEEK2) {
                const uint32_t nkv = layer_n_head_kv(m, il);
                if (nkv == 0 || nkv > GP_MAX_HEADS || m->n_head % nkv != 0) return 0;
                nkv_max = max_u64(nkv_max, nkv);
            }
        }
        if (m->n_expert > 0 && il >= m->n_layer_dense_lead) {
            n_moe = 1;
        } else {
            const uint32_t ff = layer_n_ff(m, il);
            if (ff == 0 || ff > GP_MAX_WIDTH) return 0;
            ff_max = max_u64(ff_max, ff);
        }
    }
    if (n_rec && (L < 2 || L > GP_MAX_CONV_L)) return 0;
    if (n_attn) {
        if (m->n_head == 0 || m->n_head > GP_MAX_HEADS) return 0;
        if (fam == GP_COMPUTE_FAMILY_DEEPSEEK2) {
            if (m->kv_lora_rank == 0 || m->kv_lora_rank > GP_MAX_LORA_RANK) return 0;
            if (m->q_lora_rank > GP_MAX_LORA_RANK) return 0;
            if (m->qk_nope == 0 || m->qk_nope > GP_MAX_HEAD_DIM) return 0;
            if (m->qk_rope == 0 || m->qk_rope > GP_MAX_HEAD_DIM) return 0;
            if (m->v_head_dim == 0 || m->v_head_dim > GP_MAX_HEAD_DIM) return 0;
        } else {
            if (m->head_dim_k == 0 || m->head_dim_k > GP_MAX_HEAD_DIM) return 0;
            if (m->head_dim_v == 0 || m->head_dim_v > GP_MAX_HEAD_DIM) return 0;
            if (m->n_head_kv > GP_MAX_HEADS) return 0;
        }
    }
    if (n_moe) {
        if (m->n_expert > GP_MAX_EXPERTS) return 0;
        if (m->n_expert_used == 0 || m->n_expert_used > m->n_expert) return 0;
        if (m->n_ff_exp == 0 || m->n_ff_exp > GP_MAX_WIDTH) return 0;
        if (m->n_ff_shexp > GP_MAX_WIDTH) return 0;
    }

    /* graph size: tensors per layer plus one view and one add per used expert */
    const uint64_t per_layer = GP_LAYER_TENSORS + (n_moe ? 2ull * m->n_expert_used : 0);
    if ((uint64_t)m->n_layer * per_layer > GP_MAX_GRAPH) return 0;

    /* The widest row of any tensor (every factor is below 2^31 by now, so
       each product of two fits), times the most rows, in the widest type. */
    const uint64_t nd = m->n_embd, nh = m->n_head, T = (uint64_t)c->T, n_kv = (uint64_t)c->n_kv;
    uint64_t w = max_u64(3 * nd, m->n_vocab);
    w = max_u64(w, ff_max);
    w = max_u64(w, n_kv);
    uint64_t cache_row = 0;   /* elements of one cache row */
    if (n_moe) {
        w = max_u64(w, m->n_expert);
        w = max_u64(w, m->n_ff_shexp);
        w = max_u64(w, (uint64_t)m->n_ff_exp * m->n_expert_used);
        w = max_u64(w, nd * m->n_expert_used);
    }
    if (n_attn) {
        w = max_u64(w, n_kv * nh);                                    /* KQ */
        if (fam == GP_COMPUTE_FAMILY_DEEPSEEK2) {
            const uint64_t kvr = m->kv_lora_rank, rope = m->qk_rope;
            w = max_u64(w, m->q_lora_rank);
            w = max_u64(w, ((uint64_t)m->qk_nope + rope) * nh);
            w = max_u64(w, (kvr + rope) * nh);
            w = max_u64(w, (uint64_t)m->v_head_dim * nh);
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
    if (mul3(w, rows, 8) > GP_MAX_TENSOR_BYTES) return 0;
    /* the cache itself, as read by attention (f32 is the widest type) */
    if (mul3(n_kv * (uint64_t)c->n_stream, cache_row, 4) > GP_MAX_TENSOR_BYTES) return 0;
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
    gp_ctx c;
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
    c.n_seq = ns;
    c.n_stream = r->kv_unified ? 1 : ns;
    c.n_kv = gp_compute_kv_cells_full(r);
    c.n_kv_swa = gp_compute_kv_cells_swa(m, r);
    c.fa = r->flash_attn != 0;
    if (!shape_ok(&c)) return -1;
    if (m->family != GP_COMPUTE_FAMILY_DEEPSEEK2) {
        c.k_rot = is_quant(r->type_k) ? rot_size_k(m->head_dim_k) : 0;
        c.v_rot = (is_quant(r->type_v) && m->head_dim_v % 64 == 0) ? 64 : 0;
    }

    gp_graph g;
    memset(&g, 0, sizeof(g));
    int rc = -1;
    if (build_graph(&c, &g) == 0) rc = schedule_and_replay(&c, &g, out);
    g_free(&g);
    if (rc != 0) memset(out, 0, nd * sizeof(uint64_t));
    return rc;
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
        } else {
            pl->output_dev = (uint8_t)dev;
            pl->out_norm_dev = (uint8_t)dev;
        }
    }
    pl->pipeline_parallel = n_gpus > 1 && ngl > n_layer_all;
    return 0;
}

static const char *const wkind_names[GP_COMPUTE_W_COUNT] = {
    "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm", "attn_k_norm",
    "post_attention_norm", "attn_q_a", "attn_q_a_norm", "attn_q_b", "attn_kv_a_mqa",
    "attn_kv_a_norm", "attn_k_b", "attn_v_b", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down",
    "post_ffw_norm", "ffn_gate_inp", "exp_probs_b", "ffn_gate_exps", "ffn_up_exps",
    "ffn_down_exps", "ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp",
    "shortconv.in_proj", "shortconv.conv", "shortconv.out_proj"
};

int gp_compute_weight_kind(const char *name, uint32_t *layer) {
    if (!name || strncmp(name, "blk.", 4) != 0) return -1;
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
    for (int k = 0; k < GP_COMPUTE_W_COUNT; k++) {
        size_t n = strlen(wkind_names[k]);
        if (strncmp(p, wkind_names[k], n) == 0 && (p[n] == '.' || p[n] == '\0')) {
            if (layer) *layer = il;
            return k;
        }
    }
    return -1;
}
