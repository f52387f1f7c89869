/*
 * The planner's promise as a property: on generated machines (1 to 8 GPUs
 * of mixed kinds from the GPU table, 16 GiB to 1 TiB of RAM), no plan has a
 * neighbour that fits and decodes faster under its preset's objective
 * (balanced; moe_optimized on every fifth machine). The neighbourhood: 1, 2
 * or 4 -ts counts moved between any two GPUs, every proper subset of the
 * GPUs (each keeping its -ts counts), the other micro-batches the preset
 * tries, and the other KV cache type the preset allows (a quantized cache
 * only wins when the f16 plan moves weights off the GPUs and it is 5 %
 * faster).
 *
 * GGPLACE_PROPERTY_SETS sets how many machines (default 500; 40 in the
 * sanitizer build, which runs the same suite ten times slower).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calib.h"
#include "gguf/types.h"
#include "hw/gpu_spec.h"
#include "hw/gpu_table.h"
#include "memory/mem.h"
#include "plan/plan.h"
#include "plan/speed.h"

#define GiB (1ull << 30)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* A machine: RAM, then GPUs from the table (Apple's shared-memory GPUs
 * are machines of their own, not cards to mix). */
static void machine(gp_devices *d)
{
    size_t n_table;
    const gp_gpu_model *t = gp_gpu_table(&n_table);
    gp_devices_init(d);
    d->dev[0].total = d->dev[0].free = (16 * GiB) << rnd(7);
    uint32_t n = 1 + rnd(8);
    for (uint32_t i = 0; i < n; i++) {
        const gp_gpu_model *g;
        do
            g = &t[rnd((uint32_t)n_table)];
        while (g->kind == GP_DEV_METAL);
        assert_int_equal(gp_devices_add_gpu_spec(d, g->name, NULL), GP_OK);
    }
}

static bool fits(const gp_plan *p, const gp_mem_result *r, const gp_devices *d)
{
    for (uint32_t k = 0; k < d->n; k++)
        if (gp_mem_on_device(r, k) > p->budget[k])
            return false;
    return true;
}

/* q's decode when it fits the plan's budgets, else 0 */
static double neighbour(const gp_model *m, const gp_devices *d, const gp_plan *p, const gp_run_params *q)
{
    gp_mem_result r;
    if (gp_mem_estimate(m, q, d, &r, NULL) != GP_OK)
        return 0;
    double tps = 0;
    if (fits(p, &r, d)) {
        gp_speed sp;
        gp_speed_predict(m, q, d, &r, &sp);
        tps = sp.decode_tps;
    }
    gp_mem_result_free(&r);
    return tps;
}

static bool quantized(uint32_t t)
{
    return t == GP_TYPE_Q8_0 || t == GP_TYPE_Q4_0;
}

/* Whether an -ot rule of the plan sends tensors to device g. */
static bool named_by_override(const gp_run_params *p, const gp_device *g)
{
    for (uint32_t o = 0; o < p->n_overrides; o++)
        if (!strcmp(p->overrides[o].buft, g->name))
            return true;
    return false;
}

/* -ts moves: step counts moved between any two GPUs (the polish takes
   one-count moves worth 0.5 %; 1 % is a miss) */
static void check_splits(const char *model, uint32_t set, const gp_model *m, const gp_devices *d, const gp_plan *p,
                         uint32_t *checked)
{
    static const float steps[] = {1, 2, 4};
    const gp_run_params *base = &p->params;
    const double tps = p->speed.decode_tps;
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
        for (uint32_t i = 0; i < base->n_tensor_split; i++)
            for (uint32_t j = 0; j < base->n_tensor_split; j++) {
                if (i == j || base->tensor_split[i] < steps[k])
                    continue;
                gp_run_params q = *base;
                q.tensor_split[i] -= steps[k];
                q.tensor_split[j] += steps[k];
                double n = neighbour(m, d, p, &q);
                (*checked)++;
                if (n > tps * 1.01)
                    fail_msg("%s, machine %u: -ts %g moved %u -> %u decodes %.2f t/s, the plan %.2f", model, set,
                             (double)steps[k], i, j, n, tps);
            }
}

/* Every proper subset of the split's GPUs (those no -ot rule names may be
   left out), each keeping its -ts counts: the planner's subsets win by more
   than 2 %, so a subset is a miss beyond that and 1 % */
static void check_subsets(const char *model, uint32_t set, const gp_model *m, const gp_devices *d, const gp_plan *p,
                          uint32_t *checked)
{
    const gp_run_params *base = &p->params;
    const double tps = p->speed.decode_tps;
    if (base->n_tensor_split < 2 || base->devices[0])
        return;
    uint32_t gpus[GP_MAX_DEVICES], n_gpu = 0;
    for (uint32_t g = 1; g < d->n; g++)
        if (d->dev[g].kind != GP_DEV_CPU)
            gpus[n_gpu++] = g;
    if (n_gpu != base->n_tensor_split)
        return;
    for (uint32_t mask = 1; mask + 1 < (1u << n_gpu); mask++) {
        bool keeps_named = true;
        float shares = 0;
        for (uint32_t k = 0; k < n_gpu; k++)
            if (!(mask >> k & 1)) {
                keeps_named = keeps_named && !named_by_override(base, &d->dev[gpus[k]]);
            } else {
                shares += base->tensor_split[k];
            }
        if (!keeps_named || shares <= 0)
            continue;
        gp_run_params q = *base;
        size_t len = 0;
        uint32_t n_q = 0;
        for (uint32_t k = 0; k < n_gpu; k++)
            if (mask >> k & 1) {
                len += (size_t)snprintf(q.devices + len, sizeof q.devices - len, "%s%s", len ? "," : "",
                                        d->dev[gpus[k]].name);
                q.tensor_split[n_q++] = base->tensor_split[k];
            }
        q.n_tensor_split = n_q;
        double n = neighbour(m, d, p, &q);
        (*checked)++;
        if (n > tps * 1.02 * 1.01)
            fail_msg("%s, machine %u: on %s alone decodes %.2f t/s, the plan %.2f", model, set, q.devices, n, tps);
    }
}

