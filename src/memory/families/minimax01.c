/*
 * minimax01.c - MiniMax-01 (llama.cpp's src/models/minimax-01.cpp):
 * lightning attention layers beside every eighth layer's softmax attention,
 * each followed by routed experts. The residual is the normed input, scaled
 * (residual_scale) and added after the mixer and again after the experts.
 *
 * Lightning attention keeps one head_dim x head_dim key-value state per head
 * (its conv rows are empty but gathered all the same): the projected Q, K
 * and V (one projection, silu) give the attention within the ubatch (Q K^T
 * under a decay by distance, times V) plus Q, decayed, times the old state;
 * the new state is the old one decayed plus K, decayed, times V. The output
 * is RMS-normed, gated by a sigmoid of the input and projected.
 *
 * Where ggml puts each part: the experts expand everything before them when
 * they are built (the mixer's norm, gate and projection or attention's wo,
 * the first residual); a lightning layer's state gathers need nothing of
 * the layers before it and come right after, before the previous layer's
 * second residual, which is reached only through this layer's attention.
 */
#include "memory/families/family.h"

#include <string.h>

/* The lightning attention's inputs: the heads' slopes, the decays of Q and
   K by position, the decay by distance between two tokens. */
typedef struct {
    int slopes, q_decay, k_decay, diag_decay;
} lightning_inputs;

/* A lightning layer's tensors that its output reads later. */
typedef struct {
    int state;        /* the gathered key-value states [hd * hd * heads, seqs] */
    int x;            /* the normed input as [E, tokens, 1, seqs] */
    int attn;         /* the attention's output [hd, tokens, heads, seqs] */
} lightning;

/* permute (1, 2, 0, 3): [a, b, c, d] -> [c, a, b, d] */
static int permute_120(gpg_graph *g, int src)
{
    if (g->err || src < 0) {
        g->err = 1;
        return GPG_NONE;
    }
    const gpg_tensor s = g->t[src];
    int id = gpg_view(g, src, s.ne[2], s.ne[0], s.ne[1], s.ne[3], s.nb[0], s.nb[1], s.nb[3], 1);
    if (!g->err)
        g->t[id].nb[0] = s.nb[2];
    return id;
}

/* exp(input * a layer's scale): a decay of the layer's own */
static int decay(gpg_graph *g, int input)
{
    int d = gpg_op_like(g, 1, input, input, GPG_NONE, GPG_NONE);   /* scale */
    return gpg_op_like(g, 1, d, d, GPG_NONE, GPG_NONE);            /* exp */
}

static void lightning_states(gpg_ctx *c, gpg_graph *g, lightning *s)
{
    const gp_compute_model *m = c->m;
    const int64_t hd = m->head_dim_k;
    gpg_rs_gather(c, g, 0);   /* the conv rows, of no width */
    s->state = gpg_rs_gather(c, g, hd * hd * m->n_head);
}

