/*
 * qwen4exp.c - Qwen3.8-Flash-Next (llama.cpp's src/models/qwen4exp.cpp):
 * hyper-connections keep hc_count copies of the residual [E, hc, T]; before
 * the token mixer and before the FFN a mixer RMS-norms them, gates them by
 * a low-rank projection and sums them into the block's input (the fused
 * DSV4_HC_PRE op), and after each block the output is added back into every
 * copy, weighted by an injection of the same normed copies (DSV4_HC_POST).
 * Token mixers are gated delta nets (graph/deltanet.c, whose new conv state
 * is copied out contiguous) beside gated attention whose cache is read
 * sparsely: an indexer keeps its raw keys in a cache of its own, pools them
 * over blocks of compress_ratio cells, scores the blocks against its own
 * queries, and the top-k cells it picks are unmasked in a copy of the KQ
 * mask. One recurrent layer first adds a hashed n-gram embedding (PLE),
 * gated by its agreement with the residual and run through a dilated
 * convolution whose history is a row of that layer's state. Every FFN is
 * routed experts beside a gated shared expert. The last mixer, unfused, is
 * the output norm.
 *
 * The order: the token embeddings and the n-gram rows are expanded first.
 * Each layer expands the attention mixer's output, then what its token
 * mixer expands (state gathers and write-backs, the indexer's key store,
 * Q, K and V with their stores); the FFN mixer's output reaches the
 * attention's output (the indexer's whole top-k chain inside the mask), the
 * first combine, and the routed experts are expanded with the layer. The
 * shared expert and the second combine are reached only through the next
 * layer: by its mixer, or inside the PLE module, between its key and its
 * query. The graph inputs are made where ggml first reaches each, which is
 * the order ggml-alloc places them in.
 */
#include "memory/families/family.h"

/* the sparse attention's inputs, one set per compress ratio */
typedef struct {
    uint32_t ratio;
    int k_idxs, blk_cells, blk_pos, bias, cell_blk;
} q4_qsa;

#define Q4_MAX_RATIOS 8

typedef struct {
    gpg_ctx *c;
    gpg_graph *g;
    int ple_emb;            /* the n-gram embedding rows [n_embd, T] */
    int embd;               /* the token embeddings, while the residual's copies are still to make */
    /* the layer before's FFN tail, still to build */
    int pending;            /* 0: none */
    uint32_t p_il;
    int p_res, p_ffn_x, p_ffn_xn, p_moe;
    int res;                /* the residual, once built */
    q4_qsa qsa[Q4_MAX_RATIOS];
    int n_qsa;
    int attn_inputs;        /* Q's and the caches' inputs made */
} q4;

static void q4_weight(q4 *k, int id, int kind, int opk) { gpg_weight(k->c, k->g, id, kind, opk); }

static void q4_rs_copy(q4 *k) {
    if (k->c->rs_copy == GPG_NONE) k->c->rs_copy = gpg_input(k->g, GPG_I32, k->c->n_seq, 1, 1, 1);
}

static int q4_mask(q4 *k) {
    gpg_ctx *c = k->c;
    if (c->mask == GPG_NONE)
        c->mask = gpg_input(k->g, c->fa ? GPG_F16 : GPG_F32, c->n_kv, c->T / c->n_stream, 1, c->n_stream);
    return c->mask;
}

static int q4_out_ids(q4 *k) {
    gpg_ctx *c = k->c;
    if (c->out_ids == GPG_NONE) c->out_ids = gpg_input(k->g, GPG_I32, c->n_out, 1, 1, 1);
    return c->out_ids;
}

/* A mixer: the copies RMS-normed, gated by up(silu(down(x) / hc)) and
   summed (fused, or on the output mixer the gate's sigmoid, a product and a
   chain of adds over strided views, then the mean). kind0 is the norm's
   kind, down and up follow it (GPG_W_OUT_NORM: the output mixer). Returns
   the mixed [E, T]; *xn gets the normed copies [hc * E, T]. */
