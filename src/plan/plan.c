#include "plan/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "model/arch.h"
#include "util/error.h"
#include "util/units.h"

/* ---- presets -------------------------------------------------------------- */

static const char *preset_names[GP_PRESET_COUNT] = {
    "balanced", "high_speed", "more_context", "system_safe", "ultra_performance", "moe_optimized",
};

const char *gp_preset_name(gp_preset p)
{
    return p < GP_PRESET_COUNT ? preset_names[p] : "balanced";
}

int gp_preset_from_name(const char *name)
{
    for (int i = 0; i < GP_PRESET_COUNT; i++)
        if (strcmp(preset_names[i], name) == 0)
            return i;
    return -1;
}

/* What each preset means, in one table (documented in the README). */
typedef struct preset_rules {
    uint64_t default_ctx_cap;  /* default context: min(n_ctx_train, this) */
    uint64_t gpu_margin;
    uint64_t ram_margin;
    const uint32_t *kv_types;  /* KV types tried when --kv auto */
    size_t n_kv_types;
    const uint32_t *ubatches;  /* micro-batch sizes tried */
    size_t n_ubatches;
    double context_speed_floor;/* more_context: keep decode >= this x the default plan's */
} preset_rules;

#define GiB (1024ull * 1024 * 1024)
#define MiB (1024ull * 1024)

static const uint32_t kv_f16[] = {GP_TYPE_F16};
static const uint32_t kv_f16_q8[] = {GP_TYPE_F16, GP_TYPE_Q8_0};
static const uint32_t kv_q8[] = {GP_TYPE_Q8_0};
static const uint32_t kv_all[] = {GP_TYPE_F16, GP_TYPE_Q8_0, GP_TYPE_Q4_0};
static const uint32_t ub_default[] = {512};
static const uint32_t ub_wide[] = {512, 1024, 2048};

static const preset_rules presets[GP_PRESET_COUNT] = {
    [GP_PRESET_BALANCED] = {32768, 1 * GiB, 2 * GiB, kv_f16_q8, 2, ub_default, 1, 0},
    [GP_PRESET_HIGH_SPEED] = {8192, 1 * GiB, 2 * GiB, kv_f16_q8, 2, ub_default, 1, 0},
    [GP_PRESET_MORE_CONTEXT] = {32768, 1 * GiB, 2 * GiB, kv_q8, 1, ub_default, 1, 0.8},
    [GP_PRESET_SYSTEM_SAFE] = {8192, 2 * GiB, 4 * GiB, kv_f16, 1, ub_default, 1, 0},
    [GP_PRESET_ULTRA_PERFORMANCE] = {32768, 512 * MiB, 1 * GiB, kv_all, 3, ub_wide, 3, 0},
    [GP_PRESET_MOE_OPTIMIZED] = {32768, 1 * GiB, 2 * GiB, kv_f16_q8, 2, ub_wide, 3, 0},
};

bool gp_plan_request_scales(const gp_plan_request *r, const gp_model *m, double *decode, double *prefill)
{
    bool moe = m->hp.n_expert > 0;
    *decode = moe ? r->moe_decode_scale : r->decode_scale;
    *prefill = moe ? r->moe_prefill_scale : r->prefill_scale;
    return *decode > 0 && *prefill > 0;
}

bool gp_plan_request_calibrate(const gp_plan_request *r, const gp_model *m, gp_speed *sp)
{
    double decode, prefill;
    if (!gp_plan_request_scales(r, m, &decode, &prefill))
        return false;
    sp->decode_tps *= decode;
    sp->prefill_tps *= prefill;
    return true;
}

void gp_plan_request_default(gp_plan_request *r)
{
    memset(r, 0, sizeof *r);
    r->preset = GP_PRESET_BALANCED;
    r->ctx = GP_PLAN_CTX_DEFAULT;
    r->kv = -1;
    r->fa = GP_FA_AUTO;
    r->app = GP_APP_SERVER;
    r->margin = -1;
    r->ram_margin = -1;
    gp_run_params_default(&r->pinned, GP_APP_SERVER);
}

/* ---- the search state ------------------------------------------------------- */

typedef struct spill_unit {
    uint64_t first, n;    /* a run of tensor indices in spill order */
} spill_unit;

typedef struct search {
    const gp_model *m;
    const gp_devices *d;
    const gp_plan_request *req;
    const preset_rules *rules;
    uint64_t budget[GP_MAX_DEVICES];
    uint32_t gpus[GP_MAX_DEVICES];
    uint32_t n_gpu;
    bool moe;
    /* Spill order: tensors whose moving to the CPU keeps the KV on the GPU
     * (routed experts for MoE, FFN matrices for dense), layer by layer. */
    uint64_t *order;
    uint64_t n_order;
    spill_unit *units;
    uint32_t n_units;
    const char **names;
    int32_t *want, *dflt;
    const int32_t *unit_dev; /* the device of each spilled unit (NULL: all the CPU) */
    uint32_t n_user_ot;      /* the user's overrides, kept first in every candidate's flags */
    int32_t *user_dev;       /* the device the user's overrides give each tensor; -1: none does */
    uint32_t evaluated;
    gp_error *err;
    gp_plan *plan;        /* where the alternatives evaluated are recorded */
} search;

/* A configuration under evaluation. */
typedef struct candidate {
    gp_run_params params;
    gp_mem_result mem;
    bool has_mem;
    gp_ot_rule *ot;
    size_t n_ot;
    gp_speed speed;
    bool fits;            /* every budget holds */
    bool fits_gpu;        /* every budget but the CPU's holds */
    uint32_t spilled_units;
    uint32_t cpu_layers;
    uint32_t refilled;    /* of the spilled units, those on GPUs with room to spare */
} candidate;

static void candidate_free(candidate *c)
{
    if (c->has_mem)
        gp_mem_result_free(&c->mem);
    free(c->ot);
    memset(c, 0, sizeof *c);
}

