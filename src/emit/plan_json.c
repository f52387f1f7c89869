#include "emit/plan_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/extras_json.h"
#include "gguf/types.h"
#include "memory/mem.h"
#include "plan/speed.h"
#include "util/error.h"
#include "util/json.h"

/* ---- what a tensor is, as the report groups it ----------------------------- */

typedef enum part_kind {
    PART_ATTENTION = 0, /* attention projections */
    PART_FFN,           /* dense FFN and shared experts */
    PART_EXPERTS,       /* routed experts */
    PART_OTHER,         /* norms, router, recurrent weights */
    PART_COUNT
} part_kind;

static const char *part_names[PART_COUNT] = {"attention", "ffn", "experts", "other"};

static part_kind part_of(gp_role r)
{
    switch (r) {
    case GP_ROLE_ATTN_Q: case GP_ROLE_ATTN_K: case GP_ROLE_ATTN_V: case GP_ROLE_ATTN_QKV:
    case GP_ROLE_ATTN_OUT: case GP_ROLE_ATTN_MLA:
        return PART_ATTENTION;
    case GP_ROLE_FFN_UP: case GP_ROLE_FFN_GATE: case GP_ROLE_FFN_DOWN: case GP_ROLE_FFN_GATE_UP:
    case GP_ROLE_SHEXP:
        return PART_FFN;
    case GP_ROLE_EXP_UP: case GP_ROLE_EXP_GATE: case GP_ROLE_EXP_DOWN: case GP_ROLE_EXP_GATE_UP:
        return PART_EXPERTS;
    default:
        return PART_OTHER;
    }
}

static const char *kind_name(gp_device_kind k)
{
    switch (k) {
    case GP_DEV_CPU: return "cpu";
    case GP_DEV_RPC: return "rpc";
    default: return "gpu";
    }
}

static void add_dev_name(cJSON *o, const char *key, const gp_devices *d, int32_t dev)
{
    if (dev >= 0 && (uint32_t)dev < d->n)
        cJSON_AddStringToObject(o, key, d->dev[dev].name);
    else
        cJSON_AddNullToObject(o, key);
}

/* ---- pieces ------------------------------------------------------------------- */

static void add_model(cJSON *root, const gp_model *m)
{
    cJSON *o = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(o, "path", m->path ? m->path : "");
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "arch", m->arch);
    gp_json_add_u64(o, "n_layer", m->hp.n_layer);
    gp_json_add_u64(o, "n_expert", m->hp.n_expert);
    gp_json_add_u64(o, "n_expert_used", m->hp.n_expert_used);
    gp_json_add_u64(o, "n_ctx_train", m->hp.n_ctx_train);
    gp_json_add_u64(o, "n_tensors", m->n_tensors);
    gp_json_add_u64(o, "tensor_bytes", m->tensor_bytes);
}

/* Per layer run by default: its cache's device and bytes, and its weights
 * grouped by (part, device); tensors outside the layers likewise. */