static int q4_mix(q4 *k, int x, int kind0, int *xn) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const int64_t E = c->m->n_embd, H = c->m->hc_count, T = c->T;
    const int out = kind0 == GPG_W_OUT_NORM;
    int n = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);                     /* rms norm */
    n = gpg_op_like(g, 1, n, n, GPG_NONE, GPG_NONE);
    q4_weight(k, n, kind0, GPG_OP_OTHER);
    *xn = gpg_reshape(g, n, H * E, T, 1, 1);
    int x3 = out ? GPG_NONE : gpg_reshape(g, *xn, E, H, T, 1);
    int lo = gpg_op(g, 0, GPG_F32, c->m->hc_low_rank, T, 1, 1, *xn, GPG_NONE, GPG_NONE);
    q4_weight(k, lo, out ? kind0 : kind0 + 1, GPG_OP_MM);
    lo = gpg_op_like(g, 1, lo, lo, GPG_NONE, GPG_NONE);                      /* scale */
    lo = gpg_op_like(g, 1, lo, lo, GPG_NONE, GPG_NONE);                      /* silu */
    int gate = gpg_op(g, 0, GPG_F32, H * E, T, 1, 1, lo, GPG_NONE, GPG_NONE);
    q4_weight(k, gate, out ? kind0 : kind0 + 2, GPG_OP_MM);
    if (!out) {
        int g3 = gpg_reshape(g, gate, E, H, T, 1);
        return gpg_op(g, 0, GPG_F32, E, T, 1, 1, x3, g3, GPG_NONE);          /* hc_pre */
    }
    gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);                /* sigmoid */
    int gated = gpg_op_like(g, 1, gate, *xn, gate, GPG_NONE);
    gated = gpg_reshape(g, gated, E, H, T, 1);
    gpg_tensor s = g->t[gated];
    int acc = GPG_NONE;
    for (int64_t i = 0; i < H; i++) {
        int v = gpg_view(g, gated, E, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, i == 0);
        acc = i == 0 ? gpg_op(g, 0, GPG_F32, E, T, 1, 1, v, GPG_NONE, GPG_NONE)   /* cont */
                     : gpg_op_like(g, 1, acc, acc, v, GPG_NONE);
    }
    return gpg_op_like(g, 1, acc, acc, GPG_NONE, GPG_NONE);                  /* scale */
}

/* A combine: the block's output added into every copy of the residual,
   each weighted by 2 sigmoid(inject(xn) / hc). On the last layer the output
   rows of the block, of the residual and of the injection are gathered
   first. */
static int q4_combine(q4 *k, int res, int block, int xn, int inject_kind, int rows) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const int64_t E = c->m->n_embd, H = c->m->hc_count;
    int64_t T = c->T;
    if (rows) {
        q4_out_ids(k);
        block = gpg_rows(c, g, block);
        int r = gpg_reshape(g, res, E * H, T, 1, 1);
        r = gpg_op(g, 0, GPG_F32, E * H, c->n_out, 1, 1, r, c->out_ids, GPG_NONE);  /* get_rows */
        res = gpg_reshape(g, r, E, H, c->n_out, 1);
    }
    int w = gpg_op(g, 0, GPG_F32, H, T, 1, 1, xn, GPG_NONE, GPG_NONE);
    q4_weight(k, w, inject_kind, GPG_OP_MM);
    if (rows) {
        w = gpg_op(g, 0, GPG_F32, H, c->n_out, 1, 1, w, c->out_ids, GPG_NONE);      /* get_rows */
        c->T = T = c->n_out;
    }
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* scale */
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* sigmoid */
    w = gpg_op_like(g, 1, w, w, GPG_NONE, GPG_NONE);                         /* scale */
    return gpg_op(g, 0, GPG_F32, E, H, T, 1, block, res, w);                 /* hc_post */
}

/* the residual: the embeddings repeated into every copy, or the layer
   before's output (its shared expert, then its second combine) */
