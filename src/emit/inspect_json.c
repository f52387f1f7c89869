/* `ggplace inspect --json`: the model as its header describes it. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gguf/types.h"
#include "memory/kv.h"
#include "model/model.h"
#include "util/error.h"
#include "util/json.h"

/* A per-layer value: a number when every layer agrees, else an array. */
static void add_per_layer(cJSON *obj, const char *key, const gp_model *m,
                          uint32_t (*get)(const gp_layer *))
{
    uint32_t n = m->hp.n_layer_all;
    bool same = true;
    for (uint32_t i = 1; i < n; i++)
        if (get(&m->layers[i]) != get(&m->layers[0]))
            same = false;
    if (n == 0 || same) {
        gp_json_add_u64(obj, key, n ? get(&m->layers[0]) : 0);
        return;
    }
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    for (uint32_t i = 0; i < n; i++)
        gp_json_push_u64(arr, get(&m->layers[i]));
}

static uint32_t layer_head(const gp_layer *l) { return l->n_head; }
static uint32_t layer_head_kv(const gp_layer *l) { return l->n_head_kv; }
static uint32_t layer_ff(const gp_layer *l) { return l->n_ff; }

static void add_kv_per_token(cJSON *root, const gp_model *m)
{
    static const struct { const char *name; uint32_t type; } kinds[] = {
        {"f16", GP_TYPE_F16}, {"q8_0", GP_TYPE_Q8_0}, {"q4_0", GP_TYPE_Q4_0},
    };
    cJSON *kv = cJSON_AddObjectToObject(root, "kv_bytes_per_token");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint64_t b;
        if (gp_kv_bytes_per_token(m, -1, kinds[i].type, kinds[i].type, &b))
            gp_json_add_u64(kv, kinds[i].name, b);
        else
            cJSON_AddNullToObject(kv, kinds[i].name);
    }
    uint64_t rs = 0;
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++)
        rs += gp_recurrent_seq_bytes(m, il);
    gp_json_add_u64(root, "recurrent_bytes_per_seq", rs);
}

static void add_layers(cJSON *root, const gp_model *m)
{
    uint32_t counts[4] = {0};
    for (uint32_t i = 0; i < m->hp.n_layer; i++)
        counts[m->layers[i].kind]++;
    cJSON *attn = cJSON_AddObjectToObject(root, "attention");
    for (int k = 0; k < 4; k++)
        gp_json_add_u64(attn, gp_layer_kind_name((gp_layer_kind)k), counts[k]);
    if (m->hp.n_swa)
        gp_json_add_u64(root, "n_swa", m->hp.n_swa);

    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (uint32_t i = 0; i < m->hp.n_layer_all; i++) {
        const gp_layer *l = &m->layers[i];
        cJSON *o = cJSON_CreateObject();
        gp_json_add_u64(o, "index", i);
        cJSON_AddStringToObject(o, "kind", l->nextn ? "nextn" : gp_layer_kind_name(l->kind));
        gp_json_add_u64(o, "bytes", l->bytes);
        gp_json_add_u64(o, "expert_bytes", l->expert_bytes);
        cJSON_AddItemToArray(layers, o);
    }
}

