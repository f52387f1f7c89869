/*
 * ir.h - the tensor graph that llama.cpp's compute buffer is predicted from.
 *
 * A family's builder (memory/families/) adds tensors in the order ggml's
 * depth-first expansion puts them; the scheduler (sched.c) gives every op a
 * device and adds the cross-device copies; the allocator replay (alloc.c)
 * places every tensor as ggml-alloc does and reports each buffer's
 * high-water mark. Weights, the KV cache and recurrent state live outside
 * the compute buffer and are not tensors here (a view of them is marked
 * GPG_EXT).
 *
 * Owns: tensors, views, graph inputs, the node order. Calls nothing above
 * it; the builders and compute.c call it.
 */
#ifndef GP_GRAPH_IR_H
#define GP_GRAPH_IR_H

#include <stdint.h>

#include "memory/compute.h"

enum { GPG_F32 = 0, GPG_F16 = 1, GPG_I32 = 2, GPG_I64 = 3 };

#define GPG_EXT (-2)   /* view of a tensor outside the compute buffer */
#define GPG_NONE (-1)
#define GPG_MAX_SRC 8   /* the WKV-7 scan reads seven; one more for a weight */
#define GPG_ALIGN 32u
/* Hard ceiling of tensors, the scheduler's copies included. */
#define GPG_MAX_TENSORS (1 << 20)
/* Largest tensor the replay accepts (far beyond anything llama.cpp could
   allocate; keeps every stride inside int64_t). */
#define GPG_MAX_TENSOR_BYTES (1ull << 56)

/* Weight kinds beyond the per-layer ones (gp_compute_wkind). */
enum { GPG_W_TOK = GP_COMPUTE_W_COUNT, GPG_W_OUT_NORM, GPG_W_OUTPUT, GPG_W_ALL };
/* How an op's batch is counted for op offload. */
enum { GPG_OP_OTHER = 0, GPG_OP_MM = 1, GPG_OP_MMID = 2, GPG_OP_GETROWS = 3 };

typedef struct {
    int64_t ne[4];
    int64_t nb[4];
    uint64_t size;
    int type;
    int view_src;      /* root tensor this is a view of; GPG_NONE, GPG_EXT */
    int offs0;         /* view starts at the root's first byte */
    int src[GPG_MAX_SRC];
    int nsrc;
    int inplace;       /* op may run in place */
    int is_input;
    int is_output;
    /* scheduler */
    int viewop;        /* view / reshape / permute node (skipped by the passes) */
    int dep;           /* scheduler dependency view (does not count as a view) */
    int pdev;          /* device fixed by the written tensor (KV / state), -1 */
    int wdev;          /* device of the weight the op reads, -1 none */
    int wkey;          /* weight identity (layer * GPG_W_ALL + kind), -1 none */
    uint64_t wbytes;   /* bytes of that weight (op-offload copy) */
    int opk;           /* op kind for op offload batch size */
    int be;            /* assigned device */
    /* allocator state */
    int buf;
    int n_children;
    int n_views;
    int allocated;
    uint64_t addr;
} gpg_tensor;

typedef struct {
    gpg_tensor *t;     /* t[-1] is a zeroed sentinel: a builder may read the result of an op
                          that failed (GPG_NONE) before the whole build is refused */
    gpg_tensor *t_base;/* the allocation: the sentinel, then t[0..cap) */
    int n, cap;
    int *leafs;
    int nleaf, leafcap;
    int *nodes;
    int nnode, nodecap;
    int err;           /* sticky: any failed step makes the whole build fail */
} gpg_graph;

int gpg_type_size(int type);
int gpg_push_int(int **arr, int *n, int *cap, int v);
int gpg_new_tensor(gpg_graph *g);
/* graph input leaf */
int gpg_input(gpg_graph *g, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3);
/* a leaf that is not a graph input: no buffer of its own until ggml-alloc
   places it (before every node), on its consumer's device */
int gpg_leaf(gpg_graph *g, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3);
/* set_rows: writes src's rows into dst at idx; the result is a view of dst */
int gpg_set_rows(gpg_graph *g, int dst, int src, int idx);
/* computed node with a fresh contiguous result; inplace: the op may reuse a
   source's memory (add, mul, scale, norm, rope, soft_max, unary, ...) */
int gpg_op(gpg_graph *g, int inplace, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3,
           int s0, int s1, int s2);
/* same shape and type as `like`, new contiguous result */
int gpg_op_like(gpg_graph *g, int inplace, int like, int s0, int s1, int s2);
/* view with explicit shape and strides; offs0: starts at the source's first byte */
int gpg_view(gpg_graph *g, int src, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3,
             int64_t nb1, int64_t nb2, int64_t nb3, int offs0);
int gpg_reshape(gpg_graph *g, int src, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3);
/* permute (0,2,1,3): swap dims 1 and 2 */
int gpg_permute_12(gpg_graph *g, int src);
/* node writing into an external tensor (KV cache / state): never allocated */
int gpg_ext(gpg_graph *g, int s0, int s1, int s2);
/* replace a node's sources with up to four, or with n */
void gpg_set_src4(gpg_graph *g, int id, int s0, int s1, int s2, int s3);
void gpg_set_srcs_n(gpg_graph *g, int id, const int *srcs, int n);
/* moves the nodes added since `from` to position `to` (< from): for nodes
   ggml reaches before others built earlier (a layer's state gathers, which
   need nothing of the layers before it) */
void gpg_hoist(gpg_graph *g, int from, int to);
/* transposed view (dims 0 and 1 swapped) */
int gpg_transpose(gpg_graph *g, int src);
void gpg_free(gpg_graph *g);
/* ggml_is_contiguous: rows packed one after the other (dimensions of one
   element are ignored) */
int gpg_is_contiguous(const gpg_tensor *t);

/* ggml-alloc over a node / leaf order with a buffer per entry; out[b] gets
   the high-water mark of buffer b. Returns 0 or -1. */
int gpg_replay(gpg_graph *g, const int *leafs, const int *leaf_buf, int nleaf,
               const int *nodes, const int *node_buf, int nnode, int nbuf, uint64_t *out);

/* The backend scheduler: a device per op, splits, cross-device copies, then
   the allocator replay; out[d] gets device d's compute buffer. pl NULL: all
   on the CPU. n_layer sizes the weight identities (layer * GPG_W_ALL + kind). */
int gpg_schedule_and_replay(gpg_graph *g, const gp_compute_placement *pl, uint32_t n_layer,
                            uint64_t *out);

#endif
