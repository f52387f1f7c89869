/*
 * mmproj.c - memory of a multimodal projector (llama.cpp v0.5.0, tools/mtmd).
 *
 * Weights: clip.cpp load_tensors() copies every tensor it asks for into one
 * buffer of the projector's device (ggml_backend_alloc_ctx_tensors_from_buft),
 * each tensor padded to the buffer alignment (32 on CPU and RPC). Layers past
 * clip.vision.block_count are never asked for.
 *
 * Compute: at load clip.cpp builds the graph of one warm-up image and lets the
 * scheduler reserve it (reserve_compute_meta); the buffer is ggml-alloc's
 * high-water mark, not a sum. For the projectors we model (gemma3, mlp,
 * qwen2vl_merger, qwen2.5vl_merger) we rebuild that graph tensor by tensor as
 * the clip builders create it, order it as ggml's depth-first expansion does
 * (build_attn pins Q, K, V first), and replay ggml-alloc: graph inputs first,
 * best-fit free blocks (the last block grows the buffer), in-place reuse of an
 * own parent with one consumer and the same layout for the ops
 * ggml_op_can_inplace lists, frees after the last consumer. Other projectors
 * get a deliberately high estimate.
 */
#include "memory/mmproj.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "util/error.h"

#define ALIGN 32u
#define MAX_FREE 256               /* ggml-alloc's MAX_FREE_BLOCKS */
#define MAX_BYTES (1ull << 56)     /* no tensor of a real graph comes near */
enum { TF32 = 0, TF16 = 1, TI32 = 26 };
enum { K_EXT, K_INPUT, K_VIEW, K_OP };   /* weight, graph input, view, computed */

typedef struct {
    int64_t ne[4], nb[4];
    uint64_t bytes, addr;
    int type, src[4], view_src, n_children, n_views;
    unsigned char kind, inplace, visited, own;
} mt;

typedef struct {
    const gp_gguf *gg;
    mt *t;
    int n, cap, *nodes, nn, *leafs, nl, err;
    char missing[GP_GGUF_MAX_NAME + 16];   /* required tensor absent */
    uint64_t off[MAX_FREE], sz[MAX_FREE], max, inputs;
    int nfree;
    int64_t E, H, D, NP;                   /* embd, heads, head dim, positions */
    int fa, rms, pos;                      /* pos: M-RoPE positions input or -1 */
} mg;