static void candidate_move(candidate *dst, candidate *src)
{
    candidate_free(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

uint64_t gp_plan_need(const gp_plan_request *req, const gp_mem_result *r, uint32_t i)
{
    uint64_t need = gp_mem_on_device(r, i);
    if (i != 0 || req->for_load)
        return need;
    const gp_runtime_mem *rt = &r->runtime;
    need += r->host_output + rt->item[GP_RUNTIME_PROCESS];
    if (req->pinned.user_set_ctxcp)
        need += rt->item[GP_RUNTIME_CHECKPOINTS];
    if (req->pinned.user_set_cram)
        need += rt->item[GP_RUNTIME_PROMPT_CACHE];
    return need;
}

static bool fits_budgets(const search *s, const gp_mem_result *r)
{
    for (uint32_t i = 0; i < s->d->n; i++)
        if (gp_plan_need(s->req, r, i) > s->budget[i])
            return false;
    return true;
}

/* The offload devices alone: this side only gets easier as more moves to
 * the CPU, which makes it the one to binary-search on. */
static bool fits_offload(const search *s, const gp_mem_result *r)
{
    for (uint32_t i = 1; i < s->d->n; i++)
        if (gp_mem_on_device(r, i) > s->budget[i])
            return false;
    return true;
}

static int role_rank(gp_role r)
{
    switch (r) {
    case GP_ROLE_EXP_DOWN: case GP_ROLE_FFN_DOWN: return 0;
    case GP_ROLE_EXP_UP: case GP_ROLE_FFN_UP: return 1;
    case GP_ROLE_EXP_GATE: case GP_ROLE_FFN_GATE: return 2;
    case GP_ROLE_EXP_GATE_UP: case GP_ROLE_FFN_GATE_UP: return 3;
    default: return -1;
    }
}

static bool spillable(const search *s, const gp_tensor *t)
{
    if (t->layer < 0 || s->m->layers[t->layer].nextn)
        return false;
    if (s->moe)
        return gp_role_is_expert(t->role);
    return t->role == GP_ROLE_FFN_UP || t->role == GP_ROLE_FFN_GATE ||
           t->role == GP_ROLE_FFN_DOWN || t->role == GP_ROLE_FFN_GATE_UP;
}

/* qsort has no context argument; the model being sorted is held here for
 * the duration of one sort. */
static const gp_model *cmp_model;
static int cmp_spill(const void *a, const void *b)
{
    const gp_tensor *x = &cmp_model->tensors[*(const uint64_t *)a];
    const gp_tensor *y = &cmp_model->tensors[*(const uint64_t *)b];
    if (x->layer != y->layer)
        return x->layer < y->layer ? -1 : 1;
    int rx = role_rank(x->role), ry = role_rank(y->role);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp(x->info->name, y->info->name);
}

static gp_status search_init(search *s, const gp_model *m, const gp_devices *d,
                             const gp_plan_request *req, gp_error *err)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->d = d;
    s->req = req;
    s->err = err;
    s->rules = &presets[req->preset < GP_PRESET_COUNT ? req->preset : 0];
    s->moe = m->hp.n_expert > 0;
    uint64_t margin = req->margin >= 0 ? (uint64_t)req->margin : s->rules->gpu_margin;
    uint64_t ram_margin = req->ram_margin >= 0 ? (uint64_t)req->ram_margin : s->rules->ram_margin;
    for (uint32_t i = 0; i < d->n; i++) {
        const gp_device *dev = &d->dev[i];
        uint64_t avail = dev->free ? dev->free : dev->total;
        uint64_t mg = i == 0 ? ram_margin : margin;
        if (avail == 0) {
            s->budget[i] = UINT64_MAX; /* unknown: not a constraint */
            continue;
        }
        s->budget[i] = avail > mg ? avail - mg : 0;
        if (i > 0 && req->target_vram > 0 && dev->total) {
            uint64_t cap = (uint64_t)((double)dev->total * req->target_vram);
            if (cap < s->budget[i])
                s->budget[i] = cap;
        }
        if (gp_device_is_gpu(dev))
            s->gpus[s->n_gpu++] = i;
    }
    s->names = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *s->names);
    s->want = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *s->want);
    s->dflt = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *s->dflt);
    s->order = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *s->order);
    s->units = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *s->units);
    if (!s->names || !s->want || !s->dflt || !s->order || !s->units)
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    for (uint64_t t = 0; t < m->n_tensors; t++)
        s->names[t] = m->tensors[t].info->name;
    /* Tensors the user's own overrides place (-ot, --n-cpu-moe...) stay
       where they put them: the search moves only the others. */
    s->n_user_ot = req->pinned.n_overrides;
    s->user_dev = malloc((m->n_tensors ? m->n_tensors : 1) * sizeof *s->user_dev);
    if (!s->user_dev)
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    for (uint64_t t = 0; t < m->n_tensors; t++)
        s->user_dev[t] = -1;
    if (s->n_user_ot) {
        gp_ot_rule *rules = calloc(s->n_user_ot, sizeof *rules);
        int32_t *none = malloc((m->n_tensors ? m->n_tensors : 1) * sizeof *none);
        int32_t *got = malloc((m->n_tensors ? m->n_tensors : 1) * sizeof *got);
        const char *dev_names[GP_MAX_DEVICES];
        for (uint32_t i = 0; i < d->n; i++)
            dev_names[i] = d->dev[i].name;
        bool ok = rules && none && got;
        for (uint32_t i = 0; ok && i < s->n_user_ot; i++) {
            snprintf(rules[i].pattern, sizeof rules[i].pattern, "%s", req->pinned.overrides[i].pattern);
            snprintf(rules[i].buft, sizeof rules[i].buft, "%s", req->pinned.overrides[i].buft);
        }
        /* a device index no rule names: what no rule matched keeps it */
        const int32_t unmatched = (int32_t)d->n;
        for (uint64_t t = 0; ok && t < m->n_tensors; t++)
            none[t] = unmatched;
        gp_ot_request rq = {s->names, m->n_tensors, none, none, dev_names, d->n};
        if (ok && gp_ot_evaluate(&rq, rules, s->n_user_ot, got))
            for (uint64_t t = 0; t < m->n_tensors; t++)
                s->user_dev[t] = got[t] != unmatched ? got[t] : -1;
        free(rules);
        free(none);
        free(got);
    }
    for (uint64_t t = 0; t < m->n_tensors; t++)
        if (s->user_dev[t] < 0 && spillable(s, &m->tensors[t]))
            s->order[s->n_order++] = t;
    cmp_model = m;
    qsort(s->order, s->n_order, sizeof *s->order, cmp_spill);
    /* Units: all tensors of one (layer, role) together (weight and bias). */
    for (uint64_t i = 0; i < s->n_order;) {
        const gp_tensor *t = &m->tensors[s->order[i]];
        uint64_t j = i + 1;
        while (j < s->n_order && m->tensors[s->order[j]].layer == t->layer &&
               role_rank(m->tensors[s->order[j]].role) == role_rank(t->role))
            j++;
        s->units[s->n_units++] = (spill_unit){i, j - i};
        i = j;
    }
    return GP_OK;
}

static void search_free(search *s)
{
    free(s->user_dev);
    free(s->names);
    free(s->want);
    free(s->dflt);
    free(s->order);
    free(s->units);
}

static uint64_t unit_bytes(const search *s, uint32_t u)
{
    uint64_t b = 0;
    for (uint64_t k = 0; k < s->units[u].n; k++)
        b += s->m->tensors[s->order[s->units[u].first + k]].info->bytes;
    return b;
}

/* Splits the layers (and the output layer) between GPUs in proportion to
 * their budgets, never above a budget: -ts as whole-layer counts. */
static bool pack_layers(search *s, const gp_run_params *base, const gp_ctx_shape *c,
                        uint32_t spilled, uint32_t cpu_layers, const uint64_t *reserve,
                        float *ts)
{
    const gp_model *m = s->m;
    uint32_t n_units = m->hp.n_layer_all + 1;
    uint64_t *bytes = calloc(n_units, sizeof *bytes);
    if (!bytes)
        return false;
    bool *spilled_t = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *spilled_t);
    if (!spilled_t) {
        free(bytes);
        return false;
    }
    for (uint32_t u = 0; u < spilled && u < s->n_units; u++)
        for (uint64_t k = 0; k < s->units[u].n; k++)
            spilled_t[s->order[s->units[u].first + k]] = true;
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const gp_tensor *ten = &m->tensors[t];
        /* spilled, or where the user's overrides put it (evaluate reserves
           room for those on a GPU) */
        if (spilled_t[t] || ten->role == GP_ROLE_TOKEN_EMBD || (s->user_dev && s->user_dev[t] >= 0))
            continue;
        if (ten->layer >= 0) {
            if (!m->layers[ten->layer].nextn)
                bytes[ten->layer] += ten->info->bytes;
        } else {
            bytes[n_units - 1] += ten->info->bytes;
        }
    }
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++) {
        uint64_t ctxb = 0;
        gp_mem_layer_context(m, base, c, il, &ctxb, NULL);
        bytes[il] += ctxb;
    }
    free(spilled_t);

    uint64_t total = 0, cap_sum = 0;
    uint64_t cap[GP_MAX_DEVICES];
    for (uint32_t g = 0; g < s->n_gpu; g++) {
        uint64_t b = s->budget[s->gpus[g]];
        cap[g] = b > reserve[g] ? b - reserve[g] : 0;
        cap_sum += cap[g];
    }
    for (uint32_t u = cpu_layers; u < n_units; u++)
        total += bytes[u];
    uint32_t counts[GP_MAX_DEVICES] = {0};
    uint64_t fill[GP_MAX_DEVICES] = {0};
    bool ok = total <= cap_sum;
    /* Proportional split: a layer goes to the GPU whose share of the total
     * holds the layer's midpoint, so every GPU gets its part. */
    if (ok) {
        double before = 0;
        for (uint32_t u = cpu_layers; u < n_units; u++) {
            double mid = before + (double)bytes[u] / 2.0;
            double edge = 0;
            uint32_t g = 0;
            for (; g + 1 < s->n_gpu; g++) {
                edge += (double)total * (double)cap[g] / (double)cap_sum;
                if (mid < edge)
                    break;
            }
            fill[g] += bytes[u];
            counts[g]++;
            before += (double)bytes[u];
        }
        for (uint32_t g = 0; g < s->n_gpu; g++)
            ok = ok && fill[g] <= cap[g];
    }
    /* Otherwise fill the GPUs in order, each up to its budget. */
    if (!ok && total <= cap_sum) {
        memset(counts, 0, sizeof counts);
        memset(fill, 0, sizeof fill);
        uint32_t g = 0;
        ok = true;
        for (uint32_t u = cpu_layers; u < n_units && ok; u++) {
            while (fill[g] + bytes[u] > cap[g] && ok) {
                if (g + 1 >= s->n_gpu)
                    ok = false;
                else
                    g++;
            }
            if (ok) {
                fill[g] += bytes[u];
                counts[g]++;
            }
        }
    }
    free(bytes);
    for (uint32_t k = 0; k < s->n_gpu; k++)
        ts[k] = (float)counts[k];
    return ok;
}

/* Builds the flags for (spill, cpu layers, split), proves the -ot rules and
 * measures the memory and speed of exactly those flags. */
