/*
 * Writes a header-only GGUF with the exact tensors and hyper-parameters of
 * a source model, without the tokenizer's string tables (its vocabulary size
 * is kept as {arch}.vocab_size), so a real model's shape fits in a few
 * kilobytes. Used to produce examples/.
 *
 *   make_examples SOURCE.gguf OUT.gguf
 *   make_examples --deepseek-v3 OUT.gguf   DeepSeek-V3's shape (671B, MLA, 256
 *                                          experts, one NextN layer), Q4_0 weights
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "model/model.h"
#include "gguf/types.h"
#include "gguf_writer.h"
#include "model_builder.h"

static size_t scalar_size(uint32_t t)
{
    switch (t) {
    case GGUF_U8: case GGUF_I8: case GGUF_BOOL: return 1;
    case GGUF_U16: case GGUF_I16: return 2;
    case GGUF_U32: case GGUF_I32: case GGUF_F32: return 4;
    case GGUF_U64: case GGUF_I64: case GGUF_F64: return 8;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_examples SOURCE.gguf OUT.gguf | --deepseek-v3 OUT.gguf\n");
        return 2;
    }
    if (strcmp(argv[1], "--deepseek-v3") == 0) {
        /* block_count counts the NextN layer; the first 3 layers are dense. */
        mb_spec s = {.arch = "deepseek2", .n_layer = 62, .nextn = 1, .n_embd = 7168, .n_head = 128,
                     .n_head_kv = 1, .head_dim = 128, .n_ff = 18432, .n_vocab = 129280,
                     .n_ctx_train = 163840, .n_expert = 256, .n_expert_used = 8, .n_ff_exp = 2048,
                     .n_expert_shared = 1, .kv_lora_rank = 512, .rope_dim = 64, .q_lora_rank = 1536,
                     .n_layer_dense_lead = 3, .sigmoid_gating = true, .weight_type = GP_TYPE_Q4_0,
                     .name = "DeepSeek-V3 (shape)", .file_type = 2};
        gw *w = mb_build(&s);
        bool ok = gw_write(w, argv[2], false);
        gw_free(w);
        if (!ok)
            fprintf(stderr, "make_examples: %s: cannot write\n", argv[2]);
        return ok ? 0 : 1;
    }
    gp_error err = {0};
    gp_model *m = NULL;
    if (gp_model_open(argv[1], &m, &err) != GP_OK) {
        fprintf(stderr, "make_examples: %s: %s\n", err.file, err.message);
        return 1;
    }
    const gp_gguf *g = m->shards[0];
    gw *w = gw_new(g->version);
    char vocab_key[160];
    snprintf(vocab_key, sizeof vocab_key, "%s.vocab_size", m->arch);
    bool has_vocab = false;
    for (size_t i = 0; i < g->n_kv; i++) {
        const gp_gguf_kv *kv = &g->kvs[i];
        if (strcmp(kv->key, vocab_key) == 0)
            has_vocab = true;
        if (kv->type == GGUF_STRING) {
            gw_str(w, kv->key, kv->str);
        } else if (kv->type == GGUF_ARRAY) {
            size_t es = scalar_size(kv->arr_type);
            /* Tokenizer tables (strings, scores, token types) are dropped. */
            if (!es || strncmp(kv->key, "tokenizer.", 10) == 0)
                continue;
            unsigned char *raw = malloc(12 + kv->arr_count * es);
            uint32_t et = kv->arr_type;
            uint64_t n = kv->arr_count;
            for (int b = 0; b < 4; b++) raw[b] = (unsigned char)(et >> (8 * b));
            for (int b = 0; b < 8; b++) raw[4 + b] = (unsigned char)(n >> (8 * b));
            memcpy(raw + 12, g->bytes + kv->arr_offset, n * es);
            gw_raw(w, kv->key, GGUF_ARRAY, raw, 12 + n * es);
            free(raw);
        } else {
            size_t es = scalar_size(kv->type);
            /* Re-encode from the widened value: exact for integers and floats. */
            unsigned char raw[8] = {0};
            if (kv->type == GGUF_F32) {
                float f = (float)kv->v.f;
                memcpy(raw, &f, 4);
            } else if (kv->type == GGUF_F64) {
                memcpy(raw, &kv->v.f, 8);
            } else {
                for (size_t b = 0; b < es; b++)
                    raw[b] = (unsigned char)(kv->v.u >> (8 * b));
            }
            gw_raw(w, kv->key, kv->type, raw, es);
        }
    }
    if (!has_vocab)
        gw_u32(w, vocab_key, (uint32_t)m->hp.n_vocab);
    for (uint64_t i = 0; i < m->n_tensors; i++) {
        const gp_gguf_tensor *t = m->tensors[i].info;
        gw_tensor(w, t->name, t->type, t->n_dims, t->ne);
    }
    bool ok = gw_write(w, argv[2], false);
    gw_free(w);
    gp_model_close(&m);
    if (!ok) {
        fprintf(stderr, "make_examples: %s: cannot write\n", argv[2]);
        return 1;
    }
    return 0;
}