static uint64_t pad(uint64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static int nt(mg *g)
{
    if (g->err) return -1;
    if (g->n == g->cap) {                  /* the three arrays grow together */
        int nc = g->cap ? g->cap * 2 : 1024;
        void *t = realloc(g->t, (size_t)nc * sizeof *g->t), *a = t ? realloc(g->nodes, (size_t)nc * sizeof(int)) : NULL;
        void *b = a ? realloc(g->leafs, (size_t)nc * sizeof(int)) : NULL;
        if (t) g->t = t;
        if (a) g->nodes = a;
        if (!b) { g->err = 1; return -1; }
        g->leafs = b; g->cap = nc;
    }
    mt *t = &g->t[g->n];
    memset(t, 0, sizeof *t);
    t->view_src = t->src[0] = t->src[1] = t->src[2] = t->src[3] = -1;
    return g->n++;
}

/* contiguous layout; refuses sizes no real graph reaches */
static int contig(mg *g, int id, int type, int64_t a, int64_t b, int64_t c, int64_t d)
{
    mt *t = &g->t[id];
    const gp_type_info *ti = gp_type_get((uint32_t)type);
    uint64_t row, n;
    if (!ti || a <= 0 || b <= 0 || c <= 0 || d <= 0 || !gp_type_row_bytes((uint32_t)type, (uint64_t)a, &row) ||
        __builtin_mul_overflow(row, (uint64_t)b, &n) || __builtin_mul_overflow(n, (uint64_t)c, &n) ||
        __builtin_mul_overflow(n, (uint64_t)d, &n) || n > MAX_BYTES) { g->err = 1; return -1; }
    t->type = type;
    t->ne[0] = a; t->ne[1] = b; t->ne[2] = c; t->ne[3] = d;
    t->nb[0] = ti->type_size; t->nb[1] = (int64_t)row; t->nb[2] = t->nb[1] * b; t->nb[3] = t->nb[2] * c;
    t->bytes = n;
    return id;
}

/* weight tensor PREFIX[.SFX] from the file; -1 when absent */
static int weight(mg *g, const char *prefix, const char *sfx, int required)
{
    char name[GP_GGUF_MAX_NAME + 16];
    snprintf(name, sizeof name, sfx ? "%s.%s" : "%s", prefix, sfx);
    for (size_t i = 0; i < g->gg->n_tensors; i++) {
        const gp_gguf_tensor *w = &g->gg->tensors[i];
        if (strcmp(w->name, name) != 0) continue;
        int id = nt(g);
        if (id < 0 || contig(g, id, (int)w->type, w->ne[0], w->ne[1], w->ne[2], w->ne[3]) < 0) return -1;
        g->t[id].kind = K_EXT;
        return id;
    }
    if (required && !g->missing[0]) { snprintf(g->missing, sizeof g->missing, "%s", name); g->err = 1; }
    return -1;
}

/* an op with a fresh contiguous result */
static int op(mg *g, int inplace, int type, int64_t a, int64_t b, int64_t c, int64_t d, int s0, int s1, int s2, int s3)
{
    int id = nt(g);
    if (id < 0 || contig(g, id, type, a, b, c, d) < 0) return -1;
    mt *t = &g->t[id];
    t->kind = K_OP; t->inplace = (unsigned char)inplace;
    t->src[0] = s0; t->src[1] = s1; t->src[2] = s2; t->src[3] = s3;
    return id;
}
static int input(mg *g, int type, int64_t a, int64_t b, int64_t c)   /* graph input leaf */
{
    int id = op(g, 0, type, a, b, c, 1, -1, -1, -1, -1);
    if (id >= 0) { g->t[id].kind = K_INPUT; g->inputs += pad(g->t[id].bytes); }
    return id;
}
static int bad(mg *g) { g->err = 1; return -1; }
/* same type and shape as a (add, mul, norm, unary, soft_max, rope...) */
static int like(mg *g, int inplace, int a, int s1)
{
    if (a < 0 || g->err) return bad(g);
    mt x = g->t[a];
    return op(g, inplace, x.type, x.ne[0], x.ne[1], x.ne[2], x.ne[3], a, s1, -1, -1);
}
static int add_w(mg *g, int x, int w) { return w < 0 ? x : like(g, 1, x, w); }
static int mul_mat(mg *g, int a, int b)
{
    if (a < 0 || b < 0 || g->err) return bad(g);
    return op(g, 0, TF32, g->t[a].ne[1], g->t[b].ne[1], g->t[b].ne[2], g->t[b].ne[3], a, b, -1, -1);
}
static int cont(mg *g, int a, int64_t n0, int64_t n1, int64_t n2, int64_t n3)
{
    return a < 0 || g->err ? bad(g) : op(g, 0, g->t[a].type, n0, n1, n2, n3, a, -1, -1, -1);
}
/* ggml_cast: a CPY whose second source is the result itself */
static int cast(mg *g, int a, int type)
{
    if (a < 0 || g->err) return bad(g);
    int id = op(g, 0, type, g->t[a].ne[0], g->t[a].ne[1], g->t[a].ne[2], g->t[a].ne[3], a, -1, -1, -1);
    if (id >= 0) g->t[id].src[1] = id;
    return id;
}

/* views (reshape, permute, transpose) alias their root */
static int view(mg *g, int a, const int64_t *ne, const int64_t *nb)
{
    int id = a < 0 ? bad(g) : nt(g);
    if (id < 0) return -1;
    mt *t = &g->t[id], *s = &g->t[a];
    t->kind = K_VIEW; t->type = s->type;
    memcpy(t->ne, ne, sizeof t->ne);
    memcpy(t->nb, nb, sizeof t->nb);
    t->view_src = s->view_src >= 0 ? s->view_src : a;
    t->src[0] = a;
    return id;
}
static int reshape(mg *g, int a, int64_t n0, int64_t n1, int64_t n2, int64_t n3)
{
    if (a < 0 || g->err) return bad(g);
    int64_t ne[4] = { n0, n1, n2, n3 }, nb[4] = { g->t[a].nb[0], 0, 0, 0 };
    nb[1] = nb[0] * n0; nb[2] = nb[1] * n1; nb[3] = nb[2] * n2;
    return view(g, a, ne, nb);
}
static int permute(mg *g, int a, int p0, int p1, int p2, int p3)
{
    if (a < 0 || g->err) return bad(g);
    int p[4] = { p0, p1, p2, p3 };
    int64_t ne[4], nb[4];
    for (int i = 0; i < 4; i++) { ne[p[i]] = g->t[a].ne[i]; nb[p[i]] = g->t[a].nb[i]; }
    return view(g, a, ne, nb);
}

/* ggml_visit_parents: sources first (src[0] first), then the tensor itself */
static void expand(mg *g, int id)
{
    if (id < 0 || g->err || g->t[id].visited) return;
    g->t[id].visited = 1;
    for (int i = 0; i < 4; i++) expand(g, g->t[id].src[i]);
    if (g->t[id].kind == K_EXT || g->t[id].kind == K_INPUT) g->leafs[g->nl++] = id;
    else g->nodes[g->nn++] = id;
}

/* ---- ggml-alloc replay (ggml_dyn_tallocr + ggml_gallocr_alloc_graph_impl) ---- */
static void blk_del(mg *g, int i)
{
    memmove(&g->off[i], &g->off[i + 1], (size_t)(g->nfree - i - 1) * sizeof g->off[0]);
    memmove(&g->sz[i], &g->sz[i + 1], (size_t)(g->nfree - i - 1) * sizeof g->sz[0]);
    g->nfree--;
}
static uint64_t fa_alloc(mg *g, uint64_t size)
{
    size = pad(size);
    int best = -1;
    for (int i = 0; i < g->nfree - 1; i++)  /* best fit, last block aside */
        if (g->sz[i] >= size && (best < 0 || g->sz[i] <= g->sz[best])) best = i;
    if (best < 0) best = g->nfree - 1;     /* the last block grows the buffer */
    uint64_t addr = g->off[best];
    g->off[best] += size; g->sz[best] -= size;
    if (g->sz[best] == 0) blk_del(g, best);
    if (addr + size > g->max) g->max = addr + size;
    return addr;
}
static void fa_free(mg *g, uint64_t off, uint64_t size)   /* ggml_dyn_tallocr_free_bytes */
{
    size = pad(size);
    for (int i = 0; i < g->nfree; i++) {
        if (g->off[i] + g->sz[i] == off) {           /* extends block i, maybe joins i+1 */
            g->sz[i] += size;
            if (i < g->nfree - 1 && g->off[i] + g->sz[i] == g->off[i + 1]) { g->sz[i] += g->sz[i + 1]; blk_del(g, i + 1); }
            return;
        }
        if (off + size == g->off[i]) {               /* prepends to block i, maybe joins i-1 */
            g->off[i] = off; g->sz[i] += size;
            if (i > 0 && g->off[i - 1] + g->sz[i - 1] == off) { g->sz[i - 1] += g->sz[i]; blk_del(g, i); }
            return;
        }
    }
    if (g->nfree >= MAX_FREE) { g->err = 1; return; }
    int p = 0;
    while (p < g->nfree && g->off[p] < off) p++;
    g->nfree++;
    memmove(&g->off[p + 1], &g->off[p], (size_t)(g->nfree - p - 1) * sizeof g->off[0]);
    memmove(&g->sz[p + 1], &g->sz[p], (size_t)(g->nfree - p - 1) * sizeof g->sz[0]);
    g->off[p] = off; g->sz[p] = size;
}
static void place(mg *g, int id)
{
    mt *t = &g->t[id];
    if (t->kind == K_EXT || t->kind == K_VIEW || t->own) return;
    t->own = 1;
    for (int i = 0; t->inplace && i < 4; i++) {
        if (t->src[i] < 0) continue;
        mt *p = &g->t[t->src[i]];          /* views and weights are never own */
        if (!p->own || p->type != t->type || memcmp(p->ne, t->ne, sizeof t->ne) || memcmp(p->nb, t->nb, sizeof t->nb))
            continue;
        if (p->n_children != 1 || p->n_views != 0) continue;
        t->addr = p->addr; p->own = 0;
        if (pad(p->bytes) > pad(t->bytes)) fa_free(g, t->addr + pad(t->bytes), pad(p->bytes) - pad(t->bytes));
        return;
    }
    t->addr = fa_alloc(g, t->bytes);
}
static uint64_t replay(mg *g)
{
    g->nfree = 1; g->off[0] = 0; g->sz[0] = UINT64_MAX / 4; g->max = 0;
    for (int i = 0; i < g->nl; i++) place(g, g->leafs[i]);
    for (int k = 0; k < g->nn; k++) {
        mt *t = &g->t[g->nodes[k]];
        if (t->view_src >= 0) g->t[t->view_src].n_views++;
        for (int j = 0; j < 4; j++) if (t->src[j] >= 0) g->t[t->src[j]].n_children++;
    }
    for (int k = 0; k < g->nn && !g->err; k++) {
        int id = g->nodes[k];
        for (int j = 0; j < 4; j++) if (g->t[id].src[j] >= 0) place(g, g->t[id].src[j]);
        place(g, id);
        for (int j = 0; j < 4; j++) {
            int s = g->t[id].src[j];
            if (s < 0) continue;
            mt *p = &g->t[s];
            if (--p->n_children != 0 || p->n_views != 0) continue;
            if (p->view_src >= 0) {
                mt *v = &g->t[p->view_src];
                if (--v->n_views == 0 && v->n_children == 0 && v->own) { fa_free(g, v->addr, v->bytes); v->own = 0; }
            } else if (p->own) { fa_free(g, p->addr, p->bytes); p->own = 0; }
        }
    }
    return g->err ? 0 : g->max;
}

/* ---- clip graph builders (build_inp, build_norm, build_attn, build_ffn) ---- */
static int norm(mg *g, int x, const char *prefix)
{
    x = like(g, g->rms, x, -1);            /* rms_norm may run in place, norm not */
    x = add_w(g, x, weight(g, prefix, "weight", 0));
    return add_w(g, x, weight(g, prefix, "bias", 0));
}
static int opt_norm(mg *g, int x, const char *prefix)   /* pre_ln / post_ln: only if present */
{
    return weight(g, prefix, "weight", 0) >= 0 ? norm(g, x, prefix) : x;
}
static int linear(mg *g, int x, const char *prefix, int required)
{
    int w = weight(g, prefix, "weight", required);
    return w < 0 ? -1 : add_w(g, mul_mat(g, w, x), weight(g, prefix, "bias", 0));
}
static int conv_patches(mg *g, int k, int img, int64_t S, int64_t P)   /* ggml_conv_2d, stride P */
{
    if (k < 0 || img < 0 || g->t[k].ne[0] != P || g->t[k].ne[1] != P) return bad(g);   /* kernel = patch */
    mt w = g->t[k];
    int64_t n = S / P, kk = w.ne[0] * w.ne[1] * w.ne[2];
    int col = op(g, 0, w.type == GP_TYPE_BF16 ? TF32 : TF16, kk, n, n, 1, k, img, -1, -1);   /* im2col */
    int mm = mul_mat(g, reshape(g, col, kk, n * n, 1, 1), reshape(g, k, kk, w.ne[3], 1, 1));
    return cont(g, permute(g, reshape(g, mm, n, n, 1, w.ne[3]), 0, 1, 3, 2), n, n, w.ne[3], 1);
}
static int layer(mg *g, int il, int x, int mask)
{
    static const char *nm[9] = { "ln1", "attn_q", "attn_k", "attn_v", "attn_out", "ln2", "ffn_up", "ffn_gate", "ffn_down" };
    char f[9][48];
    for (int i = 0; i < 9; i++) snprintf(f[i], sizeof f[i], "v.blk.%d.%s", il, nm[i]);
    int cur = norm(g, x, f[0]);
    int q = reshape(g, linear(g, cur, f[1], 1), g->D, g->H, g->NP, 1);
    int k = reshape(g, linear(g, cur, f[2], 1), g->D, g->H, g->NP, 1);
    int v = reshape(g, linear(g, cur, f[3], 1), g->D, g->H, g->NP, 1);
    if (g->pos >= 0) { q = like(g, 1, q, g->pos); k = like(g, 1, k, g->pos); }   /* M-RoPE */
    expand(g, q); expand(g, k); expand(g, v);                       /* ggml_build_forward_order */
    int qp = permute(g, q, 0, 2, 1, 3), kp = permute(g, k, 0, 2, 1, 3);
    if (g->fa) {                          /* K, V (and the mask) cast to f16 in every layer */
        int kc = cast(g, kp, TF16), vc = cast(g, permute(g, v, 0, 2, 1, 3), TF16);
        if (mask >= 0) mask = cast(g, mask, TF16);
        cur = reshape(g, op(g, 0, TF32, g->D, g->H, g->NP, 1, qp, kc, vc, mask), g->E, g->NP, 1, 1);
    } else {                              /* f32 KQ [n_pos, n_pos, n_head], soft-maxed in place */
        int vc = cont(g, permute(g, v, 1, 2, 0, 3), g->NP, g->D, g->H, 1);
        int kq = like(g, 1, mul_mat(g, kp, qp), mask);
        cur = cont(g, permute(g, mul_mat(g, vc, kq), 0, 2, 1, 3), g->E, g->NP, 1, 1);
    }
    x = like(g, 1, linear(g, cur, f[4], 1), x);                    /* + residual */
    cur = norm(g, x, f[5]);
    int up = linear(g, cur, f[6], 1), gate = linear(g, cur, f[7], 0);
    cur = gate >= 0 && up >= 0 ? op(g, 0, TF32, g->t[up].ne[0], g->NP, 1, 1, gate, up, -1, -1)   /* swiglu: new */
                    : like(g, 1, up, -1);                                              /* unary */
    return like(g, 1, x, linear(g, cur, f[8], 1));
}

typedef struct { int64_t S, P, E, H, L, nff, merge, wa, layers; } hp;

static int vision(mg *g, const hp *h, const char *proj)
{
    int64_t n = h->S / h->P;
    int img = input(g, TF32, h->S, h->S, 3), x, mask = -1;
    g->E = h->E; g->H = h->H; g->D = h->E / h->H; g->NP = n * n; g->pos = -1;
    if (!strncmp(proj, "qwen2", 5)) {     /* models/qwen2vl.cpp */
        g->rms = !strcmp(proj, "qwen2.5vl_merger");
        x = like(g, 1, conv_patches(g, weight(g, "v.patch_embd.weight", NULL, 1), img, h->S, h->P),
                 conv_patches(g, weight(g, "v.patch_embd.weight.1", NULL, 1), img, h->S, h->P));
        x = cont(g, permute(g, x, 1, 2, 0, 3), h->E * 2, n / 2, n, 1);
        x = cont(g, permute(g, reshape(g, x, h->E * 2, n / 2, 2, n / 2), 0, 2, 1, 3), h->E, n * n, 1, 1);
        g->pos = input(g, TI32, n * n * 4, 1, 1);
        x = opt_norm(g, x, "v.pre_ln");
        int widx = -1;
        if (h->wa > 0) {                  /* window attention: rows reordered, f32 mask input */
            int inv = input(g, TI32, n * n / 4, 1, 1);
            mask = input(g, TF32, n * n, n * n, 1);
            if (g->fa) mask = cast(g, mask, TF16);
            x = op(g, 0, TF32, h->E * 4, n * n / 4, 1, 1, reshape(g, x, h->E * 4, n * n / 4, 1, 1), inv, -1, -1);
            x = reshape(g, x, h->E, n * n, 1, 1);
            widx = input(g, TI32, n * n / 4, 1, 1);
        }
        for (int il = 0; il < h->layers; il++)
            x = layer(g, il, x, h->wa > 0 && (il + 1) % h->wa != 0 ? mask : -1);
        x = opt_norm(g, x, "v.post_ln");
        x = like(g, 1, linear(g, reshape(g, x, h->E * 4, n * n / 4, 1, 1), "mm.0", 1), -1);   /* gelu */
        x = linear(g, x, "mm.2", 1);
        if (widx >= 0 && x >= 0)
            x = op(g, 0, TF32, g->t[x].ne[0], n * n / 4, 1, 1, reshape(g, x, g->t[x].ne[0], n * n / 4, 1, 1), widx, -1, -1);
    } else {                              /* siglip.cpp (build_vit) and llava.cpp */
        bool mlp = !strcmp(proj, "mlp");
        x = conv_patches(g, weight(g, "v.patch_embd.weight", NULL, 1), img, h->S, h->P);
        x = cont(g, permute(g, reshape(g, x, n * n, h->E, 1, 1), 1, 0, 2, 3), h->E, n * n, 1, 1);
        x = add_w(g, x, weight(g, "v.patch_embd.bias", NULL, 0));
        int cls = mlp ? weight(g, "v.class_embd", NULL, 0) : -1;
        if (cls >= 0) { x = op(g, 0, TF32, h->E, n * n + 1, 1, 1, x, cls, -1, -1); g->NP++; }   /* concat */
        int pe = weight(g, "v.position_embd.weight", NULL, mlp);
        if (mlp)                          /* get_rows(pos_embd, positions) */
            pe = op(g, 0, TF32, h->E, g->NP, 1, 1, pe, input(g, TI32, g->NP, 1, 1), -1, -1);
        x = opt_norm(g, add_w(g, x, pe), "v.pre_ln");
        for (int il = 0; il < h->layers; il++) x = layer(g, il, x, -1);
        x = opt_norm(g, x, "v.post_ln");
        if (!mlp) {                       /* gemma3: avg pool, rms norm, input projection */
            int64_t m = n / h->merge;
            x = op(g, 0, TF32, m, m, h->E, 1, cont(g, permute(g, x, 1, 0, 2, 3), n, n, h->E, 1), -1, -1, -1);
            x = cont(g, permute(g, reshape(g, x, m * m, h->E, 1, 1), 1, 0, 2, 3), h->E, m * m, 1, 1);
            x = like(g, 1, like(g, 1, x, -1), weight(g, "mm.soft_emb_norm.weight", NULL, 1));
            int w = weight(g, "mm.input_projection.weight", NULL, 1);   /* ggml_cont(transpose(w)) */
            x = mul_mat(g, w < 0 ? -1 : cont(g, permute(g, w, 1, 0, 2, 3), g->t[w].ne[1], g->t[w].ne[0], 1, 1), x);
        } else {                          /* llava: get_rows(patches), mm.0, gelu, mm.2 */
            x = op(g, 0, TF32, h->E, n * n, 1, 1, reshape(g, x, h->E, g->NP, 1, 1), input(g, TI32, n * n, 1, 1), -1, -1);
            x = like(g, 1, linear(g, x, "mm.0", 1), -1);
            if (weight(g, "mm.2", "weight", 0) >= 0) x = linear(g, x, "mm.2", 1);
        }
    }
    expand(g, x);
    return g->err ? -1 : 0;
}

/* Coarse, high bound for graphs we do not rebuild: raw image, three n_embd
   and two n_ff activations per position, attention (f32 KQ per head, or
   f16 K/V and a mask), plus a quarter. */
static double rough(double S, double np, double E, double H, double nff, bool fa)
{
    double c = S * S * 12 + np * 4 * (3 * E + 2 * nff);
    c += fa ? np * E * 4 + np * np * 6 : H * np * np * 4 + np * np * 4;
    return c * 1.25;
}

static bool get_u(const gp_gguf *g, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
    uint64_t v;
    if (!gp_gguf_get_uint(g, k, &v) || v < (uint64_t)lo || v > (uint64_t)hi) return false;
    *out = (int64_t)v;
    return true;
}

/* encoder hparams of clip.<m>.*; false names the key in *bad */
static bool hparams(const gp_gguf *g, const char *m, hp *h, char *badkey, size_t n)
{
    static const char *k[6] = { "embedding_length", "attention.head_count", "block_count", "feed_forward_length",
                                "image_size", "patch_size" };
    static const int64_t hi[6] = { 1 << 16, 1 << 12, 1024, 1 << 20, 8192, 65535 };   /* clip.cpp caps the last two */
    int64_t *dst[6] = { &h->E, &h->H, &h->L, &h->nff, &h->S, &h->P };
    for (int i = 0; i < (strcmp(m, "vision") ? 4 : 6); i++) {
        snprintf(badkey, n, "clip.%s.%s", m, k[i]);
        if (!get_u(g, badkey, i == 3 ? 0 : 1, hi[i], dst[i])) return false;
    }
    snprintf(badkey, n, "clip.%s.attention.head_count", m);
    return h->E % h->H == 0;
}

gp_status gp_mmproj_estimate(const gp_gguf *gg, const char *path, const gp_mmproj_params *p,
                             gp_mmproj_mem *out, gp_error *err)
{
    if (!gg || !out) return gp_fail(err, GP_ERR_ARG, path, "no projector file");
    if (!path) path = gg->label;
    memset(out, 0, sizeof *out);
    bool clip = false;
    for (size_t i = 0; i < gg->n_kv && !clip; i++) clip = !strncmp(gg->kvs[i].key, "clip.", 5);
    const char *proj = gp_gguf_get_str(gg, "clip.projector_type");
    if (!proj) proj = gp_gguf_get_str(gg, "clip.vision.projector_type");
    if (!proj) proj = gp_gguf_get_str(gg, "clip.audio.projector_type");
    if (!clip || !proj) return gp_fail(err, GP_ERR_FORMAT, path, "not a multimodal projector (no clip.* keys or clip.projector_type)");
    snprintf(out->projector, sizeof out->projector, "%s", proj);
    uint64_t has_v = 0, has_a = 0;
    gp_gguf_get_uint(gg, "clip.has_vision_encoder", &has_v);
    gp_gguf_get_uint(gg, "clip.has_audio_encoder", &has_a);
    if (!has_v && !has_a) return gp_fail(err, GP_ERR_FORMAT, path, "projector has neither a vision nor an audio encoder");
    hp h = { .merge = 4 }, ha = { 0 };
    char key[96];
    if (has_v && !hparams(gg, "vision", &h, key, sizeof key))
        return gp_fail(err, GP_ERR_FORMAT, path, "%s is missing, out of range or inconsistent", key);
    if (has_a && !hparams(gg, "audio", &ha, key, sizeof key))
        return gp_fail(err, GP_ERR_FORMAT, path, "%s is missing, out of range or inconsistent", key);
    /* weights: every tensor clip asks for (vision and audio each get a buffer) */
    for (size_t i = 0; i < gg->n_tensors; i++) {
        int il;
        if (sscanf(gg->tensors[i].name, "v.blk.%d.", &il) == 1 && il >= h.L) continue;
        uint64_t al = p && p->weight_alignment ? p->weight_alignment : ALIGN;
        out->weights += (gg->tensors[i].bytes + al - 1) / al * al;
    }
    bool fa_try = p ? (p->flash_attn_auto || p->flash_attn) : true;   /* first reserve */
    bool fa_ok = p ? (p->flash_attn || !p->flash_attn_auto) : true;   /* no fallback reserve */
    int64_t max_tok = p && p->image_max_tokens > 0 ? p->image_max_tokens : 0;
    uint64_t kvh = 0;
    if (has_a) {                          /* audio encoder: 30 s chunk, 1500 positions, not modelled */
        double c = rough(0, 1500, (double)ha.E, (double)ha.H, (double)ha.nff, fa_try && fa_ok);
        out->compute += (uint64_t)c;
        out->compute_estimated = true;
    }
    if (!has_v) return GP_OK;
    /* warm-up image: image_size, except Qwen2/2.5-VL (46x46 merged tokens) */
    bool qwen = !strcmp(proj, "qwen2vl_merger") || !strcmp(proj, "qwen2.5vl_merger");
    bool model = qwen || !strcmp(proj, "gemma3") || !strcmp(proj, "mlp");
    get_u(gg, "clip.vision.projector.scale_factor", 1, 64, &h.merge);
    h.layers = h.L;
    if (gp_gguf_get_uint(gg, "clip.vision.attention.head_count_kv", &kvh) && kvh != (uint64_t)h.H) model = false;
    if (qwen) {
        int64_t m = 2;
        get_u(gg, "clip.vision.spatial_merge_size", 1, 64, &m);
        model = model && m == 2;        /* the builder merges 2x2 */
        h.S = 46 * h.P * m;
        get_u(gg, "clip.vision.n_wa_pattern", 0, 1024, &h.wa);
    } else if (!strcmp(proj, "mlp")) {    /* llava stops before the last layer or at the deepest feature layer */
        int64_t fl = -1;
        const gp_gguf_kv *k = gp_gguf_find(gg, "clip.vision.feature_layer");
        for (uint64_t i = 0; k && i < k->arr_count; i++) {
            uint64_t v;
            if (gp_gguf_arr_uint(gg, k, i, &v) && (int64_t)v > fl) fl = (int64_t)v;
        }
        h.layers = fl < 0 ? h.L - 1 : (fl > h.L ? h.L : fl);
    }
    if (model) {
        uint64_t best = 0;
        for (int pass = 0; pass < 2; pass++) {
            /* pass 1: auto found no FA support and reserves again without;
               the scheduler's buffer keeps the larger of the two */
            if (pass == 1 && (!fa_try || fa_ok)) break;
            mg g = { .gg = gg, .fa = pass == 0 && fa_try };
            uint64_t c = vision(&g, &h, proj) == 0 ? replay(&g) : 0;
            out->compute_host = g.inputs;
            free(g.t); free(g.nodes); free(g.leafs);
            if (g.missing[0])
                return gp_fail(err, GP_ERR_MISSING, path, "projector %s: tensor %s not found (llama.cpp refuses the file)", proj, g.missing);
            if (!c) return gp_fail(err, GP_ERR_FORMAT, path, "projector %s: image or layer shapes out of range", proj);
            best = c > best ? c : best;
        }
        out->compute += best;
        return GP_OK;
    }
    /* Not modelled. Warm-up positions: at least image_size, 64x64 patches
       (LFM2's 1024-pixel images), 46x46 merged tokens for qwen3vl/glm4v, and
       what --image-max-tokens asks for (it sizes the warm-up of the projectors
       without a fixed one). */
    int64_t merge = 2;
    get_u(gg, "clip.vision.spatial_merge_size", 1, 64, &merge);
    double side = (double)(h.S / h.P);
    if (side < 32) side = 32;
    if ((!strncmp(proj, "qwen", 4) || !strncmp(proj, "glm4v", 5)) && side < 46.0 * merge) side = 46.0 * merge;
    if (max_tok && side * side < (double)max_tok * merge * merge) side = ceil(sqrt((double)max_tok)) * merge;
    double c = rough(side * h.P, side * side, (double)h.E, (double)h.H, (double)h.nff, fa_try && fa_ok);
    if (c + (double)out->compute > (double)MAX_BYTES)
        return gp_fail(err, GP_ERR_FORMAT, path, "projector %s: image or layer shapes out of range", proj);
    out->compute += (uint64_t)c;
    out->compute_host = (uint64_t)(side * h.P * side * h.P * 12 + side * side * side * side * 4);
    out->compute_estimated = true;
    return GP_OK;
}