static gp_status evaluate(search *s, const gp_run_params *base, uint32_t spilled, uint32_t cpu_layers,
                          candidate *out)
{
    const gp_model *m = s->m;
    memset(out, 0, sizeof *out);
    out->params = *base;
    out->spilled_units = spilled;
    out->cpu_layers = cpu_layers;
    gp_run_params *p = &out->params;
    s->evaluated++;

    gp_ctx_shape c;
    gp_status st = gp_ctx_resolve(m, p, &c, s->err);
    if (st != GP_OK)
        return st;
    if (s->n_gpu > 0) {
        p->n_gpu_layers = (int32_t)(m->hp.n_layer_all + 1 - cpu_layers);
        p->n_overrides = s->n_user_ot;
        /* Two passes: the first learns each GPU's compute buffer. Spilled
           units placed on a GPU take room there beside its layers. */
        uint64_t extra[GP_MAX_DEVICES] = {0};
        for (uint64_t t = 0; s->user_dev && t < m->n_tensors; t++)
            for (uint32_t g = 0; s->user_dev[t] > 0 && g < s->n_gpu; g++)
                if ((uint32_t)s->user_dev[t] == s->gpus[g])
                    extra[g] += m->tensors[t].info->bytes;
        for (uint32_t u = 0; s->unit_dev && u < spilled && u < s->n_units; u++)
            for (uint32_t g = 0; g < s->n_gpu; g++)
                if ((uint32_t)s->unit_dev[u] == s->gpus[g])
                    extra[g] += unit_bytes(s, u);
        uint64_t reserve[GP_MAX_DEVICES];
        memcpy(reserve, extra, sizeof reserve);
        for (int pass = 0; pass < 2; pass++) {
            float ts[GP_MAX_DEVICES];
            bool packed = pack_layers(s, p, &c, spilled, cpu_layers, reserve, ts);
            if (!packed)
                return GP_OK; /* does not fit: out->fits stays false */
            if (s->n_gpu > 1) {
                p->n_tensor_split = s->n_gpu;
                memcpy(p->tensor_split, ts, sizeof(float) * s->n_gpu);
                bool any = false;
                for (uint32_t g = 0; g < s->n_gpu; g++)
                    any = any || ts[g] > 0;
                if (!any)
                    p->n_tensor_split = 0;
            }
            /* Default placement of these flags, then what we want moved. */
            gp_placement pl;
            gp_run_params probe = *p;
            probe.n_overrides = s->n_user_ot;
            if ((st = gp_place(m, &probe, s->d, &pl, s->err)) != GP_OK)
                return st;
            memcpy(s->dflt, pl.tensor_dev, m->n_tensors * sizeof *s->dflt);
            memcpy(s->want, pl.tensor_dev, m->n_tensors * sizeof *s->want);
            gp_placement_free(&pl);
            for (uint32_t u = 0; u < spilled && u < s->n_units; u++)
                for (uint64_t k = 0; k < s->units[u].n; k++) {
                    uint64_t t = s->order[s->units[u].first + k];
                    if (s->want[t] >= 0)
                        s->want[t] = s->unit_dev ? s->unit_dev[u] : 0;
                }
            const char *dev_names[GP_MAX_DEVICES];
            for (uint32_t i = 0; i < s->d->n; i++)
                dev_names[i] = s->d->dev[i].name;
            gp_ot_request rq = {s->names, m->n_tensors, s->want, s->dflt, dev_names, s->d->n};
            free(out->ot);
            out->ot = NULL;
            if ((st = gp_ot_build(&rq, &out->ot, &out->n_ot, s->err)) != GP_OK)
                return st;
            if (s->n_user_ot + out->n_ot > GP_MAX_OVERRIDES)
                return gp_fail(s->err, GP_ERR_CONFIG, m->path, "too many tensor overrides");
            /* the planner's rules after the user's: first match wins */
            p->n_overrides = s->n_user_ot + (uint32_t)out->n_ot;
            for (size_t i = 0; i < out->n_ot; i++) {
                gp_override *o = &p->overrides[s->n_user_ot + i];
                memset(o, 0, sizeof *o);
                snprintf(o->pattern, sizeof o->pattern, "%s", out->ot[i].pattern);
                snprintf(o->buft, sizeof o->buft, "%s", out->ot[i].buft);
            }
            if (out->has_mem)
                gp_mem_result_free(&out->mem);
            if ((st = gp_mem_estimate(m, p, s->d, &out->mem, s->err)) != GP_OK)
                return st;
            out->has_mem = true;
            for (uint32_t g = 0; g < s->n_gpu; g++)
                reserve[g] = out->mem.dev[s->gpus[g]].compute + extra[g];
            if (fits_budgets(s, &out->mem))
                break;
        }
        /* The emitted flags must give exactly the intended placement. */
        for (uint64_t t = 0; t < m->n_tensors; t++)
            if (out->mem.placement.tensor_dev[t] != s->want[t])
                return gp_fail(s->err, GP_ERR_CONFIG, m->path,
                               "internal check failed: -ot rules place '%s' elsewhere than planned",
                               m->tensors[t].info->name);
    } else {
        p->n_gpu_layers = 0;
        if ((st = gp_mem_estimate(m, p, s->d, &out->mem, s->err)) != GP_OK)
            return st;
        out->has_mem = true;
    }
    out->fits = fits_budgets(s, &out->mem);
    out->fits_gpu = fits_offload(s, &out->mem);
    gp_speed_predict(m, p, s->d, &out->mem, &out->speed);
    return GP_OK;
}

/* The smallest amount moved to the CPU (spilled units when layers is
 * false, whole CPU layers when true) in [lo, hi] for which the offload
 * devices fit; the candidate there says whether the CPU fits too. */
static gp_status least_spill(search *s, const gp_run_params *base, bool layers, uint32_t fixed,
                             uint32_t lo, uint32_t hi, candidate *out)
{
    memset(out, 0, sizeof *out);
    candidate c;
    gp_status st;
    while (lo <= hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        st = layers ? evaluate(s, base, fixed, mid, &c) : evaluate(s, base, mid, 0, &c);
        if (st != GP_OK) {
            candidate_free(&c);
            candidate_free(out);
            return st;
        }
        if (c.fits_gpu) {
            candidate_move(out, &c);
            if (mid == lo)
                break;
            hi = mid - 1;
        } else {
            candidate_free(&c);
            lo = mid + 1;
        }
    }
    return GP_OK;
}

/* Layers go to GPUs whole, so the least spill leaves each GPU up to a
 * layer's worth of room. Spilled units go back to the GPUs with the most
 * room (the last spilled first), every GPU filled before the CPU keeps an
 * expert; units are handed back to the CPU while that does not fit. Kept
 * when it fits and decodes no slower. */
static gp_status refill(search *s, const gp_run_params *base, candidate *best)
{
    const uint32_t n = best->spilled_units;
    if (!best->fits || n == 0 || s->n_gpu == 0)
        return GP_OK;
    int32_t *dev = calloc(n, sizeof *dev);
    uint32_t *order = calloc(n, sizeof *order);
    if (!dev || !order) {
        free(dev);
        free(order);
        return gp_fail(s->err, GP_ERR_NOMEM, s->m->path, "out of memory");
    }
    int64_t room[GP_MAX_DEVICES];
    for (uint32_t g = 0; g < s->n_gpu; g++)
        room[g] = (int64_t)s->budget[s->gpus[g]] - (int64_t)gp_mem_on_device(&best->mem, s->gpus[g]);
    uint32_t placed = 0;
    for (uint32_t k = n; k-- > 0;) {
        int64_t size = (int64_t)unit_bytes(s, k);
        uint32_t pick = UINT32_MAX;
        for (uint32_t g = 0; g < s->n_gpu; g++)
            if (room[g] >= size && (pick == UINT32_MAX || room[g] > room[pick]))
                pick = g;
        if (pick == UINT32_MAX)
            continue;
        room[pick] -= size;
        dev[k] = (int32_t)s->gpus[pick];
        order[placed++] = k;
    }
    gp_status st = GP_OK;
    s->unit_dev = dev;
    while (placed > 0) {
        candidate c;
        if ((st = evaluate(s, base, n, best->cpu_layers, &c)) != GP_OK) {
            candidate_free(&c);
            break;
        }
        if (c.fits) {
            if (c.speed.decode_tps >= best->speed.decode_tps) {
                c.refilled = placed;
                candidate_move(best, &c);
            } else {
                candidate_free(&c);
            }
            break;
        }
        candidate_free(&c);
        dev[order[--placed]] = 0;   /* the last placed goes back to the CPU */
    }
    s->unit_dev = NULL;
    free(dev);
    free(order);
    return st;
}

