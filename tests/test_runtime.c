/* What llama-server holds and grows into after load, on built headers: each
 * item's formula per family (plain, sliding-window, recurrent), the flags
 * that shrink them, and the plan sizing them to the RAM left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "args/llama_args.h"
#include "gguf/types.h"
#include "hw/gpu_spec.h"
#include "memory/kv.h"
#include "memory/mem.h"
#include "memory/runtime.h"
#include "model_builder.h"
#include "test_helpers.h"
#include "plan/plan.h"

#define MIB (1024ull * 1024ull)

#define build tb_build
#define flags tb_flags

static void estimate(const gp_model *m, const char *f, const gp_devices *d, gp_mem_result *r)
{
    gp_run_params p;
    flags(&p, GP_APP_SERVER, f);
    gp_error err;
    if (gp_mem_estimate(m, &p, d, r, &err) != GP_OK)
        fail_msg("%s", err.message);
}

static const mb_spec dense = {.arch = "llama", .n_layer = 4, .n_embd = 256, .n_head = 8, .n_head_kv = 2,
                              .n_ff = 512, .n_vocab = 1000};

/* llama_kv_cache::state_write of one sequence with `cells` cells over
   `layers` layers of K and V rows (flash attention: V not transposed) */
static uint64_t kv_state(uint64_t cells, uint64_t layers, uint64_t row, uint32_t streams)
{
    return 4 + 4ull * streams + cells * 12 + 8 + layers * 2 * (12 + cells * row);
}

static void test_plain_model(void **state)
{
    (void)state;
    gp_model *m = build(&dense);
    gp_devices d;
    gp_devices_init(&d);
    gp_mem_result r;
    estimate(m, "-c 1024 -np 1 -fa on", &d, &r);
    const gp_runtime_mem *rt = &r.runtime;
    /* its cache can be rolled back: no checkpoints */
    assert_int_equal(rt->checkpoint_bytes, 0);
    assert_int_equal(rt->item[GP_RUNTIME_CHECKPOINTS], 0);
    /* the prompt cache at llama-server's default limit */
    assert_int_equal(rt->item[GP_RUNTIME_PROMPT_CACHE], 8192 * MIB);
    assert_int_equal(rt->item[GP_RUNTIME_PROCESS], 16 * MIB + 200 * 1000);
    /* one slot's whole state: 1024 cells of 2 heads x 32 f16 in K and V */
    assert_int_equal(rt->slot_state_bytes, kv_state(1024, 4, 2 * 32 * 2, 1));
    /* no repacking without the CPU's features: nothing mapped beside */
    assert_int_equal(rt->item[GP_RUNTIME_MAPPED], 0);
    assert_int_equal(gp_mem_in_use(&r, 0),
                     gp_mem_on_device(&r, 0) + r.host_output + gp_runtime_total(rt));
    gp_mem_result_free(&r);

    estimate(m, "-c 1024 -np 1 --cache-ram 0", &d, &r);
    assert_int_equal(r.runtime.item[GP_RUNTIME_PROMPT_CACHE], 0);
    gp_mem_result_free(&r);
    estimate(m, "-c 1024 -np 1 --cache-ram 512", &d, &r);
    assert_int_equal(r.runtime.item[GP_RUNTIME_PROMPT_CACHE], 512 * MIB);
    gp_mem_result_free(&r);
    /* no byte limit: n_ctx tokens of cached state */
    estimate(m, "-c 1024 -np 1 -fa on --cache-ram -1", &d, &r);
    assert_true(r.runtime.cache_unbounded);
    assert_int_equal(r.runtime.item[GP_RUNTIME_PROMPT_CACHE], kv_state(1024, 4, 2 * 32 * 2, 1));
    gp_mem_result_free(&r);

    /* llama-cli and the library grow into nothing */
    gp_run_params p;
    flags(&p, GP_APP_CLI, "-c 1024");
    gp_error err;
    assert_int_equal(gp_mem_estimate(m, &p, &d, &r, &err), GP_OK);
    assert_int_equal(gp_runtime_total(&r.runtime), 0);
    assert_int_equal(gp_mem_in_use(&r, 0), gp_mem_on_device(&r, 0) + r.host_output);
    gp_mem_result_free(&r);
    gp_model_close(&m);
}

/* gemma3: five sliding layers in each six */
static const mb_spec sliding = {.arch = "gemma3", .n_layer = 6, .n_embd = 256, .n_head = 8, .n_head_kv = 2,
                                .head_dim = 64, .n_ff = 512, .n_vocab = 1000, .n_swa = 128};