static gp_status add_layers(cJSON *root, const gp_model *m, const gp_devices *d, const gp_plan *p,
                            gp_error *err)
{
    uint32_t n = m->hp.n_layer;
    uint32_t nd = d->n;
    size_t cells = ((size_t)n + 1) * PART_COUNT * nd;
    uint64_t *bytes = calloc(cells ? cells : 1, sizeof *bytes);
    uint32_t *count = calloc(cells ? cells : 1, sizeof *count);
    if (!bytes || !count) {
        free(bytes);
        free(count);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    const int32_t *tdev = p->mem.placement.tensor_dev;
    /* Row n collects the tensors outside the layers (embeddings, output). */
    cJSON *outside = cJSON_AddArrayToObject(root, "outside");
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const gp_tensor *ten = &m->tensors[t];
        int32_t dev = tdev[t];
        if (dev < 0 || (uint32_t)dev >= nd)
            continue;
        if (ten->layer < 0) {
            const char *what = ten->role == GP_ROLE_TOKEN_EMBD ? "token embeddings"
                               : ten->role == GP_ROLE_OUTPUT   ? "output"
                                                               : "other";
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", ten->info->name);
            cJSON_AddStringToObject(o, "kind", what);
            cJSON_AddStringToObject(o, "device", d->dev[dev].name);
            gp_json_add_u64(o, "bytes", ten->info->bytes);
            cJSON_AddItemToArray(outside, o);
            continue;
        }
        if ((uint32_t)ten->layer >= n)
            continue;
        size_t k = ((size_t)ten->layer * PART_COUNT + part_of(ten->role)) * nd + (size_t)dev;
        bytes[k] += ten->info->bytes;
        count[k]++;
    }
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    const gp_placement *pl = &p->mem.placement;
    for (uint32_t il = 0; il < n; il++) {
        cJSON *o = cJSON_CreateObject();
        gp_json_add_u64(o, "index", il);
        uint64_t kvb = 0;
        gp_mem_layer_context(m, &p->params, &p->mem.ctx, il, &kvb, NULL);
        add_dev_name(o, "kv_device", d, pl->kv_dev ? pl->kv_dev[il] : -1);
        gp_json_add_u64(o, "kv_bytes", kvb);
        cJSON_AddStringToObject(o, "kv_kind", m->layers[il].kind == GP_LAYER_RECURRENT ? "state"
                                              : m->layers[il].kind == GP_LAYER_SWA     ? "swa"
                                              : m->layers[il].kind == GP_LAYER_MLA     ? "latent"
                                                                                       : "full");
        cJSON *parts = cJSON_AddArrayToObject(o, "parts");
        for (int part = 0; part < PART_COUNT; part++)
            for (uint32_t dev = 0; dev < nd; dev++) {
                size_t k = ((size_t)il * PART_COUNT + (size_t)part) * nd + dev;
                if (!count[k])
                    continue;
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "kind", part_names[part]);
                cJSON_AddStringToObject(x, "device", d->dev[dev].name);
                gp_json_add_u64(x, "bytes", bytes[k]);
                gp_json_add_u64(x, "tensors", count[k]);
                cJSON_AddItemToArray(parts, x);
            }
        cJSON_AddItemToArray(layers, o);
    }
    free(bytes);
    free(count);
    return GP_OK;
}

size_t gp_plan_curve_contexts(uint64_t n_ctx_train, uint64_t plan_ctx, uint64_t *out, size_t cap)
{
    uint64_t train = n_ctx_train ? n_ctx_train : 4096;
    size_t n = 0;
    for (uint64_t c = 2048; c < train && n + 2 < cap; c *= 2)
        out[n++] = c;
    if (n < cap)
        out[n++] = train;
    if (plan_ctx && n < cap)
        out[n++] = plan_ctx;
    /* Insertion sort, then drop duplicates: a dozen values. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            uint64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i])
            out[k++] = out[i];
    return k;
}

/* The plan's placement over contexts for f16, q8_0 and q4_0 caches. */
static gp_status add_curve(cJSON *root, const gp_model *m, const gp_devices *d, const gp_plan *p,
                           gp_error *err)
{
    uint64_t ctxs[24];
    size_t n = gp_plan_curve_contexts(m->hp.n_ctx_train, p->mem.ctx.n_ctx_req, ctxs, 24);
    cJSON *curve = cJSON_AddObjectToObject(root, "kv_curve");
    cJSON *cs = cJSON_AddArrayToObject(curve, "contexts");
    for (size_t i = 0; i < n; i++)
        gp_json_push_u64(cs, ctxs[i]);
    cJSON *series = cJSON_AddArrayToObject(curve, "series");
    static const uint32_t types[] = {GP_TYPE_F16, GP_TYPE_Q8_0, GP_TYPE_Q4_0};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "kv_type", gp_type_get(types[k])->name);
        cJSON *pts = cJSON_AddArrayToObject(s, "points");
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            gp_run_params rp = p->params;
            rp.n_ctx = (int64_t)ctxs[i];
            rp.user_set_ctx = true;
            rp.type_k = rp.type_v = types[k];
            /* A quantized V cache needs flash attention in llama.cpp. */
            if (types[k] != GP_TYPE_F16)
                rp.flash_attn = GP_FA_ON;
            gp_mem_result r;
            gp_error e = {0};
            if (gp_mem_estimate(m, &rp, d, &r, &e) != GP_OK) {
                if (e.status == GP_ERR_NOMEM) {
                    cJSON_Delete(s);
                    return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
                }
                cJSON_AddItemToArray(pts, cJSON_CreateNull());
                continue;
            }
            cJSON *pt = cJSON_CreateObject();
            gp_json_add_u64(pt, "ctx", ctxs[i]);
            bool fits = true;
            cJSON *tot = cJSON_AddArrayToObject(pt, "totals");
            for (uint32_t dv = 0; dv < d->n; dv++) {
                uint64_t t = gp_mem_device_total(&r.dev[dv]);
                gp_json_push_u64(tot, t);
                if (p->budget[dv] != UINT64_MAX && t > p->budget[dv])
                    fits = false;
            }
            cJSON_AddBoolToObject(pt, "fits", fits);
            cJSON_AddItemToArray(pts, pt);
            gp_mem_result_free(&r);
            any = true;
        }
        if (any)
            cJSON_AddItemToArray(series, s);
        else
            cJSON_Delete(s);
    }
    return GP_OK;
}