/* The least spill that fits for a base configuration: experts / FFN
 * matrices first (caches stay on the GPU), whole layers last. */
static gp_status best_placement(search *s, const gp_run_params *base, candidate *best)
{
    memset(best, 0, sizeof *best);
    candidate c;
    gp_status st;
    /* -ngl or -ts given: the user's split, evaluated as given; their own
       overrides alone are planned around */
    bool pinned = base->user_set_ngl || base->user_set_ts || s->n_gpu == 0;
    if (pinned) {
        /* The user's placement (or no GPU): evaluate it as given. */
        memset(&c, 0, sizeof c);
        c.params = *base;
        s->evaluated++;
        if ((st = gp_mem_estimate(s->m, base, s->d, &c.mem, s->err)) != GP_OK)
            return st;
        c.has_mem = true;
        c.fits = fits_budgets(s, &c.mem);
        gp_speed_predict(s->m, base, s->d, &c.mem, &c.speed);
        candidate_move(best, &c);
        return GP_OK;
    }
    /* Everything on GPUs? */
    if ((st = evaluate(s, base, 0, 0, &c)) != GP_OK) {
        candidate_free(&c);
        return st;
    }
    if (c.fits) {
        candidate_move(best, &c);
        return GP_OK;
    }
    candidate_free(&c);
    /* The fewest experts / FFN matrices on the CPU. */
    candidate found = {0};
    if (s->n_units > 0 && (st = least_spill(s, base, false, 0, 1, s->n_units, &found)) != GP_OK)
        return st;
    /* Dense models may run faster with whole layers on the CPU than with
     * their FFN matrices there; otherwise whole layers go only when every
     * expert or FFN matrix is already on the CPU and the GPUs still overflow. */
    candidate layers = {0};
    bool try_layers = !found.fits_gpu || !s->moe;
    if (try_layers) {
        uint32_t spill = found.fits_gpu ? 0 : s->n_units;
        if ((st = least_spill(s, base, true, spill, 1, s->m->hp.n_layer_all + 1, &layers)) != GP_OK) {
            candidate_free(&found);
            return st;
        }
    }
    if (found.fits && (st = refill(s, base, &found)) != GP_OK) {
        candidate_free(&found);
        candidate_free(&layers);
        return st;
    }
    if (found.fits && (!layers.fits || found.speed.decode_tps >= layers.speed.decode_tps)) {
        candidate_move(best, &found);
        candidate_free(&layers);
    } else if (layers.fits) {
        candidate_move(best, &layers);
        candidate_free(&found);
    } else {
        candidate_free(&found);
        candidate_free(&layers);
        best->fits = false;
    }
    return GP_OK;
}

/* ---- the plan ------------------------------------------------------------ */

static void why(gp_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(gp_plan *p, const char *fmt, ...)
{
    if (p->n_why >= GP_PLAN_MAX_WHY)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why[p->n_why++], sizeof p->why[0], fmt, ap);
    va_end(ap);
}

void gp_plan_free(gp_plan *p)
{
    gp_mem_result_free(&p->mem);
    free(p->ot);
    memset(p, 0, sizeof *p);
}

static bool is_quantized(uint32_t t)
{
    return t != GP_TYPE_F16 && t != GP_TYPE_F32 && t != GP_TYPE_BF16;
}

/* The best placement for one (context, KV type, micro-batch). */
static gp_status plan_at(search *s, uint64_t ctx, uint32_t kv_k, uint32_t kv_v, uint32_t ubatch,
                         candidate *out)
{
    const gp_plan_request *req = s->req;
    gp_run_params base = req->pinned;
    base.app = req->app;
    base.n_ctx = (int64_t)ctx;
    base.type_k = kv_k;
    base.type_v = kv_v;
    if (!base.user_set_np) {
        base.n_parallel = req->parallel > 0 ? req->parallel : 1;
    }
    if (!base.user_set_fa)
        base.flash_attn = req->fa == GP_FA_AUTO ? GP_FA_ON : req->fa;
    if (is_quantized(kv_v) && base.flash_attn == GP_FA_OFF && !base.user_set_fa)
        base.flash_attn = GP_FA_ON;
    /* an architecture llama.cpp cannot run with flash attention gets it off
       (unless the user pinned it: then mem says why it fails); a quantized V
       cache then does not fit */
    bool known;
    if (!base.user_set_fa && gp_arch_lookup(s->m->arch, &known)->flash_attn != GP_ARCH_FA_ANY)
        base.flash_attn = GP_FA_OFF;
    if (!base.user_set_ub) {
        base.n_ubatch = ubatch;
        if (!base.user_set_b && base.n_batch < ubatch)
            base.n_batch = ubatch;
    }
    return best_placement(s, &base, out);
}

typedef struct choice {
    uint32_t kv_k, kv_v, ubatch;
} choice;

/* Keeps the best placement found for one (context, KV type, micro-batch),
 * so the plan can show what it was chosen against. */
static void record_alt(search *s, uint64_t ctx, const choice *ch, const candidate *c)
{
    gp_plan *p = s->plan;
    if (!p || p->n_alts >= GP_PLAN_MAX_ALTS)
        return;
    gp_plan_alt *a = &p->alts[p->n_alts++];
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->type_k = ch->kv_k;
    a->type_v = ch->kv_v;
    a->ubatch = c->params.n_ubatch ? c->params.n_ubatch : ch->ubatch;
    a->fits = c->fits;
    a->spilled = c->spilled_units;
    a->cpu_layers = c->cpu_layers;
    if (c->fits) {
        a->decode_tps = c->speed.decode_tps;
        a->prefill_tps = c->speed.prefill_tps;
    }
}

/* Marks the chosen configuration among the alternatives (adding it when
 * the list is full). */
static void mark_chosen(gp_plan *p, uint32_t spilled, uint32_t cpu_layers)
{
    const gp_run_params *r = &p->params;
    uint64_t ctx = (uint64_t)r->n_ctx;
    for (uint32_t i = 0; i < p->n_alts; i++) {
        gp_plan_alt *a = &p->alts[i];
        if (a->fits && a->ctx == ctx && a->type_k == r->type_k && a->type_v == r->type_v &&
            a->ubatch == r->n_ubatch && a->spilled == spilled && a->cpu_layers == cpu_layers) {
            a->chosen = true;
            return;
        }
    }
    uint32_t i = p->n_alts < GP_PLAN_MAX_ALTS ? p->n_alts++ : GP_PLAN_MAX_ALTS - 1;
    p->alts[i] = (gp_plan_alt){ctx, r->type_k, r->type_v, r->n_ubatch, true, true, spilled, cpu_layers,
                               p->speed.decode_tps, p->speed.prefill_tps, ""};
}

/* Every fitting alternative that decodes faster than the plan says which
 * rule set it aside. */
static void explain_rejected(gp_plan *p, const gp_plan_request *req)
{
    const uint64_t ctx = (uint64_t)p->params.n_ctx;
    const bool quant = is_quantized(p->params.type_k);
    for (uint32_t i = 0; i < p->n_alts; i++) {
        gp_plan_alt *a = &p->alts[i];
        if (!a->fits || a->chosen || a->decode_tps <= p->speed.decode_tps)
            continue;
        if (a->ctx < ctx)
            snprintf(a->rejected, sizeof a->rejected, "a shorter context than the plan's %llu",
                     (unsigned long long)ctx);
        else if (a->ctx > ctx)
            snprintf(a->rejected, sizeof a->rejected, "a longer context, tried while searching for the largest");
        else if (is_quantized(a->type_k) && !quant)
            snprintf(a->rejected, sizeof a->rejected,
                     "%s: a quantized cache (a small quality cost) only when the f16 one moves weights off the "
                     "GPUs and it decodes 5 %% faster", gp_preset_name(req->preset));
        else if (!is_quantized(a->type_k) && quant)
            snprintf(a->rejected, sizeof a->rejected, "f16 cache: slower than the quantized one by more than 5 %%");
        else
            snprintf(a->rejected, sizeof a->rejected, "within the speed model's tolerance; prefill decided");
    }
}

/* Searches KV types and micro-batches at one context; keeps the fastest
 * fitting plan (decode first, prefill to break near-ties). */