static int q4_residual(q4 *k) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const gp_compute_model *m = c->m;
    if (k->embd != GPG_NONE) {
        int e = gpg_reshape(g, k->embd, m->n_embd, 1, c->T, 1);
        k->res = gpg_op(g, 0, GPG_F32, m->n_embd, m->hc_count, c->T, 1, e, GPG_NONE, GPG_NONE); /* repeat */
        k->embd = GPG_NONE;
    }
    if (k->pending) {
        const uint32_t il_save = c->il;
        c->il = k->p_il;
        int ffn = k->p_moe;
        if (m->n_ff_shexp > 0) {
            int sh = gpg_ffn_dense(c, g, k->p_ffn_x, m->n_ff_shexp, m->n_embd, c->T, GP_COMPUTE_W_FFN_GATE_SHEXP);
            int gate = gpg_op(g, 0, GPG_F32, 1, c->T, 1, 1, k->p_ffn_x, GPG_NONE, GPG_NONE);
            q4_weight(k, gate, GP_COMPUTE_W_FFN_GATE_INP_SHEXP, GPG_OP_MM);
            gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);           /* sigmoid */
            sh = gpg_op_like(g, 1, sh, sh, gate, GPG_NONE);
            ffn = gpg_op_like(g, 1, ffn, ffn, sh, GPG_NONE);
        }
        k->res = q4_combine(k, k->p_res, ffn, k->p_ffn_xn, GP_COMPUTE_W_HC_FFN_INJECT, 0);
        k->pending = 0;
        c->il = il_save;
    }
    return k->res;
}

/* The PLE module before layer il's mixer: the n-gram rows' key, normed per
   copy, scored against the residual's copies (a signed square root, a
   sigmoid) to gate their value; the gated value normed and run through a
   causal convolution dilated by the n-gram size, its history gathered from
   the layer's state and the new one written back; the residual plus the
   gated value plus the convolution's silu. */
static int q4_ple(q4 *k) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const gp_compute_model *m = c->m;
    const int64_t E = m->n_embd, H = m->hc_count, T = c->T, S = c->n_seq, t = T / S, hE = H * E;
    const int64_t kern = m->ple_conv_kernel, dil = m->ple_ngram, hist = (kern - 1) * dil;
    q4_rs_copy(k);
    int rows = gpg_rs_gather(c, g, hist * hE);
    int state = gpg_reshape(g, rows, hist, hE, S, 1);
    int value = gpg_op(g, 0, GPG_F32, E, T, 1, 1, k->ple_emb, GPG_NONE, GPG_NONE);
    q4_weight(k, value, GP_COMPUTE_W_PLE_VALUE, GPG_OP_MM);
    value = gpg_reshape(g, value, E, 1, T, 1);
    value = gpg_op(g, 0, GPG_F32, E, H, T, 1, value, GPG_NONE, GPG_NONE);    /* repeat */
    int key = gpg_op(g, 0, GPG_F32, hE, T, 1, 1, k->ple_emb, GPG_NONE, GPG_NONE);
    q4_weight(k, key, GP_COMPUTE_W_PLE_KEY, GPG_OP_MM);
    key = gpg_reshape(g, key, E, H, T, 1);
    key = gpg_rms_mul(c, g, key, GP_COMPUTE_W_PLE_NORM_KEY);
    int hidden = q4_residual(k);
    int query = gpg_reshape(g, hidden, E, H, T, 1);
    query = gpg_rms_mul(c, g, query, GP_COMPUTE_W_PLE_NORM_QUERY);
    int s = gpg_op_like(g, 1, key, key, query, GPG_NONE);                    /* mul */
    s = gpg_op(g, 0, GPG_F32, 1, H, T, 1, s, GPG_NONE, GPG_NONE);           /* sum_rows */
    s = gpg_op_like(g, 1, s, s, GPG_NONE, GPG_NONE);                         /* scale */
    int sign = gpg_op_like(g, 1, s, s, GPG_NONE, GPG_NONE);                  /* sgn */
    int mag = gpg_op_like(g, 1, s, s, GPG_NONE, GPG_NONE);                   /* abs */
    mag = gpg_op_like(g, 1, mag, mag, GPG_NONE, GPG_NONE);                   /* clamp */
    mag = gpg_op_like(g, 1, mag, mag, GPG_NONE, GPG_NONE);                   /* sqrt */
    int gate = gpg_op_like(g, 1, sign, sign, mag, GPG_NONE);                 /* mul */
    gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);                /* sigmoid */
    int gated = gpg_op_like(g, 1, value, value, gate, GPG_NONE);
    int x = gpg_reshape(g, gpg_reshape(g, gated, hE, T, 1, 1), E, H, T, 1);
    x = gpg_rms_mul(c, g, x, GP_COMPUTE_W_PLE_NORM_CONV);
    x = gpg_reshape(g, gpg_reshape(g, x, hE, T, 1, 1), hE, t, S, 1);
    int padded = gpg_op(g, 0, GPG_F32, hist + t, hE, S, 1, state, gpg_transpose(g, x), GPG_NONE); /* concat */
    gpg_tensor ps = g->t[padded];
    int tail = gpg_view(g, padded, hist, hE, S, 1, ps.nb[1], ps.nb[2], ps.nb[3], 0);
    tail = gpg_op(g, 0, GPG_F32, hist, hE, S, 1, tail, GPG_NONE, GPG_NONE);   /* cont */
    gpg_writes_cache(c, g, gpg_ext(g, tail, GPG_NONE, GPG_NONE));
    /* the taps: each a shifted window of the history and the tokens times
       one column of the kernel (copied out of the weight, cast to F32 where
       it is not) */
    int conv = GPG_NONE;
    for (int64_t i = 0; i < kern; i++) {
        const int64_t start = hist - (kern - 1 - i) * dil;
        int v = gpg_view(g, padded, t, hE, S, 1, ps.nb[1], ps.nb[2], ps.nb[3], start == 0);
        v = gpg_op(g, 0, GPG_F32, hE, t, S, 1, gpg_transpose(g, v), GPG_NONE, GPG_NONE); /* cont */
        int w = gpg_op(g, 0, m->ple_conv_cast ? GPG_F16 : GPG_F32, hE, 1, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
        q4_weight(k, w, GP_COMPUTE_W_PLE_CONV, GPG_OP_OTHER);
        w = gpg_reshape(g, w, hE, 1, 1, 1);
        if (m->ple_conv_cast) w = gpg_op(g, 0, GPG_F32, hE, 1, 1, 1, w, GPG_NONE, GPG_NONE);
        int term = gpg_op_like(g, 1, v, v, w, GPG_NONE);
        conv = i == 0 ? term : gpg_op_like(g, 1, conv, conv, term, GPG_NONE);
    }
    conv = gpg_op_like(g, 1, conv, conv, GPG_NONE, GPG_NONE);                /* silu */
    conv = gpg_op(g, 0, GPG_F32, hE, t, S, 1, conv, GPG_NONE, GPG_NONE);    /* cont */
    conv = gpg_reshape(g, conv, E, H, T, 1);
    gated = gpg_op_like(g, 1, gated, gated, conv, GPG_NONE);
    k->res = gpg_op_like(g, 1, hidden, hidden, gated, GPG_NONE);
    return k->res;
}

