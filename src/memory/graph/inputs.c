/* inputs.c - layer shape, op tags and the graph inputs (llama_graph inputs of llama-graph.cpp). */
#include "memory/graph/build.h"

#include <stdlib.h>
#include <string.h>

void gpg_weight(gpg_ctx *c, gpg_graph *g, int id, int kind, int opk) {
    if (g->err || id < 0) return;
    gpg_tensor *t = &g->t[id];
    const gp_compute_placement *pl = c->pl;
    uint32_t il = kind >= GP_COMPUTE_W_COUNT ? c->m->n_layer : gpg_weight_layer(c->m, c->il);
    int dev = 0;
    uint64_t bytes = 0;
    if (pl) {
        if (kind == GPG_W_OUT_NORM) dev = pl->out_norm_dev;
        else if (kind == GPG_W_OUTPUT) { dev = pl->output_dev; bytes = pl->output_bytes; }
        else if (kind < GP_COMPUTE_W_COUNT) { dev = pl->layer[il].w[kind]; bytes = pl->layer[il].w_bytes[kind]; }
    }
    t->wdev = dev;
    t->wkey = (int)il * GPG_W_ALL + kind;
    t->wbytes = bytes;
    t->opk = opk;
}

/* bytes of n elements of a cache type (ggml row size) */
uint64_t gpg_cache_row_bytes(int type, uint64_t n) {
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
int gpg_kv_view(gpg_ctx *c, gpg_graph *g, uint64_t bytes) {
    return gpg_outside_view(g, bytes, !c->pl ? 0 : c->router ? c->pl->router_kv : c->pl->layer[c->il].kv);
}

int gpg_outside_view(gpg_graph *g, uint64_t bytes, int be) {
    int id = gpg_new_tensor(g);
    if (g->err) return GPG_NONE;
    gpg_tensor *t = &g->t[id];
    t->type = 98;                       /* matches no activation layout */
    t->ne[0] = t->ne[1] = t->ne[2] = t->ne[3] = 1;
    t->size = bytes;
    t->view_src = GPG_EXT;
    t->be = be;
    return id;
}

/* node writes into the current layer's KV cache / recurrent state */
void gpg_writes_cache(gpg_ctx *c, gpg_graph *g, int id) {
    if (g->err || id < 0) return;
    g->t[id].pdev = !c->pl ? 0 : c->router ? c->pl->router_kv : c->pl->layer[c->il].kv;
}

uint32_t gpg_weight_layer(const gp_compute_model *m, uint32_t il) {
    if (!m->hrm_lps || il >= m->n_layer) return il;
    const uint32_t pass = il / m->hrm_lps;
    return (pass % (m->hrm_l + 1) == m->hrm_l ? m->hrm_lps : 0) + il % m->hrm_lps;
}

uint32_t gpg_layer_n_head(const gp_compute_model *m, uint32_t il) {
    return m->layer_n_head && m->layer_n_head[il] ? m->layer_n_head[il] : m->n_head;
}

uint32_t gpg_layer_n_head_kv(const gp_compute_model *m, uint32_t il) {
    return m->layer_n_head_kv ? m->layer_n_head_kv[il] : m->n_head_kv;
}
uint32_t gpg_layer_n_ff(const gp_compute_model *m, uint32_t il) {
    return m->layer_n_ff ? m->layer_n_ff[il] : m->n_ff;
}
int gpg_layer_swa(const gp_compute_model *m, uint32_t il) {
    return m->layer_is_swa ? m->layer_is_swa[il] != 0 : 0;
}
int64_t gpg_layer_head_dim_k(const gp_compute_model *m, uint32_t il) {
    return gpg_layer_swa(m, il) && m->head_dim_k_swa ? m->head_dim_k_swa : m->head_dim_k;
}
int64_t gpg_layer_head_dim_v(const gp_compute_model *m, uint32_t il) {
    return gpg_layer_swa(m, il) && m->head_dim_v_swa ? m->head_dim_v_swa : m->head_dim_v;
}
/* the widest V row over the layers (each with its own head size and KV
   heads: the global head size times the sliding layers' heads is no row) */
int64_t gpg_v_gqa_max(const gp_compute_model *m) {
    int64_t v = 0;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        int64_t l = gpg_layer_head_dim_v(m, il) * gpg_layer_n_head_kv(m, il);
        if (l > v) v = l;
    }
    return v ? v : (int64_t)m->head_dim_v * m->n_head_kv;
}
int gpg_layer_rec(const gp_compute_model *m, uint32_t il) {
    return m->layer_is_recurrent ? m->layer_is_recurrent[il] != 0 : 0;
}
int gpg_layer_idx_shared(const gp_compute_model *m, uint32_t il) {
    return m->layer_idx_shared ? m->layer_idx_shared[il] != 0 : 0;
}
int gpg_layer_rope(const gp_compute_model *m, uint32_t il) {
    return !(m->no_rope_step && (il + 1) % m->no_rope_step == 0) &&
           !(m->no_rope_full && !gpg_layer_swa(m, il) && gpg_any_swa(m) &&
             !(m->rope_dense_lead && il < m->n_layer_dense_lead));
}
int gpg_any_swa(const gp_compute_model *m) {
    if (!m->layer_is_swa) return 0;
    for (uint32_t i = 0; i < m->n_layer; i++) if (m->layer_is_swa[i]) return 1;
    return 0;
}
int gpg_layer_attends(const gp_compute_model *m, uint32_t il) {
    return !gpg_layer_rec(m, il) || m->rec_attends;
}
int gpg_any_full(const gp_compute_model *m) {
    for (uint32_t i = 0; i < m->n_layer; i++) if (!gpg_layer_swa(m, i) && gpg_layer_attends(m, i)) return 1;
    return 0;
}

