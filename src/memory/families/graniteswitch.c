/*
 * graniteswitch.c - Granite Switch (llama.cpp's src/models/granite-switch.cpp):
 * Granite's layer (fused QKV, residual scales, a logit scale) whose every
 * projection adds a low-rank adapter chosen per token: the input through the
 * chosen slot's A, then its B (two mul_mat_id over the stacked slots), added
 * to the projection. Q, K and V are copied out of the fused product first so
 * that their deltas can be added.
 *
 * Which adapter a token uses is read back from a single-head attention over
 * a cache layer of its own past the last block (the router layer): Q, K and
 * V are three per-token inputs, each padded to a head; the attention's first
 * value, clamped, rounded and cast to integers, is the slot. The graph's
 * first expansion is that layer's cache store and attention; the slots are
 * reached only through the first adapter of the first layer, and the last
 * layer gathers the slots of its output rows before its FFN.
 *
 * The token embeddings read the ids with the adapter tokens substituted (an
 * input of the family's own); no token input besides it.
 */
#include "memory/families/family.h"

typedef struct {
    gpg_ctx *c;
    gpg_graph *g;
    int router_out;     /* the router's attention output [hd, T] */
    int ids;            /* the slots of every token (GPG_NONE: not reached yet) */
    int ids_out;        /* the slots of the output rows (last layer) */
    int narrowed;       /* past the gather of the output rows */
} sw_state;

/* a per-token input [T] as one head: reshaped to [1, 1, T], zero-padded to
   the head size (a tensor of its own) */
static int router_lane(gpg_ctx *c, gpg_graph *g, int sig)
{
    int t = gpg_reshape(g, sig, 1, 1, c->T, 1);
    return gpg_op(g, 0, GPG_F32, c->m->head_dim_k, 1, c->T, 1, t, GPG_NONE, GPG_NONE);   /* pad */
}

/* K [hd, nkv, T] and V into the current cache layer: K's rows, then V's (the
   transposed cache takes single values: a V narrower than its rows is padded
   to them) */
static void store_kv(gpg_ctx *c, gpg_graph *g, int k, int v, int64_t nkv)
{
    const int64_t hd = c->m->head_dim_k, T = g->t[k].ne[2];
    gpg_tensor s = g->t[k];
    int k2 = gpg_view(g, k, hd * nkv, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
    gpg_writes_cache(c, g, gpg_ext(g, k2, c->k_idxs, GPG_NONE));
    s = g->t[v];
    if (c->fa) {
        int v2 = gpg_view(g, v, hd * nkv, T, 1, 1, s.nb[2], s.nb[2] * T, s.nb[2] * T, 1);
        gpg_writes_cache(c, g, gpg_ext(g, v2, c->v_idxs, GPG_NONE));
        return;
    }
    int v2 = gpg_is_contiguous(&s) ? gpg_reshape(g, v, hd * nkv, T, 1, 1)
                                   : gpg_op(g, 0, GPG_F32, hd * nkv, T, 1, 1, v, GPG_NONE, GPG_NONE);
    const int64_t row = gpg_v_gqa_max(c->m);
    if (hd * nkv < row) v2 = gpg_op(g, 0, GPG_F32, row, T, 1, 1, v2, GPG_NONE, GPG_NONE);   /* pad */
    v2 = gpg_reshape(g, v2, 1, row * T, 1, 1);
    gpg_writes_cache(c, g, gpg_ext(g, v2, c->v_idxs, GPG_NONE));
}

/* the router's attention over its cache layer: one head, as the layers'
   attention reads the cache (flash attention or KQ, soft-max, KQV) */
static int router_attend(gpg_ctx *c, gpg_graph *g, int q)
{
    const int64_t hd = c->m->head_dim_k, ns = c->n_stream, T = g->t[q].ne[2];
    gpg_tensor qs = g->t[q];
    int qv = gpg_view(g, q, hd, 1, T / ns, ns, qs.nb[1], qs.nb[2], qs.nb[2] * (T / ns), 1);
    int qp = gpg_permute_12(g, qv);
    const uint64_t cells = (uint64_t)c->n_kv * (uint64_t)ns;
    int kvk = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_k, (uint64_t)hd));
    int kvv = gpg_kv_view(c, g, cells * gpg_cache_row_bytes(c->r->type_v, (uint64_t)hd));
    if (c->fa) {
        int out = gpg_op(g, 0, GPG_F32, hd, 1, T / ns, ns, qp, c->mask, GPG_NONE);
        gpg_set_src4(g, out, qp, kvk, kvv, c->mask);
        return gpg_reshape(g, out, hd, T, 1, 1);
    }
    int kq = gpg_op(g, 0, GPG_F32, c->n_kv, T / ns, 1, ns, kvk, qp, GPG_NONE);
    kq = gpg_op_like(g, 1, kq, kq, c->mask, GPG_NONE);                  /* soft_max */
    int kqv = gpg_op(g, 0, GPG_F32, hd, T / ns, 1, ns, kvv, kq, GPG_NONE);
    int p = gpg_permute_12(g, kqv);
    return gpg_op(g, 0, GPG_F32, hd, T, 1, 1, p, GPG_NONE, GPG_NONE);  /* cont */
}