static gp_status best_at_ctx(search *s, uint64_t ctx, const choice *choices, size_t n_choices,
                             candidate *best)
{
    memset(best, 0, sizeof *best);
    for (size_t i = 0; i < n_choices; i++) {
        candidate c;
        gp_status st = plan_at(s, ctx, choices[i].kv_k, choices[i].kv_v, choices[i].ubatch, &c);
        if (st == GP_ERR_CONFIG) {
            /* A combination llama.cpp refuses (e.g. a cache type that does
             * not divide the heads): skip it. */
            candidate_free(&c);
            continue;
        }
        if (st != GP_OK) {
            candidate_free(&c);
            candidate_free(best);
            return st;
        }
        record_alt(s, ctx, &choices[i], &c);
        if (!c.fits) {
            candidate_free(&c);
            continue;
        }
        /* f16 first: a quantized cache (a small quality cost) is chosen only
         * when the f16 plan has to move weights off the GPUs and the
         * quantized one decodes at least 5 % faster; ultra_performance takes
         * whatever is fastest. */
        bool better = !best->fits;
        if (best->fits) {
            double a = c.speed.decode_tps, b = best->speed.decode_tps;
            bool c_quant = is_quantized(c.params.type_k), b_quant = is_quantized(best->params.type_k);
            bool ultra = s->req->preset == GP_PRESET_ULTRA_PERFORMANCE;
            bool b_spills = best->spilled_units > 0 || best->cpu_layers > 0;
            if (c_quant != b_quant && !ultra) {
                if (c_quant)
                    better = b_spills && a > b * 1.05;
                else
                    better = !(c.spilled_units > 0 || c.cpu_layers > 0) || a * 1.05 >= b;
            } else {
                better = a > b * 1.0001 ||
                         (a >= b * 0.9999 && c.speed.prefill_tps > best->speed.prefill_tps * 1.02);
            }
        }
        if (better)
            candidate_move(best, &c);
        else
            candidate_free(&c);
    }
    return GP_OK;
}

static gp_status plan_on(const gp_model *m, const gp_devices *d, const gp_plan_request *req,
                         gp_plan *out, gp_error *err)
{
    memset(out, 0, sizeof *out);
    search s;
    gp_status st = search_init(&s, m, d, req, err);
    if (st != GP_OK) {
        search_free(&s);
        return st;
    }
    s.plan = out;
    /* The choices: KV types and micro-batches the preset allows, unless pinned. */
    choice choices[16];
    size_t n_choices = 0;
    const preset_rules *pr = s.rules;
    uint32_t kv_list[4];
    size_t n_kv = 0;
    if (req->pinned.user_set_ctk || req->pinned.user_set_ctv) {
        kv_list[n_kv++] = UINT32_MAX; /* use the pinned pair */
    } else if (req->kv >= 0) {
        kv_list[n_kv++] = (uint32_t)req->kv;
    } else {
        for (size_t i = 0; i < pr->n_kv_types; i++)
            kv_list[n_kv++] = pr->kv_types[i];
    }
    size_t n_ub = req->pinned.user_set_ub ? 1 : pr->n_ubatches;
    for (size_t k = 0; k < n_kv; k++)
        for (size_t u = 0; u < n_ub && n_choices < 16; u++) {
            choice *c = &choices[n_choices++];
            c->kv_k = kv_list[k] == UINT32_MAX ? req->pinned.type_k : kv_list[k];
            c->kv_v = kv_list[k] == UINT32_MAX ? req->pinned.type_v : kv_list[k];
            c->ubatch = req->pinned.user_set_ub ? req->pinned.n_ubatch : pr->ubatches[u];
        }

    uint64_t train = m->hp.n_ctx_train ? m->hp.n_ctx_train : 4096;
    candidate best = {0};
    uint64_t ctx;
    const uint32_t slots = req->pinned.user_set_np && req->pinned.n_parallel > 0 ? (uint32_t)req->pinned.n_parallel
                           : req->parallel > 0                                 ? (uint32_t)req->parallel
                                                                               : 1;
    if (req->pinned.user_set_ctx && req->pinned.n_ctx >= 0) {
        /* -c 0 is llama-server's training context */
        ctx = req->pinned.n_ctx > 0 ? (uint64_t)req->pinned.n_ctx : train;
        st = best_at_ctx(&s, ctx, choices, n_choices, &best);
        if (req->pinned.n_ctx > 0)
            why(out, "context %llu: pinned by -c", (unsigned long long)ctx);
        else
            why(out, "context %llu: -c 0, the training context", (unsigned long long)ctx);
    } else if (req->ctx_per_slot > 0) {
        ctx = (uint64_t)req->ctx_per_slot * slots;
        st = best_at_ctx(&s, ctx, choices, n_choices, &best);
        why(out, "context %llu: %llu per slot asked for with --ctx-per-slot, %u slot%s", (unsigned long long)ctx,
            (unsigned long long)req->ctx_per_slot, slots, slots == 1 ? "" : "s");
    } else if (req->ctx > 0) {
        ctx = (uint64_t)req->ctx;
        st = best_at_ctx(&s, ctx, choices, n_choices, &best);
        why(out, "context %llu: asked for with --ctx", (unsigned long long)ctx);
    } else {
        uint64_t cap = pr->default_ctx_cap ? pr->default_ctx_cap : train;
        uint64_t dflt = train < cap ? train : cap;
        bool want_max = req->ctx == GP_PLAN_CTX_MAX || req->preset == GP_PRESET_MORE_CONTEXT;
        /* The preset's context, shrunk (not below 4096) while nothing fits. */
        ctx = dflt;
        for (;;) {
            st = best_at_ctx(&s, ctx, choices, n_choices, &best);
            if (st != GP_OK || best.fits || ctx <= 4096 || ctx <= 256)
                break;
            candidate_free(&best);
            ctx = ctx / 2 < 4096 ? 4096 : ctx / 2;
            ctx = (ctx + 255) / 256 * 256;
        }
        if (st == GP_OK && best.fits && ctx != dflt)
            why(out, "context %llu: the preset's %llu does not fit", (unsigned long long)ctx,
                (unsigned long long)dflt);
        else if (st == GP_OK && best.fits && !want_max)
            why(out, "context %llu: preset %s (training context %llu)", (unsigned long long)ctx,
                gp_preset_name(req->preset), (unsigned long long)train);
        if (st == GP_OK && best.fits && want_max) {
            /* Largest multiple of 256 up to the training context that fits
             * (more_context: while decode stays above the preset's floor). */
            double floor_tps = req->preset == GP_PRESET_MORE_CONTEXT && req->ctx != GP_PLAN_CTX_MAX
                                   ? best.speed.decode_tps * pr->context_speed_floor : 0;
            const uint64_t base_ctx = ctx;
            const double base_tps = best.speed.decode_tps;
            uint64_t lo = ctx / 256, hi = (train + 255) / 256;
            while (lo < hi && st == GP_OK) {
                uint64_t mid = lo + (hi - lo + 1) / 2;
                candidate c;
                st = best_at_ctx(&s, mid * 256, choices, n_choices, &c);
                if (st == GP_OK && c.fits && c.speed.decode_tps >= floor_tps) {
                    candidate_move(&best, &c);
                    lo = mid;
                } else {
                    candidate_free(&c);
                    hi = mid - 1;
                }
            }
            ctx = lo * 256;
            if (ctx > train)
                ctx = train;
            if (floor_tps > 0)
                why(out, "context %llu: the largest that fits with decode at least %.0f %% of the %.1f t/s at "
                         "context %llu", (unsigned long long)ctx, 100 * pr->context_speed_floor, base_tps,
                    (unsigned long long)base_ctx);
            else
                why(out, "context %llu: the largest that fits", (unsigned long long)ctx);
        }
    }
    if (st != GP_OK) {
        candidate_free(&best);
        search_free(&s);
        return st;
    }
    if (!best.fits) {
        candidate_free(&best);
        search_free(&s);
        return gp_fail(err, GP_ERR_CONFIG, m->path,
                       "does not fit: even with every layer on the CPU, %llu tokens of context need more memory than the budgets allow",
                       (unsigned long long)ctx);
    }
    out->params = best.params;
    out->mem = best.mem;
    best.has_mem = false;
    out->ot = best.ot;
    out->n_ot = best.n_ot;
    best.ot = NULL;
    out->speed = best.speed;
    double cal_decode, cal_prefill;
    const bool calibrated = gp_plan_request_scales(req, m, &cal_decode, &cal_prefill);
    gp_plan_request_calibrate(req, m, &out->speed);
    memcpy(out->budget, s.budget, sizeof out->budget);
    out->n_evaluated = s.evaluated;
    mark_chosen(out, best.spilled_units, best.cpu_layers);
    explain_rejected(out, req);

    /* Why, in one line per decision. */
    const gp_run_params *p = &out->params;
    if (is_quantized(p->type_k)) {
        /* the f16 plan at the same context, if the search tried it */
        double f16_tps = 0;
        for (uint32_t i = 0; i < out->n_alts; i++)
            if (out->alts[i].fits && out->alts[i].ctx == (uint64_t)p->n_ctx && !is_quantized(out->alts[i].type_k) &&
                out->alts[i].decode_tps > f16_tps)
                f16_tps = out->alts[i].decode_tps;
        char because[160];
        if (f16_tps > 0)
            snprintf(because, sizeof because, "with f16 more weights leave the GPUs: %.1f t/s against %.1f",
                     out->speed.decode_tps, f16_tps);
        else
            snprintf(because, sizeof because, "with f16 the plan does not fit at this context");
        why(out, "KV cache %s: %s", gp_type_get(p->type_k)->name,
            req->kv >= 0 || p->user_set_ctk ? "asked for"
            : req->preset == GP_PRESET_MORE_CONTEXT ? "half the bytes of f16 per token, for more context"
            : because);
    }
    if (s.n_gpu == 0) {
        why(out, "no GPU: everything runs on the CPU");
    } else if (best.cpu_layers > 0) {
        if (best.spilled_units > 0)
            why(out, "%u of %u layers on the CPU with their KV cache, and the %s tensors of the other layers "
                     "too: the rest does not fit on the GPUs",
                best.cpu_layers, m->hp.n_layer_all + 1, s.moe ? "routed-expert" : "FFN");
        else
            why(out, "%u of %u layers on the CPU with their KV cache: the rest does not fit on the GPUs",
                best.cpu_layers, m->hp.n_layer_all + 1);
    } else if (best.spilled_units > 0) {
        uint32_t on_cpu = 0;
        for (uint32_t u = 0; u < best.spilled_units; u++)
            for (uint64_t k = 0; k < s.units[u].n; k++)
                on_cpu += out->mem.placement.tensor_dev[s.order[s.units[u].first + k]] == 0;
        why(out, "%u %s tensors on the CPU%s (of layers %d..%d); attention and every KV layer stay on the GPUs",
            on_cpu, s.moe ? "routed-expert" : "FFN", s.n_user_ot ? " besides those the given overrides place" : "",
            m->tensors[s.order[s.units[0].first]].layer,
            m->tensors[s.order[s.units[best.spilled_units - 1].first]].layer);
        if (best.refilled)
            why(out, "%u of the spilled %s groups on GPUs with room beside their own layers, so every GPU is "
                     "filled before the CPU holds them", best.refilled, s.moe ? "expert" : "FFN");
    } else if (!(p->user_set_ngl || p->user_set_ts || p->user_set_ot)) {
        why(out, "every layer fits on the GPU%s", s.n_gpu > 1 ? "s" : "");
    }
    if (s.n_gpu > 1 && p->n_tensor_split)
        why(out, "layers split between %u GPUs so that each holds bytes in proportion to its free memory "
                 "(-ts counts layers, which differ in size)", s.n_gpu);
    if (p->user_set_ngl || p->user_set_ts)
        why(out, "placement pinned by the given -ngl/-ts%s", p->user_set_ot ? " and tensor overrides" : "");
    else if (p->user_set_ot)
        why(out, "the given tensor overrides kept first; the rest planned around them");
    if (p->n_ubatch != 512)
        why(out, "micro-batch %u: faster prefill with CPU-held weights and it fits", p->n_ubatch);
    if (out->mem.compute_estimated)
        why(out, "no graph model for %s: compute buffers are a coarse estimate that errs high", m->arch);
    else if (!out->mem.compute_checked)
        why(out, "%s's compute graph is not yet checked against llama.cpp: compute buffers are planned at an "
                 "upper bound", m->arch);
    if (calibrated)
        why(out, "predicted speeds calibrated by ggplace tune on this machine (decode x%.2f, prefill x%.2f)",
            cal_decode, cal_prefill);
    if (out->mem.ctx.n_seq > 1)
        why(out, "%u slots: %llu tokens of context each%s", out->mem.ctx.n_seq,
            (unsigned long long)out->mem.ctx.n_ctx_seq,
            out->mem.ctx.kv_unified ? " (one cache shared by all: together at most the whole context)" : "");
    /* Threads: the physical cores (hyper-threads slow decoding down). */
    out->threads = d->dev[0].cpu.cores;
    search_free(&s);
    candidate_free(&best);
    return GP_OK;
}

