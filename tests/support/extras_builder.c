/* Headers of what llama-server loads besides a model, for tests. The
 * projector shapes and types follow llama.cpp's converters for the
 * published mmproj files (SigLIP/CLIP towers in f16, norms and biases in
 * f32). */
#include "extras_builder.h"

#include <stdio.h>
#include <string.h>

#include "ggplace.h"
#include "gguf/gguf.h"
#include "gguf_writer.h"

enum { F32 = 0, F16 = 1 };
static const int WT = F16; /* the 2-D block weights */

static void arr_f32(gw *w, const char *k, const float *v, uint32_t n)
{
    unsigned char buf[4 + 8 + 64];
    uint32_t t = 6;
    uint64_t cnt = n;
    memcpy(buf, &t, 4);
    memcpy(buf + 4, &cnt, 8);
    memcpy(buf + 12, v, n * 4);
    gw_raw(w, k, 9, buf, 12 + n * 4);
}

static void t1(gw *w, const char *name, int type, int64_t a)
{
    int64_t ne[1] = { a };
    gw_tensor(w, name, type, 1, ne);
}
static void t2(gw *w, const char *name, int type, int64_t a, int64_t b)
{
    int64_t ne[2] = { a, b };
    gw_tensor(w, name, type, 2, ne);
}
static void t4(gw *w, const char *name, int type, int64_t a, int64_t b, int64_t c, int64_t d)
{
    int64_t ne[4] = { a, b, c, d };
    gw_tensor(w, name, type, 4, ne);
}

static bool finish(gw *w, const char *path)
{
    bool ok = gw_write(w, path, false);
    gw_free(w);
    return ok;
}

static void common(gw *w, const char *proj, int image, int patch, int n_embd, int n_ff, int n_layer,
                   int n_head, int proj_dim, float eps, const float *mean, const float *std)
{
    gw_str(w, "general.architecture", "clip");
    gw_u32(w, "general.file_type", 1);
    gw_bool(w, "clip.has_vision_encoder", true);
    gw_str(w, "clip.projector_type", proj);
    gw_u32(w, "clip.vision.image_size", image);
    gw_u32(w, "clip.vision.patch_size", patch);
    gw_u32(w, "clip.vision.embedding_length", n_embd);
    gw_u32(w, "clip.vision.feed_forward_length", n_ff);
    gw_u32(w, "clip.vision.block_count", n_layer);
    gw_u32(w, "clip.vision.attention.head_count", n_head);
    gw_u32(w, "clip.vision.projection_dim", proj_dim);
    gw_f32(w, "clip.vision.attention.layer_norm_epsilon", eps);
    arr_f32(w, "clip.vision.image_mean", mean, 3);
    arr_f32(w, "clip.vision.image_std", std, 3);
}

/* standard ViT block: q/k/v/out + biases, ln1/ln2 (+bias), ffn up/down (+gate) */
static void vit_blocks(gw *w, int n_layer, int n_embd, int n_ff, int ln_bias, int gate)
{
    char n[96];
    for (int il = 0; il < n_layer; il++) {
        const char *qkv[4] = { "attn_q", "attn_k", "attn_v", "attn_out" };
        for (int i = 0; i < 4; i++) {
            snprintf(n, sizeof n, "v.blk.%d.%s.weight", il, qkv[i]); t2(w, n, WT, n_embd, n_embd);
            snprintf(n, sizeof n, "v.blk.%d.%s.bias", il, qkv[i]); t1(w, n, F32, n_embd);
        }
        snprintf(n, sizeof n, "v.blk.%d.ln1.weight", il); t1(w, n, F32, n_embd);
        if (ln_bias) { snprintf(n, sizeof n, "v.blk.%d.ln1.bias", il); t1(w, n, F32, n_embd); }
        snprintf(n, sizeof n, "v.blk.%d.ln2.weight", il); t1(w, n, F32, n_embd);
        if (ln_bias) { snprintf(n, sizeof n, "v.blk.%d.ln2.bias", il); t1(w, n, F32, n_embd); }
        snprintf(n, sizeof n, "v.blk.%d.ffn_up.weight", il); t2(w, n, WT, n_embd, n_ff);
        snprintf(n, sizeof n, "v.blk.%d.ffn_up.bias", il); t1(w, n, F32, n_ff);
        if (gate) {
            snprintf(n, sizeof n, "v.blk.%d.ffn_gate.weight", il); t2(w, n, WT, n_embd, n_ff);
            snprintf(n, sizeof n, "v.blk.%d.ffn_gate.bias", il); t1(w, n, F32, n_ff);
        }
        snprintf(n, sizeof n, "v.blk.%d.ffn_down.weight", il); t2(w, n, n_ff % 32 ? F16 : WT, n_ff, n_embd);
        snprintf(n, sizeof n, "v.blk.%d.ffn_down.bias", il); t1(w, n, F32, n_embd);
    }
}

/* Gemma-3 (SigLIP-so400m 896/14, 27 layers) -> n_embd_text */
static bool gemma3(const char *path, int n_text)
{
    static const float m[3] = { .5f, .5f, .5f }, s[3] = { .5f, .5f, .5f };
    gw *w = gw_new(3);
    common(w, "gemma3", 896, 14, 1152, 4304, 27, 16, n_text, 1e-6f, m, s);
    gw_bool(w, "clip.use_gelu", true);
    t4(w, "v.patch_embd.weight", F32, 14, 14, 3, 1152);
    t1(w, "v.patch_embd.bias", F32, 1152);
    t2(w, "v.position_embd.weight", F32, 1152, 4096);
    vit_blocks(w, 27, 1152, 4304, 1, 0);
    t1(w, "v.post_ln.weight", F32, 1152);
    t1(w, "v.post_ln.bias", F32, 1152);
    t2(w, "mm.input_projection.weight", F16, n_text, 1152);
    t1(w, "mm.soft_emb_norm.weight", F32, 1152);
    return finish(w, path);
}

