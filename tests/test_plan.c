/* The planner: regexes proven against ECMAScript-style search, plans that
 * fit by their own flags on every calibration model and GPU set, MoE
 * partial offload that keeps caches on GPUs, every GPU used, maximal context. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "calib.h"
#include "cli_run.h"
#include <pcre2.h>

#include "args/llama_args.h"
#include "cli/cli.h"
#include "gguf/types.h"
#include "hw/gpu_spec.h"
#include "memory/mem.h"
#include "memory/placement.h"
#include "plan/ot_regex.h"
#include "plan/plan.h"
#include "util/fileio.h"

#define GiB (1024ull * 1024 * 1024)

static bool full_match(const char *alt, unsigned v)
{
    char pat[4096], s[16];
    snprintf(pat, sizeof pat, "^(%s)$", alt);
    snprintf(s, sizeof s, "%u", v);
    return gp_regex_search(pat, s) == 1;
}

static void test_int_ranges(void **state)
{
    (void)state;
    char buf[2048];
    for (unsigned lo = 0; lo <= 130; lo += (lo < 20 ? 1 : 7))
        for (unsigned hi = lo; hi <= 260; hi += (hi < 30 ? 1 : 13)) {
            gp_regex_int_range(lo, hi, buf, sizeof buf);
            for (unsigned v = 0; v <= 300; v++)
                if (full_match(buf, v) != (v >= lo && v <= hi))
                    fail_msg("range %u..%u as '%s' wrong for %u", lo, hi, buf, v);
        }
    gp_regex_int_range(6, 10, buf, sizeof buf);
    assert_string_equal(buf, "[6-9]|10");
    gp_regex_int_range(0, 23, buf, sizeof buf);
    assert_string_equal(buf, "[0-9]|1[0-9]|2[0-3]");
    uint32_t set[] = {0, 1, 2, 3, 7, 8, 20};
    assert_true(gp_regex_int_set(set, 7, buf, sizeof buf));
    assert_string_equal(buf, "[0-3]|[78]|20");
}

static void test_ot_build_proof(void **state)
{
    (void)state;
    /* 40 layers x 3 expert tensors + attention; move some experts to CPU and
     * some layers' attention to device 2, then prove the rules. */
    const char *dev_names[3] = {"CPU", "CUDA0", "CUDA1"};
    enum { L = 40, PER = 4 };
    char *names[L * PER];
    int32_t want[L * PER], dflt[L * PER];
    static const char *kinds[PER] = {"ffn_up_exps.weight", "ffn_down_exps.weight",
                                     "ffn_gate_exps.weight", "attn_q.weight"};
    for (int il = 0; il < L; il++)
        for (int k = 0; k < PER; k++) {
            int t = il * PER + k;
            names[t] = malloc(64);
            snprintf(names[t], 64, "blk.%d.%s", il, kinds[k]);
            dflt[t] = 1;
            want[t] = 1;
            if (k < 3 && (il < 13 || (il >= 30 && il < 33)))
                want[t] = 0;
            if (k == 1 && il == 13)
                want[t] = 0;
            if (k == 3 && il >= 37)
                want[t] = 2;
        }
    gp_ot_request rq = {(const char *const *)names, L * PER, want, dflt, dev_names, 3};
    gp_ot_rule *rules = NULL;
    size_t n = 0;
    gp_error err;
    assert_int_equal(gp_ot_build(&rq, &rules, &n, &err), GP_OK);
    assert_true(n >= 1 && n <= 4);
    int32_t got[L * PER];
    assert_true(gp_ot_evaluate(&rq, rules, n, got));
    for (int t = 0; t < L * PER; t++)
        assert_int_equal(got[t], want[t]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rules[i].pattern[0], '^');
        assert_null(strstr(rules[i].pattern, "[6-10]"));
        /* Every dot in a name is escaped. */
        for (const char *p = rules[i].pattern; *p; p++)
            if (*p == '.')
                assert_int_equal(p[-1], '\\');
    }
    free(rules);
    for (int t = 0; t < L * PER; t++)
        free(names[t]);
}

static gp_model *open_calib(const char *name)
{
    char path[1024];
    calib_model(path, sizeof path, name);
    gp_model *m = NULL;
    if (gp_model_open(path, &m, NULL) != GP_OK)
        return NULL;
    return m;
}

