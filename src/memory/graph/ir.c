/* ir.c - building the tensor graph: leaves, ops, views (see ir.h). */
#include "memory/graph/ir.h"

#include <stdlib.h>
#include <string.h>

int gpg_type_size(int type) {
    switch (type) {
        case GPG_F16: return 2;
        case GPG_I64: return 8;
        default: return 4;
    }
}

int gpg_push_int(int **arr, int *n, int *cap, int v) {
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

int gpg_new_tensor(gpg_graph *g) {
    if (g->err) return 0;
    if (g->n >= GPG_MAX_TENSORS) { g->err = 1; return 0; }
    if (g->n >= g->cap) {
        int nc = g->cap ? g->cap * 2 : 4096;
        gpg_tensor *nt = (gpg_tensor *)realloc(g->t_base, ((size_t)nc + 1) * sizeof(gpg_tensor));
        if (!nt) { g->err = 1; return 0; }
        if (!g->t_base) {
            memset(&nt[0], 0, sizeof nt[0]);
            nt[0].view_src = GPG_NONE;
            for (int i = 0; i < GPG_MAX_SRC; i++) nt[0].src[i] = GPG_NONE;
        }
        g->t_base = nt;
        g->t = nt + 1;
        g->cap = nc;
    }
    gpg_tensor *t = &g->t[g->n];
    memset(t, 0, sizeof(*t));
    t->view_src = GPG_NONE;
    t->pdev = t->wdev = t->wkey = t->be = -1;
    for (int i = 0; i < GPG_MAX_SRC; i++) t->src[i] = GPG_NONE;
    return g->n++;
}

/* Returns -1 when the size leaves the accepted range (the entry checks keep
   real shapes far from it). */
static int gpg_set_contig(gpg_tensor *t, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    t->type = type;
    t->ne[0] = ne0; t->ne[1] = ne1; t->ne[2] = ne2; t->ne[3] = ne3;
    t->nb[0] = gpg_type_size(type);
    int64_t size;
    if (ne0 < 0 || ne1 < 0 || ne2 < 0 || ne3 < 0 ||
        __builtin_mul_overflow(t->nb[0], ne0, &t->nb[1]) ||
        __builtin_mul_overflow(t->nb[1], ne1, &t->nb[2]) ||
        __builtin_mul_overflow(t->nb[2], ne2, &t->nb[3]) ||
        __builtin_mul_overflow(t->nb[3], ne3, &size) ||
        (uint64_t)size > GPG_MAX_TENSOR_BYTES) {
        t->nb[1] = t->nb[2] = t->nb[3] = 0;
        t->size = 0;
        return -1;
    }
    t->size = (uint64_t)size;
    return 0;
}

/* graph input leaf */
int gpg_input(gpg_graph *g, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    int id = gpg_new_tensor(g);
    if (g->err) return GPG_NONE;
    if (gpg_set_contig(&g->t[id], type, ne0, ne1, ne2, ne3)) { g->err = 1; return GPG_NONE; }
    g->t[id].is_input = 1;
    if (gpg_push_int(&g->leafs, &g->nleaf, &g->leafcap, id)) g->err = 1;
    return id;
}

int gpg_leaf(gpg_graph *g, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    int id = gpg_input(g, type, ne0, ne1, ne2, ne3);
    if (!g->err) g->t[id].is_input = 0;
    return id;
}

static void gpg_add_node(gpg_graph *g, int id) {
    if (gpg_push_int(&g->nodes, &g->nnode, &g->nodecap, id)) g->err = 1;
}

static void gpg_set_srcs(gpg_tensor *t, int s0, int s1, int s2) {
    int s[3] = { s0, s1, s2 };
    t->nsrc = 0;
    for (int i = 0; i < 3; i++) {
        if (s[i] >= 0) t->src[t->nsrc++] = s[i];
    }
}

/* computed node with a fresh contiguous result */
int gpg_op(gpg_graph *g, int inplace, int type, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3,
           int s0, int s1, int s2) {
    int id = gpg_new_tensor(g);
    if (g->err) return GPG_NONE;
    gpg_tensor *t = &g->t[id];
    if (gpg_set_contig(t, type, ne0, ne1, ne2, ne3)) { g->err = 1; return GPG_NONE; }
    t->inplace = inplace;
    gpg_set_srcs(t, s0, s1, s2);
    gpg_add_node(g, id);
    return id;
}

/* same shape as a source, new contiguous result */
int gpg_op_like(gpg_graph *g, int inplace, int like, int s0, int s1, int s2) {
    if (g->err || like < 0) { g->err = 1; return GPG_NONE; }
    gpg_tensor l = g->t[like];
    return gpg_op(g, inplace, l.type, l.ne[0], l.ne[1], l.ne[2], l.ne[3], s0, s1, s2);
}

static int gpg_root_of(gpg_graph *g, int src) {
    if (src < 0) return GPG_EXT;
    return g->t[src].view_src >= 0 ? g->t[src].view_src
         : (g->t[src].view_src == GPG_EXT ? GPG_EXT : src);
}

/* view with explicit shape and strides */
int gpg_view(gpg_graph *g, int src, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3,
             int64_t nb1, int64_t nb2, int64_t nb3, int offs0) {
    if (g->err || src < 0) { g->err = 1; return GPG_NONE; }
    int id = gpg_new_tensor(g);
    if (g->err) return GPG_NONE;
    gpg_tensor *t = &g->t[id];
    const gpg_tensor *s = &g->t[src];
    t->type = s->type;
    t->ne[0] = ne0; t->ne[1] = ne1; t->ne[2] = ne2; t->ne[3] = ne3;
    t->nb[0] = s->nb[0]; t->nb[1] = nb1; t->nb[2] = nb2; t->nb[3] = nb3;
    t->size = 0;
    t->view_src = gpg_root_of(g, src);
    t->offs0 = offs0 && (s->view_src < 0 || s->offs0);
    t->src[0] = src;
    t->nsrc = 1;
    t->viewop = 1;
    gpg_add_node(g, id);
    return id;
}

int gpg_reshape(gpg_graph *g, int src, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    if (g->err || src < 0) { g->err = 1; return GPG_NONE; }
    int64_t es = g->t[src].nb[0];
    return gpg_view(g, src, ne0, ne1, ne2, ne3, es * ne0, es * ne0 * ne1, es * ne0 * ne1 * ne2, 1);
}

/* permute (0,2,1,3): swap dims 1 and 2 */
int gpg_permute_12(gpg_graph *g, int src) {
    if (g->err || src < 0) { g->err = 1; return GPG_NONE; }
    gpg_tensor s = g->t[src];
    int id = gpg_view(g, src, s.ne[0], s.ne[2], s.ne[1], s.ne[3], s.nb[2], s.nb[1], s.nb[3], 1);
    return id;
}

/* node writing into an external tensor (KV cache / state): never allocated */
int gpg_ext(gpg_graph *g, int s0, int s1, int s2) {
    int id = gpg_new_tensor(g);
    if (g->err) return GPG_NONE;
    gpg_tensor *t = &g->t[id];
    t->type = GPG_F32;
    t->view_src = GPG_EXT;
    gpg_set_srcs(t, s0, s1, s2);
    gpg_add_node(g, id);
    return id;
}

void gpg_free(gpg_graph *g) {
    free(g->t_base);
    free(g->leafs);
    free(g->nodes);
    memset(g, 0, sizeof(*g));
}

void gpg_set_src4(gpg_graph *g, int id, int s0, int s1, int s2, int s3) {
    if (g->err || id < 0) return;
    gpg_tensor *t = &g->t[id];
    int s[4] = { s0, s1, s2, s3 };
    t->nsrc = 0;
    for (int i = 0; i < 4; i++) if (s[i] >= 0) t->src[t->nsrc++] = s[i];
}

int gpg_is_contiguous(const gpg_tensor *t) {
    int64_t next = gpg_type_size(t->type);
    if (t->ne[0] != 1 && t->nb[0] != next) return 0;
    next *= t->ne[0];
    for (int i = 1; i < 4; i++) {
        if (t->ne[i] == 1) continue;
        if (t->nb[i] != next) return 0;
        next *= t->ne[i];
    }
    return 1;
}

int gpg_set_rows(gpg_graph *g, int dst, int src, int idx) {
    int id = gpg_view(g, dst, g->t[dst].ne[0], g->t[dst].ne[1], g->t[dst].ne[2], g->t[dst].ne[3],
                      g->t[dst].nb[1], g->t[dst].nb[2], g->t[dst].nb[3], 1);
    if (g->err) return GPG_NONE;
    gpg_tensor *t = &g->t[id];
    t->viewop = 0;       /* an op: the scheduler gives it a device */
    t->src[0] = src;
    t->src[1] = idx;
    t->src[2] = dst;
    t->nsrc = 3;
    return id;
}

void gpg_set_srcs_n(gpg_graph *g, int id, const int *srcs, int n) {
    if (g->err || id < 0) return;
    if (n > GPG_MAX_SRC - 1) { g->err = 1; return; }
    gpg_tensor *t = &g->t[id];
    t->nsrc = 0;
    for (int i = 0; i < n; i++) if (srcs[i] >= 0) t->src[t->nsrc++] = srcs[i];
}

int gpg_transpose(gpg_graph *g, int src) {
    if (g->err || src < 0) { g->err = 1; return GPG_NONE; }
    gpg_tensor s = g->t[src];
    int id = gpg_view(g, src, s.ne[1], s.ne[0], s.ne[2], s.ne[3], s.nb[0], s.nb[2], s.nb[3], 1);
    if (!g->err) g->t[id].nb[0] = s.nb[1];
    return id;
}

void gpg_hoist(gpg_graph *g, int from, int to) {
    if (g->err || to < 0 || from < to || from > g->nnode) { g->err = 1; return; }
    int n = g->nnode - from, gap = from - to;
    if (n == 0 || gap == 0) return;
    int *moved = (int *)malloc((size_t)n * sizeof(int));
    if (!moved) { g->err = 1; return; }
    memcpy(moved, g->nodes + from, (size_t)n * sizeof(int));
    memmove(g->nodes + to + n, g->nodes + to, (size_t)gap * sizeof(int));
    memcpy(g->nodes + to, moved, (size_t)n * sizeof(int));
    free(moved);
}
