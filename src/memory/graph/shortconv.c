/* shortconv.c - the short-convolution recurrent block (lfm2) and the gather of its conv state. */
#include "memory/graph/build.h"

#include <stdlib.h>
#include <string.h>

int gpg_rs_gather(gpg_ctx *c, gpg_graph *g, int64_t row) {
    /* clear of an unused state cell (in place on the state tensor) */
    gpg_writes_cache(c, g, gpg_ext(g, GPG_NONE, GPG_NONE, GPG_NONE));
    if (c->rs_main == GPG_NONE) {
        gpg_tensor rs = g->t[c->rs_copy];
        c->rs_main = gpg_view(g, c->rs_copy, c->n_seq, 1, 1, 1, rs.nb[1], rs.nb[2], rs.nb[3], 1);
        c->rs_extra = gpg_view(g, c->rs_copy, 0, 1, 1, 1, rs.nb[1], rs.nb[2], rs.nb[3], 0);
    }
    int st = gpg_op(g, 0, GPG_F32, row, c->n_seq, 1, 1, c->rs_main, GPG_NONE, GPG_NONE);
    /* states of the cells beyond the ubatch's sequences (none when reserving)
       copied back into the state tensor */
    int ex = gpg_op(g, 0, GPG_F32, row, 0, 1, 1, c->rs_extra, GPG_NONE, GPG_NONE);
    gpg_writes_cache(c, g, gpg_ext(g, ex, GPG_NONE, GPG_NONE));
    return st;
}

/* the conv state of layer il_state gathered from the recurrent cache (its
   row indices, then the rows beyond the ubatch's sequences written back) */
int gpg_conv_state_fetch(gpg_ctx *c, gpg_graph *g, uint32_t il_state) {
    const gp_compute_model *m = c->m;
    const int64_t L = m->conv_l_cache ? m->conv_l_cache : 3;
    const uint32_t il_save = c->il;
    c->il = il_state < m->n_layer ? il_state : il_save;
    int st = gpg_rs_gather(c, g, (L - 1) * m->n_embd);
    c->il = il_save;
    return gpg_reshape(g, st, L - 1, m->n_embd, c->n_seq, 1);
}

/* short convolution (lfm2), first half: in_proj, B*x, concat with the
   previous conv state, state write-back. The state of the next recurrent
   layer is gathered right after the write-back (that is where ggml's
   expansion puts it). Returns the concat tensor; *c_gate gets the C view. */
int gpg_shortconv_a(gpg_ctx *c, gpg_graph *g, int x, int state, int fetch_next,
                    int *c_gate, int *next_state) {
    const gp_compute_model *m = c->m;
    const int64_t T = c->T, nd = m->n_embd, L = m->conv_l_cache ? m->conv_l_cache : 3;
    const int64_t ns = c->n_seq;
    int xr = gpg_reshape(g, x, nd, T, 1, 1);
    int ip = gpg_op(g, 0, GPG_F32, 3 * nd, T, 1, 1, xr, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, ip, GP_COMPUTE_W_CONV_IN, GPG_OP_MM);
    gpg_tensor is = g->t[ip];
    int b = gpg_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 1);
    int xx = gpg_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 0);
    int bx = gpg_op(g, 0, GPG_F32, nd, T, 1, 1, b, xx, GPG_NONE);
    gpg_tensor bs = g->t[bx];
    int bxt = gpg_view(g, bx, T / ns, nd, ns, 1, bs.nb[0], bs.nb[2], bs.nb[3], 1);
    int cat = gpg_op(g, 0, GPG_F32, T / ns + L - 1, nd, ns, 1, state, bxt, GPG_NONE);
    gpg_tensor cs = g->t[cat];
    int last = gpg_view(g, cat, L - 1, nd, ns, 1, cs.nb[1], cs.nb[2], cs.nb[3], 0);
    gpg_writes_cache(c, g, gpg_ext(g, last, GPG_NONE, GPG_NONE));
    *next_state = fetch_next ? gpg_conv_state_fetch(c, g, c->il + 1) : GPG_NONE;
    *c_gate = gpg_view(g, ip, nd, T, 1, 1, is.nb[1], is.nb[2], is.nb[3], 0);
    return cat;
}

/* second half: ssm_conv, C gating, out_proj */
int gpg_shortconv_b(gpg_ctx *c, gpg_graph *g, int cat, int c_gate) {
    const int64_t T = c->T, nd = c->m->n_embd;
    int conv = gpg_op(g, 0, GPG_F32, nd, T, 1, 1, cat, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, conv, GP_COMPUTE_W_CONV, GPG_OP_OTHER);
    int y = gpg_op(g, 1, GPG_F32, nd, T, 1, 1, c_gate, conv, GPG_NONE);
    int o = gpg_op(g, 0, GPG_F32, nd, T, 1, 1, y, GPG_NONE, GPG_NONE);
    gpg_weight(c, g, o, GP_COMPUTE_W_CONV_OUT, GPG_OP_MM);
    return gpg_reshape(g, o, nd, T, 1, 1);
}