static void devices(gp_devices *d, const char *const *gpus, size_t n)
{
    gp_devices_init(d);
    d->dev[0].total = d->dev[0].free = 64 * GiB;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(gp_devices_add_gpu_spec(d, gpus[i], NULL), GP_OK);
}

/* Feeds the plan's own flags back through the llama.cpp argument parser and
 * the memory model, as `ggplace mem $(ggplace plan --args)` would. */
static void check_plan_by_its_args(const gp_model *m, const gp_devices *d, const gp_plan *plan)
{
    char **args = gp_plan_args(m, d, plan);
    int argc = 0;
    while (args[argc])
        argc++;
    gp_run_params p;
    gp_run_params_default(&p, GP_APP_SERVER);
    gp_error err;
    for (int i = 0; i < argc;)
        if (gp_llama_args_apply(&p, argc, args, &i, &err) != GP_OK)
            fail_msg("%s: plan emitted a flag llama.cpp would refuse: %s", m->name, err.message);
    gp_mem_result r;
    if (gp_mem_estimate(m, &p, d, &r, &err) != GP_OK)
        fail_msg("%s: %s", m->name, err.message);
    for (uint32_t i = 0; i < d->n; i++) {
        uint64_t total = gp_mem_device_total(&r.dev[i]);
        if (total > plan->budget[i])
            fail_msg("%s: %s uses %llu of a %llu budget", m->name, d->dev[i].name,
                     (unsigned long long)total, (unsigned long long)plan->budget[i]);
        assert_int_equal(total, gp_mem_device_total(&plan->mem.dev[i]));
    }
    /* ... and predicts the plan's speed (what `mem --json` prints as
       "predicted") */
    gp_speed sp;
    gp_speed_predict(m, &p, d, &r, &sp);
    if (sp.decode_tps != plan->speed.decode_tps || sp.prefill_tps != plan->speed.prefill_tps)
        fail_msg("%s: mem of the plan's args predicts %.3f / %.3f t/s, the plan %.3f / %.3f", m->name,
                 sp.decode_tps, sp.prefill_tps, plan->speed.decode_tps, plan->speed.prefill_tps);
    /* The placement the flags give is the one the plan reports, tensor by
     * tensor; the -ot rules evaluated on their own (PCRE2, first match) agree. */
    const char *dev_names[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < d->n; i++)
        dev_names[i] = d->dev[i].name;
    gp_run_params probe = p;
    probe.n_overrides = 0;
    gp_mem_result dflt_mem;   /* on the -dev subset when the plan names one */
    assert_int_equal(gp_mem_estimate(m, &probe, d, &dflt_mem, NULL), GP_OK);
    gp_placement dflt = dflt_mem.placement;
    const char **names = malloc(m->n_tensors * sizeof *names);
    gp_ot_rule *rules = calloc(p.n_overrides ? p.n_overrides : 1, sizeof *rules);
    for (uint64_t t = 0; t < m->n_tensors; t++)
        names[t] = m->tensors[t].info->name;
    for (uint32_t i = 0; i < p.n_overrides; i++) {
        snprintf(rules[i].pattern, sizeof rules[i].pattern, "%s", p.overrides[i].pattern);
        snprintf(rules[i].buft, sizeof rules[i].buft, "%s", p.overrides[i].buft);
    }
    int32_t *got = malloc(m->n_tensors * sizeof *got);
    gp_ot_request rq = {names, m->n_tensors, plan->mem.placement.tensor_dev, dflt.tensor_dev, dev_names, d->n};
    assert_true(gp_ot_evaluate(&rq, rules, p.n_overrides, got));
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        assert_int_equal(r.placement.tensor_dev[t], plan->mem.placement.tensor_dev[t]);
        assert_int_equal(got[t], plan->mem.placement.tensor_dev[t]);
    }
    free(got);
    free(rules);
    free(names);
    gp_mem_result_free(&dflt_mem);
    gp_mem_result_free(&r);
    gp_plan_args_free(args);
}

/* A GPU is left idle only by a plan that names the GPUs it uses (-dev)
 * and decodes faster than the best plan on every GPU, at no less context. */
