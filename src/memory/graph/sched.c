/*
 * sched.c - the ggml backend scheduler over several devices.
 *
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
 *   - Every device is assumed to support every op, to use 32-byte alignment
 *     and plain tensor sizes (true for CPU and RPC servers backed by a CPU;
 *     CUDA pads some quantized tensors and adds fleeting memory for some
 *     ops). Op-offloaded weight copies use the caller's weight byte sizes (0
 *     when not given).
 */
#include "memory/graph/ir.h"

#include <stdlib.h>
#include <string.h>

#define GPG_N_COPIES 4   /* GGML_SCHED_MAX_COPIES */

typedef struct {
    int be;         /* device */
    int start, end; /* range in g->nodes */
    int *in;        /* inputs (tensor ids) in order of discovery */
    int nin, incap;
} gp_split;

static int64_t view_nbytes(const gpg_tensor *t) {
    if (t->view_src == GPG_NONE || (t->view_src == GPG_EXT && t->type >= 98)) return (int64_t)t->size;
    int64_t n = gpg_type_size(t->type);
    for (int i = 0; i < 4; i++) {
        if (t->ne[i] <= 0) return 0;
        n += (t->ne[i] - 1) * t->nb[i];
    }
    return n;
}

/* new tensor with the layout of src (ggml_dup_tensor_layout) */
static int dup_layout(gpg_graph *g, int src) {
    int id = gpg_new_tensor(g);
    if (g->err) return GPG_NONE;
    gpg_tensor *s = &g->t[src], *t = &g->t[id];
    t->type = s->type;
    memcpy(t->ne, s->ne, sizeof(t->ne));
    memcpy(t->nb, s->nb, sizeof(t->nb));
    t->size = (uint64_t)view_nbytes(s);
    return id;
}

static int64_t op_batch(const gpg_tensor *t) {
    switch (t->opk) {
        case GPG_OP_GETROWS: return 0;
        case GPG_OP_MM: return t->ne[1];
        case GPG_OP_MMID: return t->ne[2];
        default: return t->ne[1] * t->ne[2] * t->ne[3];
    }
}

/* expansion pass of the scheduler; up/down, gpu only or all */
static void expand(gpg_graph *g, int nn, int up, int gpu_only) {
    int cur = -1;
    for (int s = 0; s < nn; s++) {
        gpg_tensor *t = &g->t[g->nodes[up ? nn - 1 - s : s]];
        if (t->viewop) continue;
        if (t->be != -1) cur = (gpu_only && t->be == 0) ? -1 : t->be;
        else if (cur != -1) t->be = cur;   /* every backend modelled supports every op */
    }
}

static int push_split_input(gp_split *sp, int id) {
    return gpg_push_int(&sp->in, &sp->nin, &sp->incap, id);
}