static void test_sliding_window_checkpoints(void **state)
{
    (void)state;
    gp_model *m = build(&sliding);
    gp_devices d;
    gp_devices_init(&d);
    gp_mem_result r;
    estimate(m, "-c 4096 -np 2 -fa on --ctx-checkpoints 4", &d, &r);
    const gp_runtime_mem *rt = &r.runtime;
    /* the window's 128 cells of the 5 sliding layers, in the slot's stream
       (unified KV: one) */
    uint64_t one = kv_state(128, 5, 2 * 64 * 2, r.ctx.n_stream);
    assert_int_equal(rt->checkpoint_bytes, one);
    assert_string_equal(rt->checkpoint_of, "sliding-window cache");
    /* of the 4 allowed, the slot holds 3 at its peak: a fourth would fill
       the list, and the earlier ones, closer than 8192 tokens, are thinned */
    assert_int_equal(rt->checkpoints_per_slot, 3);
    assert_int_equal(rt->item[GP_RUNTIME_CHECKPOINTS], one * 3 * 2);
    gp_mem_result_free(&r);
    /* spaced further apart than the step, all 4 stay */
    estimate(m, "-c 4096 -np 2 -fa on --ctx-checkpoints 4 --checkpoint-min-step 512", &d, &r);
    assert_int_equal(r.runtime.checkpoints_per_slot, 4);
    gp_mem_result_free(&r);
    /* with 2 allowed, thinning never leaves room: both stay */
    estimate(m, "-c 4096 -np 2 -fa on --ctx-checkpoints 2", &d, &r);
    assert_int_equal(r.runtime.checkpoints_per_slot, 2);
    gp_mem_result_free(&r);
    /* a transposed V (flash attention off) is written element by element */
    estimate(m, "-c 4096 -np 1 -fa off -ctxcp 1", &d, &r);
    assert_int_equal(r.runtime.checkpoint_bytes,
                     4 + 4 + 128 * 12 + 8 + 5 * (12 + 128 * 256) + 5 * (12 + 128ull * 2 * 128));
    gp_mem_result_free(&r);
    /* --swa-full keeps the window whole: nothing to checkpoint */
    estimate(m, "-c 4096 -np 1 --swa-full", &d, &r);
    assert_int_equal(r.runtime.item[GP_RUNTIME_CHECKPOINTS], 0);
    gp_mem_result_free(&r);
    /* none asked for */
    estimate(m, "-c 4096 -np 1 --ctx-checkpoints 0", &d, &r);
    assert_int_equal(r.runtime.item[GP_RUNTIME_CHECKPOINTS], 0);
    gp_mem_result_free(&r);
    gp_model_close(&m);
}

static void test_recurrent_checkpoints(void **state)
{
    (void)state;
    /* lfm2: short convolutions beside attention; a checkpoint copies the
       recurrent state alone */
    static const uint32_t kv[6] = {0, 0, 2, 0, 0, 2};
    mb_spec s = {.arch = "lfm2", .n_layer = 6, .n_embd = 256, .n_head = 8, .head_kv_per_layer = kv,
                 .n_ff = 512, .n_vocab = 1000, .shortconv_l_cache = 3};
    gp_model *m = build(&s);
    gp_devices d;
    gp_devices_init(&d);
    gp_mem_result r;
    estimate(m, "-c 2048 -np 3", &d, &r);
    const gp_runtime_mem *rt = &r.runtime;
    /* 4 recurrent layers of 2 x 256 conv values (f32), headers around */
    uint64_t one = 24 + 4 * (24 + 2 * 256 * 4);
    assert_int_equal(rt->checkpoint_bytes, one);
    assert_string_equal(rt->checkpoint_of, "recurrent state");
    /* every slot holds 31 of its 32 before the closer ones are thinned */
    assert_int_equal(rt->checkpoints_per_slot, 31);
    assert_int_equal(rt->item[GP_RUNTIME_CHECKPOINTS], one * 31 * 3);
    gp_mem_result_free(&r);
    gp_model_close(&m);
}