/* from the normed input x up to the new state written back */
static void lightning_mixer(gpg_ctx *c, gpg_graph *g, int x, const lightning_inputs *in, lightning *s)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S, E = m->n_embd;
    const int64_t H = m->n_head, hd = m->head_dim_k;

    s->x = gpg_reshape(g, x, E, t, 1, S);
    int qkv = gpg_op(g, 0, GPG_F32, 3 * hd * H, t, 1, S, s->x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, qkv, GP_COMPUTE_W_ATTN_QKV, GPG_OP_MM);
    qkv = gpg_op_like(g, 1, qkv, qkv, GPG_NONE, GPG_NONE);                      /* silu */
    qkv = gpg_reshape(g, qkv, 3 * hd, H, t, S);
    const gpg_tensor qs = g->t[qkv];
    int kv_old = gpg_reshape(g, s->state, hd, hd, H, S);

    /* Q, decayed, times the old state */
    int q = gpg_view(g, qkv, hd, H, t, S, qs.nb[1], qs.nb[2], qs.nb[3], 1);
    int q_s = gpg_op(g, 1, GPG_F32, hd, H, t, S, q, decay(g, in->q_decay), GPG_NONE);
    int none_diag = gpg_op(g, 0, GPG_F32, hd, t, H, S, kv_old, gpg_permute_12(g, q_s), GPG_NONE);
    /* the attention within the ubatch, decayed by distance */
    int v = gpg_view(g, qkv, hd, H, t, S, qs.nb[1], qs.nb[2], qs.nb[3], 0);
    int v_trans = gpg_op(g, 0, GPG_F32, t, hd, H, S, permute_120(g, v), GPG_NONE, GPG_NONE); /* cont */
    int k = gpg_view(g, qkv, hd, H, t, S, qs.nb[1], qs.nb[2], qs.nb[3], 0);
    int k_trans = gpg_permute_12(g, k);
    int qk = gpg_op(g, 0, GPG_F32, t, t, H, S, k_trans, gpg_permute_12(g, q), GPG_NONE);
    qk = gpg_op_like(g, 1, qk, qk, decay(g, in->diag_decay), GPG_NONE);
    int diag = gpg_op(g, 0, GPG_F32, hd, t, H, S, v_trans, qk, GPG_NONE);
    s->attn = gpg_op_like(g, 1, none_diag, none_diag, diag, GPG_NONE);

    /* the new state: the old one decayed by the layer's block decay, plus
       K, decayed, times V */
    int slope_rate = gpg_op_like(g, 1, in->slopes, in->slopes, GPG_NONE, GPG_NONE); /* scale */
    int block = gpg_op_like(g, 1, slope_rate, slope_rate, GPG_NONE, GPG_NONE);      /* scale */
    block = gpg_op_like(g, 1, block, block, GPG_NONE, GPG_NONE);                      /* exp */
    block = gpg_reshape(g, block, 1, 1, H, 1);
    int kv_old_s = gpg_op(g, 1, GPG_F32, hd, hd, H, S, kv_old, block, GPG_NONE);
    int k_s = gpg_op(g, 1, GPG_F32, hd, H, t, S, k, decay(g, in->k_decay), GPG_NONE);
    k_s = gpg_op(g, 0, GPG_F32, t, hd, H, S, permute_120(g, k_s), GPG_NONE, GPG_NONE); /* cont */
    int kv_cur = gpg_op(g, 0, GPG_F32, hd, hd, H, S, k_s, v_trans, GPG_NONE);
    int kv_new = gpg_op_like(g, 1, kv_old_s, kv_old_s, kv_cur, GPG_NONE);
    gpg_writes_cache(c, g, gpg_ext(g, kv_new, GPG_NONE, GPG_NONE));
}

/* the attention's output RMS-normed, gated by a sigmoid of the input,
   projected: [E, T] */
static int lightning_out(gpg_ctx *c, gpg_graph *g, const lightning *s)
{
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, S = c->n_seq, t = T / S;
    const int64_t H = m->n_head, hd = m->head_dim_k;
    int gate = gpg_op(g, 0, GPG_F32, hd * H, t, 1, S, s->x, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, gate, GP_COMPUTE_W_ATTN_GATE, GPG_OP_MM);
    gate = gpg_op_like(g, 1, gate, gate, GPG_NONE, GPG_NONE);                     /* sigmoid */
    int attn = gpg_op(g, 0, GPG_F32, hd, H, t, S, gpg_permute_12(g, s->attn), GPG_NONE, GPG_NONE); /* cont */
    attn = gpg_reshape(g, attn, hd * H, t, 1, S);
    attn = gpg_rms_mul(c, g, attn, GP_COMPUTE_W_ATTN_NORM_2);
    int cur = gpg_op_like(g, 1, gate, gate, attn, GPG_NONE);
    cur = gpg_op(g, 0, GPG_F32, m->n_embd, t, 1, S, cur, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, cur, GP_COMPUTE_W_ATTN_OUT, GPG_OP_MM);
    return gpg_reshape(g, cur, m->n_embd, T, 1, 1);
}

