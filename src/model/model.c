#include "model/model.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "model/arch.h"
#include "util/error.h"

/* ---- hyper-parameter keys ---------------------------------------------------- */

/* Reads "{arch}.suffix" as an unsigned integer. */
static bool arch_uint(const gp_gguf *g, const char *arch, const char *suffix, uint64_t *out)
{
    char key[256];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return gp_gguf_get_uint(g, key, out);
}

static uint32_t arch_u32(const gp_gguf *g, const char *arch, const char *suffix, uint32_t dflt)
{
    uint64_t v;
    if (!arch_uint(g, arch, suffix, &v) || v > UINT32_MAX)
        return dflt;
    return (uint32_t)v;
}

/* A hyper-parameter that is either one scalar or one value per layer. Fills
 * out[0..n) and returns true if the key exists. Arrays shorter than n are an
 * error reported through *bad. */
static bool per_layer(const gp_gguf *g, const char *arch, const char *suffix,
                      uint32_t *out, uint32_t n, bool *bad)
{
    char key[256];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    const gp_gguf_kv *kv = gp_gguf_find(g, key);
    if (!kv)
        return false;
    if (kv->type == GGUF_ARRAY) {
        if (kv->arr_count < n) {
            *bad = true;
            return false;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint64_t v;
            if (!gp_gguf_arr_uint(g, kv, i, &v) || v > UINT32_MAX) {
                *bad = true;
                return false;
            }
            out[i] = (uint32_t)v;
        }
        return true;
    }
    uint64_t v;
    if (!gp_gguf_get_uint(g, key, &v) || v > UINT32_MAX) {
        *bad = true;
        return false;
    }
    for (uint32_t i = 0; i < n; i++)
        out[i] = (uint32_t)v;
    return true;
}

/* ---- building the view ------------------------------------------------------- */

static void warn(gp_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(gp_model *m, const char *fmt, ...)
{
    if (m->n_warnings >= GP_MODEL_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->warnings[m->n_warnings], sizeof m->warnings[0], fmt, ap);
    va_end(ap);
    (void)n;
    m->n_warnings++;
}

static void free_model(gp_model *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n_shards; i++)
        gp_gguf_close(&m->shards[i]);
    free(m->shards);
    free(m->layers);
    free(m->tensors);
    free(m->path);
    free(m);
}

void gp_model_close(gp_model **m)
{
    if (!m)
        return;
    free_model(*m);
    *m = NULL;
}

static gp_status collect_tensors(gp_model *m, gp_error *err)
{
    uint64_t n = 0;
    for (uint32_t s = 0; s < m->n_shards; s++)
        n += m->shards[s]->n_tensors;
    m->tensors = calloc(n ? n : 1, sizeof *m->tensors);
    if (!m->tensors)
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    m->data_present = true;
    for (uint32_t s = 0; s < m->n_shards; s++) {
        const gp_gguf *g = m->shards[s];
        m->data_present = m->data_present && g->data_present;
        for (size_t i = 0; i < g->n_tensors; i++) {
            gp_tensor *t = &m->tensors[m->n_tensors++];
            t->info = &g->tensors[i];
            t->shard = s;
            gp_classify_tensor(t->info->name, &t->layer, &t->role);
            if (UINT64_MAX - m->tensor_bytes < t->info->bytes)
                return gp_fail(err, GP_ERR_FORMAT, m->path, "total tensor size overflows");
            m->tensor_bytes += t->info->bytes;
            m->n_params += t->info->n_elements;
        }
    }
    if (m->n_shards > 1) {
        /* A tensor name may appear in one shard only. */
        for (uint64_t i = 0; i < m->n_tensors; i++)
            for (uint64_t j = i + 1; j < m->n_tensors; j++)
                if (m->tensors[i].shard != m->tensors[j].shard &&
                    strcmp(m->tensors[i].info->name, m->tensors[j].info->name) == 0)
                    return gp_fail(err, GP_ERR_FORMAT, m->path,
                                   "tensor '%s' appears in two shards", m->tensors[i].info->name);
    }
    return GP_OK;
}

const gp_tensor *gp_model_find_tensor(const gp_model *m, const char *name)
{
    for (uint64_t i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].info->name, name) == 0)
            return &m->tensors[i];
    return NULL;
}

/* Hyper-parameters far beyond any real model are refused, so that the
 * memory arithmetic built on them cannot overflow. */