static void add_tensors(cJSON *root, const gp_model *m)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "tensors");
    for (uint64_t i = 0; i < m->n_tensors; i++) {
        const gp_tensor *t = &m->tensors[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->info->name);
        cJSON_AddStringToObject(o, "type", gp_type_get(t->info->type)->name);
        cJSON *shape = cJSON_AddArrayToObject(o, "shape");
        for (uint32_t d = 0; d < t->info->n_dims; d++)
            gp_json_push_u64(shape, (uint64_t)t->info->ne[d]);
        gp_json_add_u64(o, "bytes", t->info->bytes);
        gp_json_add_u64(o, "offset", t->info->offset);
        if (t->layer >= 0)
            gp_json_add_u64(o, "layer", (uint64_t)t->layer);
        else
            cJSON_AddNullToObject(o, "layer");
        cJSON_AddStringToObject(o, "role", gp_role_name(t->role));
        if (m->n_shards > 1)
            gp_json_add_u64(o, "shard", t->shard);
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_bytes_by_type(cJSON *root, const gp_model *m)
{
    uint64_t by_type[GP_TYPE_COUNT] = {0};
    for (uint64_t i = 0; i < m->n_tensors; i++)
        by_type[m->tensors[i].info->type] += m->tensors[i].info->bytes;
    cJSON *o = cJSON_AddObjectToObject(root, "bytes_by_type");
    for (int t = 0; t < GP_TYPE_COUNT; t++)
        if (by_type[t])
            gp_json_add_u64(o, gp_type_get((uint32_t)t)->name, by_type[t]);
}

gp_status gp_model_inspect_json(const gp_model *m, bool with_tensors, char **out, gp_error *err)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    const gp_hparams *hp = &m->hp;
    cJSON_AddStringToObject(root, "architecture", m->arch);
    cJSON_AddStringToObject(root, "name", m->name);
    if (m->file_type != UINT32_MAX)
        gp_json_add_u64(root, "file_type", m->file_type);
    else
        cJSON_AddNullToObject(root, "file_type");
    const char *ftn = m->file_type != UINT32_MAX ? gp_file_type_name(m->file_type) : NULL;
    if (ftn)
        cJSON_AddStringToObject(root, "file_type_name", ftn);
    gp_json_add_u64(root, "gguf_version", m->shards[0]->version);
    gp_json_add_u64(root, "shards", m->n_shards);
    gp_json_add_u64(root, "n_params", m->n_params);
    gp_json_add_u64(root, "tensor_count", m->n_tensors);
    gp_json_add_u64(root, "tensor_bytes", m->tensor_bytes);
    gp_json_add_u64(root, "n_layer", hp->n_layer_all);
    if (hp->n_nextn)
        gp_json_add_u64(root, "n_layer_nextn", hp->n_nextn);
    gp_json_add_u64(root, "n_embd", hp->n_embd);
    add_per_layer(root, "n_head", m, layer_head);
    add_per_layer(root, "n_head_kv", m, layer_head_kv);
    gp_json_add_u64(root, "head_dim_k", hp->head_dim_k);
    gp_json_add_u64(root, "head_dim_v", hp->head_dim_v);
    add_per_layer(root, "n_ff", m, layer_ff);
    gp_json_add_u64(root, "n_vocab", hp->n_vocab);
    gp_json_add_u64(root, "n_ctx_train", hp->n_ctx_train);
    gp_json_add_u64(root, "n_expert", hp->n_expert);
    gp_json_add_u64(root, "n_expert_used", hp->n_expert_used);
    if (hp->n_expert) {
        gp_json_add_u64(root, "n_expert_shared", hp->n_expert_shared);
        gp_json_add_u64(root, "n_ff_exp", hp->n_ff_exp);
    }
    if (hp->kv_lora_rank) {
        cJSON *mla = cJSON_AddObjectToObject(root, "mla");
        gp_json_add_u64(mla, "kv_lora_rank", hp->kv_lora_rank);
        gp_json_add_u64(mla, "q_lora_rank", hp->q_lora_rank);
        gp_json_add_u64(mla, "rope_dim", hp->rope_dim);
    }
    cJSON_AddBoolToObject(root, "data_present", m->data_present);
    add_bytes_by_type(root, m);
    add_kv_per_token(root, m);
    add_layers(root, m);
    if (m->n_warnings) {
        cJSON *w = cJSON_AddArrayToObject(root, "warnings");
        for (uint32_t i = 0; i < m->n_warnings; i++)
            cJSON_AddItemToArray(w, cJSON_CreateString(m->warnings[i]));
    }
    if (with_tensors)
        add_tensors(root, m);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    *out = s;
    return GP_OK;
}
