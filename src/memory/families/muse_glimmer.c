/*
 * muse_glimmer.c - Muse Glimmer (llama.cpp's src/models/muse-glimmer.cpp):
 * the token embeddings RMS-normed without a weight; per layer a norm before
 * and after attention and after the FFN (before the gather of the output
 * rows), per-head Q/K norms, rope on the sliding layers only, and the
 * attention's output gated by a sigmoid of its own projection of the
 * attention's input before the output projection. The logits' scale (and
 * soft-cap) run in place on them: no tensor of their own.
 */
#include "memory/families/family.h"

int gpg_build_muse_glimmer(gpg_ctx *c, gpg_graph *g)
{
    /* Trinity's layer (afmoe.c), its FFN dense, after the normed embeddings */
    return gpg_build_gated_postnorm(c, g, true);
}