/* the slots, built where ggml first reaches them: the router's first value
   made contiguous, clamped, rounded, cast to integers; the last layer
   gathers its output rows' slots */
static int slots(sw_state *s)
{
    gpg_ctx *c = s->c;
    gpg_graph *g = s->g;
    if (s->ids == GPG_NONE) {
        const int out = s->router_out;
        const int64_t T = g->t[out].ne[1];
        gpg_tensor os = g->t[out];
        int col = gpg_view(g, out, 1, T, 1, 1, os.nb[1], os.nb[1] * T, os.nb[1] * T, 1);
        col = gpg_op(g, 0, GPG_F32, 1, T, 1, 1, col, GPG_NONE, GPG_NONE);     /* cont */
        col = gpg_reshape(g, col, T, 1, 1, 1);
        col = gpg_op_like(g, 1, col, col, GPG_NONE, GPG_NONE);                /* clamp */
        col = gpg_op_like(g, 1, col, col, GPG_NONE, GPG_NONE);                /* round */
        s->ids = gpg_op(g, 0, GPG_I32, T, 1, 1, 1, col, GPG_NONE, GPG_NONE);  /* cast */
    }
    if (!s->narrowed) return s->ids;
    if (s->ids_out == GPG_NONE) {
        int rows = gpg_reshape(g, s->ids, 1, g->t[s->ids].ne[0], 1, 1);
        rows = gpg_op(g, 0, GPG_I32, 1, c->n_out, 1, 1, rows, c->out_ids, GPG_NONE);   /* get_rows */
        s->ids_out = gpg_reshape(g, rows, c->n_out, 1, 1, 1);
    }
    return s->ids_out;
}

/* the chosen adapter's delta on x [n_in, T]: A, then B, per token's slot
   (kind_a: A's weight kind, B's follows it) */
static int adapter_delta(sw_state *s, int x, int kind_a, int64_t n_out)
{
    gpg_ctx *c = s->c;
    gpg_graph *g = s->g;
    const int64_t n_in = g->t[x].ne[0], T = g->t[x].ne[1];
    int x3 = gpg_reshape(g, x, n_in, 1, T, 1);
    int ids = gpg_reshape(g, slots(s), 1, T, 1, 1);
    int a = gpg_op(g, 0, GPG_F32, c->m->adapter_rank, 1, T, 1, x3, ids, GPG_NONE);
    gpg_weight(c, g, a, kind_a, GPG_OP_MMID);
    int b = gpg_op(g, 0, GPG_F32, n_out, 1, T, 1, a, ids, GPG_NONE);
    gpg_weight(c, g, b, kind_a + 1, GPG_OP_MMID);
    return gpg_reshape(g, b, n_out, T, 1, 1);
}