static double round2(double x)
{
    return (double)(long long)(x * 100) / 100;
}

static void add_alternatives(cJSON *root, const gp_model *m, const gp_devices *d, const gp_plan *p)
{
    bool gpu = false;
    for (uint32_t i = 0; i < d->n; i++)
        gpu = gpu || gp_device_is_gpu(&d->dev[i]) || d->dev[i].kind == GP_DEV_RPC;
    const gp_run_params *r = &p->params;
    const char *whole = !gpu ? "everything on the CPU"
                        : r->user_set_ngl || r->user_set_ts || r->user_set_ot ? "as given by -ngl/-ts/-ot"
                                                                              : "every layer on the GPUs";
    cJSON *alts = cJSON_AddArrayToObject(root, "alternatives");
    for (uint32_t i = 0; i < p->n_alts; i++) {
        const gp_plan_alt *a = &p->alts[i];
        cJSON *o = cJSON_CreateObject();
        gp_json_add_u64(o, "ctx", a->ctx);
        cJSON_AddStringToObject(o, "kv_type", gp_type_get(a->type_k)->name);
        cJSON_AddStringToObject(o, "kv_type_v", gp_type_get(a->type_v)->name);
        gp_json_add_u64(o, "ubatch", a->ubatch);
        cJSON_AddBoolToObject(o, "fits", a->fits);
        cJSON_AddBoolToObject(o, "chosen", a->chosen);
        gp_json_add_u64(o, "spilled", a->spilled);
        gp_json_add_u64(o, "cpu_layers", a->cpu_layers);
        char what[160];
        if (!a->fits)
            snprintf(what, sizeof what, "does not fit");
        else if (a->cpu_layers)
            snprintf(what, sizeof what, "%u of %u layers on the CPU", a->cpu_layers, m->hp.n_layer_all + 1);
        else if (a->spilled)
            snprintf(what, sizeof what, "%u %s tensor groups on the CPU", a->spilled,
                     m->hp.n_expert ? "routed-expert" : "FFN");
        else
            snprintf(what, sizeof what, "%s", whole);
        cJSON_AddStringToObject(o, "placement", what);
        cJSON_AddNumberToObject(o, "decode_tps", round2(a->decode_tps));
        cJSON_AddNumberToObject(o, "prefill_tps", round2(a->prefill_tps));
        if (a->rejected[0])
            cJSON_AddStringToObject(o, "rejected", a->rejected);
        cJSON_AddItemToArray(alts, o);
    }
}

gp_status gp_plan_json_add_details(cJSON *root, const gp_model *m, const gp_devices *d,
                                   const gp_plan *p, gp_error *err)
{
    cJSON_AddStringToObject(root, "version", gp_version());
    cJSON *devs = cJSON_GetObjectItemCaseSensitive(root, "devices");
    for (uint32_t i = 0; i < d->n; i++) {
        cJSON *o = cJSON_GetArrayItem(devs, (int)i);
        if (!cJSON_IsObject(o))
            break;
        gp_json_add_u64(o, "index", i);
        cJSON_AddStringToObject(o, "kind", kind_name(d->dev[i].kind));
        uint64_t avail = d->dev[i].free ? d->dev[i].free : d->dev[i].total;
        if (avail)
            gp_json_add_u64(o, "available", avail);
        else
            cJSON_AddNullToObject(o, "available");
    }
    add_model(root, m);
    gp_status st = add_layers(root, m, d, p, err);
    if (st == GP_OK)
        st = add_curve(root, m, d, p, err);
    if (st == GP_OK)
        add_alternatives(root, m, d, p);
    return st;
}