/* ---- device subsets ----------------------------------------------------------- */

/* A plan on fewer GPUs wins when it keeps at least the context and decodes
 * faster by more than the speed model's noise (2 %): a slow card in the
 * split can cost more than its memory brings. */
#define GP_PLAN_SUBSET_GAIN 1.02

static bool better_plan(const gp_plan *a, const gp_plan *b)
{
    if (a->params.n_ctx != b->params.n_ctx)
        return a->params.n_ctx > b->params.n_ctx;
    return a->speed.decode_tps > b->speed.decode_tps * GP_PLAN_SUBSET_GAIN;
}

/* sub's plan, re-expressed on the full device list d: -dev names the GPUs
 * used, the memory is estimated again over d (the others hold nothing). */
static gp_status widen(const gp_model *m, const gp_devices *d, const gp_plan_request *req, const uint32_t *map,
                       uint32_t n_sub, const gp_plan *full, gp_plan *p, gp_error *err)
{
    gp_mem_result r;
    gp_status st = gp_mem_estimate(m, &p->params, d, &r, err);
    if (st != GP_OK)
        return st;
    /* the speed as mem of the plan's flags predicts it, on the same list */
    gp_speed_predict(m, &p->params, d, &r, &p->speed);
    gp_plan_request_calibrate(req, m, &p->speed);
    uint64_t budget[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < d->n; i++)
        budget[i] = full ? full->budget[i] : d->dev[i].free;
    for (uint32_t k = 0; k < n_sub; k++)
        budget[map[k]] = p->budget[k];
    memcpy(p->budget, budget, sizeof budget);
    gp_mem_result_free(&p->mem);
    p->mem = r;
    return GP_OK;
}

/* ---- polish ------------------------------------------------------------------ */

static gp_status gp_plan_subsets(const gp_model *m, const gp_devices *d, const gp_plan_request *req,
                                 gp_plan *out, gp_error *err);

/* q's memory and predicted speed when it fits the plan's budgets (r is
   then the caller's); false when it does not. */
static bool fitting_speed(const gp_model *m, const gp_devices *d, const gp_plan_request *req, const gp_plan *plan,
                          const gp_run_params *q, gp_mem_result *r, gp_speed *sp)
{
    if (gp_mem_estimate(m, q, d, r, NULL) != GP_OK)
        return false;
    for (uint32_t k = 0; k < d->n; k++)
        if (gp_plan_need(req, r, k) > plan->budget[k]) {
            gp_mem_result_free(r);
            return false;
        }
    gp_speed_predict(m, q, d, r, sp);
    gp_plan_request_calibrate(req, m, sp);
    return true;
}

/* The split the search builds gives each GPU bytes in proportion to its
 * memory; a faster card may decode more of the layers. Moving 1, 2, 4 or 8
 * -ts counts between two GPUs at a time, the best move that fits and
 * decodes faster is taken until none is left (hill climbing on the plan's
 * own flags). */