static gp_status check_plausible(gp_model *m, gp_error *err)
{
    const gp_hparams *hp = &m->hp;
    struct { const char *what; uint64_t value, max; } limits[] = {
        {"context_length", hp->n_ctx_train, 1ull << 32},
        {"vocabulary size", hp->n_vocab, 1ull << 31},
        {"attention.key_length", hp->head_dim_k, 1u << 16},
        {"attention.value_length", hp->head_dim_v, 1u << 16},
        {"expert_count", hp->n_expert, 1u << 16},
        {"attention.kv_lora_rank", hp->kv_lora_rank, 1u << 20},
        {"attention.q_lora_rank", hp->q_lora_rank, 1u << 24},
        {"attention.key_length_mla", hp->head_dim_k_mla, 1u << 16},
        {"attention.value_length_mla", hp->head_dim_v_mla, 1u << 16},
        {"rope.dimension_count", hp->rope_dim, 1u << 16},
        {"expert_shared_count", hp->n_expert_shared, 1u << 16},
        {"expert_shared_feed_forward_length", hp->n_ff_shexp, 1u << 28},
        {"ssm.inner_size", hp->ssm_d_inner, 1u << 24},
        {"ssm.state_size", hp->ssm_d_state, 1u << 16},
        {"ssm.conv_kernel", hp->ssm_d_conv, 1u << 10},
        {"ssm.group_count", hp->ssm_n_group, 1u << 16},
        {"shortconv.l_cache", hp->shortconv_l_cache, 1u << 10},
        {"wkv.head_size", hp->wkv_head_size, 1u << 16},
        {"attention.sliding_window", hp->n_swa, 1ull << 32},
        {"attention.indexer.head_count", hp->indexer_n_head, 1u << 16},
        {"attention.indexer.key_length", hp->indexer_head_dim, 1u << 16},
        {"attention.indexer.top_k", hp->indexer_top_k, 1ull << 32},
        {"attention.indexer.block_size", hp->indexer_block_size, 1u << 20},
        {"attention.output_group_count", hp->o_group_count, 1u << 16},
        {"attention.output_lora_rank", hp->o_lora_rank, 1u << 20},
        {"interleave_moe_layer_step", hp->moe_every, 1u << 16},
        {"expert_group_count", hp->n_expert_groups, 1u << 16},
        {"expert_group_used_count", hp->n_expert_groups_used, 1u << 16},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (limits[i].value > limits[i].max)
            return gp_fail(err, GP_ERR_FORMAT, m->path, "implausible %s.%s = %llu",
                           m->arch, limits[i].what, (unsigned long long)limits[i].value);
    for (uint32_t il = 0; il < hp->n_layer_all; il++) {
        const gp_layer *l = &m->layers[il];
        if (l->n_head > (1u << 16) || l->n_head_kv > (1u << 16) || l->n_ff > (1u << 28) ||
            l->n_ff_exp > (1u << 28))
            return gp_fail(err, GP_ERR_FORMAT, m->path,
                           "implausible hyper-parameters for layer %u (heads %u, KV heads %u, FF %u)",
                           il, l->n_head, l->n_head_kv, l->n_ff);
    }
    return GP_OK;
}

static gp_status read_hparams(gp_model *m, const gp_arch_rules *rules, gp_error *err)
{
    const gp_gguf *g = m->shards[0];
    const char *a = m->arch;
    gp_hparams *hp = &m->hp;
    uint64_t v;

    if (!arch_uint(g, a, "block_count", &v) || v == 0)
        return gp_fail(err, GP_ERR_MISSING, m->path, "missing or invalid %s.block_count", a);
    /* llama.cpp keeps its per-layer figures in arrays of this size and
     * refuses a model with more layers. */
    if (v > GP_MAX_LAYERS)
        return gp_fail(err, GP_ERR_FORMAT, m->path,
                       "%s.block_count is %llu, more than the %d layers llama.cpp can load", a,
                       (unsigned long long)v, GP_MAX_LAYERS);
    hp->n_layer_all = (uint32_t)v;
    hp->n_nextn = arch_u32(g, a, "nextn_predict_layers", 0);
    /* The router layer is llama.cpp's own: counted where NextN layers are. */
    const uint32_t n_router = rules->router_layer && v < GP_MAX_LAYERS ? 1 : 0;
    if (n_router) {
        hp->n_layer_all += n_router;
        hp->n_nextn = n_router;
    }
    if (hp->n_nextn > hp->n_layer_all)
        return gp_fail(err, GP_ERR_FORMAT, m->path, "%s.nextn_predict_layers exceeds block_count", a);
    hp->n_layer = hp->n_layer_all - hp->n_nextn;
    if (!arch_uint(g, a, "embedding_length", &hp->n_embd) || hp->n_embd == 0 || hp->n_embd > (1u << 24))
        return gp_fail(err, GP_ERR_MISSING, m->path, "missing or invalid %s.embedding_length", a);
    if (!arch_uint(g, a, "context_length", &hp->n_ctx_train))
        hp->n_ctx_train = 0;

    /* n_vocab: the tokenizer's token list, else the declared size, else the
     * output or embedding matrix. */
    const gp_gguf_kv *tokens = gp_gguf_find(g, "tokenizer.ggml.tokens");
    const gp_tensor *embd = gp_model_find_tensor(m, "token_embd.weight");
    const gp_tensor *out = gp_model_find_tensor(m, "output.weight");
    if (tokens && tokens->type == GGUF_ARRAY)
        hp->n_vocab = tokens->arr_count;
    else if (arch_uint(g, a, "vocab_size", &v))
        hp->n_vocab = v;
    else if (out)
        hp->n_vocab = (uint64_t)out->info->ne[1];
    else if (embd)
        hp->n_vocab = (uint64_t)embd->info->ne[1];

    uint32_t n = hp->n_layer_all;
    m->layers = calloc(n ? n : 1, sizeof *m->layers);
    uint32_t *tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!m->layers || !tmp) {
        free(tmp);
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    }
    const uint32_t n_blocks = n - n_router;   /* the per-layer arrays' length */
    bool bad = false;
    if (per_layer(g, a, "attention.head_count", tmp, n_blocks, &bad))
        for (uint32_t i = 0; i < n_blocks; i++)
            m->layers[i].n_head = tmp[i];
    if (bad)
        goto bad_array;
    /* n_head_kv defaults to n_head, as in llama.cpp. */
    for (uint32_t i = 0; i < n; i++)
        m->layers[i].n_head_kv = m->layers[i].n_head;
    if (per_layer(g, a, "attention.head_count_kv", tmp, n_blocks, &bad))
        for (uint32_t i = 0; i < n_blocks; i++)
            m->layers[i].n_head_kv = tmp[i];
    if (bad)
        goto bad_array;
    if (per_layer(g, a, "feed_forward_length", tmp, n_blocks, &bad))
        for (uint32_t i = 0; i < n_blocks; i++)
            m->layers[i].n_ff = tmp[i];
    if (bad)
        goto bad_array;
    if (per_layer(g, a, "expert_feed_forward_length", tmp, n_blocks, &bad))
        for (uint32_t i = 0; i < n_blocks; i++)
            m->layers[i].n_ff_exp = tmp[i];
    if (bad)
        goto bad_array;

    if (n_router) {
        gp_layer *r = &m->layers[n - 1];
        r->n_head = r->n_head_kv = 1;
        r->n_ff = r->n_ff_exp = 0;
        r->router = true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (m->layers[i].n_head && !hp->n_head) {
            hp->n_head = m->layers[i].n_head;
            hp->n_head_kv = m->layers[i].n_head_kv;
        }
        if (m->layers[i].n_ff && !hp->n_ff)
            hp->n_ff = m->layers[i].n_ff;
        if (m->layers[i].n_ff_exp && !hp->n_ff_exp)
            hp->n_ff_exp = m->layers[i].n_ff_exp;
        if (m->layers[i].n_head_kv > hp->n_head_kv && hp->n_head_kv == 0)
            hp->n_head_kv = m->layers[i].n_head_kv;
    }
    /* Head dimensions: explicit keys, else n_embd / n_head. */
    uint32_t dflt_head = hp->n_head ? (uint32_t)(hp->n_embd / hp->n_head) : 0;
    hp->head_dim_k = arch_u32(g, a, "attention.key_length", dflt_head);
    hp->head_dim_v = arch_u32(g, a, "attention.value_length", dflt_head);
    hp->head_dim_k_mla = arch_u32(g, a, "attention.key_length_mla", 0);
    hp->head_dim_v_mla = arch_u32(g, a, "attention.value_length_mla", 0);
    hp->kv_lora_rank = arch_u32(g, a, "attention.kv_lora_rank", 0);
    hp->indexer_n_head = arch_u32(g, a, "attention.indexer.head_count", 0);
    hp->indexer_head_dim = arch_u32(g, a, "attention.indexer.key_length", 0);
    hp->indexer_top_k = arch_u32(g, a, "attention.indexer.top_k", 0);
    hp->indexer_block_size = arch_u32(g, a, "attention.indexer.block_size", 0);
    hp->o_group_count = arch_u32(g, a, "attention.output_group_count", 0);
    hp->o_lora_rank = arch_u32(g, a, "attention.output_lora_rank", 0);
    hp->q_lora_rank = arch_u32(g, a, "attention.q_lora_rank", 0);
    hp->rope_dim = arch_u32(g, a, "rope.dimension_count", hp->head_dim_k);

    hp->n_expert = arch_u32(g, a, "expert_count", 0);
    hp->n_expert_used = arch_u32(g, a, "expert_used_count", 0);
    hp->n_expert_shared = arch_u32(g, a, "expert_shared_count", 0);
    hp->n_ff_shexp = arch_u32(g, a, "expert_shared_feed_forward_length", 0);
    hp->n_layer_dense_lead = arch_u32(g, a, "leading_dense_block_count", 0);
    hp->moe_every = arch_u32(g, a, "interleave_moe_layer_step", 0);
    hp->n_expert_groups = arch_u32(g, a, "expert_group_count", 0);
    hp->n_expert_groups_used = arch_u32(g, a, "expert_group_used_count", 0);
    hp->expert_weights_norm = arch_u32(g, a, "expert_weights_norm", 0) != 0;
    hp->rope_finetuned = arch_u32(g, a, "rope.scaling.finetuned", 1) != 0;
    hp->parallel_residual = arch_u32(g, a, "use_parallel_residual", 0) != 0;
    {
        char key[256];
        double scale = 0;
        snprintf(key, sizeof key, "%s.embedding_scale", a);
        hp->embd_scaled = gp_gguf_get_float(g, key, &scale) && scale != 0;
        scale = 0;
        snprintf(key, sizeof key, "%s.residual_scale", a);
        hp->resid_scaled = gp_gguf_get_float(g, key, &scale) && scale != 0;
    }
    hp->expert_gating_func = arch_u32(g, a, "expert_gating_func", 0);
    {
        char key[256];
        snprintf(key, sizeof key, "%s.expert_weights_scale", a);
        if (!gp_gguf_get_float(g, key, &hp->expert_weights_scale))
            hp->expert_weights_scale = 0;
    }
    if (hp->n_expert_used > hp->n_expert)
        return free(tmp), gp_fail(err, GP_ERR_FORMAT, m->path,
                                  "%s.expert_used_count exceeds expert_count", a);

    hp->ssm_d_conv = arch_u32(g, a, "ssm.conv_kernel", 0);
    hp->ssm_d_inner = arch_u32(g, a, "ssm.inner_size", 0);
    hp->ssm_d_state = arch_u32(g, a, "ssm.state_size", 0);
    hp->ssm_n_group = rules->ssm_v1 ? 0 : arch_u32(g, a, "ssm.group_count", 0);
    hp->ssm_dt_rank = arch_u32(g, a, "ssm.time_step_rank", 0);
    hp->kda_head_dim = arch_u32(g, a, "kda.head_dim", 0);
    hp->attn_res_block = arch_u32(g, a, "attn_res.block_size", 0);
    hp->n_embd_latent = arch_u32(g, a, "expert_latent_length", 0);
    {
        char key[256];
        double f = 0;
        snprintf(key, sizeof key, "%s.kda.gate_lower_bound", a);
        hp->kda_gate_lb = gp_gguf_get_float(g, key, &f) && f > -INFINITY;
        snprintf(key, sizeof key, "%s.activation.situ_linear_beta", a);
        hp->situ_linear = gp_gguf_get_float(g, key, &f) && f > 0;
    }
    hp->shortconv_l_cache = arch_u32(g, a, "shortconv.l_cache", 0);
    hp->n_deepstack = arch_u32(g, a, "n_deepstack_layers", 0);
    hp->wkv_head_size = arch_u32(g, a, "wkv.head_size", 0);
    hp->token_shift_count = arch_u32(g, a, "token_shift_count", 2);
    hp->time_mix_extra_dim = arch_u32(g, a, "time_mix_extra_dim", 0);
    hp->time_decay_extra_dim = arch_u32(g, a, "time_decay_extra_dim", 0);
    hp->rescale_every_n_layers = arch_u32(g, a, "rescale_every_n_layers", 0);
    hp->lora_decay = arch_u32(g, a, "attention.decay_lora_rank", 0);
    hp->lora_iclr = arch_u32(g, a, "attention.iclr_lora_rank", 0);
    hp->lora_value_res_mix = arch_u32(g, a, "attention.value_residual_mix_lora_rank", 0);
    hp->lora_gate = arch_u32(g, a, "attention.gate_lora_rank", 0);

    /* Recurrent state sizes, as llama.cpp sizes its recurrent memory. */
    if (hp->wkv_head_size) {
        hp->n_embd_r = (uint64_t)hp->token_shift_count * hp->n_embd;
        hp->n_embd_s = hp->n_embd * hp->wkv_head_size;
    } else if (hp->shortconv_l_cache) {
        hp->n_embd_r = hp->n_embd * (hp->shortconv_l_cache - 1);
        hp->n_embd_s = 0;
    } else if (rules->lightning) {
        /* no conv state (its rows are empty); the key-value state of every head */
        hp->n_embd_r = 0;
        hp->n_embd_s = (uint64_t)hp->head_dim_k * hp->head_dim_k * hp->n_head;
    } else if (hp->kda_head_dim) {
        /* a convolution window for each of Q, K and V; a head_dim square
         * per head */
        uint64_t inner = (uint64_t)hp->n_head * hp->kda_head_dim;
        hp->n_embd_r = 3ull * (hp->ssm_d_conv ? hp->ssm_d_conv - 1 : 3) * inner;
        hp->n_embd_s = (uint64_t)hp->kda_head_dim * hp->kda_head_dim * hp->n_head;
    } else {
        uint64_t conv = hp->ssm_d_conv ? hp->ssm_d_conv - 1 : 0;
        hp->n_embd_r = conv * (hp->ssm_d_inner + 2ull * hp->ssm_n_group * hp->ssm_d_state);
        hp->n_embd_s = (uint64_t)hp->ssm_d_state * hp->ssm_d_inner;
    }

    /* Which layers are recurrent. */
    for (uint32_t i = 0; i < n; i++) {
        gp_layer *l = &m->layers[i];
        bool recr = false;
        switch (rules->recurrent) {
        case GP_RECR_NONE: break;
        case GP_RECR_ALL: recr = true; break;
        case GP_RECR_KV_ZERO: recr = l->n_head_kv == 0; break;
        case GP_RECR_KV_FF_ZERO: recr = l->n_head_kv == 0 && l->n_ff == 0; break;
        case GP_RECR_INTERVAL: {
            uint32_t iv = arch_u32(g, a, "full_attention_interval", rules->recurrent_interval);
            recr = iv && i < hp->n_layer && (i + 1) % iv != 0;
            break;
        }
        }
        if (recr)
            l->kind = GP_LAYER_RECURRENT;
        l->attends = recr && rules->recurrent_attends;
        l->nextn = i >= hp->n_layer;
    }
    if (rules->recurrent == GP_RECR_INTERVAL) {
        /* An explicit per-layer list wins over the interval. */
        char key[256];
        snprintf(key, sizeof key, "%s.attention.recurrent_layers", a);
        const gp_gguf_kv *kv = gp_gguf_find(g, key);
        if (kv && kv->type == GGUF_ARRAY && kv->arr_count >= n)
            for (uint32_t i = 0; i < n; i++) {
                uint64_t r = 0;
                gp_gguf_arr_uint(g, kv, i, &r);
                m->layers[i].kind = r ? GP_LAYER_RECURRENT : GP_LAYER_FULL;
            }
    }

    /* Sparse-attention layers that reuse the top-k of the last full indexer:
     * listed per layer (1 = full), else GLM-5.2's pattern (two full, then one
     * in four) for a million-token training context, else none. */
    if (rules->indexer_types) {
        char ikey[256];
        snprintf(ikey, sizeof ikey, "%s.attention.indexer.types", a);
        const gp_gguf_kv *types = gp_gguf_find(g, ikey);
        bool listed = types && types->type == GGUF_ARRAY && types->arr_count >= hp->n_layer;
        for (uint32_t i = 0; i < hp->n_layer; i++) {
            uint64_t full = 1;
            if (listed)
                gp_gguf_arr_uint(g, types, i, &full);
            else if (hp->n_ctx_train >= 1048576)
                full = i < 2 || (i - 2) % 4 == 0;
            m->layers[i].indexer_shared = !full;
        }
    }

    /* Sliding-window layers: an explicit per-layer pattern array, else the
     * architecture's period (possibly overridden by a scalar key). */
    uint64_t swa = 0;
    bool has_window = arch_uint(g, a, "attention.sliding_window", &swa);
    if (!has_window && rules->swa_default_window)
        swa = rules->swa_default_window;
    bool swa_on = rules->swa_period || rules->swa_all_attention;
    if (rules->swa_needs_window && (!has_window || swa == 0))
        swa_on = false;
    if (rules->swa_period && !rules->swa_needs_window && has_window && swa == 0)
        swa_on = false;
    char pkey[256];
    snprintf(pkey, sizeof pkey, "%s.attention.sliding_window_pattern", a);
    const gp_gguf_kv *pattern = gp_gguf_find(g, pkey);
    if (!swa_on && pattern && pattern->type == GGUF_ARRAY && swa > 0)
        swa_on = true; /* an architecture without a rule that still declares SWA */
    if (rules->swa_only_n_layer && hp->n_layer != rules->swa_only_n_layer)
        swa_on = false;
    if (swa_on && swa > 0) {
        hp->n_swa = swa > UINT32_MAX ? UINT32_MAX : (uint32_t)swa;
        hp->swa_chunked = rules->swa_chunked;
        uint64_t period = rules->swa_period;
        bool from_array = false;
        if (pattern && pattern->type == GGUF_ARRAY && pattern->arr_count >= hp->n_layer) {
            from_array = true;
            for (uint32_t i = 0; i < hp->n_layer; i++) {
                uint64_t is = 0;
                gp_gguf_arr_uint(g, pattern, i, &is);
                if (is && m->layers[i].kind != GP_LAYER_RECURRENT)
                    m->layers[i].kind = GP_LAYER_SWA;
            }
        } else if (pattern && pattern->type != GGUF_ARRAY) {
            gp_gguf_get_uint(g, pkey, &period);
        }
        if (!from_array) {
            for (uint32_t i = 0; i < hp->n_layer; i++) {
                gp_layer *l = &m->layers[i];
                if (l->kind == GP_LAYER_RECURRENT)
                    continue;
                bool is;
                if (rules->swa_all_attention)
                    is = true;
                else if (period == 0)
                    is = true;
                else if (rules->swa_dense_first)
                    is = i % period != 0;
                else
                    is = i % period < period - 1;
                if (is)
                    l->kind = GP_LAYER_SWA;
            }
        }
    }

    /* Per-layer head sizes: sliding layers may have their own. */
    uint32_t hd_k_swa = rules->head_dim_swa ? arch_u32(g, a, "attention.key_length_swa", hp->head_dim_k)
                                            : hp->head_dim_k;
    uint32_t hd_v_swa = rules->head_dim_swa ? arch_u32(g, a, "attention.value_length_swa", hp->head_dim_v)
                                            : hp->head_dim_v;
    if (hd_k_swa > (1u << 16) || hd_v_swa > (1u << 16))
        return free(tmp), gp_fail(err, GP_ERR_FORMAT, m->path, "implausible %s.attention.key_length_swa", a);
    for (uint32_t i = 0; i < n; i++) {
        bool s = m->layers[i].kind == GP_LAYER_SWA;
        m->layers[i].head_dim_k = s ? hd_k_swa : hp->head_dim_k;
        m->layers[i].head_dim_v = s ? hd_v_swa : hp->head_dim_v;
        m->layers[i].kv_src = (int32_t)i;
    }
    /* Shared caches: the last shared_kv_layers layers read the cache of the
     * last earlier layer of their kind (sliding or not). */
    uint32_t n_shared = rules->kv_shared_layers ? arch_u32(g, a, "attention.shared_kv_layers", 0) : 0;
    if (rules->kv_from_start && n > rules->kv_from_start)
        n_shared = n - rules->kv_from_start;
    if (n_shared && n_shared + 2 <= n) {
        uint32_t from = n - n_shared;
        for (uint32_t i = from; i < n; i++)
            m->layers[i].kv_src = (int32_t)(m->layers[i].kind == GP_LAYER_SWA ? from - 2 : from - 1);
    }

    /* Multi-head latent attention: the cache holds the compressed latent. */
    bool mla = (hp->head_dim_k_mla && hp->head_dim_v_mla) || (rules->mla && hp->kv_lora_rank);
    if (mla)
        for (uint32_t i = 0; i < hp->n_layer; i++)
            if (m->layers[i].kind == GP_LAYER_FULL)
                m->layers[i].kind = GP_LAYER_MLA;

    /* qwen4exp: hyper-connections; the sparse attention's block size per
     * layer, its indexer's cache on every full-attention layer; the PLE
     * module on one recurrent layer (its n-gram heads, their width, the
     * convolution's history) */
    hp->hc_count = arch_u32(g, a, "hyper_connection.count", 0);
    hp->hc_low_rank = arch_u32(g, a, "hyper_connection.low_rank", 0);
    hp->hrm_lps = arch_u32(g, a, "hrm.layers_per_stack", 0);
    hp->hrm_h = arch_u32(g, a, "hrm.h_cycles", 0);
    hp->hrm_l = arch_u32(g, a, "hrm.l_cycles", 0);
    if (per_layer(g, a, "attention.compress_ratios", tmp, n, &bad))
        for (uint32_t i = 0; i < n; i++)
            m->layers[i].compress_ratio = tmp[i];
    if (bad)
        goto bad_array;
    if (rules->indexer_attn && hp->indexer_head_dim)
        for (uint32_t i = 0; i < hp->n_layer; i++)
            m->layers[i].indexer_cache = m->layers[i].kind == GP_LAYER_FULL;
    if (rules->indexer_msa && hp->indexer_head_dim)
        for (uint32_t i = hp->n_layer_dense_lead; i < hp->n_layer; i++)
            m->layers[i].indexer_cache = m->layers[i].indexer_cache_v = m->layers[i].kind == GP_LAYER_FULL;
    hp->ple_layer = UINT32_MAX;
    {
        char key[256];
        snprintf(key, sizeof key, "%s.ple.layers", a);
        const gp_gguf_kv *kv = gp_gguf_find(g, key);
        uint64_t il = 0;
        if (kv && kv->type == GGUF_ARRAY && kv->arr_count == 1 && gp_gguf_arr_uint(g, kv, 0, &il) && il < n &&
            m->layers[il].kind == GP_LAYER_RECURRENT) {
            uint32_t ngram = arch_u32(g, a, "ple.ngram_size", 0);
            uint32_t per_ngram = arch_u32(g, a, "ple.heads_per_ngram", 0);
            uint32_t kernel = arch_u32(g, a, "ple.conv_kernel", 0);
            uint64_t heads = ngram > 1 ? (uint64_t)(ngram - 1) * per_ngram : 0;
            if (heads && heads <= 64 && ngram <= 8 && kernel && kernel <= 1024) {
                hp->ple_layer = (uint32_t)il;
                hp->ple_n_heads = (uint32_t)heads;
                hp->ple_head_dim = arch_u32(g, a, "embedding_length_per_layer_input", 0);
                hp->ple_ngram = ngram;
                hp->ple_conv_kernel = kernel;
                hp->n_embd_p = (uint64_t)(kernel - 1) * ngram * hp->hc_count * hp->n_embd;
            }
        }
    }

    /* SwiGLU limits per layer (one value, or one per layer; llama.cpp's
     * eps of 1e-6 tells a limit from none) */
    for (int which = 0; which < 2; which++) {
        char key[256];
        snprintf(key, sizeof key, "%s.%s", a, which ? "swiglu_clamp_shexp" : "swiglu_clamp_exp");
        const gp_gguf_kv *kv = gp_gguf_find(g, key);
        double lim = 0;
        bool scalar = kv && kv->type != GGUF_ARRAY && gp_gguf_get_float(g, key, &lim);
        for (uint32_t i = 0; kv && i < n; i++) {
            double li = lim;
            if (!scalar && !gp_gguf_arr_float(g, kv, i, &li))
                li = 0;
            if (which)
                m->layers[i].swiglu_clamp_shexp = li > 1e-6;
            else
                m->layers[i].swiglu_clamp_exp = li > 1e-6;
        }
    }
    free(tmp);
    return check_plausible(m, err);

bad_array:
    free(tmp);
    return gp_fail(err, GP_ERR_FORMAT, m->path,
                   "a per-layer hyper-parameter of %s has fewer than %u entries or invalid values",
                   a, n);
}