/* K's rotation size on the sliding (swa) or the global cache */
int64_t gpg_k_rot_n(const gpg_ctx *c, int swa) {
    return swa && c->k_rot_swa_n ? c->k_rot_swa_n : c->k_rot;
}

/* x * H with H an n x n rotation: reshape to [n, N/n], mul_mat, reshape back */
int gpg_hadamard(gpg_graph *g, int x, int rot_leaf, int64_t n) {
    gpg_tensor s = g->t[x];
    int64_t tot = s.ne[0] * s.ne[1] * s.ne[2] * s.ne[3];
    int r = gpg_is_contiguous(&s) ? gpg_reshape(g, x, n, tot / n, 1, 1)
                                  : gpg_op(g, 0, GPG_F32, n, tot / n, 1, 1, x, GPG_NONE, GPG_NONE);
    int mm = gpg_op(g, 0, GPG_F32, n, tot / n, 1, 1, rot_leaf, r, GPG_NONE);
    return gpg_reshape(g, mm, s.ne[0], s.ne[1], s.ne[2], s.ne[3]);
}

int gpg_add_bias(gpg_ctx *c, gpg_graph *g, int x, int kind) {
    int r = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, r, kind, GPG_OP_OTHER);
    return r;
}

int gpg_layer_norm(gpg_ctx *c, gpg_graph *g, int x, int kind) {
    int n = gpg_op_like(g, 0, x, x, GPG_NONE, GPG_NONE);
    int r = gpg_op_like(g, 1, n, n, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, r, kind, GPG_OP_OTHER);
    return r;
}

int gpg_rms_mul(gpg_ctx *c, gpg_graph *g, int x, int kind) {
    int n = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);
    int r = gpg_op_like(g, 1, n, n, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, r, kind, GPG_OP_OTHER);
    return r;
}

int gpg_block_norm(gpg_ctx *c, gpg_graph *g, int x, int kind) {
    const gp_compute_model *m = c->m;
    int r = m->layer_norm ? gpg_layer_norm(c, g, x, kind) : gpg_rms_mul(c, g, x, kind);
    return m->norm_bias ? gpg_add_bias(c, g, r, kind) : r;
}