/* Qwen2.5-VL-7B vision tower (32 layers, 1280, ffn 3420, window attn pattern 8),
 * merger output n_text (3584 in the real 7B; 4096 here to pair with qwen3-8b) */
static bool qwen25vl(const char *path, int n_text)
{
    static const float m[3] = { 0.48145466f, 0.4578275f, 0.40821073f };
    static const float s[3] = { 0.26862954f, 0.26130258f, 0.27577711f };
    gw *w = gw_new(3);
    common(w, "qwen2.5vl_merger", 560, 14, 1280, 3420, 32, 16, n_text, 1e-6f, m, s);
    gw_bool(w, "clip.use_silu", true);
    gw_u32(w, "clip.vision.n_wa_pattern", 8);
    gw_u32(w, "clip.vision.spatial_merge_size", 2);
    t4(w, "v.patch_embd.weight", F16, 14, 14, 3, 1280);
    t4(w, "v.patch_embd.weight.1", F16, 14, 14, 3, 1280);
    vit_blocks(w, 32, 1280, 3420, 0, 1);
    t1(w, "v.post_ln.weight", F32, 1280);
    t2(w, "mm.0.weight", F16, 5120, 5120);
    t1(w, "mm.0.bias", F32, 5120);
    t2(w, "mm.2.weight", F16, 5120, n_text);
    t1(w, "mm.2.bias", F32, n_text);
    return finish(w, path);
}

/* LLaVA-1.5-7B: CLIP ViT-L/14-336, last layer dropped (23 blocks), mlp projector */
static bool llava15(const char *path, int n_text)
{
    static const float m[3] = { 0.48145466f, 0.4578275f, 0.40821073f };
    static const float s[3] = { 0.26862954f, 0.26130258f, 0.27577711f };
    gw *w = gw_new(3);
    gw_bool(w, "clip.has_text_encoder", false);
    gw_bool(w, "clip.has_llava_projector", true);
    common(w, "mlp", 336, 14, 1024, 4096, 23, 16, 768, 1e-5f, m, s);
    gw_bool(w, "clip.use_gelu", false);
    t1(w, "v.class_embd", F32, 1024);
    t4(w, "v.patch_embd.weight", F16, 14, 14, 3, 1024);
    t2(w, "v.position_embd.weight", F16, 1024, 577);
    t1(w, "v.pre_ln.weight", F32, 1024);
    t1(w, "v.pre_ln.bias", F32, 1024);
    vit_blocks(w, 23, 1024, 4096, 1, 0);
    t2(w, "mm.0.weight", F16, 1024, n_text);
    t1(w, "mm.0.bias", F32, n_text);
    t2(w, "mm.2.weight", F16, n_text, n_text);
    t1(w, "mm.2.bias", F32, n_text);
    return finish(w, path);
}

bool eb_mmproj(eb_projector which, const char *out)
{
    switch (which) {
    case EB_GEMMA3: return gemma3(out, 2560);
    case EB_LLAVA15: return llava15(out, 4096);
    default: return qwen25vl(out, 4096);
    }
}

/* The base's 2-D tensors the targets name. */
static bool targeted(const char *name, const char *targets)
{
    char list[256];
    snprintf(list, sizeof list, "%s", targets);
    size_t len = strlen(name);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char want[96];
        if (!strcmp(t, "token_embd") || !strcmp(t, "output")) {
            snprintf(want, sizeof want, "%s.weight", t);
            if (!strcmp(name, want))
                return true;
            continue;
        }
        snprintf(want, sizeof want, ".%s.weight", t);
        if (!strncmp(name, "blk.", 4) && len > strlen(want) && !strcmp(name + len - strlen(want), want))
            return true;
    }
    return false;
}

bool eb_lora(const char *base, const char *out, uint32_t rank, float alpha, uint32_t type, const char *targets,
             bool with_data)
{
    gp_gguf *g = NULL;
    if (gp_gguf_open(base, &g, NULL) != GP_OK)
        return false;
    gw *w = gw_new(3);
    const char *arch = gp_gguf_get_str(g, "general.architecture");
    gw_str(w, "general.architecture", arch ? arch : "llama");
    gw_str(w, "general.type", "adapter");
    gw_str(w, "adapter.type", "lora");
    gw_f32(w, "adapter.lora.alpha", alpha);
    for (size_t i = 0; i < g->n_tensors; i++) {
        const gp_gguf_tensor *t = &g->tensors[i];
        if (!targeted(t->name, targets))
            continue;
        char a[160], b[160];
        snprintf(a, sizeof a, "%s.lora_a", t->name);
        snprintf(b, sizeof b, "%s.lora_b", t->name);
        if (!strcmp(t->name, "token_embd.weight")) {
            gw_tensor2(w, a, type, rank, t->ne[1]);
            gw_tensor2(w, b, type, rank, t->ne[0]);
        } else {
            gw_tensor2(w, a, type, t->ne[0], rank);
            gw_tensor2(w, b, type, rank, t->ne[1]);
        }
    }
    gp_gguf_close(&g);
    bool ok = gw_write(w, out, with_data);
    gw_free(w);
    return ok;
}