static void check_gpus_used(const gp_model *m, const gp_devices *d, const gp_plan_request *req,
                            const gp_plan *plan)
{
    bool idle = false;
    for (uint32_t g = 1; g < d->n; g++)
        idle = idle || plan->mem.dev[g].model == 0;
    if (!idle)
        return;
    if (!plan->params.devices[0])
        fail_msg("%s: a GPU left idle without -dev", m->name);
    gp_plan_request all = *req;
    size_t len = 0;
    for (uint32_t g = 1; g < d->n; g++)
        len += (size_t)snprintf(all.pinned.devices + len, sizeof all.pinned.devices - len, "%s%s",
                                len ? "," : "", d->dev[g].name);
    gp_plan every;
    if (gp_plan_make(m, d, &all, &every, NULL) != GP_OK)
        return;   /* nothing fits on every GPU together */
    assert_true(plan->params.n_ctx >= every.params.n_ctx);
    if (plan->params.n_ctx == every.params.n_ctx && plan->speed.decode_tps <= every.speed.decode_tps)
        fail_msg("%s: -dev %s predicts %.2f t/s, every GPU %.2f", m->name, plan->params.devices,
                 plan->speed.decode_tps, every.speed.decode_tps);
    gp_plan_free(&every);
}

static const char *calib_models[] = {"llama-tiny", "llama-3.1-8b", "qwen3-8b", "qwen3-30b-a3b",
                                     "gemma-3-4b", "deepseek-v2-lite", "lfm2-1.2b"};

static void test_plans_fit_by_their_args(void **state)
{
    (void)state;
    static const char *set8[] = {"8GiB"}, *set24[] = {"24GiB"}, *set12_8[] = {"12GiB", "8GiB"},
                      *set4x24[] = {"24GiB", "24GiB", "24GiB", "24GiB"};
    struct { const char *const *g; size_t n; } sets[] = {{set8, 1}, {set24, 1}, {set12_8, 2}, {set4x24, 4}};
    int checked = 0;
    for (size_t mi = 0; mi < sizeof calib_models / sizeof calib_models[0]; mi++) {
        gp_model *m = open_calib(calib_models[mi]);
        if (!m) {
            print_message("calibration model %s not found; skipped\n", calib_models[mi]);
            continue;
        }
        for (size_t si = 0; si < 4; si++) {
            gp_devices d;
            devices(&d, sets[si].g, sets[si].n);
            gp_plan_request req;
            gp_plan_request_default(&req);
            gp_plan plan;
            gp_error err;
            if (gp_plan_make(m, &d, &req, &plan, &err) != GP_OK)
                fail_msg("%s on set %zu: %s", calib_models[mi], si, err.message);
            check_plan_by_its_args(m, &d, &plan);
            check_gpus_used(m, &d, &req, &plan);
            /* a faster alternative set aside says which rule did it */
            for (uint32_t a = 0; a < plan.n_alts; a++)
                if (plan.alts[a].fits && !plan.alts[a].chosen &&
                    plan.alts[a].decode_tps > plan.speed.decode_tps && !plan.alts[a].rejected[0])
                    fail_msg("%s: an alternative at %.1f t/s, faster than the plan's %.1f, without a reason",
                             calib_models[mi], plan.alts[a].decode_tps, plan.speed.decode_tps);
            /* A MoE that spills keeps every KV layer on a GPU. */
            if (m->hp.n_expert)
                for (uint32_t il = 0; il < m->hp.n_layer; il++)
                    assert_int_not_equal(plan.mem.placement.kv_dev[il], 0);
            gp_plan_free(&plan);
            checked++;
        }
        gp_model_close(&m);
    }
    if (!checked)
        skip();
}

static void test_ctx_max_is_maximal(void **state)
{
    (void)state;
    gp_model *m = open_calib("llama-3.1-8b");
    if (!m)
        skip();
    static const char *g[] = {"8GiB"};
    gp_devices d;
    devices(&d, g, 1);
    d.dev[0].total = d.dev[0].free = 8 * GiB; /* a small RAM, so the context has a ceiling */
    gp_plan_request req;
    gp_plan_request_default(&req);
    req.ctx = GP_PLAN_CTX_MAX;
    req.kv = GP_TYPE_F16;
    gp_plan plan;
    gp_error err;
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, &err), GP_OK);
    uint64_t ctx = plan.mem.ctx.n_ctx_req;
    assert_int_equal(ctx % 256, 0);
    check_plan_by_its_args(m, &d, &plan);
    gp_plan_free(&plan);
    /* 256 more tokens do not fit, whatever the placement. */
    if (ctx < m->hp.n_ctx_train) {
        req.ctx = (int64_t)ctx + 256;
        assert_int_equal(gp_plan_make(m, &d, &req, &plan, &err), GP_ERR_CONFIG);
    }
    gp_model_close(&m);
}

