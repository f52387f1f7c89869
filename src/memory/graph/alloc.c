/*
 * alloc.c - replay of ggml-alloc (ggml_gallocr) over a built graph.
 *
 * Graph inputs (token ids, embeddings input, positions, KV row indices, the
 * KQ mask, output row ids, Hadamard rotation matrices) are allocated first,
 * in leaf order. Nodes are then visited in order; a node is placed in its
 * parent's memory when the op may run in place, the parent has the same
 * type, shape and strides, has no other pending consumer and no live views,
 * and is not a graph output. Otherwise the tensor goes into the best-fitting
 * free block (the smallest block that is big enough, excluding the last
 * block), else at the end of the last block, which grows the buffer; sizes
 * are padded to 32 bytes (CPU buffer alignment). Once a tensor's last
 * consumer ran and no view of it is pending it is freed and merged with
 * neighbouring free blocks; graph outputs are never freed. The buffer size
 * is the largest end offset reached.
 *
 * GGPLACE_GRAPH_DUMP=FILE writes every node in replay order (shape, device,
 * offset, the buffer's size so far) for comparing a family's graph with
 * llama.cpp's, node by node.
 */
#include "memory/graph/ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GPG_MAX_FREE 256

typedef struct {
    uint64_t off[GPG_MAX_FREE];
    uint64_t sz[GPG_MAX_FREE];
    int n;
    uint64_t max_size;
    int err;
} gp_alloc;

static uint64_t pad_align(uint64_t x) { return (x + GPG_ALIGN - 1) / GPG_ALIGN * GPG_ALIGN; }

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
    if (a->n >= GPG_MAX_FREE) { a->err = 1; return; }
    int pos = 0;
    while (pos < a->n && a->off[pos] < off) pos++;
    for (int j = a->n; j > pos; j--) { a->off[j] = a->off[j - 1]; a->sz[j] = a->sz[j - 1]; }
    a->off[pos] = off;
    a->sz[pos] = size;
    a->n++;
}

static int same_layout(const gpg_tensor *a, const gpg_tensor *b) {
    if (a->type != b->type) return 0;
    for (int i = 0; i < 4; i++) {
        if (a->ne[i] != b->ne[i] || a->nb[i] != b->nb[i]) return 0;
    }
    return 1;
}

/* a: one allocator per buffer (device); buf: the buffer of the node that
   asks for the tensor */
static void place(gpg_graph *g, gp_alloc *a, int id, int buf) {
    gpg_tensor *t = &g->t[id];
    if (t->allocated || t->view_src != GPG_NONE) return;
    t->allocated = 1;
    if (t->inplace) {
        for (int i = 0; i < t->nsrc; i++) {
            gpg_tensor *p = &g->t[t->src[i]];
            /* only tensors placed by the allocator itself (views never are) */
            if (p->view_src != GPG_NONE || !p->allocated) continue;
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

static void release(gpg_graph *g, gp_alloc *a, int id) {
    gpg_tensor *t = &g->t[id];
    if (t->is_output) return;
    fa_free(&a[t->buf], t->addr, t->size);
    t->allocated = 0;
}

/* ggml-alloc over a node / leaf order with a buffer per entry; out[b] gets
   the high-water mark of buffer b. Returns 0 or -1. */
int gpg_replay(gpg_graph *g, const int *leafs, const int *leaf_buf, int nleaf,
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
        gpg_tensor *t = &g->t[nodes[k]];
        if (t->view_src >= 0 && !t->dep) g->t[t->view_src].n_views++;
        for (int j = 0; j < t->nsrc; j++) g->t[t->src[j]].n_children++;
    }
    int err = 0;
    const char *dump_path = getenv("GGPLACE_GRAPH_DUMP");
    FILE *dump = dump_path ? fopen(dump_path, "w") : NULL;
    for (int k = 0; k < nnode && !err; k++) {
        int id = nodes[k];
        gpg_tensor *t = &g->t[id];
        for (int j = 0; j < t->nsrc; j++) place(g, a, t->src[j], node_buf[k]);
        place(g, a, id, node_buf[k]);
        if (dump) {
            static const char *const types[] = {"f32", "f16", "i32", "i64"};
            fprintf(dump, "N %d %s [%lld,%lld,%lld,%lld] be=%d%s%s%s addr=%llu size=%llu top=%llu srcs:", k,
                    t->type >= 0 && t->type < 4 ? types[t->type] : "w", (long long)t->ne[0], (long long)t->ne[1],
                    (long long)t->ne[2], (long long)t->ne[3], node_buf[k], t->viewop ? " view" : "",
                    t->dep ? " dep" : "", t->view_src == GPG_EXT ? " ext" : "", (unsigned long long)t->addr,
                    (unsigned long long)t->size, (unsigned long long)a[node_buf[k]].max_size);
            for (int j = 0; j < t->nsrc; j++) fprintf(dump, " %d", t->src[j]);
            fprintf(dump, " id=%d\n", id);
        }
        for (int j = 0; j < t->nsrc; j++) {
            gpg_tensor *p = &g->t[t->src[j]];
            p->n_children--;
            if (p->n_children == 0 && p->n_views == 0) {
                if (p->view_src >= 0) {
                    gpg_tensor *vs = &g->t[p->view_src];
                    vs->n_views--;
                    if (vs->n_views == 0 && vs->n_children == 0 && vs->allocated) {
                        release(g, a, p->view_src);
                    }
                } else if (p->view_src == GPG_NONE && p->allocated) {
                    release(g, a, t->src[j]);
                }
            }
        }
        for (int b = 0; b < nbuf; b++) err |= a[b].err;
    }
    for (int b = 0; b < nbuf; b++) out[b] = err ? 0 : a[b].max_size;
    if (dump) fclose(dump);
    free(a);
    return err ? -1 : 0;
}