void gpg_inputs(gpg_ctx *c, gpg_graph *g) {
    if (c->dsa) {
        gpg_inputs_dsa(c, g);
        return;
    }
    const gp_compute_model *m = c->m;
    const int64_t T = c->T;
    int has_full = gpg_any_full(m), has_swa = gpg_any_swa(m);
    int first_swa = gpg_layer_swa(m, 0);
    int mask_type = c->fa ? GPG_F16 : GPG_F32;
    const int64_t hv_all = gpg_v_gqa_max(m);
    /* the positions are first reached by the first layer with rope, after
       its K rotation: the first layer, or where that is a full-attention
       layer without rope beside sliding ones (SmallThinker), the first
       layer of the other kind */
    const int pos_pass = !gpg_layer_rope(m, 0) && has_full && has_swa ? 1 : 0;

    c->inp_tokens = gpg_input(g, GPG_I32, T, 1, 1, 1);
    c->inp_embd = gpg_input(g, GPG_F32, (int64_t)m->n_embd * (1 + m->n_deepstack), T, 1, 1);
    c->inp_ple = m->n_embd_per_layer ? gpg_input(g, GPG_I32, T, 1, 1, 1) : GPG_NONE;
    c->rs_copy = c->rs_main = c->rs_extra = c->inp_attn_scale = GPG_NONE;
    /* the state rows are first read by the first recurrent layer's mixer,
       after its attention where the two sit side by side */
    if (c->conv_state && !m->rec_attends) c->rs_copy = gpg_input(g, GPG_I32, c->n_seq, 1, 1, 1);

    c->k_rot_t = c->v_rot_t = c->k_rot_swa = c->v_rot_swa = GPG_NONE;
    c->k_idxs = c->v_idxs = c->mask = GPG_NONE;
    c->k_idxs_swa = c->v_idxs_swa = c->mask_swa = GPG_NONE;

    for (int pass = 0; pass < 2; pass++) {
        int swa = first_swa ? (pass == 0) : (pass == 1);
        if (swa && !has_swa) continue;
        if (!swa && !has_full) continue;
        int *kr = swa ? &c->k_rot_swa : &c->k_rot_t;
        int *vr = swa ? &c->v_rot_swa : &c->v_rot_t;
        if (c->k_rot) {
            const int64_t n = swa ? gpg_k_rot_n(c, 1) : c->k_rot;
            *kr = gpg_input(g, GPG_F32, n, n, 1, 1);
        }
        if (pass == pos_pass && (m->no_rope_step != 1 || m->pos_embd)) c->inp_pos = gpg_input(g, GPG_I32, T * (m->pos_per_tok ? m->pos_per_tok : 1), 1, 1, 1);
        if (c->v_rot) *vr = gpg_input(g, GPG_F32, c->v_rot, c->v_rot, 1, 1);
        int64_t nkv = swa ? c->n_kv_swa : c->n_kv;
        int *ki = swa ? &c->k_idxs_swa : &c->k_idxs;
        int *vi = swa ? &c->v_idxs_swa : &c->v_idxs;
        int *mk = swa ? &c->mask_swa : &c->mask;
        *ki = gpg_input(g, GPG_I64, T, 1, 1, 1);
        if (!c->mla) {
            *vi = c->fa ? gpg_input(g, GPG_I64, T, 1, 1, 1) : gpg_input(g, GPG_I64, T * hv_all, 1, 1, 1);
        }
        *mk = gpg_input(g, mask_type, nkv, T / c->n_stream, 1, c->n_stream);
        /* the temperature is first read by a global layer, after the
           sliding ones of the first period */
        if (pass == 0 && c->attn_temp) c->inp_attn_scale = gpg_input(g, GPG_F32, 1, 1, T, 1);
    }
    if (!has_full && !has_swa && (m->no_rope_step != 1 || m->pos_embd)) c->inp_pos = gpg_input(g, GPG_I32, T * (m->pos_per_tok ? m->pos_per_tok : 1), 1, 1, 1);
    if (c->conv_state && m->rec_attends) c->rs_copy = gpg_input(g, GPG_I32, c->n_seq, 1, 1, 1);
    c->out_ids = gpg_input(g, GPG_I32, c->n_out, 1, 1, 1);
}