static void check_neighbourhood(const char *model, uint32_t set, const gp_model *m, const gp_devices *d,
                                const gp_plan *p, const uint32_t *ubatches, size_t n_ubatches, uint32_t *checked)
{
    const gp_run_params *base = &p->params;
    const double tps = p->speed.decode_tps;
    check_splits(model, set, m, d, p, checked);
    check_subsets(model, set, m, d, p, checked);
    /* the other micro-batches the preset tries */
    for (size_t u = 0; u < n_ubatches; u++) {
        if (ubatches[u] == base->n_ubatch)
            continue;
        gp_run_params q = *base;
        q.n_ubatch = ubatches[u];
        if (q.n_batch < q.n_ubatch)
            q.n_batch = q.n_ubatch;
        double n = neighbour(m, d, p, &q);
        (*checked)++;
        if (n > tps * 1.01)
            fail_msg("%s, machine %u: -ub %u decodes %.2f t/s, the plan (-ub %u) %.2f", model, set, ubatches[u], n,
                     base->n_ubatch, tps);
    }
    /* the other cache type of the default preset */
    gp_run_params q = *base;
    bool was_quant = quantized(base->type_k);
    q.type_k = q.type_v = was_quant ? GP_TYPE_F16 : GP_TYPE_Q8_0;
    double n = neighbour(m, d, p, &q);
    (*checked)++;
    bool spills = false;
    for (uint64_t t = 0; t < m->n_tensors; t++)
        spills = spills || (p->mem.placement.tensor_dev[t] == 0 && m->tensors[t].layer >= 0);
    if (was_quant ? n > tps * 1.01 : (spills && n > tps * 1.05 * 1.01))
        fail_msg("%s, machine %u: the %s cache decodes %.2f t/s, the plan %.2f", model, set,
                 was_quant ? "f16" : "q8_0", n, tps);
}

static void test_no_faster_neighbour(void **state)
{
    (void)state;
    /* the calibration models, and DeepSeek-V3's shape, which no card holds
       alone and which splits and spills on most machines */
    static const char *models[] = {"llama-tiny", "llama-3.1-8b", "qwen3-8b", "qwen3-30b-a3b",
                                   "gemma-3-4b", "deepseek-v2-lite", "lfm2-1.2b", "deepseek-v3-671b"};
    enum { N_MODELS = 8 };
    gp_model *open[N_MODELS] = {0};
    for (int i = 0; i < N_MODELS; i++) {
        char path[1024];
        if (i < N_MODELS - 1)
            calib_model(path, sizeof path, models[i]);
        else
            snprintf(path, sizeof path, "%s/examples/%s.gguf", GP_SOURCE_DIR, models[i]);
        if (gp_model_open(path, &open[i], NULL) != GP_OK)
            skip();
    }
    const char *env = getenv("GGPLACE_PROPERTY_SETS");
#ifdef GP_SANITIZED
    const uint32_t dflt = 40;
#else
    const uint32_t dflt = 500;
#endif
    uint32_t sets = env && atoi(env) > 0 ? (uint32_t)atoi(env) : dflt;
    uint32_t plans = 0, checked = 0, unfit = 0, split = 0;
    for (uint32_t s = 0; s < sets; s++) {
        gp_devices d;
        machine(&d);
        for (int i = 0; i < N_MODELS; i++) {
            gp_plan_request req;
            gp_plan_request_default(&req);
            /* every fifth machine under moe_optimized, which also tries
               micro-batches of 1024 and 2048 */
            static const uint32_t ub_default[] = {512}, ub_wide[] = {512, 1024, 2048};
            const bool wide = s % 5 == 4;
            if (wide)
                req.preset = GP_PRESET_MOE_OPTIMIZED;
            gp_plan p;
            if (gp_plan_make(open[i], &d, &req, &p, NULL) != GP_OK) {
                unfit++;   /* nothing fits (16 GiB of RAM and a small card) */
                continue;
            }
            plans++;
            split += p.params.n_tensor_split > 1;
            check_neighbourhood(models[i], s, open[i], &d, &p, wide ? ub_wide : ub_default, wide ? 3 : 1, &checked);
            gp_plan_free(&p);
        }
    }
    print_message("%u machines, %u plans (%u split over GPUs; %u did not fit), %u neighbours: none faster\n", sets,
                  plans, split, unfit, checked);
    assert_true(plans > sets);
    for (int i = 0; i < N_MODELS; i++)
        gp_model_close(&open[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_faster_neighbour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