/* the sparse attention's input set of a ratio, made on first use */
static q4_qsa *q4_qsa_of(q4 *k, uint32_t ratio) {
    for (int i = 0; i < k->n_qsa; i++)
        if (k->qsa[i].ratio == ratio) return &k->qsa[i];
    if (k->n_qsa == Q4_MAX_RATIOS) { k->g->err = 1; return NULL; }
    q4_qsa *q = &k->qsa[k->n_qsa++];
    *q = (q4_qsa){.ratio = ratio, .k_idxs = GPG_NONE, .blk_cells = GPG_NONE, .blk_pos = GPG_NONE,
                  .bias = GPG_NONE, .cell_blk = GPG_NONE};
    return q;
}

typedef struct {
    q4 *k;
    q4_qsa *in;
    int x;                  /* the layer's mixed input */
} q4_mask_arg;

/* The mask of sparse attention, with the indexer's top-k inside it: the
   cached raw keys gathered per block, pooled (their mean), normed and
   roped; the indexer's queries normed and roped; the scores, rectified and
   summed over its heads, biased per block and spread over the blocks'
   cells, plus the KQ mask (as F32); the top-k cells unmasked (rows of zeros
   set into a copy of the mask filled with -inf), plus the KQ mask. */
static int q4_qsa_mask(gpg_ctx *c, gpg_graph *g, void *arg) {
    q4_mask_arg *a = (q4_mask_arg *)arg;
    q4 *k = a->k;
    q4_qsa *in = a->in;
    const gp_compute_model *m = c->m;
    const int64_t S = c->n_stream, n_kv = c->n_kv, T = c->T, ntps = T / S;
    const int64_t r = in->ratio, nb = (n_kv + r - 1) / r, d = m->idx_head_dim, nih = m->idx_n_head;
    const int64_t width = n_kv < (int64_t)m->idx_top_k + r - 1 ? n_kv : (int64_t)m->idx_top_k + r - 1;
    const int mtype = c->fa ? GPG_F16 : GPG_F32;

    int zeros = gpg_leaf(g, GPG_F32, 1, width, ntps, S);
    zeros = gpg_op_like(g, 1, zeros, zeros, GPG_NONE, GPG_NONE);            /* fill */

    /* the blocks' keys */
    int kall = gpg_kv_view(c, g, (uint64_t)n_kv * (uint64_t)S * gpg_cache_row_bytes(c->r->type_k, (uint64_t)d));
    gpg_tensor ks = g->t[kall];
    kall = gpg_view(g, kall, d, n_kv, S, 1, ks.nb[1], ks.nb[2], ks.nb[3], 1);
    if (in->blk_cells == GPG_NONE) in->blk_cells = gpg_input(g, GPG_I32, r * nb, S, 1, 1);
    int members = gpg_op(g, 0, GPG_F32, d, r * nb, S, 1, kall, in->blk_cells, GPG_NONE); /* get_rows */
    members = gpg_reshape(g, members, d, r, nb, S);
    gpg_tensor ms = g->t[members];
    int pooled = GPG_NONE;
    for (int64_t i = 0; i < r; i++) {
        int v = gpg_view(g, members, d, nb, S, 1, ms.nb[2], ms.nb[3], ms.nb[3] * S, i == 0);
        v = gpg_op(g, 0, GPG_F32, d, nb, S, 1, v, GPG_NONE, GPG_NONE);       /* cont */
        pooled = i == 0 ? v : gpg_op_like(g, 1, pooled, pooled, v, GPG_NONE);
    }
    pooled = gpg_op_like(g, 1, pooled, pooled, GPG_NONE, GPG_NONE);          /* scale */
    pooled = gpg_reshape(g, pooled, d, nb * S, 1, 1);
    pooled = gpg_rms_mul(c, g, pooled, GP_COMPUTE_W_IDX_K_NORM);
    pooled = gpg_reshape(g, pooled, d, 1, nb * S, 1);
    if (in->blk_pos == GPG_NONE) in->blk_pos = gpg_input(g, GPG_I32, 4 * nb * S, 1, 1, 1);
    pooled = gpg_op_like(g, 1, pooled, pooled, in->blk_pos, GPG_NONE);      /* rope */
    pooled = gpg_reshape(g, pooled, d, nb, S, 1);

    /* the queries */
    int q = gpg_op(g, 0, GPG_F32, d * nih, T, 1, 1, a->x, GPG_NONE, GPG_NONE);
    q4_weight(k, q, GP_COMPUTE_W_IDX_Q_PROJ, GPG_OP_MM);
    q = gpg_reshape(g, q, d, nih, T, 1);
    q = gpg_rms_mul(c, g, q, GP_COMPUTE_W_IDX_Q_NORM);
    q = gpg_op_like(g, 1, q, q, c->inp_pos, GPG_NONE);                       /* rope */
    q = gpg_reshape(g, q, d, nih * ntps, S, 1);

    /* the scores, summed over the heads, biased per block */
    int score = gpg_op(g, 0, GPG_F32, nb, nih * ntps, S, 1, pooled, q, GPG_NONE);
    score = gpg_reshape(g, score, nb, nih, ntps, S);
    score = gpg_op_like(g, 1, score, score, GPG_NONE, GPG_NONE);            /* relu */
    gpg_tensor ss = g->t[score];
    int sum = GPG_NONE;
    for (int64_t h = 0; h < nih; h++) {
        int v = gpg_view(g, score, nb, ntps, S, 1, ss.nb[2], ss.nb[3], ss.nb[3] * S, h == 0);
        sum = h == 0 ? gpg_op(g, 0, GPG_F32, nb, ntps, S, 1, v, GPG_NONE, GPG_NONE)   /* cont */
                     : gpg_op_like(g, 1, sum, sum, v, GPG_NONE);
    }
    if (in->bias == GPG_NONE) in->bias = gpg_input(g, GPG_F32, nb, ntps, S, 1);
    sum = gpg_op_like(g, 1, sum, sum, in->bias, GPG_NONE);

    /* every cell its block's score, plus the KQ mask; the top-k cells */
    sum = gpg_op(g, 0, GPG_F32, ntps, nb, S, 1, gpg_transpose(g, sum), GPG_NONE, GPG_NONE); /* cont */
    if (in->cell_blk == GPG_NONE) in->cell_blk = gpg_input(g, GPG_I32, n_kv, S, 1, 1);
    int cells = gpg_op(g, 0, GPG_F32, ntps, n_kv, S, 1, sum, in->cell_blk, GPG_NONE); /* get_rows */
    cells = gpg_op(g, 0, GPG_F32, n_kv, ntps, S, 1, gpg_transpose(g, cells), GPG_NONE, GPG_NONE);
    int mask = q4_mask(k);
    int m32 = c->fa ? gpg_op(g, 0, GPG_F32, n_kv, ntps, 1, S, mask, GPG_NONE, GPG_NONE) : mask; /* cast */
    cells = gpg_op_like(g, 1, cells, cells, gpg_reshape(g, m32, n_kv, ntps, S, 1), GPG_NONE);
    int top = gpg_op(g, 0, GPG_I32, width, ntps, S, 1, cells, GPG_NONE, GPG_NONE); /* top_k */
    top = gpg_op(g, 0, GPG_I32, width, ntps, S, 1, top, GPG_NONE, GPG_NONE);      /* cont */
    top = gpg_reshape(g, top, width, ntps, 1, S);
    gpg_tensor ts = g->t[top];
    top = gpg_view(g, top, width, ntps, S, 1, ts.nb[1], ts.nb[3], ts.nb[3] * S, 1);

    /* the KQ mask with those cells unmasked */
    int all = gpg_op(g, 1, mtype, n_kv, ntps, 1, S, mask, GPG_NONE, GPG_NONE);    /* fill -inf */
    gpg_tensor as = g->t[all];
    all = gpg_view(g, all, 1, n_kv, ntps, S, as.nb[0], as.nb[1], as.nb[3], 1);
    int set = gpg_set_rows(g, all, zeros, top);
    gpg_tensor sv = g->t[set];
    set = gpg_view(g, set, n_kv, ntps, 1, S, sv.nb[2], sv.nb[3], sv.nb[3], 1);
    return gpg_op(g, 1, mtype, n_kv, ntps, 1, S, set, mask, GPG_NONE);          /* add */
}