static void test_pinned_flags_kept(void **state)
{
    (void)state;
    gp_model *m = open_calib("qwen3-30b-a3b");
    if (!m)
        skip();
    static const char *g[] = {"24GiB"};
    gp_devices d;
    devices(&d, g, 1);
    gp_plan_request req;
    gp_plan_request_default(&req);
    char *argv[] = {"-c", "8192", "-ctk", "q8_0", "-ctv", "q8_0", "--n-cpu-moe", "10", "-ub", "1024"};
    gp_error err;
    for (int i = 0; i < 10;)
        assert_int_equal(gp_llama_args_apply(&req.pinned, 10, argv, &i, &err), GP_OK);
    gp_plan plan;
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, &err), GP_OK);
    assert_int_equal(plan.mem.ctx.n_ctx_req, 8192);
    assert_int_equal(plan.params.type_k, GP_TYPE_Q8_0);
    assert_int_equal(plan.params.n_ubatch, 1024);
    assert_int_equal(plan.params.n_overrides, 10);
    check_plan_by_its_args(m, &d, &plan);
    /* --n-cpu-moe is printed as written, once */
    char **args = gp_plan_args(m, &d, &plan);
    int ncmoe = 0, ot = 0;
    for (char **a = args; *a; a++) {
        ncmoe += !strcmp(*a, "--n-cpu-moe") && a[1] && !strcmp(a[1], "10");
        ot += !strcmp(*a, "-ot");
    }
    assert_int_equal(ncmoe, 1);
    assert_int_equal(ot, 0);
    gp_plan_args_free(args);
    gp_plan_free(&plan);

    /* A pin that does not fit as given is planned around: with a 12 GiB
       card, the rest of the experts move to the CPU after the user's. */
    devices(&d, (const char *[]){"12GiB"}, 1);
    gp_plan_request_default(&req);
    char *argv2[] = {"--n-cpu-moe", "5"};
    for (int i = 0; i < 2;)
        assert_int_equal(gp_llama_args_apply(&req.pinned, 2, argv2, &i, &err), GP_OK);
    if (gp_plan_make(m, &d, &req, &plan, &err) != GP_OK)
        fail_msg("--n-cpu-moe 5 on 12 GiB: %s", err.message);
    assert_true(plan.params.n_overrides > 5);
    assert_string_equal(plan.params.overrides[0].flag, "--n-cpu-moe");
    check_plan_by_its_args(m, &d, &plan);
    gp_plan_free(&plan);
    gp_model_close(&m);
}

static void test_does_not_fit(void **state)
{
    (void)state;
    gp_model *m = open_calib("qwen3-30b-a3b");
    if (!m)
        skip();
    static const char *g[] = {"4GiB"};
    gp_devices d;
    devices(&d, g, 1);
    d.dev[0].total = d.dev[0].free = 8 * GiB;
    gp_plan_request req;
    gp_plan_request_default(&req);
    gp_plan plan;
    gp_error err;
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, &err), GP_ERR_CONFIG);
    assert_non_null(strstr(err.message, "does not fit"));
    gp_model_close(&m);
}

/* DeepSeek-V3 (358 GiB of weights) over three machines, each with 128 GiB
 * of RAM and a 24 GiB GPU; the two helpers run one RPC server for their GPU
 * and one for their RAM. */