/* Layer il's experts on its mixer's (rec) or its attention's output plus
   the scaled residual (its normed input), all of which the experts expand
   at once; *normed gets the experts' normed input, the next residual. The
   last layer gathers the output rows of both first. */
static int layer_experts(gpg_ctx *c, gpg_graph *g, uint32_t il, int rec, const lightning *la, int attn,
                         int residual, int *normed)
{
    int cur = rec ? lightning_out(c, g, la) : gpg_attn_out(c, g, attn, il);
    if (il == c->m->n_layer - 1)
        gpg_output_rows(c, g, &cur, &residual);
    residual = gpg_op_like(g, 1, residual, residual, GPG_NONE, GPG_NONE);          /* scale */
    cur = gpg_op_like(g, 1, cur, cur, residual, GPG_NONE);
    *normed = gpg_rms_mul(c, g, cur, GP_COMPUTE_W_FFN_NORM);
    return gpg_ffn_moe(c, g, *normed, c->T, NULL);
}

/* the experts' output plus their scaled input: the layer's output, which
   ggml reaches only through the next layer (after its state gathers) */
static int layer_out(gpg_graph *g, int moe, int normed)
{
    int residual = gpg_op_like(g, 1, normed, normed, GPG_NONE, GPG_NONE);          /* scale */
    return gpg_op_like(g, 1, moe, moe, residual, GPG_NONE);
}

/* The lightning attention's inputs. ggml allocates the graph's inputs in
   the order its nodes first read them: the first layer reads these right
   after the state rows, before any attention reads its own. */
static void lightning_inputs_new(gpg_ctx *c, gpg_graph *g, lightning_inputs *in)
{
    const int64_t S = c->n_seq, t = c->T / S, H = c->m->n_head;
    const int n0 = g->nleaf;
    in->q_decay = gpg_input(g, GPG_F32, 1, H, t, S);
    in->diag_decay = gpg_input(g, GPG_F32, t, t, H, S);
    in->slopes = gpg_input(g, GPG_F32, H, 1, 1, 1);
    in->k_decay = gpg_input(g, GPG_F32, 1, H, t, S);
    if (g->err)
        return;
    int at = 0;
    while (at < n0 && g->leafs[at] != c->rs_copy)
        at++;
    if (at++ >= n0)
        return;
    const int n = g->nleaf - n0;
    int moved[4];
    memcpy(moved, g->leafs + n0, (size_t)n * sizeof(int));
    memmove(g->leafs + at + n, g->leafs + at, (size_t)(n0 - at) * sizeof(int));
    memcpy(g->leafs + at, moved, (size_t)n * sizeof(int));
}

int gpg_build_minimax01(gpg_ctx *c, gpg_graph *g)
{
    const gp_compute_model *m = c->m;
    const gpg_attn_opts attn_opts = {0};
    lightning_inputs in;
    lightning_inputs_new(c, g, &in);

    int inpL = gpg_token_embd(c, g);
    int moe = GPG_NONE, normed = GPG_NONE;
    for (uint32_t il = 0; il < m->n_layer; il++) {
        const int rec = gpg_layer_rec(m, il);
        lightning la = {0};
        c->il = il;
        if (rec) lightning_states(c, g, &la);
        if (il > 0) inpL = layer_out(g, moe, normed);
        int x = gpg_rms_mul(c, g, inpL, GP_COMPUTE_W_ATTN_NORM);
        int attn = GPG_NONE;
        if (rec) {
            lightning_mixer(c, g, x, &in, &la);
        } else {
            int q = gpg_attn_qkv(c, g, x, il, &attn_opts);
            attn = gpg_attn_core(c, g, q, il, &attn_opts);
        }
        moe = layer_experts(c, g, il, rec, &la, attn, x, &normed);
    }
    inpL = layer_out(g, moe, normed);
    gpg_logits(c, g, inpL);
    return g->err ? -1 : 0;
}