/* Q's, K's and V's inputs, in the order ggml reaches them from Q, V and K's
   expansion and their stores */
static void q4_attn_inputs(q4 *k) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    if (k->attn_inputs) return;
    k->attn_inputs = 1;
    const int64_t T = c->T;
    if (c->k_rot) c->k_rot_t = gpg_input(g, GPG_F32, c->k_rot, c->k_rot, 1, 1);
    c->inp_pos = gpg_input(g, GPG_I32, T * 4, 1, 1, 1);
    if (c->v_rot) c->v_rot_t = gpg_input(g, GPG_F32, c->v_rot, c->v_rot, 1, 1);
    c->k_idxs = gpg_input(g, GPG_I64, T, 1, 1, 1);
    c->v_idxs = c->fa ? gpg_input(g, GPG_I64, T, 1, 1, 1)
                      : gpg_input(g, GPG_I64, T * (int64_t)c->m->head_dim_v * c->m->n_head_kv, 1, 1, 1);
}

/* A full-attention layer from its mixed input: the indexer's raw keys
   stored (sparse layers), Q (a gate interleaved per head), K and V with
   their stores; attention through the sparse (or the KQ) mask; the output
   times the gate's sigmoid, then wo */
static int q4_attn(q4 *k, int x, uint32_t il) {
    gpg_ctx *c = k->c;
    gpg_graph *g = k->g;
    const gp_compute_model *m = c->m;
    const int64_t hk = m->head_dim_k, nh = m->n_head, T = c->T;
    const uint32_t r = m->layer_compress ? m->layer_compress[il] : 0;
    q4_mask_arg arg = {.k = k, .in = NULL, .x = x};
    if (r) {
        arg.in = q4_qsa_of(k, r);
        if (!arg.in) return GPG_NONE;
        if (arg.in->k_idxs == GPG_NONE) arg.in->k_idxs = gpg_input(g, GPG_I64, T, 1, 1, 1);
        const int64_t d = m->idx_head_dim;
        int kr = gpg_op(g, 0, GPG_F32, d, T, 1, 1, x, GPG_NONE, GPG_NONE);
        q4_weight(k, kr, GP_COMPUTE_W_IDX_K_PROJ, GPG_OP_MM);
        kr = gpg_reshape(g, kr, d, 1, T, 1);
        gpg_tensor s = g->t[kr];
        kr = gpg_view(g, kr, d, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
        gpg_writes_cache(c, g, gpg_ext(g, kr, arg.in->k_idxs, GPG_NONE));
    }
    q4_attn_inputs(k);
    int full = GPG_NONE;
    gpg_attn_opts o = {.q_gate = 1, .q_full = &full};
    if (r) {
        o.mask = q4_qsa_mask;
        o.mask_arg = &arg;
    }
    int q = gpg_attn_qkv(c, g, x, il, &o);
    if (!r) q4_mask(k);
    int out = gpg_attn_vrot(c, g, gpg_attn_core(c, g, q, il, &o), il);
    if (full < 0) return GPG_NONE;
    gpg_tensor fs = g->t[full];
    int gate = gpg_view(g, full, hk, nh, T, 1, fs.nb[1], fs.nb[2], fs.nb[3], 0);
    gate = gpg_op(g, 0, GPG_F32, hk * nh, T, 1, 1, gate, GPG_NONE, GPG_NONE);   /* cont */
    gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);                  /* sigmoid */
    out = gpg_op_like(g, 1, out, out, gate, GPG_NONE);
    return gpg_attn_wo(c, g, out);
}