static void polish_split(const gp_model *m, const gp_devices *d, const gp_plan_request *req, gp_plan *out)
{
    gp_run_params *p = &out->params;
    const uint32_t n = p->n_tensor_split;
    if (n < 2 || p->user_set_ts || p->user_set_ngl)
        return;
    /* GPUs that read at the same speed decode a layer in the same time:
       no move between them can help */
    double bw0 = -1;
    bool mixed = false;
    for (uint32_t i = 1; i < d->n; i++) {
        if (d->dev[i].kind == GP_DEV_CPU)
            continue;
        gp_speed_device sd;
        gp_speed_device_defaults(&d->dev[i], &sd);
        mixed = mixed || (bw0 >= 0 && sd.mem_bw != bw0);
        bw0 = sd.mem_bw;
    }
    if (!mixed)
        return;
    /* Several layers at once, too: a layer's worth of speed can be below
       the step taken, while a few of them together are worth it. */
    static const float steps[] = {1, 2, 4, 8};
    uint32_t moved = 0;
    const double start_tps = out->speed.decode_tps;
    for (int round = 0; round < 64; round++) {
        gp_run_params best_p;
        gp_mem_result best_r;
        gp_speed best_s = out->speed;
        bool found = false;
        float best_step = 0;
        for (size_t st = 0; st < sizeof steps / sizeof steps[0]; st++)
            for (uint32_t i = 0; i < n; i++)
                for (uint32_t j = 0; j < n; j++) {
                    if (i == j || p->tensor_split[i] < steps[st])
                        continue;
                    gp_run_params q = *p;
                    q.tensor_split[i] -= steps[st];
                    q.tensor_split[j] += steps[st];
                    gp_mem_result r;
                    gp_speed sp;
                    if (!fitting_speed(m, d, req, out, &q, &r, &sp))
                        continue;
                    if (sp.decode_tps > best_s.decode_tps * 1.005) {
                        if (found)
                            gp_mem_result_free(&best_r);
                        best_p = q;
                        best_r = r;
                        best_s = sp;
                        best_step = steps[st];
                        found = true;
                    } else {
                        gp_mem_result_free(&r);
                    }
                }
        if (!found)
            break;
        *p = best_p;
        gp_mem_result_free(&out->mem);
        out->mem = best_r;
        out->speed = best_s;
        moved += (uint32_t)best_step;
    }
    if (!moved)
        return;
    /* the proportional split's line is no longer true: this one replaces it */
    for (uint32_t i = 0; i < out->n_why; i++)
        if (!strncmp(out->why[i], "layers split between", 20)) {
            memmove(out->why[i], out->why[i + 1], (out->n_why - i - 1) * sizeof out->why[0]);
            out->n_why--;
            break;
        }
    why(out, "layers split between %u GPUs for speed: %u layer%s moved from the proportional split toward the "
             "GPUs that decode them faster (%.1f t/s, from %.1f)",
        n, moved, moved == 1 ? "" : "s", out->speed.decode_tps, start_tps);
}

/* The checkpoints and the prompt cache, sized to the RAM the plan leaves:
 * llama-server's defaults where they fit; else the prompt cache shrinks
 * first (it only saves reprocessing a prompt seen before), then the
 * checkpoints (without them a sliding-window or recurrent model reprocesses
 * a whole prompt whose end changed). Values the user gave stay. */
static void fit_runtime(const gp_model *m, const gp_devices *d, const gp_plan_request *req, gp_plan *out)
{
    gp_run_params *p = &out->params;
    if (req->for_load || p->app != GP_APP_SERVER || (p->user_set_cram && p->user_set_ctxcp) ||
        out->budget[0] == UINT64_MAX)
        return;
    const gp_runtime_mem *rt = &out->mem.runtime;
    const uint64_t mib = 1024ull * 1024ull;
    uint64_t need = gp_plan_need(req, &out->mem, 0);
    uint64_t room = out->budget[0] > need ? out->budget[0] - need : 0;
    uint64_t ckpt = p->user_set_ctxcp ? 0 : rt->item[GP_RUNTIME_CHECKPOINTS];
    uint64_t cache = p->user_set_cram ? 0 : rt->item[GP_RUNTIME_PROMPT_CACHE];
    if (ckpt + cache <= room)
        return;
    int32_t old_cram = p->cache_ram_mib, old_ctxcp = p->ctx_checkpoints;
    if (!p->user_set_ctxcp) {
        uint64_t per = rt->checkpoint_bytes * out->mem.ctx.n_seq;
        if (ckpt > room && per)
            p->ctx_checkpoints = (int32_t)(room / per);
        uint64_t count = (uint64_t)p->ctx_checkpoints < rt->checkpoints_per_slot ? (uint64_t)p->ctx_checkpoints
                                                                                 : rt->checkpoints_per_slot;
        uint64_t kept = per * count;
        room = room > kept ? room - kept : 0;
    }
    if (!p->user_set_cram && cache > room)
        p->cache_ram_mib = (int32_t)(room / mib / 64 * 64);   /* whole 64 MiB steps */
    gp_mem_result r;
    if (gp_mem_estimate(m, p, d, &r, NULL) != GP_OK) {
        p->cache_ram_mib = old_cram;
        p->ctx_checkpoints = old_ctxcp;
        return;
    }
    gp_mem_result_free(&out->mem);
    out->mem = r;
    if (p->cache_ram_mib != old_cram && p->ctx_checkpoints != old_ctxcp)
        why(out, "RAM: the prompt cache off (--cache-ram 0) and the checkpoints lowered to --ctx-checkpoints %d per "
                 "slot, so the server's in-use peak fits in RAM",
            p->ctx_checkpoints);
    else if (p->cache_ram_mib != old_cram)
        why(out, "RAM: the prompt cache lowered to --cache-ram %d (MiB, from %d) so the server's in-use peak fits in "
                 "RAM",
            p->cache_ram_mib, old_cram);
    else if (p->ctx_checkpoints != old_ctxcp)
        why(out, "RAM: context checkpoints lowered to --ctx-checkpoints %d per slot so the server's in-use peak fits "
                 "in RAM",
            p->ctx_checkpoints);
}

gp_status gp_plan_make(const gp_model *m, const gp_devices *d, const gp_plan_request *req,
                       gp_plan *out, gp_error *err)
{
    gp_status st = gp_plan_subsets(m, d, req, out, err);
    if (st == GP_OK)
        polish_split(m, d, req, out);
    if (st == GP_OK) {
        fit_runtime(m, d, req, out);
        /* the budget now holds the checkpoints and prompt cache as sized */
        for (uint32_t i = 0; i < d->n; i++)
            out->need[i] = i == 0 && !req->for_load
                               ? gp_mem_in_use(&out->mem, 0) - out->mem.runtime.item[GP_RUNTIME_MAPPED]
                               : gp_mem_on_device(&out->mem, i);
    }
    return st;
}

/* GPUs that plan alike: the same kind, card, memory and speeds. A subset
   takes the first j of a class, since which j of them makes no difference. */
typedef struct gpu_class {
    uint32_t dev[GP_MAX_DEVICES];   /* device indexes, in list order */
    uint32_t n;
} gpu_class;

static bool same_card(const gp_device *a, const gp_device *b)
{
    return a->kind == b->kind && a->free == b->free && a->total == b->total && a->bandwidth_gbs == b->bandwidth_gbs &&
           a->tflops == b->tflops && a->pcie_gen == b->pcie_gen && a->pcie_width == b->pcie_width &&
           !strcmp(a->model, b->model);
}

static uint32_t gpu_classes(const gp_devices *d, gpu_class *cls)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        if (d->dev[i].kind == GP_DEV_CPU)
            continue;
        uint32_t c = 0;
        while (c < n && !same_card(&d->dev[cls[c].dev[0]], &d->dev[i]))
            c++;
        if (c == n)
            cls[n++].n = 0;
        cls[c].dev[cls[c].n++] = i;
    }
    return n;
}

/* Every subset of the GPUs (up to identical cards) that could hold what
 * the plan on all of them keeps on GPUs is planned too; the fastest wins
 * when it keeps the context and beats the margin. When nothing fits on all
 * of them, one card may be what stops it (too small for its share of the
 * compute buffers): then each GPU left out in turn is tried. */