static void test_mapped_file(void **state)
{
    (void)state;
    mb_spec s = dense;
    s.weight_type = GP_TYPE_Q4_K;
    gp_model *m = build(&s);
    gp_devices d;
    gp_devices_init(&d);
    snprintf(d.dev[0].cpu.simd, sizeof d.dev[0].cpu.simd, "sse3 avx avx2 fma");
    gp_mem_result r;
    estimate(m, "-c 1024 -np 1", &d, &r);
    /* every Q4_K matrix the CPU multiplies is copied into CPU_REPACK; its
       file pages stay mapped between the weights read in place */
    uint64_t want = 0;
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const gp_tensor *x = &m->tensors[t];
        if (x->info->type == GP_TYPE_Q4_K && x->info->n_dims == 2 && x->role != GP_ROLE_TOKEN_EMBD &&
            x->info->ne[1] % 8 == 0)
            want += x->info->bytes;
    }
    assert_true(want > 0);
    assert_int_equal(r.runtime.repacked_bytes, want);
    assert_true(r.runtime.item[GP_RUNTIME_MAPPED] > 0);
    assert_true(r.runtime.item[GP_RUNTIME_MAPPED] <= want);
    gp_mem_result_free(&r);
    /* --no-repack: read in place */
    estimate(m, "-c 1024 -np 1 --no-repack", &d, &r);
    assert_int_equal(r.runtime.repacked_bytes, 0);
    assert_int_equal(r.runtime.item[GP_RUNTIME_MAPPED], 0);
    gp_mem_result_free(&r);
    /* not mapped at all */
    estimate(m, "-c 1024 -np 1 --load-mode none", &d, &r);
    assert_int_equal(r.runtime.item[GP_RUNTIME_MAPPED], 0);
    gp_mem_result_free(&r);
    /* a CUDA device's pinned host buffer takes the CPU's weights */
    assert_int_equal(gp_devices_add_gpu_spec(&d, "24GiB", NULL), GP_OK);
    estimate(m, "-c 1024 -np 1 -ngl 2", &d, &r);
    assert_int_equal(r.runtime.repacked_bytes, 0);
    assert_int_equal(r.runtime.item[GP_RUNTIME_MAPPED], 0);
    gp_mem_result_free(&r);
    gp_model_close(&m);
}

static bool has_arg(char **args, const char *a, const char *v)
{
    for (char **x = args; x && *x; x++)
        if (!strcmp(*x, a) && (!v || (x[1] && !strcmp(x[1], v))))
            return true;
    return false;
}

static void test_plan_sizes_caches(void **state)
{
    (void)state;
    gp_model *m = build(&sliding);
    gp_devices d;
    gp_devices_init(&d);
    /* 3 GiB of RAM, 2 GiB of it kept free: the default 8 GiB prompt cache
       cannot fit */
    d.dev[0].total = d.dev[0].free = 3ull << 30;
    gp_plan_request req;
    gp_plan_request_default(&req);
    req.ctx = 4096;
    gp_plan plan;
    gp_error err;
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, &err), GP_OK);
    assert_true(plan.params.cache_ram_mib < 8192);
    assert_true(plan.params.cache_ram_mib >= 0);
    assert_int_equal(plan.params.ctx_checkpoints, 32);   /* they fit: kept */
    assert_true(plan.need[0] <= plan.budget[0]);
    assert_int_equal(plan.need[0], gp_mem_in_use(&plan.mem, 0) - plan.mem.runtime.item[GP_RUNTIME_MAPPED]);
    char buf[32];
    snprintf(buf, sizeof buf, "%d", plan.params.cache_ram_mib);
    char **args = gp_plan_args(m, &d, &plan);
    assert_true(has_arg(args, "--cache-ram", buf));
    bool said = false;
    for (uint32_t i = 0; i < plan.n_why; i++)
        said = said || strstr(plan.why[i], "--cache-ram") != NULL;
    assert_true(said);
    gp_plan_args_free(args);
    gp_plan_free(&plan);

    /* a value the user gives stays */
    gp_plan_request pinned = req;
    flags(&pinned.pinned, GP_APP_SERVER, "--cache-ram 256");
    assert_int_equal(gp_plan_make(m, &d, &pinned, &plan, &err), GP_OK);
    assert_int_equal(plan.params.cache_ram_mib, 256);
    gp_plan_free(&plan);

    /* --for-load: the load alone is budgeted, llama-server's defaults kept */
    req.for_load = true;
    assert_int_equal(gp_plan_make(m, &d, &req, &plan, &err), GP_OK);
    assert_int_equal(plan.params.cache_ram_mib, 8192);
    assert_int_equal(plan.need[0], gp_mem_on_device(&plan.mem, 0));
    args = gp_plan_args(m, &d, &plan);
    assert_false(has_arg(args, "--cache-ram", NULL));
    gp_plan_args_free(args);
    gp_plan_free(&plan);
    gp_model_close(&m);
}

/* Values llama-server would refuse are refused, one flag at a time. */
static void test_bad_values(void **state)
{
    (void)state;
    const char *bad[][2] = {{"--cache-ram", "lots"}, {"--cache-ram", "-2"}, {"-ctxcp", "-1"},
                            {"--checkpoint-min-step", "x"}, {"--ctx-checkpoints", ""}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        gp_run_params p;
        gp_run_params_default(&p, GP_APP_SERVER);
        char *argv[] = {(char *)bad[k][0], (char *)bad[k][1]};
        int i = 0;
        gp_error err = {0};
        assert_int_not_equal(gp_llama_args_apply(&p, 2, argv, &i, &err), GP_OK);
        assert_non_null(strstr(err.message, bad[k][0]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_model),
        cmocka_unit_test(test_sliding_window_checkpoints),
        cmocka_unit_test(test_recurrent_checkpoints),
        cmocka_unit_test(test_mapped_file),
        cmocka_unit_test(test_plan_sizes_caches),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
