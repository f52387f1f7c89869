/* The public API's view of a model (include/ggplace.h): what `ggplace
 * inspect` shows, read from the header the model was opened from. Opening
 * and closing live in model/, the JSON in emit/. */
#include <stdlib.h>

#include "ggplace.h"
#include "gguf/types.h"
#include "memory/kv.h"
#include "emit/sparse.h"
#include "model/model.h"
#include "util/error.h"

const char *gp_model_path(const gp_model *model)
{
    return model ? model->path : NULL;
}

bool gp_model_architecture_known(const gp_model *model)
{
    return model && model->arch_known;
}

const char *gp_model_name(const gp_model *model)
{
    return model ? model->name : NULL;
}

const char *gp_model_file_type(const gp_model *model)
{
    return model && model->file_type != UINT32_MAX ? gp_file_type_name(model->file_type) : NULL;
}

uint64_t gp_model_tensor_count(const gp_model *model)
{
    return model ? model->n_tensors : 0;
}

uint32_t gp_model_shard_count(const gp_model *model)
{
    return model ? model->n_shards : 0;
}

bool gp_model_data_present(const gp_model *model)
{
    return model && model->data_present;
}

uint32_t gp_model_warning_count(const gp_model *model)
{
    return model ? model->n_warnings : 0;
}

const char *gp_model_warning_text(const gp_model *model, uint32_t i)
{
    return model && i < model->n_warnings ? model->warnings[i] : NULL;
}

uint64_t gp_model_hparam(const gp_model *model, gp_hparam which)
{
    if (!model)
        return 0;
    const gp_hparams *hp = &model->hp;
    switch (which) {
    case GP_HP_N_LAYER: return hp->n_layer_all;
    case GP_HP_N_NEXTN: return hp->n_nextn;
    case GP_HP_N_EMBD: return hp->n_embd;
    case GP_HP_N_HEAD: return hp->n_head;
    case GP_HP_N_HEAD_KV: return hp->n_head_kv;
    case GP_HP_HEAD_DIM_K: return hp->head_dim_k;
    case GP_HP_HEAD_DIM_V: return hp->head_dim_v;
    case GP_HP_N_SWA: return hp->n_swa;
    case GP_HP_SWA_CHUNKED: return hp->swa_chunked;
    case GP_HP_N_FF: return hp->n_ff;
    case GP_HP_N_EXPERT: return hp->n_expert;
    case GP_HP_N_EXPERT_USED: return hp->n_expert_used;
    case GP_HP_N_EXPERT_SHARED: return hp->n_expert_shared;
    case GP_HP_N_FF_EXP: return hp->n_ff_exp;
    case GP_HP_N_VOCAB: return hp->n_vocab;
    case GP_HP_N_CTX_TRAIN: return hp->n_ctx_train;
    }
    return 0;
}

static const gp_layer *layer_at(const gp_model *model, uint32_t il)
{
    return model && il < model->hp.n_layer_all ? &model->layers[il] : NULL;
}

gp_attention gp_model_layer_attention(const gp_model *model, uint32_t il)
{
    const gp_layer *l = layer_at(model, il);
    if (!l)
        return GP_ATTENTION_FULL;
    if (l->nextn)
        return GP_ATTENTION_NEXTN;
    switch (l->kind) {
    case GP_LAYER_SWA: return GP_ATTENTION_SLIDING;
    case GP_LAYER_MLA: return GP_ATTENTION_LATENT;
    case GP_LAYER_RECURRENT: return GP_ATTENTION_RECURRENT;
    case GP_LAYER_FULL: break;
    }
    return GP_ATTENTION_FULL;
}

uint64_t gp_model_layer_bytes(const gp_model *model, uint32_t il)
{
    const gp_layer *l = layer_at(model, il);
    return l ? l->bytes : 0;
}

uint64_t gp_model_layer_expert_bytes(const gp_model *model, uint32_t il)
{
    const gp_layer *l = layer_at(model, il);
    return l ? l->expert_bytes : 0;
}