static gp_status attach_tensors_to_layers(gp_model *m, gp_error *err)
{
    for (uint64_t i = 0; i < m->n_tensors; i++) {
        gp_tensor *t = &m->tensors[i];
        if (t->layer < 0)
            continue;
        if ((uint32_t)t->layer >= m->hp.n_layer_all)
            return gp_fail(err, GP_ERR_FORMAT, m->path,
                           "tensor '%s' belongs to block %d but the model has %u blocks",
                           t->info->name, t->layer, m->hp.n_layer_all);
        gp_layer *l = &m->layers[t->layer];
        l->bytes += t->info->bytes;
        if (gp_role_is_expert(t->role)) {
            l->has_experts = true;
            l->expert_bytes += t->info->bytes;
        }
    }
    return GP_OK;
}

gp_status gp_model_from_shards(const char *path, gp_gguf **shards, uint32_t n_shards,
                               gp_model **out, gp_error *err)
{
    *out = NULL;
    gp_model *m = calloc(1, sizeof *m);
    if (!m) {
        for (uint32_t i = 0; i < n_shards; i++)
            gp_gguf_close(&shards[i]);
        free(shards);
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    }
    m->shards = shards;
    m->n_shards = n_shards;
    m->path = strdup(path);
    if (!m->path) {
        free_model(m);
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    }
    const gp_gguf *g = shards[0];
    const char *arch = gp_gguf_get_str(g, "general.architecture");
    gp_status st;
    if (!arch) {
        st = gp_fail(err, GP_ERR_MISSING, path, "no general.architecture key");
        goto fail;
    }
    if (strlen(arch) == 0 || strlen(arch) >= sizeof m->arch) {
        st = gp_fail(err, GP_ERR_FORMAT, path, "invalid general.architecture");
        goto fail;
    }
    snprintf(m->arch, sizeof m->arch, "%s", arch);
    const char *name = gp_gguf_get_str(g, "general.name");
    snprintf(m->name, sizeof m->name, "%s", name ? name : "");
    uint64_t ft;
    m->file_type = gp_gguf_get_uint(g, "general.file_type", &ft) && ft <= UINT32_MAX
                       ? (uint32_t)ft : UINT32_MAX;

    uint64_t split_count;
    if (gp_gguf_get_uint(g, "split.count", &split_count) && split_count != n_shards) {
        st = gp_fail(err, GP_ERR_FORMAT, path,
                     "split.count says %llu shards but %u were found; open the first shard "
                     "(NAME-00001-of-%05llu.gguf)",
                     (unsigned long long)split_count, n_shards, (unsigned long long)split_count);
        goto fail;
    }
    if ((st = collect_tensors(m, err)) != GP_OK)
        goto fail;
    bool known;
    const gp_arch_rules *rules = gp_arch_lookup(m->arch, &known);
    m->arch_known = known;
    m->embd_norm_is_output = rules->embd_norm_is_output;
    m->tied_output_first = rules->tied_output_first;
    m->embd_is_output = rules->embd_is_output;
    m->rope_freqs_full = rules->rope_freqs_full;
    m->v_pad_every_layer = rules->v_pad_every_layer;
    m->dsv4_cache = rules->dsv4_cache;
    if (!known)
        warn(m, "unknown architecture '%.40s' (llama.cpp v0.5.0 does not load it): estimated from its tensors "
                "with generic rules, its compute buffers as an upper bound", m->arch);
    if ((st = read_hparams(m, rules, err)) != GP_OK)
        goto fail;
    if ((st = attach_tensors_to_layers(m, err)) != GP_OK)
        goto fail;
    *out = m;
    return GP_OK;
fail:
    free_model(m);
    return st;
}

const char *gp_model_architecture(const gp_model *m) { return m->arch; }
uint64_t gp_model_tensor_bytes(const gp_model *m) { return m->tensor_bytes; }
uint64_t gp_model_n_params(const gp_model *m) { return m->n_params; }