static gp_status gp_plan_subsets(const gp_model *m, const gp_devices *d, const gp_plan_request *req,
                                 gp_plan *out, gp_error *err)
{
    gp_status st = plan_on(m, d, req, out, err);
    if (st != GP_OK && st != GP_ERR_CONFIG)
        return st;
    const gp_run_params *pin = &req->pinned;
    gpu_class cls[GP_MAX_DEVICES];
    const uint32_t n_cls = gpu_classes(d, cls);
    uint32_t n_gpu = 0;
    for (uint32_t c = 0; c < n_cls; c++)
        n_gpu += cls[c].n;
    /* Pinned devices, splits or overrides are the user's; one GPU has no
       subset to try. */
    if (n_gpu < 2 || pin->devices[0] || pin->user_set_ts || pin->user_set_ot || pin->user_set_ngl)
        return st;
    const bool all_fit = st == GP_OK;
    const double all_tps = all_fit ? out->speed.decode_tps : 0;
    /* What the plan on every GPU keeps on GPUs: fewer GPUs that cannot
       hold it all would move part of it to the CPU, slower than any GPU. */
    uint64_t on_gpus = 0;
    for (uint32_t i = 0; all_fit && i < d->n; i++)
        if (d->dev[i].kind != GP_DEV_CPU)
            on_gpus += gp_mem_on_device(&out->mem, i);
    bool have = all_fit;
    char chosen[256] = "";
    /* take[c]: how many of class c the subset uses; counted like an
       odometer, skipping none and all */
    uint32_t take[GP_MAX_DEVICES] = {0};
    for (;;) {
        uint32_t c = 0;
        while (c < n_cls && take[c] == cls[c].n)
            take[c++] = 0;
        if (c == n_cls)
            break;
        take[c]++;
        uint32_t used = 0;
        uint64_t room = 0;
        gp_plan_request r2 = *req;
        size_t len = 0;
        for (uint32_t i = 1; i < d->n; i++)
            for (uint32_t k = 0; k < n_cls; k++)
                for (uint32_t j = 0; j < take[k]; j++) {
                    if (cls[k].dev[j] != i)
                        continue;
                    used++;
                    room += all_fit ? out->budget[i] : d->dev[i].free;
                    char name[64];
                    gp_devices_llama_name(d, i, name, sizeof name);
                    if (len < sizeof r2.pinned.devices)
                        len += (size_t)snprintf(r2.pinned.devices + len, sizeof r2.pinned.devices - len, "%s%s",
                                                len ? "," : "", name);
                }
        if (used == n_gpu || (all_fit && room < on_gpus) || (!all_fit && used + 1 < n_gpu))
            continue;
        gp_devices sub;
        uint32_t map[GP_MAX_DEVICES];
        if (len >= sizeof r2.pinned.devices || gp_devices_select(d, r2.pinned.devices, &sub, map, NULL) != GP_OK)
            continue;
        gp_plan p2;
        if (plan_on(m, &sub, &r2, &p2, NULL) != GP_OK)
            continue;
        if ((have && !better_plan(&p2, out)) || widen(m, d, req, map, sub.n, all_fit ? out : NULL, &p2, NULL) != GP_OK) {
            gp_plan_free(&p2);
            continue;
        }
        p2.n_evaluated += out->n_evaluated;
        if (have)
            gp_plan_free(out);
        *out = p2;
        have = true;
        snprintf(chosen, sizeof chosen, "%s", r2.pinned.devices);
    }
    if (chosen[0] && all_fit)
        why(out, "devices %s only: predicted decode %.1f t/s, against %.1f t/s with every GPU", chosen,
            out->speed.decode_tps, all_tps);
    else if (chosen[0])
        why(out, "devices %s only: the model does not fit with every GPU in the split", chosen);
    return have ? GP_OK : st;
}

/* ---- flags ------------------------------------------------------------------ */

static void push(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (*n + 2 > *cap) {
        *cap = *cap ? 2 * *cap : 32;
        *v = realloc(*v, *cap * sizeof **v);
        if (!*v)
            abort();
    }
    (*v)[(*n)++] = strdup(s);
    (*v)[*n] = NULL;
}

/* "RPC0[host:port]" -> "host:port". */
static bool rpc_endpoint(const gp_device *dev, char *out, size_t size)
{
    if (dev->kind != GP_DEV_RPC)
        return false;
    const char *open = strchr(dev->name, '[');
    const char *close = open ? strrchr(open, ']') : NULL;
    if (!open || !close || (size_t)(close - open - 1) >= size)
        return false;
    memcpy(out, open + 1, (size_t)(close - open - 1));
    out[close - open - 1] = 0;
    return true;
}

char **gp_plan_args(const gp_model *m, const gp_devices *d, const gp_plan *p)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    char buf[640];
    const gp_run_params *r = &p->params;
    const gp_ctx_shape *c = &p->mem.ctx;
    /* Remote devices first: they decide the device order of -ts. The
       servers as --rpc gave them (what -dev RPC1 counts), else those of
       the list. */
    size_t pos = r->rpc[0] ? (size_t)snprintf(buf, sizeof buf, "%s", r->rpc) : 0;
    char last[128] = "";
    if (!pos)
        buf[0] = 0;
    for (uint32_t i = 0; d && !r->rpc[0] && i < d->n && pos < sizeof buf; i++) {
        char ep[128];
        if (!rpc_endpoint(&d->dev[i], ep, sizeof ep) || strcmp(ep, last) == 0)
            continue;
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", pos ? "," : "", ep);
        snprintf(last, sizeof last, "%s", ep);
    }
    if (pos) {
        push(&v, &n, &cap, "--rpc");
        push(&v, &n, &cap, buf);
    }
    if (r->devices[0]) {
        push(&v, &n, &cap, "-dev");
        push(&v, &n, &cap, r->devices);
    }
    push(&v, &n, &cap, "-c");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->n_ctx_req);
    push(&v, &n, &cap, buf);
    push(&v, &n, &cap, "-np");
    snprintf(buf, sizeof buf, "%u", c->n_seq);
    push(&v, &n, &cap, buf);
    if (r->kv_unified > 0)
        push(&v, &n, &cap, "-kvu");
    push(&v, &n, &cap, "-fa");
    push(&v, &n, &cap, c->flash_attn ? "on" : "off");
    if (r->type_k != GP_TYPE_F16 || r->user_set_ctk) {
        push(&v, &n, &cap, "-ctk");
        push(&v, &n, &cap, gp_type_get(r->type_k)->name);
    }
    if (r->type_v != GP_TYPE_F16 || r->user_set_ctv) {
        push(&v, &n, &cap, "-ctv");
        push(&v, &n, &cap, gp_type_get(r->type_v)->name);
    }
    if (r->swa_full)
        push(&v, &n, &cap, "--swa-full");
    if (r->n_batch != 2048 || r->user_set_b) {
        push(&v, &n, &cap, "-b");
        snprintf(buf, sizeof buf, "%u", r->n_batch);
        push(&v, &n, &cap, buf);
    }
    if (r->n_ubatch != 512 || r->user_set_ub) {
        push(&v, &n, &cap, "-ub");
        snprintf(buf, sizeof buf, "%u", r->n_ubatch);
        push(&v, &n, &cap, buf);
    }
    push(&v, &n, &cap, "-ngl");
    if (p->mem.placement.n_gpu_layers == 0)
        push(&v, &n, &cap, "0");
    else if (r->n_gpu_layers == GP_NGL_ALL || r->n_gpu_layers == GP_NGL_AUTO ||
        (uint32_t)r->n_gpu_layers >= m->hp.n_layer_all + 1)
        push(&v, &n, &cap, "all");
    else {
        snprintf(buf, sizeof buf, "%d", r->n_gpu_layers);
        push(&v, &n, &cap, buf);
    }
    if (r->split_mode == GP_SPLIT_NONE) {
        push(&v, &n, &cap, "-sm");
        push(&v, &n, &cap, "none");
        push(&v, &n, &cap, "-mg");
        snprintf(buf, sizeof buf, "%d", r->main_gpu);
        push(&v, &n, &cap, buf);
    }
    if (r->n_tensor_split) {
        pos = 0;
        for (uint32_t i = 0; i < r->n_tensor_split && pos < sizeof buf; i++)
            pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%g", i ? "," : "", (double)r->tensor_split[i]);
        push(&v, &n, &cap, "-ts");
        push(&v, &n, &cap, buf);
    }
    for (uint32_t i = 0; i < r->n_overrides; i++) {
        const gp_override *o = &r->overrides[i];
        if (o->flag[0]) {
            /* the user's --cpu-moe / --n-cpu-moe N, as written, once */
            if (i > 0 && !strcmp(r->overrides[i - 1].flag, o->flag))
                continue;
            push(&v, &n, &cap, o->flag);
            if (o->flag_n >= 0) {
                snprintf(buf, sizeof buf, "%lld", (long long)o->flag_n);
                push(&v, &n, &cap, buf);
            }
            continue;
        }
        push(&v, &n, &cap, "-ot");
        snprintf(buf, sizeof buf, "%s=%s", o->pattern, o->buft);
        push(&v, &n, &cap, buf);
    }
    if (r->no_kv_offload)
        push(&v, &n, &cap, "-nkvo");
    if (r->cache_ram_mib != 8192 || r->user_set_cram) {
        push(&v, &n, &cap, "--cache-ram");
        snprintf(buf, sizeof buf, "%d", r->cache_ram_mib);
        push(&v, &n, &cap, buf);
    }
    if (r->ctx_checkpoints != 32 || r->user_set_ctxcp) {
        push(&v, &n, &cap, "--ctx-checkpoints");
        snprintf(buf, sizeof buf, "%d", r->ctx_checkpoints);
        push(&v, &n, &cap, buf);
    }
    if (r->checkpoint_min_step != 8192) {
        push(&v, &n, &cap, "--checkpoint-min-step");
        snprintf(buf, sizeof buf, "%d", r->checkpoint_min_step);
        push(&v, &n, &cap, buf);
    }
    if (p->threads) {
        push(&v, &n, &cap, "-t");
        snprintf(buf, sizeof buf, "%u", p->threads);
        push(&v, &n, &cap, buf);
    }
    return v;
}

void gp_plan_args_free(char **args)
{
    if (!args)
        return;
    for (char **a = args; *a; a++)
        free(*a);
    free(args);
}