gp_status gp_model_kv_bytes_per_token(const gp_model *model, const char *type, uint64_t *out, gp_error *err)
{
    if (!model || !type || !out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model, KV type or place for the bytes");
    int t = gp_type_from_name(type);
    if (t < 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "KV type '%s': not a ggml type", type);
    if (!gp_kv_bytes_per_token(model, -1, (uint32_t)t, (uint32_t)t, out))
        return gp_fail(err, GP_ERR_UNSUPPORTED, model->path, "a KV row is not whole blocks of %s", type);
    return GP_OK;
}

uint64_t gp_model_recurrent_bytes_per_seq(const gp_model *model)
{
    uint64_t sum = 0;
    for (uint32_t il = 0; model && il < model->hp.n_layer_all; il++)
        sum += gp_recurrent_seq_bytes(model, il);
    return sum;
}

/* The weights' types by bytes, largest first: the k-th type's id and bytes;
 * false past the last. Ties go to ggml's type order. */
static bool quant_at(const gp_model *model, uint32_t k, uint32_t *type, uint64_t *bytes)
{
    uint64_t by[GP_TYPE_COUNT] = {0};
    for (uint64_t i = 0; model && i < model->n_tensors; i++)
        by[model->tensors[i].info->type] += model->tensors[i].info->bytes;
    for (uint32_t rank = 0;; rank++) {
        int best = -1;
        for (int t = 0; t < GP_TYPE_COUNT; t++)
            if (by[t] && (best < 0 || by[t] > by[best]))
                best = t;
        if (best < 0)
            return false;
        if (rank == k) {
            *type = (uint32_t)best;
            *bytes = by[best];
            return true;
        }
        by[best] = 0;
    }
}

uint32_t gp_model_quant_count(const gp_model *model)
{
    uint32_t n = 0, type;
    uint64_t bytes;
    while (quant_at(model, n, &type, &bytes))
        n++;
    return n;
}

const char *gp_model_quant_type(const gp_model *model, uint32_t k)
{
    uint32_t type;
    uint64_t bytes;
    return quant_at(model, k, &type, &bytes) ? gp_type_get(type)->name : NULL;
}

uint64_t gp_model_quant_bytes(const gp_model *model, uint32_t k)
{
    uint32_t type;
    uint64_t bytes;
    return quant_at(model, k, &type, &bytes) ? bytes : 0;
}

static const gp_tensor *tensor_at(const gp_model *model, uint64_t i)
{
    return model && i < model->n_tensors ? &model->tensors[i] : NULL;
}

const char *gp_model_tensor_name(const gp_model *model, uint64_t i)
{
    const gp_tensor *t = tensor_at(model, i);
    return t ? t->info->name : NULL;
}

const char *gp_model_tensor_type(const gp_model *model, uint64_t i)
{
    const gp_tensor *t = tensor_at(model, i);
    return t ? gp_type_get(t->info->type)->name : NULL;
}

uint32_t gp_model_tensor_n_dims(const gp_model *model, uint64_t i)
{
    const gp_tensor *t = tensor_at(model, i);
    return t ? t->info->n_dims : 0;
}

int64_t gp_model_tensor_dim(const gp_model *model, uint64_t i, uint32_t d)
{
    const gp_tensor *t = tensor_at(model, i);
    return t && d < t->info->n_dims ? t->info->ne[d] : 0;
}

uint64_t gp_model_tensor_size(const gp_model *model, uint64_t i)
{
    const gp_tensor *t = tensor_at(model, i);
    return t ? t->info->bytes : 0;
}

int32_t gp_model_tensor_layer(const gp_model *model, uint64_t i)
{
    const gp_tensor *t = tensor_at(model, i);
    return t ? t->layer : -1;
}

const char *gp_model_tensor_role(const gp_model *model, uint64_t i)
{
    const gp_tensor *t = tensor_at(model, i);
    return t ? gp_role_name(t->role) : NULL;
}

gp_status gp_model_write_sparse(const gp_model *model, const char *path, gp_error *err)
{
    if (!model || !path)
        return gp_fail(err, GP_ERR_ARG, path, "no model or no path");
    return gp_write_sparse(model, path, err);
}