int gpg_schedule_and_replay(gpg_graph *g, const gp_compute_placement *pl, uint32_t n_layer,
                            uint64_t *out) {
    const int nd = pl ? (int)pl->n_devices : 1;
    const int ncopy = (pl && pl->pipeline_parallel && nd > 1) ? GPG_N_COPIES : 1;
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
    /* graph inputs on the CPU; a leaf that is no input goes where its
       consumer runs (pass 4) */
    for (int i = 0; i < g->nleaf; i++) g->t[g->leafs[i]].be = g->t[g->leafs[i]].is_input ? 0 : -1;
    for (int k = 0; k < nn; k++) {
        gpg_tensor *t = &g->t[g->nodes[k]];
        t->be = -1;
        if (t->viewop) continue;
        if (t->pdev >= 0) { t->be = t->pdev; continue; }
        if (t->wdev < 0) continue;
        t->be = t->wdev;
        if (t->wdev == 0 && pl && t->opk != GPG_OP_GETROWS && op_batch(t) >= 32) {
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
        gpg_tensor *t = &g->t[g->nodes[k]];
        if (t->viewop || t->be != -1) continue;
        int best = -1, bestn = -1;
        for (int o = 0; o < nd; o++) {
            int b = o + 1 < nd ? o + 1 : 0;   /* scheduler order: GPUs, then CPU */
            int cnt = 0;
            for (int j = 0; j < t->nsrc; j++) {
                const gpg_tensor *s = &g->t[t->src[j]];
                int sb = s->be != -1 ? s->be : (s->view_src >= 0 ? g->t[s->view_src].be : -1);
                if (sb == b) cnt++;
            }
            if (cnt > bestn) { bestn = cnt; best = b; }
        }
        t->be = best;
    }
    /* pass 4: views follow their root; unassigned sources follow the node */
    for (int k = 0; k < nn; k++) {
        gpg_tensor *t = &g->t[g->nodes[k]];
        if (t->view_src >= 0 && t->be == -1) t->be = g->t[t->view_src].be;
        for (int j = 0; j < t->nsrc; j++) {
            gpg_tensor *s = &g->t[t->src[j]];
            if (s->be == -1) s->be = s->view_src >= 0 ? g->t[s->view_src].be : t->be;
        }
        if (t->be == -1) t->be = nd > 1 ? 1 : 0;
    }

    /* weights read by an op on another device (op offload) become sources */
    const int nw = (int)(n_layer + 1) * GPG_W_ALL;
    wpseudo = (int *)malloc((size_t)nw * sizeof(int));
    if (!wpseudo) goto done;
    for (int i = 0; i < nw; i++) wpseudo[i] = GPG_NONE;
    for (int k = 0; k < nn; k++) {
        int id = g->nodes[k];
        gpg_tensor *t = &g->t[id];
        if (t->viewop || t->wkey < 0 || t->wkey >= nw || t->wdev == t->be) continue;
        if (wpseudo[t->wkey] == GPG_NONE) {
            int w = gpg_new_tensor(g);
            if (g->err) goto done;
            t = &g->t[id];
            gpg_tensor *wt = &g->t[w];
            wt->type = 99;                 /* matches no activation layout */
            wt->ne[0] = wt->ne[1] = wt->ne[2] = wt->ne[3] = 1;
            wt->size = t->wbytes;
            wt->view_src = GPG_EXT;         /* lives in a weight buffer */
            wt->be = t->wdev;
            wpseudo[t->wkey] = w;
        }
        /* mul_mat / mul_mat_id / get_rows read the weight as src0 */
        int w = wpseudo[t->wkey];
        if (t->nsrc >= GPG_MAX_SRC) goto done;
        if (t->opk != GPG_OP_OTHER) {
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
    for (size_t i = 0; i < (size_t)ncap * (size_t)nd * (size_t)ncopy; i++) cpy[i] = GPG_NONE;
    for (size_t i = 0; i < (size_t)ncap * (size_t)ncopy; i++) gin[i] = GPG_NONE;
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
                if (g->t[s].is_input && ncopy > 1 && gin[(size_t)s * ncopy] == GPG_NONE) {
                    for (int cc = 0; cc < ncopy; cc++) {
                        int tc = cc == 0 ? s : dup_layout(g, s);
                        if (g->err) goto done;
                        g->t[tc].is_input = 1;
                        g->t[tc].is_output = 1;
                        g->t[tc].be = sb;
                        gin[(size_t)s * ncopy + cc] = tc;
                    }
                    if (gpg_push_int(&ginl, &nginl, &ginlcap, s)) goto done;
                }
                if (sb != cur) {
                    size_t key = ((size_t)s * nd + (size_t)cur) * ncopy;
                    if (cpy[key] == GPG_NONE) {
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
            int dep = gpg_new_tensor(g);
            if (g->err) goto done;
            g->t[dep].view_src = g->t[s].view_src >= 0 ? g->t[s].view_src : s;
            if (g->t[s].view_src == GPG_EXT) g->t[dep].view_src = GPG_EXT;
            g->t[dep].dep = 1;
            g->t[dep].src[0] = s;
            g->t[dep].nsrc = 1;
            if (gpg_push_int(&n2, &nn2, &n2cap, dep) || gpg_push_int(&b2, &nb2, &b2cap, g->t[s].be)) goto done;
            int cp = cpy[((size_t)s * nd + (size_t)sp[si].be) * ncopy];
            if (gpg_push_int(&n2, &nn2, &n2cap, cp) || gpg_push_int(&b2, &nb2, &b2cap, sp[si].be)) goto done;
        }
        for (int k = sp[si].start; k < sp[si].end; k++) {
            int id = g->nodes[k];
            if (gpg_push_int(&n2, &nn2, &n2cap, id) || gpg_push_int(&b2, &nb2, &b2cap, g->t[id].be)) goto done;
        }
    }
    if (ncopy > 1) {
        for (int i = 0; i < nginl; i++) {
            for (int cc = 0; cc < ncopy; cc++) {
                int tc = gin[(size_t)ginl[i] * ncopy + cc];
                if (gpg_push_int(&l2, &nl2, &l2cap, tc) || gpg_push_int(&lb2, &nlb2, &lb2cap, g->t[tc].be)) goto done;
            }
        }
        for (int si = 0; si < nsp; si++) {
            for (int j = 0; j < sp[si].nin; j++) {
                for (int cc = 0; cc < ncopy; cc++) {
                    int tc = cpy[((size_t)sp[si].in[j] * nd + (size_t)sp[si].be) * ncopy + cc];
                    if (gpg_push_int(&l2, &nl2, &l2cap, tc) || gpg_push_int(&lb2, &nlb2, &lb2cap, sp[si].be)) goto done;
                }
            }
        }
    }
    for (int i = 0; i < g->nleaf; i++) {
        int id = g->leafs[i];
        if (gpg_push_int(&l2, &nl2, &l2cap, id) || gpg_push_int(&lb2, &nlb2, &lb2cap, g->t[id].be)) goto done;
    }
    rc = gpg_replay(g, l2, lb2, nl2, n2, b2, nn2, nd, out);

done:
    if (sp) for (int i = 0; i < nsp; i++) free(sp[i].in);
    free(sp); free(cpy); free(gin); free(wpseudo); free(ginl);
    free(n2); free(b2); free(l2); free(lb2);
    return rc;
}