/* a projection plus its adapter's delta */
static int switched_mm(sw_state *s, int x, int kind_w, int kind_a, int64_t n_out)
{
    gpg_graph *g = s->g;
    int base = gpg_op(g, 0, GPG_F32, n_out, g->t[x].ne[1], 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(s->c, g, base, kind_w, GPG_OP_MM);
    int d = adapter_delta(s, x, kind_a, n_out);
    return gpg_op_like(g, 1, base, base, d, GPG_NONE);
}

/* one of Q, K, V: a contiguous copy of its slice of the fused product, its
   delta added, [hd, heads, T] */
static int qkv_part(sw_state *s, int qkv, int x, int64_t first, int64_t heads, int kind_a)
{
    gpg_graph *g = s->g;
    const int64_t hd = s->c->m->head_dim_k, T = g->t[qkv].ne[1];
    gpg_tensor qs = g->t[qkv];
    int v = gpg_view(g, qkv, hd * heads, T, 1, 1, qs.nb[1], qs.nb[1] * T, qs.nb[1] * T, first == 0);
    int t = gpg_op(g, 0, GPG_F32, hd * heads, T, 1, 1, v, GPG_NONE, GPG_NONE);   /* cont */
    int d = adapter_delta(s, x, kind_a, hd * heads);
    t = gpg_op_like(g, 1, t, t, d, GPG_NONE);
    return gpg_reshape(g, t, hd, heads, T, 1);
}

/* Q (returned), V and K of layer il with their cache stores */
static int attn_qkv(sw_state *s, int x, uint32_t il)
{
    gpg_ctx *c = s->c;
    gpg_graph *g = s->g;
    const gp_compute_model *m = c->m;
    const int64_t hd = m->head_dim_k, nh = gpg_layer_n_head(m, il), nkv = gpg_layer_n_head_kv(m, il);
    const int rope = gpg_layer_rope(m, il);
    int qkv = gpg_op(g, 0, GPG_F32, hd * (nh + 2 * nkv), c->T, 1, 1, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, qkv, GP_COMPUTE_W_ATTN_QKV, GPG_OP_MM);
    int q = qkv_part(s, qkv, x, 0, nh, GP_COMPUTE_W_ATTN_Q_LORA_A);
    if (rope) q = gpg_op_like(g, 1, q, q, c->inp_pos, GPG_NONE);
    if (c->k_rot) q = gpg_hadamard(g, q, c->k_rot_t, c->k_rot);
    int v = qkv_part(s, qkv, x, hd * (nh + nkv), nkv, GP_COMPUTE_W_ATTN_V_LORA_A);
    if (c->v_rot) v = gpg_hadamard(g, v, c->v_rot_t, c->v_rot);
    int k = qkv_part(s, qkv, x, hd * nh, nkv, GP_COMPUTE_W_ATTN_K_LORA_A);
    if (rope) k = gpg_op_like(g, 1, k, k, c->inp_pos, GPG_NONE);
    if (c->k_rot) k = gpg_hadamard(g, k, c->k_rot_t, c->k_rot);
    store_kv(c, g, k, v, nkv);
    return q;
}

/* the inputs, in the order ggml first reaches them: the router's rotations
   and lanes (Q, V, K as its cache stores expand them), the cache rows, the
   mask (the router's attention), the substituted tokens, the positions, the
   output rows */
void gpg_inputs_graniteswitch(gpg_ctx *c, gpg_graph *g)
{
    c->inp_tokens = c->inp_embd = c->inp_ple = c->inp_pos = c->out_ids = GPG_NONE;
    c->rs_copy = c->rs_main = c->rs_extra = c->inp_attn_scale = GPG_NONE;
    c->k_rot_t = c->v_rot_t = c->k_rot_swa = c->v_rot_swa = GPG_NONE;
    c->k_idxs = c->v_idxs = c->mask = GPG_NONE;
    c->k_idxs_swa = c->v_idxs_swa = c->mask_swa = GPG_NONE;
    c->embd_wide = GPG_NONE;
    (void)g;
}

int gpg_build_graniteswitch(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T;
    sw_state s = {.c = c, .g = g, .ids = GPG_NONE, .ids_out = GPG_NONE};

    if (c->k_rot) c->k_rot_t = gpg_input(g, GPG_F32, c->k_rot, c->k_rot, 1, 1);
    int router_q = gpg_input(g, GPG_F32, T, 1, 1, 1);
    if (c->v_rot) c->v_rot_t = gpg_input(g, GPG_F32, c->v_rot, c->v_rot, 1, 1);
    int router_v = gpg_input(g, GPG_F32, T, 1, 1, 1);
    int router_k = gpg_input(g, GPG_F32, T, 1, 1, 1);
    c->k_idxs = gpg_input(g, GPG_I64, T, 1, 1, 1);
    c->v_idxs = c->fa ? gpg_input(g, GPG_I64, T, 1, 1, 1) : gpg_input(g, GPG_I64, T * gpg_v_gqa_max(m), 1, 1, 1);
    c->mask = gpg_input(g, c->fa ? GPG_F16 : GPG_F32, c->n_kv, T / c->n_stream, 1, c->n_stream);
    c->inp_tokens = gpg_input(g, GPG_I32, T, 1, 1, 1);      /* the substituted ids */
    if (m->no_rope_step != 1) c->inp_pos = gpg_input(g, GPG_I32, T, 1, 1, 1);
    c->out_ids = gpg_input(g, GPG_I32, c->n_out, 1, 1, 1);

    /* the router's cache store and attention, the graph's first expansion */
    c->router = 1;
    int q = router_lane(c, g, router_q);
    if (c->k_rot) q = gpg_hadamard(g, q, c->k_rot_t, c->k_rot);
    int v = router_lane(c, g, router_v);
    if (c->v_rot) v = gpg_hadamard(g, v, c->v_rot_t, c->v_rot);
    int k = router_lane(c, g, router_k);
    if (c->k_rot) k = gpg_hadamard(g, k, c->k_rot_t, c->k_rot);
    store_kv(c, g, k, v, 1);
    s.router_out = router_attend(c, g, q);
    c->router = 0;

    const gpg_attn_opts attn = {0};
    int inpL = gpg_token_embd(c, g);
    for (uint32_t il = 0; il < m->n_layer; il++) {
        c->il = il;
        int inpSA = inpL;
        int cur = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        cur = gpg_attn_core(c, g, attn_qkv(&s, cur, il), il, &attn);
        cur = gpg_attn_vrot(c, g, cur, il);
        cur = switched_mm(&s, cur, GP_COMPUTE_W_ATTN_OUT, GP_COMPUTE_W_ATTN_OUT_LORA_A, m->n_embd);
        /* the last layer's output rows: the branch's (scaled), the residual's,
           then their slots at the first adapter of the FFN */
        const int last = il == m->n_layer - 1;
        if (last) cur = gpg_rows(c, g, cur);
        if (m->resid_scaled) cur = gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);   /* scale */
        if (last) {
            inpSA = gpg_rows(c, g, inpSA);
            c->T = c->n_out;
            s.narrowed = 1;
        }
        int ffn_inp = gpg_op_like(g, 1, cur, cur, inpSA, GPG_NONE);
        cur = gpg_rms_mul(c, g, ffn_inp, GP_COMPUTE_W_FFN_NORM);
        const int64_t n_ff = gpg_layer_n_ff(m, il);
        int gate = switched_mm(&s, cur, GP_COMPUTE_W_FFN_GATE, GP_COMPUTE_W_FFN_GATE_LORA_A, n_ff);
        gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);                     /* silu */
        int up = switched_mm(&s, cur, GP_COMPUTE_W_FFN_UP, GP_COMPUTE_W_FFN_UP_LORA_A, n_ff);
        gate = gpg_op_like(g, 1, gate, gate, up, GPG_NONE);
        cur = switched_mm(&s, gate, GP_COMPUTE_W_FFN_DOWN, GP_COMPUTE_W_FFN_DOWN_LORA_A, m->n_embd);
        if (m->resid_scaled) cur = gpg_op_like(g, 1, cur, cur, GPG_NONE, GPG_NONE);   /* scale */
        inpL = gpg_op_like(g, 1, cur, cur, ffn_inp, GPG_NONE);
    }
    /* the final norm (an output), the logits, their scale (the output) */
    c->il = m->n_layer;
    int norm = gpg_rms_mul(c, g, inpL, GPG_W_OUT_NORM);
    if (!g->err) g->t[norm].is_output = 1;
    int lo = gpg_op(g, 0, GPG_F32, m->n_vocab, c->T, 1, 1, norm, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, lo, GPG_W_OUTPUT, GPG_OP_MM);
    lo = gpg_op_like(g, 1, lo, lo, GPG_NONE, GPG_NONE);                                /* scale */
    if (!g->err) g->t[lo].is_output = 1;
    return g->err ? -1 : 0;
}