static void test_three_machines(void **state)
{
    (void)state;
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/deepseek-v3-671b.gguf", &m, NULL), GP_OK);
    gp_devices d;
    gp_devices_init(&d);
    d.dev[0].total = d.dev[0].free = 128 * GiB;
    assert_int_equal(gp_devices_add_gpu_spec(&d, "24GiB", NULL), GP_OK);
    static const char *eps[] = {"10.0.0.2:50052", "10.0.0.2:50053", "10.0.0.3:50052", "10.0.0.3:50053"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(gp_devices_add_rpc(&d, eps[i], (i % 2 ? 128 : 24) * GiB, NULL), GP_OK);
    gp_plan_request req;
    gp_plan_request_default(&req);
    req.ctx = 16384;
    gp_plan plan;
    gp_error err;
    if (gp_plan_make(m, &d, &req, &plan, &err) != GP_OK)
        fail_msg("%s", err.message);
    /* More than one machine holds: the model exceeds 128 + 24 GiB. */
    assert_true(m->tensor_bytes > 152 * GiB);
    check_plan_by_its_args(m, &d, &plan);
    char **args = gp_plan_args(m, &d, &plan);
    assert_string_equal(args[0], "--rpc");
    assert_string_equal(args[1], "10.0.0.2:50052,10.0.0.2:50053,10.0.0.3:50052,10.0.0.3:50053");
    bool has_ts = false;
    for (char **a = args; *a; a++)
        has_ts = has_ts || strcmp(*a, "-ts") == 0;
    assert_true(has_ts);
    check_gpus_used(m, &d, &req, &plan);
    gp_plan_args_free(args);
    gp_plan_free(&plan);
    gp_model_close(&m);
}

/* A fast card beside a slow one: the plan is never slower than the fast
 * card alone (it may leave the slow one out, saying so). */
static void test_split_not_slower_than_one(void **state)
{
    (void)state;
    const char *models[] = {"/examples/llama-3.1-8b.gguf", "/examples/qwen3-30b-a3b.gguf"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s%s", GP_SOURCE_DIR, models[i]);
        gp_model *m = NULL;
        assert_int_equal(gp_model_open(path, &m, NULL), GP_OK);
        gp_devices both, one;
        devices(&both, (const char *[]){"RTX 4090", "RTX 3060"}, 2);
        devices(&one, (const char *[]){"RTX 4090"}, 1);
        gp_plan_request req;
        gp_plan_request_default(&req);
        gp_plan pb, po;
        assert_int_equal(gp_plan_make(m, &both, &req, &pb, NULL), GP_OK);
        assert_int_equal(gp_plan_make(m, &one, &req, &po, NULL), GP_OK);
        assert_true(pb.params.n_ctx >= po.params.n_ctx);
        if (pb.speed.decode_tps < po.speed.decode_tps)
            fail_msg("%s: 4090 + 3060 predicts %.1f t/s, the 4090 alone %.1f", m->name, pb.speed.decode_tps,
                     po.speed.decode_tps);
        check_plan_by_its_args(m, &both, &pb);
        gp_plan_free(&pb);
        gp_plan_free(&po);
        gp_model_close(&m);
    }
}

/* DeepSeek-V3 on four equal cards: while routed experts stay on the CPU no
 * card keeps more than a tenth of its budget free. */
static void test_equal_cards_filled(void **state)
{
    (void)state;
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/deepseek-v3-671b.gguf", &m, NULL), GP_OK);
    gp_devices d;
    devices(&d, (const char *[]){"RTX 5090", "RTX 5090", "RTX 5090", "RTX 5090"}, 4);
    d.dev[0].total = d.dev[0].free = 256 * GiB;
    gp_plan_request req;
    gp_plan_request_default(&req);
    gp_plan plan;
    gp_error err;
    if (gp_plan_make(m, &d, &req, &plan, &err) != GP_OK)
        fail_msg("%s", err.message);
    bool experts_on_cpu = false;
    for (uint64_t t = 0; t < m->n_tensors; t++)
        experts_on_cpu = experts_on_cpu || ((m->tensors[t].role == GP_ROLE_EXP_UP ||
                                             m->tensors[t].role == GP_ROLE_EXP_GATE ||
                                             m->tensors[t].role == GP_ROLE_EXP_DOWN) &&
                                            plan.mem.placement.tensor_dev[t] == 0);
    assert_true(experts_on_cpu);
    for (uint32_t g = 1; g < d.n; g++) {
        uint64_t used = gp_mem_on_device(&plan.mem, g);
        if (plan.budget[g] - used > plan.budget[g] / 10)
            fail_msg("%s keeps %.2f GiB of %.2f GiB free while experts are on the CPU", d.dev[g].name,
                     (double)(plan.budget[g] - used) / GiB, (double)plan.budget[g] / GiB);
    }
    check_plan_by_its_args(m, &d, &plan);
    gp_plan_free(&plan);
    gp_model_close(&m);
}

/* more_context keeps its rule: more context than the default plan, and
 * decode at least 80 % of the default plan's (llama-3.1-8b on 8 GiB, where
 * the largest context that fits would put half the layers' FFN on the CPU). */
static void test_more_context_rule(void **state)
{
    (void)state;
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf", &m, NULL), GP_OK);
    gp_devices d;
    devices(&d, (const char *[]){"8GiB"}, 1);
    gp_plan_request req;
    gp_plan_request_default(&req);
    gp_plan dflt, more;
    assert_int_equal(gp_plan_make(m, &d, &req, &dflt, NULL), GP_OK);
    req.preset = GP_PRESET_MORE_CONTEXT;
    assert_int_equal(gp_plan_make(m, &d, &req, &more, NULL), GP_OK);
    assert_true(more.params.n_ctx > dflt.params.n_ctx);
    if (more.speed.decode_tps < 0.8 * dflt.speed.decode_tps)
        fail_msg("more_context decodes %.1f t/s at -c %lld, the default plan %.1f t/s", more.speed.decode_tps,
                 (long long)more.params.n_ctx, dflt.speed.decode_tps);
    check_plan_by_its_args(m, &d, &more);
    gp_plan_free(&dflt);
    gp_plan_free(&more);
    gp_model_close(&m);
}

/* Slots: --ctx-per-slot plans -c N x slots, each slot gets N; -c 0 is the
 * training context, as for llama-server. */
static void test_slots_and_ctx0(void **state)
{
    (void)state;
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf", &m, NULL), GP_OK);
    gp_devices d;
    devices(&d, (const char *[]){"24GiB"}, 1);
    gp_plan_request req;
    gp_plan_request_default(&req);
    req.parallel = 4;
    req.ctx_per_slot = 16384;
    gp_plan plan;
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, NULL), GP_OK);
    assert_int_equal(plan.params.n_ctx, 65536);
    assert_int_equal(plan.mem.ctx.n_seq, 4);
    assert_int_equal(plan.mem.ctx.n_ctx_seq, 16384);
    bool said = false;
    for (uint32_t i = 0; i < plan.n_why; i++)
        said = said || strstr(plan.why[i], "4 slots: 16384 tokens of context each") != NULL;
    assert_true(said);
    gp_plan_free(&plan);

    gp_plan_request_default(&req);
    int i = 0;
    char *argv[] = {"-c", "0"};
    assert_int_equal(gp_llama_args_apply(&req.pinned, 2, argv, &i, NULL), GP_OK);
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, NULL), GP_OK);
    assert_int_equal(plan.params.n_ctx, (int64_t)m->hp.n_ctx_train);
    gp_plan_free(&plan);
    gp_model_close(&m);
}