int gpg_token_embd(gpg_ctx *c, gpg_graph *g) {
    const gp_compute_model *m = c->m;
    c->il = 0;
    int x = gpg_op(g, 0, GPG_F32, m->n_embd, c->T, 1, 1, c->inp_tokens, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, x, GPG_W_TOK, GPG_OP_GETROWS);
    if (m->pos_embd) {
        /* the positions' rows of position_embd, added to the embeddings */
        int pos = gpg_op(g, 0, GPG_F32, m->n_embd, c->T, 1, 1, c->inp_pos, GPG_NONE, GPG_NONE);
        gpg_weight(c, g, pos, GPG_W_TOK, GPG_OP_GETROWS);
        x = gpg_op_like(g, 1, x, x, pos, GPG_NONE);
    }
    if (m->embd_scaled) x = gpg_op_like(g, 1, x, x, GPG_NONE, GPG_NONE);   /* scale */
    c->embd_wide = GPG_NONE;
    if (m->n_deepstack) {
        /* padded to the width of the deepstack input; the first layers'
           outputs read their slices of it, so it lives until they are done */
        c->embd_wide = gpg_op(g, 0, GPG_F32, (int64_t)m->n_embd * (1 + m->n_deepstack), c->T, 1, 1, x,
                              GPG_NONE, GPG_NONE);
        gpg_tensor s = g->t[c->embd_wide];
        x = gpg_view(g, c->embd_wide, m->n_embd, c->T, 1, 1, s.nb[1], s.nb[2], s.nb[3], 0);
    }
    return x;
}

int gpg_deepstack(gpg_ctx *c, gpg_graph *g, int x, uint32_t il) {
    if (il >= c->m->n_deepstack || c->embd_wide == GPG_NONE) return x;
    gpg_tensor s = g->t[c->embd_wide];
    int slice = gpg_view(g, c->embd_wide, c->m->n_embd, c->T, 1, 1, s.nb[1], s.nb[2], s.nb[3], 0);
    return gpg_op_like(g, 1, x, x, slice, GPG_NONE);
}

int gpg_rows(gpg_ctx *c, gpg_graph *g, int x) {
    return gpg_op(g, 0, GPG_F32, c->m->n_embd, c->n_out, 1, 1, x, c->out_ids, GPG_NONE);
}

void gpg_output_rows(gpg_ctx *c, gpg_graph *g, int *cur, int *residual) {
    *cur = gpg_rows(c, g, *cur);
    *residual = gpg_rows(c, g, *residual);
    c->T = c->n_out;
}

void gpg_logits(gpg_ctx *c, gpg_graph *g, int x) {
    c->il = c->m->n_layer;
    gpg_head(c, g, gpg_block_norm(c, g, x, GPG_W_OUT_NORM));
}

void gpg_logits_after_norm(gpg_ctx *c, gpg_graph *g, int x) {
    c->il = c->m->n_layer;
    int norm = gpg_block_norm(c, g, x, GPG_W_OUT_NORM);
    if (!g->err) g->t[norm].is_output = 1;        /* t_h_nextn */
    int rows = gpg_rows(c, g, norm);
    c->T = c->n_out;
    gpg_head(c, g, rows);
}

void gpg_head(gpg_ctx *c, gpg_graph *g, int rn) {
    c->il = c->m->n_layer;
    if (!g->err) g->t[rn].is_output = 1;
    int lo = gpg_op(g, 0, GPG_F32, c->m->n_vocab, c->T, 1, 1, rn, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, lo, GPG_W_OUTPUT, GPG_OP_MM);
    if (c->m->logits_copied) {
        /* Chameleon: the image tokens' logits (8192 of them) clamped to
           -FLT_MAX and set into a copy of the logits, the graph's output */
        int img = gpg_op(g, 0, GPG_F32, 8192, 1, 1, 1, GPG_NONE, GPG_NONE, GPG_NONE);
        int clamp = gpg_op_like(g, 0, img, img, GPG_NONE, GPG_NONE);
        lo = gpg_op_like(g, 0, lo, lo, clamp, GPG_NONE);
    }
    if (!g->err) g->t[lo].is_output = 1;
}