/* What device i grows into, by item (the host's logits buffer included). */
static void add_runtime(cJSON *o, const gp_mem_result *r, uint32_t i)
{
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    if (i != 0)
        return;
    gp_json_add_u64(rt, "logits", r->host_output);
    for (int k = 0; k < GP_RUNTIME_COUNT; k++)
        gp_json_add_u64(rt, gp_runtime_item_name((gp_runtime_item)k), r->runtime.item[k]);
}

char *gp_plan_json_text(const gp_model *m, const gp_devices *d, const gp_plan *p, const char *const *args,
                        const char *cmd)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(root, "args");
    for (const char *const *x = args; x && *x; x++)
        cJSON_AddItemToArray(a, cJSON_CreateString(*x));
    cJSON_AddStringToObject(root, "cmd", cmd);
    gp_json_add_u64(root, "ctx", p->mem.ctx.n_ctx_req);
    gp_json_add_u64(root, "slots", p->mem.ctx.n_seq);
    gp_json_add_u64(root, "ctx_per_slot", p->mem.ctx.n_ctx_seq);
    cJSON_AddBoolToObject(root, "kv_unified", p->mem.ctx.kv_unified);
    gp_json_add_u64(root, "n_ctx", p->mem.ctx.n_ctx);
    gp_json_add_u64(root, "n_seq", p->mem.ctx.n_seq);
    cJSON_AddStringToObject(root, "kv_type", gp_type_get(p->params.type_k)->name);
    cJSON_AddBoolToObject(root, "flash_attn", p->mem.ctx.flash_attn);
    cJSON *devs = cJSON_AddArrayToObject(root, "devices");
    for (uint32_t i = 0; i < d->n; i++) {
        const gp_mem_device all = gp_mem_with_extras(&p->mem, i), *x = &all;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->dev[i].name);
        if (p->budget[i] != UINT64_MAX)
            gp_json_add_u64(o, "budget", p->budget[i]);
        else
            cJSON_AddNullToObject(o, "budget");
        gp_json_add_u64(o, "model", x->model);
        gp_json_add_u64(o, "context", x->context);
        gp_json_add_u64(o, "compute", x->compute);
        gp_json_add_u64(o, "total", gp_mem_device_total(x));
        gp_json_add_u64(o, "in_use", gp_mem_in_use(&p->mem, i));
        gp_json_add_u64(o, "budgeted", p->need[i]);
        add_runtime(o, &p->mem, i);
        cJSON_AddItemToArray(devs, o);
    }
    if (p->mem.extras.n) {
        /* devices[] above already count these. */
        cJSON_AddItemToObject(root, "extras", gp_extras_json(&p->mem.extras, d));
    }
    cJSON *ts = cJSON_AddArrayToObject(root, "tensors");
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        int32_t dev = p->mem.placement.tensor_dev[t];
        if (dev < 0)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", m->tensors[t].info->name);
        cJSON_AddStringToObject(o, "device", d->dev[dev].name);
        gp_json_add_u64(o, "bytes", m->tensors[t].info->bytes);
        cJSON_AddItemToArray(ts, o);
    }
    cJSON *pred = cJSON_AddObjectToObject(root, "predicted");
    cJSON_AddNumberToObject(pred, "decode_tps", (double)(long long)(p->speed.decode_tps * 100) / 100);
    cJSON_AddNumberToObject(pred, "prefill_tps", (double)(long long)(p->speed.prefill_tps * 100) / 100);
    char notes[2 * GP_MAX_DEVICES][GP_SPEED_NOTE];
    uint32_t n_notes = gp_speed_assumptions(d, notes, 2 * GP_MAX_DEVICES);
    cJSON *as = cJSON_AddArrayToObject(pred, "assumed");
    for (uint32_t i = 0; i < n_notes; i++)
        cJSON_AddItemToArray(as, cJSON_CreateString(notes[i]));
    cJSON *w = cJSON_AddArrayToObject(root, "why");
    for (uint32_t i = 0; i < p->n_why; i++)
        cJSON_AddItemToArray(w, cJSON_CreateString(p->why[i]));
    /* What a report draws: layers, the context curve, the alternatives. */
    gp_plan_json_add_details(root, m, d, p, NULL);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