/* Prefill follows each card's compute; a figure the model has to assume
 * is said, and a known card needs none. */
static void test_speed_figures_stated(void **state)
{
    (void)state;
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf", &m, NULL), GP_OK);
    const char *cards[] = {"RTX 3060", "RTX 4090", "H200"};
    double prefill[3];
    for (int i = 0; i < 3; i++) {
        gp_devices d;
        devices(&d, (const char *[]){cards[i]}, 1);
        d.dev[0].bandwidth_gbs = 80;   /* described, not assumed */
        gp_plan_request req;
        gp_plan_request_default(&req);
        gp_plan plan;
        assert_int_equal(gp_plan_make(m, &d, &req, &plan, NULL), GP_OK);
        prefill[i] = plan.speed.prefill_tps;
        char notes[8][GP_SPEED_NOTE];
        assert_int_equal(gp_speed_assumptions(&d, notes, 8), 0);
        gp_plan_free(&plan);
    }
    assert_true(prefill[0] < prefill[1] && prefill[1] < prefill[2]);
    gp_devices d;
    devices(&d, (const char *[]){"Foo:8GiB"}, 1);
    char notes[8][GP_SPEED_NOTE];
    uint32_t n = gp_speed_assumptions(&d, notes, 8);
    assert_int_equal(n, 3);   /* the CPU's bandwidth, the card's figures, its PCIe link */
    assert_non_null(strstr(notes[0], "--cpu-bandwidth"));
    assert_non_null(strstr(notes[1], "CUDA0: 500 GB/s, 80 TFLOPS"));
    gp_model_close(&m);
}