void gpg_inputs_qwen4exp(gpg_ctx *c, gpg_graph *g) {
    const gp_compute_model *m = c->m;
    c->inp_tokens = gpg_input(g, GPG_I32, c->T, 1, 1, 1);
    c->inp_embd = gpg_input(g, GPG_F32, m->n_embd, c->T, 1, 1);
    c->inp_ple = m->ple_n_heads ? gpg_input(g, GPG_I32, (int64_t)m->ple_n_heads * c->T, 1, 1, 1) : GPG_NONE;
    c->inp_pos = c->out_ids = c->rs_copy = c->rs_main = c->rs_extra = c->inp_attn_scale = GPG_NONE;
    c->k_rot_t = c->v_rot_t = c->k_rot_swa = c->v_rot_swa = GPG_NONE;
    c->k_idxs = c->v_idxs = c->mask = GPG_NONE;
    c->k_idxs_swa = c->v_idxs_swa = c->mask_swa = GPG_NONE;
    c->embd_wide = GPG_NONE;
}

int gpg_build_qwen4exp(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    q4 k = {.c = c, .g = g, .ple_emb = GPG_NONE, .res = GPG_NONE};
    k.embd = gpg_token_embd(c, g);
    if (m->ple_n_heads) {
        int e = gpg_op(g, 0, GPG_F32, m->ple_head_dim, (int64_t)m->ple_n_heads * c->T, 1, 1, c->inp_ple,
                       GPG_NONE, GPG_NONE);
        q4_weight(&k, e, GPG_W_TOK, GPG_OP_GETROWS);
        k.ple_emb = gpg_reshape(g, e, (int64_t)m->ple_head_dim * m->ple_n_heads, c->T, 1, 1);
    }
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        const int last = il == m->n_layer - 1;
        int res = m->ple_n_heads && il == m->ple_layer ? q4_ple(&k) : q4_residual(&k);
        c->il = il;
        int xn;
        int x = q4_mix(&k, res, GP_COMPUTE_W_HC_ATTN_NORM, &xn);
        int out;
        if (gpg_layer_rec(m, il)) {
            q4_rs_copy(&k);
            const gpg_delta_opts d = {.state_cont = 1};
            out = gpg_delta_net_opts(c, g, x, &d);
        } else {
            out = q4_attn(&k, x, il);
        }
        res = q4_combine(&k, res, out, xn, GP_COMPUTE_W_HC_ATTN_INJECT, last);
        int fxn;
        int fx = q4_mix(&k, res, GP_COMPUTE_W_HC_FFN_NORM, &fxn);
        k.p_moe = gpg_ffn_moe(c, g, fx, c->T, NULL);
        k.pending = 1;
        k.p_il = il;
        k.p_res = res;
        k.p_ffn_x = fx;
        k.p_ffn_xn = fxn;
    }
    int res = q4_residual(&k);
    c->il = m->n_layer;
    int xn;
    gpg_head(c, g, q4_mix(&k, res, GPG_W_OUT_NORM, &xn));
    return g->err ? -1 : 0;
}