static void test_plan_cli(void **state)
{
    (void)state;
    const char *path = GP_SOURCE_DIR "/examples/qwen3-30b-a3b.gguf";
    const char *argv[] = {"ggplace", "plan", path, "--gpu", "12GiB", "--no-detect", "--args"};
    cli_result *r = cli_run(NULL, 7, argv);
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "-ot"));
    assert_non_null(strstr(r->out, "=CPU"));
    const char *bad[] = {"ggplace", "plan", path, "--preset", "fastest"};
    assert_int_equal(cli_run(NULL, 5, bad)->rc, 2);
    const char *bad_slot[] = {"ggplace", "plan", path, "--ctx-per-slot", "0"};
    r = cli_run(NULL, 5, bad_slot);
    assert_int_equal(r->rc, 2);
    assert_non_null(strstr(r->err, "--ctx-per-slot '0'"));
    /* slots in the JSON */
    const char *slots[] = {"ggplace", "plan", path, "--gpu", "24GiB", "--no-detect", "--parallel", "2",
                           "--ctx-per-slot", "8192", "--json"};
    r = cli_run(NULL, 11, slots);
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "\"ctx_per_slot\":\t8192"));
    assert_non_null(strstr(r->out, "\"slots\":\t2"));
}

/* Names in dir starting with prefix and ending in ".bak". */
static int count_backups(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        n += !strncmp(e->d_name, prefix, strlen(prefix)) && l > 4 && !strcmp(e->d_name + l - 4, ".bak");
    }
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    char *s;
    size_t n;
    gp_error err;
    assert_int_equal(gp_read_file(path, 1 << 20, &s, &n, &err), GP_OK);
    return s;
}

/* Writes within one second never share a backup name, and writing what a
 * file already holds leaves it (and its backups) alone. */
static void test_ot_file_rewrite(void **state)
{
    (void)state;
    char dir[] = "/tmp/ggplace-otfile-XXXXXX", ot[256];
    assert_non_null(mkdtemp(dir));
    snprintf(ot, sizeof ot, "%s/ot.txt", dir);
    const char *path = GP_SOURCE_DIR "/examples/qwen3-30b-a3b.gguf";
    const char *argv[] = {"ggplace", "plan", path, "--gpu", "12GiB", "--no-detect", "--ot-file", ot};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cli_run(NULL, 8, argv)->rc, 0);
    }
    assert_int_equal(count_backups(dir, "ot.txt."), 0);
    char *planned = slurp(ot);
    assert_non_null(strstr(planned, "=CPU"));
    /* Edited twice by hand, replanned after each edit within the second. */
    const char *edits[] = {"edit one\n", "edit two\n"};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(ot, "w");
        fputs(edits[k], f);
        fclose(f);
        assert_int_equal(cli_run(NULL, 8, argv)->rc, 0);
    }
    assert_int_equal(count_backups(dir, "ot.txt."), 2);
    char *now = slurp(ot);
    assert_string_equal(now, planned);
    /* Each edit is kept, in a backup of its own. */
    DIR *d = opendir(dir);
    int seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".bak"))
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        char *b = slurp(p);
        seen |= !strcmp(b, edits[0]) ? 1 : !strcmp(b, edits[1]) ? 2 : 0;
        free(b);
        unlink(p);
    }
    closedir(d);
    assert_int_equal(seen, 3);
    free(planned);
    free(now);
    unlink(ot);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_ranges),
        cmocka_unit_test(test_ot_build_proof),
        cmocka_unit_test(test_plans_fit_by_their_args),
        cmocka_unit_test(test_ctx_max_is_maximal),
        cmocka_unit_test(test_pinned_flags_kept),
        cmocka_unit_test(test_does_not_fit),
        cmocka_unit_test(test_three_machines),
        cmocka_unit_test(test_split_not_slower_than_one),
        cmocka_unit_test(test_equal_cards_filled),
        cmocka_unit_test(test_more_context_rule),
        cmocka_unit_test(test_slots_and_ctx0),
        cmocka_unit_test(test_speed_figures_stated),
        cmocka_unit_test(test_plan_cli),
        cmocka_unit_test(test_ot_file_rewrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
