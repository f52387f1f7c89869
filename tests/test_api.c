/* The public API of include/ggplace.h: devices, commands, memory estimates
 * and plans through their handles give what the internals they wrap give,
 * refuse bad arguments with GP_ERR_ARG, and own the strings they keep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ggplace.h"

#include "cli_run.h"
#include "extras_builder.h"
#include "args/llama_args.h"
#include "gguf/types.h"
#include "memory/kv.h"
#include "memory/mem.h"
#include "plan/plan.h"
#include "plan/speed.h"
#include "util/fileio.h"
#include "verify/tune.h"

#define GiB (1024ull * 1024 * 1024)
#define LLAMA GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf"

/* One 24 GiB GPU (or n of them) and 64 GiB of RAM. */
static gp_devices *machine(const char *gpus)
{
    gp_devices *d = NULL;
    assert_int_equal(gp_devices_new(&d, NULL), GP_OK);
    assert_int_equal(gp_devices_set_ram(d, 64 * GiB, NULL), GP_OK);
    assert_int_equal(gp_devices_add_gpu(d, gpus, NULL), GP_OK);
    return d;
}

static gp_command *command(const char *flags)
{
    char buf[512], *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", flags);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    gp_command *c = NULL;
    gp_error err = {0};
    assert_int_equal(gp_command_parse(argc, (const char *const *)argv, GP_APP_SERVER, &c, &err), GP_OK);
    return c;
}

static void test_devices(void **state)
{
    (void)state;
    gp_devices *d = NULL;
    gp_error err = {0};
    assert_int_equal(gp_devices_new(&d, &err), GP_OK);
    assert_int_equal(gp_devices_count(d), 1);
    assert_string_equal(gp_devices_name(d, 0), "CPU");
    assert_string_equal(gp_devices_kind(d, 0), "cpu");
    assert_int_equal(gp_devices_memory_total(d, 0), 0);
    assert_int_equal(gp_devices_set_ram(d, 64 * GiB, &err), GP_OK);
    assert_int_equal(gp_devices_memory_total(d, 0), 64 * GiB);
    assert_int_equal(gp_devices_memory_free(d, 0), 64 * GiB);
    assert_int_equal(gp_devices_add_gpu(d, "2x24GiB", &err), GP_OK);
    assert_int_equal(gp_devices_add_rpc_server(d, "10.0.0.2:50052", 12 * GiB, &err), GP_OK);
    /* RPC servers come before local GPUs, as in llama.cpp's device list. */
    assert_int_equal(gp_devices_count(d), 4);
    assert_string_equal(gp_devices_name(d, 1), "RPC0[10.0.0.2:50052]");
    assert_string_equal(gp_devices_kind(d, 1), "rpc");
    assert_string_equal(gp_devices_name(d, 2), "CUDA0");
    assert_string_equal(gp_devices_name(d, 3), "CUDA1");
    assert_string_equal(gp_devices_kind(d, 3), "cuda");
    assert_int_equal(gp_devices_memory_total(d, 3), 24 * GiB);
    assert_int_equal(gp_devices_set_cpu_cores(d, 16, &err), GP_OK);
    assert_int_equal(gp_devices_set_cpu_bandwidth(d, 80, &err), GP_OK);
    assert_true(gp_devices_bandwidth(d, 0) == 80);
    /* Out of range: NULL and 0, never a crash. */
    assert_null(gp_devices_name(d, 4));
    assert_null(gp_devices_kind(d, 99));
    assert_int_equal(gp_devices_memory_total(d, 4), 0);
    assert_null(gp_devices_note_text(d, gp_devices_note_count(d)));
    /* Bad descriptions are the caller's: GP_ERR_ARG with a reason. */
    assert_int_equal(gp_devices_add_gpu(d, "lots", &err), GP_ERR_ARG);
    assert_true(err.message[0]);
    assert_int_equal(gp_devices_add_rpc_server(d, "no-port", GiB, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_set_ram(d, 0, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_set_cpu_cores(d, 0, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_set_cpu_bandwidth(d, -1, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_count(d), 4);
    gp_devices_close(&d);
    assert_null(d);
    gp_devices_close(&d);
    gp_devices_close(NULL);
    assert_int_equal(gp_devices_new_from_file("/nonexistent/machine.json", &d, &err), GP_ERR_IO);
    assert_null(d);
}

/* A machine detected under a fake root (tests/data/hw/amd): what
 * `ggplace devices` prints comes from these accessors, and the JSON is the
 * command's, byte for byte. */
static void test_devices_details(void **state)
{
    (void)state;
    setenv("GGPLACE_SYSROOT", GP_SOURCE_DIR "/tests/data/hw/amd", 1);
    setenv("GGPLACE_MEMBW", "55", 1);
    gp_devices *d = NULL;
    gp_error err = {0};
    assert_int_equal(gp_devices_new_detected(&d, &err), GP_OK);
    assert_int_equal(gp_devices_count(d), 2);
    assert_string_equal(gp_devices_name(d, 1), "ROCm0");
    assert_string_equal(gp_devices_model(d, 1), "AMD Radeon RX 7900 XTX");
    assert_string_equal(gp_devices_arch(d, 1), "gfx1100");
    assert_string_equal(gp_devices_arch(d, 0), "");
    assert_int_equal(gp_devices_pcie_gen(d, 1), 4);
    assert_int_equal(gp_devices_pcie_width(d, 1), 16);
    assert_false(gp_devices_described(d, 1));
    assert_int_equal(gp_devices_cpu_packages(d), 2);
    assert_int_equal(gp_devices_cpu_cores(d), 8);
    assert_int_equal(gp_devices_cpu_threads(d), 16);
    assert_int_equal(gp_devices_cpu_numa_nodes(d), 2);
    assert_int_equal(gp_devices_cpu_cache_size(d, GP_CACHE_L3), 16ull << 20);
    assert_int_equal(gp_devices_cpu_cache_count(d, GP_CACHE_L3), 2);
    assert_int_equal(gp_devices_cpu_cache_size(d, GP_CACHE_LEVELS), 0);
    assert_non_null(strstr(gp_devices_cpu_simd(d), "avx2"));
    assert_int_equal(gp_devices_cgroup_limit(d), 16 * GiB);
    assert_int_equal(gp_devices_cgroup_usage(d), 2 * GiB);
    assert_true(gp_devices_ram_total(d) > gp_devices_cgroup_limit(d));
    /* The CPU's memory is the RAM within the cgroup's limit. */
    assert_int_equal(gp_devices_memory_total(d, 0), 16 * GiB);

    /* The command takes the CPU's bandwidth from GGPLACE_MEMBW where
     * detection leaves it unknown. */
    assert_true(gp_devices_bandwidth(d, 0) == 0);
    assert_int_equal(gp_devices_set_cpu_bandwidth(d, 55, &err), GP_OK);
    char *json = NULL;
    assert_int_equal(gp_devices_json(d, &json, &err), GP_OK);
    const char *argv[] = {"ggplace", "devices", "--json"};
    cli_result *r = cli_run(NULL, 3, argv);
    assert_int_equal(r->rc, 0);
    assert_int_equal(strlen(r->out), strlen(json) + 1);
    assert_memory_equal(r->out, json, strlen(json));
    free(json);

    /* A note of the caller's travels with the list. */
    const uint32_t notes = gp_devices_note_count(d);
    assert_int_equal(gp_devices_add_note(d, "RAM size unknown: give --ram", &err), GP_OK);
    assert_int_equal(gp_devices_note_count(d), notes + 1);
    assert_string_equal(gp_devices_note_text(d, notes), "RAM size unknown: give --ram");
    assert_int_equal(gp_devices_add_note(d, NULL, &err), GP_ERR_ARG);
    assert_int_equal(gp_devices_json(NULL, &json, &err), GP_ERR_ARG);
    assert_null(json);
    gp_devices_close(&d);
    unsetenv("GGPLACE_SYSROOT");
    unsetenv("GGPLACE_MEMBW");

    /* Without a list: 0 and "", never a crash. */
    assert_int_equal(gp_devices_cpu_cores(NULL), 0);
    assert_string_equal(gp_devices_cpu_simd(NULL), "");
    assert_null(gp_devices_model(NULL, 0));
    assert_false(gp_devices_described(NULL, 0));
}

/* What `ggplace inspect` shows, through the model's accessors: the same as
 * the model's own fields, and sums that add up. */
static void test_model_details(void **state)
{
    (void)state;
    static const char *const paths[] = {LLAMA, GP_SOURCE_DIR "/examples/gemma-3-4b.gguf",
                                        GP_SOURCE_DIR "/examples/qwen3-30b-a3b.gguf"};
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        gp_model *m = NULL;
        gp_error err = {0};
        assert_int_equal(gp_model_open(paths[k], &m, &err), GP_OK);
        assert_string_equal(gp_model_path(m), paths[k]);
        assert_true(gp_model_architecture_known(m));
        assert_int_equal(gp_model_hparam(m, GP_HP_N_LAYER), m->hp.n_layer_all);
        assert_int_equal(gp_model_hparam(m, GP_HP_N_HEAD_KV), m->hp.n_head_kv);
        assert_int_equal(gp_model_hparam(m, GP_HP_N_EXPERT), m->hp.n_expert);
        assert_int_equal(gp_model_hparam(m, GP_HP_N_CTX_TRAIN), m->hp.n_ctx_train);
        assert_int_equal(gp_model_hparam(m, (gp_hparam)99), 0);
        assert_int_equal(gp_model_tensor_count(m), m->n_tensors);
        assert_int_equal(gp_model_shard_count(m), 1);

        /* The mix covers every byte, largest share first. */
        uint64_t sum = 0;
        for (uint32_t q = 0; q < gp_model_quant_count(m); q++) {
            assert_non_null(gp_model_quant_type(m, q));
            assert_true(q == 0 || gp_model_quant_bytes(m, q) <= gp_model_quant_bytes(m, q - 1));
            sum += gp_model_quant_bytes(m, q);
        }
        assert_int_equal(sum, gp_model_tensor_bytes(m));
        assert_null(gp_model_quant_type(m, gp_model_quant_count(m)));

        uint64_t layers = 0, sliding = 0;
        for (uint32_t il = 0; il < gp_model_hparam(m, GP_HP_N_LAYER); il++) {
            layers += gp_model_layer_bytes(m, il);
            sliding += gp_model_layer_attention(m, il) == GP_ATTENTION_SLIDING;
            assert_int_equal(gp_model_layer_expert_bytes(m, il), m->layers[il].expert_bytes);
        }
        assert_true(layers < gp_model_tensor_bytes(m));
        assert_int_equal(sliding > 0, m->hp.n_swa > 0);

        uint64_t api = 0, internal = 0;
        assert_int_equal(gp_model_kv_bytes_per_token(m, "q8_0", &api, &err), GP_OK);
        assert_true(gp_kv_bytes_per_token(m, -1, GP_TYPE_Q8_0, GP_TYPE_Q8_0, &internal));
        assert_int_equal(api, internal);
        assert_int_equal(gp_model_kv_bytes_per_token(m, "q9_9", &api, &err), GP_ERR_ARG);
        assert_int_equal(gp_model_recurrent_bytes_per_seq(m), 0);

        uint64_t tensors = 0;
        for (uint64_t i = 0; i < gp_model_tensor_count(m); i++) {
            tensors += gp_model_tensor_size(m, i);
            assert_string_equal(gp_model_tensor_name(m, i), m->tensors[i].info->name);
            assert_int_equal(gp_model_tensor_layer(m, i), m->tensors[i].layer);
        }
        assert_int_equal(tensors, gp_model_tensor_bytes(m));
        const uint64_t last = gp_model_tensor_count(m);
        assert_null(gp_model_tensor_name(m, last));
        assert_int_equal(gp_model_tensor_layer(m, last), -1);
        assert_int_equal(gp_model_tensor_dim(m, 0, gp_model_tensor_n_dims(m, 0)), 0);
        assert_string_equal(gp_model_tensor_type(m, 0), gp_type_get(m->tensors[0].info->type)->name);
        gp_model_close(&m);
    }
    assert_null(gp_model_path(NULL));
    assert_int_equal(gp_model_quant_count(NULL), 0);
    assert_int_equal(gp_model_layer_attention(NULL, 0), GP_ATTENTION_FULL);
}

/* A plan's JSON through the API is what `ggplace plan --json` prints, and
 * its page what `ggplace report` writes;
 * text that is not a plan is refused with its source named. */
static void test_plan_report(void **state)
{
    (void)state;
    const char *plan[] = {"ggplace", "plan", LLAMA, "--gpu", "24GiB", "--ram", "64GiB", "--no-detect", "--json"};
    cli_result *r = cli_run(NULL, 9, plan);
    assert_int_equal(r->rc, 0);
    char *json = strdup(r->out);
    char dir[] = "/tmp/gp_api_report_XXXXXX", in[64], out[64];
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof in, "%s/plan.json", dir);
    snprintf(out, sizeof out, "%s/plan.html", dir);
    gp_error err = {0};
    assert_int_equal(gp_write_file_atomic(in, json, strlen(json), false, &err), GP_OK);
    const char *report[] = {"ggplace", "report", in, "-o", out};
    assert_int_equal(cli_run(NULL, 5, report)->rc, 0);
    char *written = NULL;
    size_t len = 0;
    assert_int_equal(gp_read_file(out, 64 << 20, &written, &len, &err), GP_OK);

    /* The same JSON from the plan through the API. */
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_devices *d = machine("24GiB");
    gp_plan_request *req = NULL;
    gp_plan_result *plan_res = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, NULL, d, req, &plan_res, &err), GP_OK);
    cJSON *parsed = cJSON_Parse(json);
    const char *shown = cJSON_GetObjectItem(parsed, "cmd")->valuestring;
    char *api_json = NULL;
    assert_int_equal(gp_plan_json(plan_res, m, shown, &api_json, &err), GP_OK);
    assert_int_equal(strlen(api_json) + 1, strlen(json)); /* the CLI adds a newline */
    assert_memory_equal(api_json, json, strlen(api_json));
    free(api_json);
    assert_int_equal(gp_plan_json(NULL, m, NULL, &api_json, &err), GP_ERR_ARG);
    assert_null(api_json);
    cJSON_Delete(parsed);
    gp_plan_result_close(&plan_res);
    gp_plan_request_close(&req);
    gp_devices_close(&d);
    gp_model_close(&m);

    char *html = NULL;
    assert_int_equal(gp_plan_report_html(json, strlen(json), "plan.json", &html, &err), GP_OK);
    assert_int_equal(strlen(html), len);
    assert_memory_equal(html, written, len);
    free(html);

    assert_int_equal(gp_plan_report_html("{}", 2, "x.json", &html, &err), GP_ERR_FORMAT);
    assert_null(html);
    assert_string_equal(err.file, "x.json");
    assert_int_equal(gp_plan_report_html(NULL, 0, NULL, &html, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_report_html(json, strlen(json), NULL, NULL, &err), GP_ERR_ARG);
    free(written);
    free(json);
    remove(in);
    remove(out);
    rmdir(dir);
}

static void test_command(void **state)
{
    (void)state;
    gp_error err = {0};
    gp_command *c = command("-m model.gguf -c 8192 --jinja -ngld 99");
    assert_string_equal(gp_command_model_path(c), "model.gguf");
    gp_command_close(&c);
    assert_null(c);
    assert_int_equal(gp_command_new(GP_APP_CLI, &c, &err), GP_OK);
    assert_null(gp_command_model_path(c));
    gp_command_close(&c);

    const char *unknown[] = {"-c", "8192", "--no-such-flag"};
    assert_int_equal(gp_command_parse(3, unknown, GP_APP_SERVER, &c, &err), GP_ERR_ARG);
    assert_null(c);
    assert_non_null(strstr(err.message, "--no-such-flag"));
    const char *word[] = {"model.gguf"};
    assert_int_equal(gp_command_parse(1, word, GP_APP_SERVER, &c, &err), GP_ERR_ARG);
    assert_null(c);
    const char *missing[] = {"-c"};
    assert_int_equal(gp_command_parse(1, missing, GP_APP_SERVER, &c, &err), GP_ERR_ARG);
    assert_int_equal(gp_command_new((gp_app)7, &c, &err), GP_ERR_ARG);

    /* gp_command_apply mixes with a caller's own options and keeps copies
     * of what it points at: the flags outlive the caller's strings. */
    assert_int_equal(gp_command_new(GP_APP_SERVER, &c, &err), GP_OK);
    char *argv[] = {strdup("--mine"), strdup("-ngld"), strdup("99"), strdup("--jinja")};
    int i = 1;
    assert_int_equal(gp_command_apply(c, 4, (const char *const *)argv, &i, &err), GP_OK);
    assert_int_equal(i, 3);
    assert_int_equal(gp_command_apply(c, 4, (const char *const *)argv, &i, &err), GP_OK);
    assert_int_equal(i, 4);
    assert_int_equal(gp_command_apply(c, 4, (const char *const *)argv, &i, &err), GP_ERR_ARG);
    for (int k = 0; k < 4; k++) {
        memset(argv[k], 'x', strlen(argv[k]));
        free(argv[k]);
    }
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_devices *d = machine("24GiB");
    gp_plan_request *req = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    gp_plan_result *p = NULL;
    assert_int_equal(gp_plan_create(m, c, d, req, &p, &err), GP_OK);
    const char *const *args = gp_plan_result_args(p);
    size_t n = gp_plan_result_arg_count(p);
    assert_true(n >= 2);
    assert_string_equal(args[n - 2], "-ngld");
    assert_string_equal(args[n - 1], "99");
    assert_null(args[n]);
    gp_plan_result_close(&p);
    gp_plan_request_close(&req);
    gp_devices_close(&d);
    gp_command_close(&c);
    gp_model_close(&m);
}

static void test_mem_matches_internal(void **state)
{
    (void)state;
    gp_error err = {0};
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_devices *d = machine("24GiB");
    gp_command *c = command("-c 8192 -ngl 20 -ctk q8_0 -ctv q8_0");
    gp_mem *mem = NULL;
    assert_int_equal(gp_mem_estimate_cmd(m, c, d, &mem, &err), GP_OK);

    gp_run_params p;
    gp_run_params_default(&p, GP_APP_SERVER);
    const char *flags[] = {"-c", "8192", "-ngl", "20", "-ctk", "q8_0", "-ctv", "q8_0"};
    for (int i = 0; i < 8;)
        assert_int_equal(gp_llama_args_apply(&p, 8, (char *const *)flags, &i, NULL), GP_OK);
    gp_mem_result r;
    assert_int_equal(gp_mem_estimate(m, &p, d, &r, NULL), GP_OK);
    gp_speed sp;
    gp_speed_predict(m, &p, d, &r, &sp);

    assert_int_equal(gp_mem_device_count(mem), 2);
    assert_string_equal(gp_mem_device_name(mem, 1), "CUDA0");
    assert_int_equal(gp_mem_n_ctx(mem), r.ctx.n_ctx);
    assert_int_equal(gp_mem_n_ctx(mem), 8192);
    assert_int_equal(gp_mem_n_seq(mem), r.ctx.n_seq);
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(gp_mem_model_bytes(mem, i), r.dev[i].model);
        assert_int_equal(gp_mem_context_bytes(mem, i), r.dev[i].context);
        assert_int_equal(gp_mem_compute_bytes(mem, i), r.dev[i].compute);
        assert_int_equal(gp_mem_total_at_load(mem, i), gp_mem_on_device(&r, i));
        assert_int_equal(gp_mem_total_at_load(mem, i),
                         gp_mem_model_bytes(mem, i) + gp_mem_context_bytes(mem, i) + gp_mem_compute_bytes(mem, i));
        assert_int_equal(gp_mem_total_in_use(mem, i), gp_mem_in_use(&r, i));
    }
    assert_true(gp_mem_total_in_use(mem, 0) > gp_mem_total_at_load(mem, 0));
    assert_true(gp_mem_decode_tps(mem) == sp.decode_tps && sp.decode_tps > 0);
    assert_true(gp_mem_prefill_tps(mem) == sp.prefill_tps);
    assert_null(gp_mem_device_name(mem, 2));
    assert_int_equal(gp_mem_total_at_load(mem, 2), 0);
    gp_mem_result_free(&r);
    gp_mem_close(&mem);
    assert_null(mem);
    gp_command_close(&c);

    /* No command: llama.cpp's defaults. llama.cpp's own --rpc adds a server
     * of unknown size; -dev none leaves the GPU empty. */
    assert_int_equal(gp_mem_estimate_cmd(m, NULL, d, &mem, &err), GP_OK);
    assert_int_equal(gp_mem_n_ctx(mem), m->hp.n_ctx_train);
    gp_mem_close(&mem);
    c = command("-c 4096 --rpc 10.0.0.9:50052 -dev none");
    assert_int_equal(gp_mem_estimate_cmd(m, c, d, &mem, &err), GP_OK);
    assert_int_equal(gp_mem_device_count(mem), 3);
    assert_string_equal(gp_mem_device_name(mem, 1), "RPC0[10.0.0.9:50052]");
    assert_int_equal(gp_mem_total_at_load(mem, 1), 0);
    assert_int_equal(gp_mem_total_at_load(mem, 2), 0);
    gp_mem_close(&mem);
    gp_command_close(&c);
    /* A context llama.cpp refuses is the caller's error. */
    c = command("-ctv q8_0 -fa off");
    assert_int_equal(gp_mem_estimate_cmd(m, c, d, &mem, &err), GP_ERR_CONFIG);
    assert_null(mem);
    gp_command_close(&c);
    assert_int_equal(gp_mem_estimate_cmd(NULL, NULL, d, &mem, &err), GP_ERR_ARG);
    gp_devices_close(&d);
    gp_model_close(&m);
}

static void test_plan_matches_internal(void **state)
{
    (void)state;
    gp_error err = {0};
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/qwen3-30b-a3b.gguf", &m, &err), GP_OK);
    gp_devices *d = machine("16GiB");
    gp_plan_request *req = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_ctx(req, 16384, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_parallel(req, 2, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_preset(req, "moe_optimized", &err), GP_OK);
    assert_int_equal(gp_plan_request_set_kv(req, "q8_0", &err), GP_OK);
    assert_int_equal(gp_plan_request_set_flash_attn(req, "on", &err), GP_OK);
    assert_int_equal(gp_plan_request_set_margin(req, (int64_t)GiB / 2, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_ram_margin(req, 4 * (int64_t)GiB, &err), GP_OK);
    gp_plan_result *p = NULL;
    assert_int_equal(gp_plan_create(m, NULL, d, req, &p, &err), GP_OK);

    gp_plan internal;
    assert_int_equal(gp_plan_make(m, d, req, &internal, NULL), GP_OK);
    char **args = gp_plan_args(m, d, &internal);
    size_t n = 0;
    for (; args[n]; n++)
        assert_string_equal(gp_plan_result_args(p)[n], args[n]);
    assert_int_equal(gp_plan_result_arg_count(p), n);
    assert_true(gp_plan_result_decode_tps(p) == internal.speed.decode_tps);
    assert_true(gp_plan_result_prefill_tps(p) == internal.speed.prefill_tps);
    assert_int_equal(gp_plan_result_why_count(p), internal.n_why);
    assert_true(internal.n_why > 0);
    assert_string_equal(gp_plan_result_why(p, 0), internal.why[0]);
    assert_null(gp_plan_result_why(p, internal.n_why));
    const gp_mem *mem = gp_plan_result_mem(p);
    assert_int_equal(gp_devices_count(gp_plan_result_devices(p)), 2);
    assert_int_equal(gp_mem_device_count(mem), 2);
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(gp_plan_result_budget(p, i), internal.budget[i]);
        assert_int_equal(gp_mem_total_at_load(mem, i), gp_mem_on_device(&internal.mem, i));
        assert_true(gp_mem_total_at_load(mem, i) <= gp_plan_result_budget(p, i));
    }
    assert_int_equal(gp_mem_n_seq(mem), 2);
    assert_true(gp_mem_decode_tps(mem) == gp_plan_result_decode_tps(p));
    gp_plan_args_free(args);
    gp_plan_free(&internal);
    gp_plan_result_close(&p);
    assert_null(p);

    /* Setters refuse what the CLI refuses, leaving the request as it was. */
    assert_int_equal(gp_plan_request_set_parallel(req, 0, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_parallel(req, 257, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_preset(req, "fastest", &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_kv(req, "q5_1", &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_flash_attn(req, "yes", &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_ctx(req, -5, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_target_vram(req, 1.5, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_app(req, (gp_app)3, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_request_set_ctx(req, GP_PLAN_CTX_MAX, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_target_vram(req, 0.8, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_for_load(req, true, &err), GP_OK);
    assert_int_equal(gp_plan_request_set_app(req, GP_APP_CLI, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, NULL, d, req, &p, &err), GP_OK);
    assert_true(gp_mem_n_ctx(gp_plan_result_mem(p)) >= 16384);
    gp_plan_result_close(&p);
    gp_plan_request_close(&req);
    assert_null(req);
    gp_devices_close(&d);
    gp_model_close(&m);
}

static void test_plan_devices_and_failure(void **state)
{
    (void)state;
    gp_error err = {0};
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_devices *d = machine("2x24GiB");
    gp_plan_request *req = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    /* -dev: the plan is on that GPU alone, and says so in its flags. */
    gp_command *c = command("-dev CUDA1");
    gp_plan_result *p = NULL;
    assert_int_equal(gp_plan_create(m, c, d, req, &p, &err), GP_OK);
    const gp_devices *used = gp_plan_result_devices(p);
    assert_int_equal(gp_devices_count(used), 2);
    assert_string_equal(gp_devices_name(used, 1), "CUDA1");
    bool dev = false;
    for (const char *const *a = gp_plan_result_args(p); *a; a++)
        dev |= !strcmp(a[0], "-dev") && a[1] && !strcmp(a[1], "CUDA1");
    assert_true(dev);
    gp_plan_result_close(&p);
    gp_command_close(&c);
    /* llama.cpp's own --rpc: a server of unknown size, named back in the flags. */
    c = command("--rpc 10.0.0.9:50052");
    assert_int_equal(gp_plan_create(m, c, d, req, &p, &err), GP_OK);
    used = gp_plan_result_devices(p);
    assert_int_equal(gp_devices_count(used), 4);
    assert_string_equal(gp_devices_name(used, 1), "RPC0[10.0.0.9:50052]");
    assert_string_equal(gp_plan_result_args(p)[0], "--rpc");
    assert_string_equal(gp_plan_result_args(p)[1], "10.0.0.9:50052");
    gp_plan_result_close(&p);
    gp_command_close(&c);
    c = command("-dev CUDA7");
    assert_int_equal(gp_plan_create(m, c, d, req, &p, &err), GP_ERR_ARG);
    assert_null(p);
    assert_non_null(strstr(err.message, "CUDA7"));
    gp_command_close(&c);
    gp_model_close(&m);

    /* Nothing fits: GP_ERR_CONFIG, nothing returned. */
    assert_int_equal(gp_model_open(GP_SOURCE_DIR "/examples/deepseek-v3-671b.gguf", &m, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, NULL, d, req, &p, &err), GP_ERR_CONFIG);
    assert_null(p);
    assert_non_null(strstr(err.message, "does not fit"));
    assert_int_equal(gp_plan_create(m, NULL, NULL, req, &p, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_create(m, NULL, d, req, NULL, &err), GP_ERR_ARG);
    gp_plan_result_close(&p);
    gp_plan_result_close(NULL);
    gp_plan_request_close(&req);
    gp_devices_close(&d);
    gp_model_close(&m);
}

/* A llama-swap config re-planned through the API: the diff is what
 * `ggplace swap --dry-run` prints, the warnings and each model's outcome
 * are the lines it reports; a new config is what `swap --generate` prints. */
static void test_swap_config(void **state)
{
    (void)state;
    char dir[] = "/tmp/gp_api_swap_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    const char *text = "models:\n"
                       "  llama:\n"
                       "    cmd: llama-server -m " LLAMA " -c 4096\n"
                       "    tll: 5\n"
                       "  other:\n"
                       "    cmd: python serve.py\n";
    gp_error err = {0};
    assert_int_equal(gp_write_file_atomic(path, text, strlen(text), false, &err), GP_OK);
    const char *dry[] = {"ggplace", "swap", path, "--dry-run", "--gpu", "24GiB", "--ram", "64GiB", "--no-detect"};
    cli_result *r = cli_run(NULL, 9, dry);
    assert_int_equal(r->rc, 0);
    char *cli_diff = strdup(r->out), *cli_err = strdup(r->err);

    gp_devices *d = machine("24GiB");
    gp_swap_request *q = NULL;
    assert_int_equal(gp_swap_request_new(d, NULL, &q, &err), GP_OK);
    gp_devices_close(&d); /* the request keeps its own copy */
    gp_swap_config *c = NULL;
    assert_int_equal(gp_swap_config_rewrite(q, path, text, strlen(text), &c, &err), GP_OK);
    char planned[128], *diff = NULL;
    snprintf(planned, sizeof planned, "%s (planned)", path);
    assert_int_equal(gp_swap_config_diff(c, path, planned, &diff, &err), GP_OK);
    assert_string_equal(diff, cli_diff);
    free(diff);
    assert_true(gp_swap_config_changed(c));
    size_t len = 0;
    assert_non_null(gp_swap_config_text(c, &len));
    assert_int_equal(len, strlen(gp_swap_config_text(c, NULL)));

    assert_int_equal(gp_swap_config_warning_count(c), 1);
    assert_int_equal(gp_swap_config_warning_line(c, 0), 4);
    assert_int_equal(gp_swap_config_warning_column(c, 0), 5);
    assert_non_null(strstr(cli_err, gp_swap_config_warning_text(c, 0)));
    assert_null(gp_swap_config_warning_text(c, 1));
    assert_int_equal(gp_swap_config_model_count(c), 2);
    assert_string_equal(gp_swap_config_model_id(c, 0), "llama");
    assert_int_equal(gp_swap_config_model_line(c, 0), 2);
    assert_int_equal(gp_swap_config_model_outcome(c, 0), GP_SWAP_MODEL_CHANGED);
    assert_string_equal(gp_swap_config_model_path(c, 0), LLAMA);
    char line[1024];
    snprintf(line, sizeof line, "%s:2: llama: re-planned: %s", path, gp_swap_config_model_args(c, 0));
    assert_non_null(strstr(cli_err, line));
    assert_int_equal(gp_swap_config_model_outcome(c, 1), GP_SWAP_MODEL_SKIPPED);
    assert_null(gp_swap_config_model_args(c, 1));
    snprintf(line, sizeof line, "%s:5: other: skipped: %s\n", path, gp_swap_config_model_note(c, 1));
    assert_non_null(strstr(cli_err, line));
    assert_int_equal(gp_swap_config_model_outcome(c, 2), GP_SWAP_MODEL_SKIPPED);
    assert_null(gp_swap_config_model_id(c, 2));

    /* Checking alone: the same warnings, the text as given, no models. */
    gp_swap_config *k = NULL;
    assert_int_equal(gp_swap_config_check(path, text, strlen(text), &k, &err), GP_OK);
    assert_int_equal(gp_swap_config_warning_count(k), 1);
    assert_string_equal(gp_swap_config_warning_text(k, 0), gp_swap_config_warning_text(c, 0));
    assert_string_equal(gp_swap_config_text(k, NULL), text);
    assert_false(gp_swap_config_changed(k));
    assert_int_equal(gp_swap_config_model_count(k), 0);
    gp_swap_config_close(&k);
    gp_swap_config_close(&c);
    assert_null(c);

    /* Only one model re-planned. */
    assert_int_equal(gp_swap_request_add_model(q, "other", &err), GP_OK);
    assert_int_equal(gp_swap_config_rewrite(q, path, text, strlen(text), &c, &err), GP_OK);
    assert_false(gp_swap_config_changed(c));
    gp_swap_config_close(&c);

    /* Invalid YAML: GP_ERR_FORMAT at its place, nothing returned. */
    assert_int_equal(gp_swap_config_rewrite(q, "bad.yaml", "models: [\n", 10, &c, &err), GP_ERR_FORMAT);
    assert_null(c);
    assert_string_equal(err.file, "bad.yaml:2:1");
    assert_int_equal(gp_swap_config_check("bad.yaml", "models: [\n", 10, &c, &err), GP_ERR_FORMAT);
    assert_int_equal(gp_swap_config_rewrite(NULL, path, text, strlen(text), &c, &err), GP_ERR_ARG);
    assert_int_equal(gp_swap_request_set_corun(q, (gp_swap_corun)7, &err), GP_ERR_ARG);
    gp_swap_request_close(&q);
    assert_null(q);

    /* A new config, in groups: what `swap --generate` prints. */
    const char *gen[] = {"ggplace", "swap", "--generate", LLAMA, "--groups", "routing", "--server", "/opt/llama-server",
                         "--gpu", "24GiB", "--ram", "64GiB", "--no-detect"};
    r = cli_run(NULL, 13, gen);
    assert_int_equal(r->rc, 0);
    d = machine("24GiB");
    gp_plan_request *req = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_swap_request_new(d, req, &q, &err), GP_OK);
    assert_int_equal(gp_swap_request_set_corun(q, GP_SWAP_CORUN_GROUPS, &err), GP_OK);
    assert_int_equal(gp_swap_request_set_server(q, "/opt/llama-server", &err), GP_OK);
    const char *paths[] = {LLAMA};
    assert_int_equal(gp_swap_config_generate(q, paths, 1, &c, &err), GP_OK);
    assert_string_equal(gp_swap_config_text(c, NULL), r->out);
    assert_true(gp_swap_config_changed(c));
    assert_int_equal(gp_swap_config_model_outcome(c, 0), GP_SWAP_MODEL_CHANGED);
    assert_int_equal(gp_swap_config_model_line(c, 0), 0);
    gp_swap_config_close(&c);
    assert_int_equal(gp_swap_config_generate(q, paths, 0, &c, &err), GP_ERR_ARG);
    assert_null(c);
    gp_swap_request_close(&q);
    gp_plan_request_close(&req);
    gp_devices_close(&d);
    free(cli_diff);
    free(cli_err);
    remove(path);
    rmdir(dir);
}

/* What the server grows into, item by item, adds up to the in-use figure,
 * and each item says why it has its size. */
static void test_mem_runtime(void **state)
{
    (void)state;
    gp_model *m = NULL;
    gp_error err = {0};
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_devices *d = machine("24GiB");
    gp_command *cmd = command("-c 8192 -np 2 --cache-ram 1024");
    gp_mem *mem = NULL;
    assert_int_equal(gp_mem_estimate_cmd(m, cmd, d, &mem, &err), GP_OK);
    uint64_t sum = gp_mem_logits_bytes(mem);
    assert_true(gp_mem_logits_bytes(mem) > 0);
    assert_int_equal(gp_mem_runtime_count(mem), 4);
    for (uint32_t k = 0; k < gp_mem_runtime_count(mem); k++) {
        sum += gp_mem_runtime_bytes(mem, k);
        assert_non_null(gp_mem_runtime_name(mem, k));
        if (gp_mem_runtime_bytes(mem, k))
            assert_true(strlen(gp_mem_runtime_why(mem, k)) > 0);
    }
    assert_string_equal(gp_mem_runtime_name(mem, 3), "prompt_cache");
    assert_int_equal(gp_mem_runtime_bytes(mem, 3), 1024ull << 20);
    assert_non_null(strstr(gp_mem_runtime_why(mem, 3), "--cache-ram"));
    assert_int_equal(gp_mem_total_in_use(mem, 0), gp_mem_total_at_load(mem, 0) + sum);
    assert_null(gp_mem_runtime_name(mem, 4));
    assert_null(gp_mem_runtime_why(mem, 4));
    assert_int_equal(gp_mem_runtime_bytes(mem, 4), 0);
    /* Nothing loaded besides the model. */
    assert_int_equal(gp_mem_extras_count(mem), 0);
    assert_int_equal(gp_mem_extras_model_bytes(mem, 1), 0);
    assert_int_equal(gp_mem_extras_context_bytes(mem, 1), 0);
    assert_int_equal(gp_mem_extras_compute_bytes(mem, 1), 0);
    gp_mem_close(&mem);

    /* A plan's memory says the same for its flags. */
    gp_plan_request *req = NULL;
    gp_plan_result *plan = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, NULL, d, req, &plan, &err), GP_OK);
    const gp_mem *pm = gp_plan_result_mem(plan);
    sum = gp_mem_logits_bytes(pm);
    for (uint32_t k = 0; k < gp_mem_runtime_count(pm); k++)
        sum += gp_mem_runtime_bytes(pm, k);
    assert_int_equal(gp_mem_total_in_use(pm, 0), gp_mem_total_at_load(pm, 0) + sum);
    assert_int_equal(gp_mem_runtime_count(NULL), 0);
    gp_plan_result_close(&plan);
    gp_plan_request_close(&req);
    gp_command_close(&cmd);
    gp_devices_close(&d);
    gp_model_close(&m);
}

/* What mem prints comes from the estimate: gp_mem_json is `mem --json`, the
 * accessors give the figures its table shows, and --rpc servers are added
 * once. */
static void test_mem_json_and_accessors(void **state)
{
    (void)state;
    char dir[] = "/tmp/gp_api_memjson_XXXXXX", mm[80];
    assert_non_null(mkdtemp(dir));
    snprintf(mm, sizeof mm, "%s/mmproj-llava.gguf", dir);
    assert_true(eb_mmproj(EB_LLAVA15, mm));
    const char *argv[] = {"ggplace", "mem", LLAMA, "-c", "8192", "-np", "2", "--mmproj", mm,
                          "--gpu", "24GiB", "--ram", "64GiB", "--no-detect", "--json"};
    cli_result *r = cli_run(NULL, 15, argv);
    assert_int_equal(r->rc, 0);
    char *shown = strdup(r->out);

    gp_error err = {0};
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_devices *d = machine("24GiB");
    char flags[200];
    snprintf(flags, sizeof flags, "-c 8192 -np 2 --mmproj %s", mm);
    gp_command *cmd = command(flags);
    gp_mem *mem = NULL;
    assert_int_equal(gp_mem_estimate_cmd(m, cmd, d, &mem, &err), GP_OK);
    char *json = NULL;
    assert_int_equal(gp_mem_json(mem, &json, &err), GP_OK);
    assert_int_equal(strlen(json) + 1, strlen(shown)); /* the CLI adds a newline */
    assert_memory_equal(json, shown, strlen(json));

    /* The accessors say what the JSON says. */
    cJSON *j = cJSON_Parse(json);
    assert_int_equal(gp_mem_n_ctx_seq(mem), (uint64_t)cJSON_GetObjectItem(j, "n_ctx_seq")->valuedouble);
    assert_int_equal(gp_mem_n_batch(mem), 2048);
    assert_int_equal(gp_mem_n_ubatch(mem), 512);
    assert_int_equal(gp_mem_kv_unified(mem), cJSON_IsTrue(cJSON_GetObjectItem(j, "kv_unified")));
    assert_int_equal(gp_mem_flash_attn(mem), cJSON_IsTrue(cJSON_GetObjectItem(j, "flash_attn")));
    assert_false(gp_mem_compute_estimated(mem));
    assert_true(gp_mem_compute_checked(mem));
    cJSON *pr = cJSON_GetObjectItem(j, "predicted");
    assert_int_equal(gp_mem_calibrated(mem), cJSON_IsTrue(cJSON_GetObjectItem(pr, "calibrated")));
    if (!gp_mem_calibrated(mem))
        assert_true(gp_mem_calibrated_decode_tps(mem) == gp_mem_decode_tps(mem));
    cJSON *as = cJSON_GetObjectItem(pr, "assumed");
    assert_int_equal(gp_mem_assumption_count(mem), (uint32_t)cJSON_GetArraySize(as));
    assert_true(gp_mem_assumption_count(mem) > 0); /* a bare 24GiB card */
    for (uint32_t k = 0; k < gp_mem_assumption_count(mem); k++)
        assert_string_equal(gp_mem_assumption_text(mem, k), cJSON_GetArrayItem(as, (int)k)->valuestring);
    assert_null(gp_mem_assumption_text(mem, gp_mem_assumption_count(mem)));
    assert_int_equal(gp_mem_extras_count(mem), 1);
    assert_string_equal(gp_mem_extra_kind(mem, 0), "mmproj");
    assert_string_equal(gp_mem_extra_file(mem, 0), "mmproj-llava.gguf");
    assert_string_equal(gp_mem_extras_note(mem), "");
    for (uint32_t i = 0; i < gp_mem_device_count(mem); i++) {
        assert_int_equal(gp_mem_extra_model_bytes(mem, 0, i), gp_mem_extras_model_bytes(mem, i));
        assert_int_equal(gp_mem_extra_context_bytes(mem, 0, i), gp_mem_extras_context_bytes(mem, i));
        assert_int_equal(gp_mem_extra_compute_bytes(mem, 0, i), gp_mem_extras_compute_bytes(mem, i));
    }
    assert_true(gp_mem_extra_model_bytes(mem, 0, 1) > 0);
    assert_null(gp_mem_extra_kind(mem, 1));
    assert_null(gp_mem_extra_file(mem, 1));
    assert_false(gp_mem_extra_estimated(mem, 1));
    assert_int_equal(gp_mem_extra_model_bytes(mem, 1, 1), 0);
    assert_int_equal(gp_mem_extra_model_bytes(mem, 0, 99), 0);
    cJSON_Delete(j);

    /* What the host grows into, a line per item that has bytes. */
    char *text = NULL;
    assert_int_equal(gp_mem_runtime_text(mem, &text, &err), GP_OK);
    assert_non_null(strstr(text, "CPU grows into"));
    for (uint32_t k = 0; k < gp_mem_runtime_count(mem); k++)
        if (gp_mem_runtime_bytes(mem, k))
            assert_non_null(strstr(text, gp_mem_runtime_why(mem, k)));
    free(text);
    assert_int_equal(gp_mem_runtime_text(NULL, &text, &err), GP_ERR_ARG);
    assert_null(text);
    free(json);   /* a refused call clears the caller's pointer */
    json = NULL;
    assert_int_equal(gp_mem_json(NULL, &json, &err), GP_ERR_ARG);
    assert_int_equal(gp_mem_json(mem, NULL, &err), GP_ERR_ARG);
    assert_int_equal(gp_mem_n_ctx_seq(NULL), 0);
    assert_null(gp_mem_extras_note(NULL));
    gp_mem_close(&mem);

    /* --rpc servers join the devices once, of unknown size. */
    gp_command *rpc = command("--rpc 10.0.0.1:50052");
    uint32_t n = gp_devices_count(d);
    assert_int_equal(gp_command_add_rpc_servers(rpc, d, &err), GP_OK);
    assert_int_equal(gp_command_add_rpc_servers(rpc, d, &err), GP_OK);
    assert_int_equal(gp_devices_count(d), n + 1);
    assert_string_equal(gp_devices_kind(d, 1), "rpc");
    assert_string_equal(gp_devices_name(d, 1), "RPC0[10.0.0.1:50052]");
    assert_int_equal(gp_devices_memory_total(d, 1), 0);
    assert_int_equal(gp_command_add_rpc_servers(NULL, d, &err), GP_ERR_ARG);
    gp_command_close(&rpc);

    free(json);
    free(shown);
    gp_command_close(&cmd);
    gp_devices_close(&d);
    gp_model_close(&m);
    remove(mm);
    rmdir(dir);
}

/* Runs `ggplace plan MODEL --gpu 8GiB --ram 64GiB --no-detect` with one
 * more option (NULL: none) and returns its stdout, to free(). */
static char *plan_cli(const char *model, const char *opt, const char *opt2, const char *opt3)
{
    const char *argv[12] = {"ggplace", "plan", model, "--gpu", "8GiB", "--ram", "64GiB", "--no-detect"};
    int argc = 8;
    for (const char *o[] = {opt, opt2, opt3}, **p = o; p < o + 3; p++)
        if (*p)
            argv[argc++] = *p;
    cli_result *r = cli_run(NULL, argc, argv);
    assert_int_equal(r->rc, 0);
    return strdup(r->out);
}

/* What plan prints comes from the plan: the summary, llama-cpp-python's
 * arguments, the -ot rules and the tensors' devices. */
static void test_plan_texts(void **state)
{
    (void)state;
    const char *qwen = GP_SOURCE_DIR "/examples/qwen3-30b-a3b.gguf";
    setenv("COLUMNS", "60", 1);
    char *summary = plan_cli(qwen, NULL, NULL, NULL), *cmd_line = plan_cli(qwen, "--cmd", NULL, NULL);
    char *python = plan_cli(qwen, "--emit", "llama-cpp-python", NULL);
    char *ot = plan_cli(qwen, "--ot-file", "ot.txt", "--dry-run");
    /* (a model of few tensors: the captured output holds 64 KiB) */
    char *tsv = plan_cli(LLAMA, "--analysis-file", "an.tsv", "--dry-run");
    char *verbose = plan_cli(LLAMA, "--verbose", NULL, NULL), *llama_cmd = plan_cli(LLAMA, "--cmd", NULL, NULL);

    gp_error err = {0};
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(qwen, &m, &err), GP_OK);
    gp_devices *d = machine("8GiB");
    gp_plan_request *req = NULL;
    gp_plan_result *plan = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, NULL, d, req, &plan, &err), GP_OK);
    cmd_line[strlen(cmd_line) - 1] = 0;

    char *text = NULL;
    assert_int_equal(gp_plan_summary(plan, m, cmd_line, false, false, 60, &text, &err), GP_OK);
    assert_string_equal(text, summary);
    assert_non_null(strstr(text, "  layers 0-39\n"));
    free(text);
    /* On a terminal the map is coloured, and unwrapped without a width. */
    assert_int_equal(gp_plan_summary(plan, m, NULL, false, true, 0, &text, &err), GP_OK);
    assert_non_null(strstr(text, "\033[0m"));
    assert_null(strstr(text, "  layers 0-"));
    assert_non_null(strstr(text, "command    \n"));
    free(text);

    assert_int_equal(gp_plan_llama_cpp_python(plan, m, qwen, &text, &err), GP_OK);
    assert_string_equal(text, python);
    free(text);
    assert_int_equal(gp_plan_llama_cpp_python(plan, m, NULL, &text, &err), GP_OK);
    assert_string_equal(text, python);
    free(text);

    assert_int_equal(gp_plan_overrides_text(plan, &text, &err), GP_OK);
    assert_true(strlen(text) > 0); /* experts stay on the CPU */
    /* (after the summary) */
    const char *ot_head = "--- -ot rules (ot.txt, not written) ---\n";
    assert_non_null(strstr(ot, ot_head));
    assert_string_equal(strstr(ot, ot_head) + strlen(ot_head), text);
    free(text);

    /* Every tensor's device, and with verbose in the summary. */
    gp_model *lm = NULL;
    gp_plan_result *lplan = NULL;
    assert_int_equal(gp_model_open(LLAMA, &lm, &err), GP_OK);
    assert_int_equal(gp_plan_create(lm, NULL, d, req, &lplan, &err), GP_OK);
    assert_int_equal(gp_plan_tensors_tsv(lplan, lm, &text, &err), GP_OK);
    const char *tsv_head = "--- tensor placement (an.tsv, not written) ---\n";
    assert_non_null(strstr(tsv, tsv_head));
    assert_string_equal(strstr(tsv, tsv_head) + strlen(tsv_head), text);
    size_t lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, gp_model_tensor_count(lm) + 1);
    free(text);
    llama_cmd[strlen(llama_cmd) - 1] = 0;
    assert_int_equal(gp_plan_summary(lplan, lm, llama_cmd, true, false, 60, &text, &err), GP_OK);
    assert_string_equal(text, verbose);
    assert_non_null(strstr(text, "configurations evaluated"));
    free(text);
    gp_plan_result_close(&lplan);
    gp_model_close(&lm);

    assert_int_equal(gp_plan_summary(NULL, m, NULL, false, false, 0, &text, &err), GP_ERR_ARG);
    assert_null(text);
    assert_int_equal(gp_plan_summary(plan, NULL, NULL, false, false, 0, &text, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_llama_cpp_python(plan, m, NULL, NULL, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_overrides_text(NULL, &text, &err), GP_ERR_ARG);
    assert_int_equal(gp_plan_tensors_tsv(plan, NULL, &text, &err), GP_ERR_ARG);
    assert_null(text);

    unsetenv("COLUMNS");
    gp_plan_result_close(&plan);
    gp_plan_request_close(&req);
    gp_devices_close(&d);
    gp_model_close(&m);
    free(summary);
    free(cmd_line);
    free(python);
    free(ot);
    free(tsv);
    free(verbose);
    free(llama_cmd);
}

/* Run options refuse what llama.cpp or the runs would: counts out of range,
 * a baseline that does not split or that llama-server refuses. */
static void test_run_options(void **state)
{
    (void)state;
    gp_run_options *o = NULL;
    gp_error err = {0};
    assert_int_equal(gp_run_options_new(&o, &err), GP_OK);
    assert_int_equal(gp_run_options_set_runs(o, 0, &err), GP_ERR_ARG);
    assert_int_equal(gp_run_options_set_runs(o, 5, &err), GP_OK);
    assert_int_equal(gp_run_options_set_prompt_tokens(o, 100001, &err), GP_ERR_ARG);
    assert_int_equal(gp_run_options_set_predict(o, 16, &err), GP_OK);
    assert_int_equal(gp_run_options_set_soak(o, 0, 600, &err), GP_ERR_ARG);
    assert_int_equal(gp_run_options_set_tune_budget(o, 0, &err), GP_ERR_ARG);
    assert_int_equal(gp_run_options_set_tune_goal(o, (gp_tune_goal)9, &err), GP_ERR_ARG);
    assert_int_equal(gp_run_options_set_tune_goal(o, GP_TUNE_GOAL_BOTH, &err), GP_OK);
    assert_int_equal(gp_run_options_set_baseline(o, "llama-server -m x.gguf --port 9000 -c 4096 -ngl 99", &err),
                     GP_OK);
    assert_int_equal(gp_run_options_set_baseline(o, "-ngl 99 --frobnicate", &err), GP_ERR_ARG);
    assert_non_null(strstr(err.message, "--frobnicate"));
    /* The same words as `ggplace tune --baseline` says. */
    const char *tune[] = {"ggplace", "tune", LLAMA, "--baseline", "-ngl 99 --frobnicate", "--no-detect"};
    cli_result *r = cli_run(NULL, 6, tune);
    assert_int_equal(r->rc, 2);
    char line[GP_ERROR_TEXT + 64];
    snprintf(line, sizeof line, "ggplace: tune: --baseline: %s\n", err.message);
    assert_string_equal(r->err, line);
    assert_int_equal(gp_run_options_set_baseline(o, NULL, &err), GP_OK);
    assert_int_equal(gp_run_options_set_runs(NULL, 1, &err), GP_ERR_ARG);
    gp_run_options_close(&o);
    assert_null(o);
    gp_run_options_close(NULL);
}

/* Runs what follows with its cache (calibrations, headers) in dir; returns
 * the cache before, for cache_back. */
static char *cache_in(const char *dir)
{
    const char *cache = getenv("XDG_CACHE_HOME");
    char *saved = cache ? strdup(cache) : NULL;
    setenv("XDG_CACHE_HOME", dir, 1);
    return saved;
}

/* The cache before cache_in again (freed), and dir removed with all in it. */
static void cache_back(char *saved, const char *dir)
{
    if (saved)
        setenv("XDG_CACHE_HOME", saved, 1);
    else
        unsetenv("XDG_CACHE_HOME");
    free(saved);
    char rm[96];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
}

static bool same_number(double a, double b)
{
    char x[32], y[32];
    snprintf(x, sizeof x, "%.14g", a);
    snprintf(y, sizeof y, "%.14g", b);
    return !strcmp(x, y);
}

/* A verify through the API, against the stand-in llama-server, reports what
 * `ggplace verify --json` prints; a sparse stand-in is what `ggplace sparse`
 * writes. */
static void test_verify_plan(void **state)
{
    (void)state;
    char dir[] = "/tmp/gp_api_verify_XXXXXX", link[64], sparse[64], by_cli[64];
    assert_non_null(mkdtemp(dir));
    snprintf(link, sizeof link, "%s/llama-server", dir);
    snprintf(sparse, sizeof sparse, "%s/model.gguf", dir);
    snprintf(by_cli, sizeof by_cli, "%s/cli.gguf", dir);
    assert_int_equal(symlink(GP_FAKE_SERVER, link), 0);
    setenv("GGPLACE_FAKE_MODE", "ok", 1);
    /* No calibration tune saved, so that the CLI's prediction is the API's. */
    char *saved_cache = cache_in(dir);
    gp_model *m = NULL;
    gp_error err = {0};
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    assert_int_equal(gp_model_write_sparse(m, sparse, &err), GP_OK);
    gp_model_close(&m);
    const char *sp[] = {"ggplace", "sparse", LLAMA, by_cli};
    assert_int_equal(cli_run(NULL, 4, sp)->rc, 0);
    struct stat a, b;
    assert_int_equal(stat(sparse, &a), 0);
    assert_int_equal(stat(by_cli, &b), 0);
    assert_int_equal(a.st_size, b.st_size);
    assert_int_equal(gp_model_write_sparse(NULL, sparse, &err), GP_ERR_ARG);

    const char *verify[] = {"ggplace", "verify", sparse, "--llama-dir", dir, "--runs", "2", "--prompt-tokens", "8",
                            "--predict", "2", "--gpu", "24GiB", "--ram", "64GiB", "--no-detect", "--jinja", "--json"};
    cli_result *r = cli_run(NULL, 18, verify);
    assert_int_equal(r->rc, 0);
    cJSON *j = cJSON_Parse(r->out);
    assert_non_null(j);

    assert_int_equal(gp_model_open(sparse, &m, &err), GP_OK);
    assert_true(gp_model_data_present(m));
    gp_devices *d = machine("24GiB");
    gp_command *cmd = command("--jinja");
    gp_plan_request *req = NULL;
    gp_plan_result *plan = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, cmd, d, req, &plan, &err), GP_OK);
    gp_command_close(&cmd); /* the plan keeps the flags it needs */
    gp_run_options *o = NULL;
    assert_int_equal(gp_run_options_new(&o, &err), GP_OK);
    assert_int_equal(gp_run_options_set_llama_dir(o, dir, &err), GP_OK);
    assert_int_equal(gp_run_options_set_runs(o, 2, &err), GP_OK);
    assert_int_equal(gp_run_options_set_prompt_tokens(o, 8, &err), GP_OK);
    assert_int_equal(gp_run_options_set_predict(o, 2, &err), GP_OK);
    gp_verify_report *v = NULL;
    assert_int_equal(gp_verify_plan(m, plan, o, &v, &err), GP_OK);

    assert_string_equal(gp_verify_report_version(v), cJSON_GetObjectItem(j, "llama_version")->valuestring);
    cJSON *argv = cJSON_GetObjectItem(j, "argv");
    assert_string_equal(gp_verify_report_server(v), cJSON_GetArrayItem(argv, 0)->valuestring);
    assert_int_equal(gp_verify_report_arg_count(v) + 3, cJSON_GetArraySize(argv));
    for (uint32_t k = 0; k < gp_verify_report_arg_count(v); k++)
        assert_string_equal(gp_verify_report_arg(v, k), cJSON_GetArrayItem(argv, (int)k + 3)->valuestring);
    assert_string_equal(gp_verify_report_arg(v, gp_verify_report_arg_count(v) - 1), "--jinja");
    assert_null(gp_verify_report_arg(v, gp_verify_report_arg_count(v)));
    cJSON *t = cJSON_GetObjectItem(j, "timings"), *ps = cJSON_GetObjectItem(j, "predicted_speed");
    assert_true(gp_verify_report_decode_tps(v) == cJSON_GetObjectItem(t, "decode_tps")->valuedouble);
    assert_true(gp_verify_report_prefill_tps(v) == cJSON_GetObjectItem(t, "prefill_tps")->valuedouble);
    assert_int_equal(gp_verify_report_runs(v), 2);
    /* cJSON prints 15 significant digits where they read back within its epsilon. */
    assert_true(same_number(gp_verify_report_predicted_decode_tps(v), cJSON_GetObjectItem(ps, "decode_tps")->valuedouble));
    assert_true(same_number(gp_verify_report_predicted_prefill_tps(v), cJSON_GetObjectItem(ps, "prefill_tps")->valuedouble));
    cJSON *cpu = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), 0);
    cJSON *meas = cJSON_GetObjectItem(cpu, "measured");
    assert_int_equal((uint64_t)(gp_verify_report_model_mib(v, 0) * 1048576.0 + 0.5),
                     (uint64_t)cJSON_GetObjectItem(meas, "model")->valuedouble);
    assert_true(gp_verify_report_context_mib(v, 0) > 0);
    assert_true(gp_verify_report_compute_mib(v, 0) > 0);
    assert_true(gp_verify_report_mapped_mib(v) == 0);
    gp_verify_report_close(&v);
    assert_null(v);

    /* A server that refuses its flags: the error, and the end of its log. */
    setenv("GGPLACE_FAKE_MODE", "refuse", 1);
    assert_int_equal(gp_verify_plan(m, plan, o, &v, &err), GP_ERR_CONFIG);
    assert_non_null(v);
    assert_true(strlen(gp_verify_report_log_tail(v)) > 0);
    gp_verify_report_close(&v);
    gp_soak_report *s = NULL;
    assert_int_equal(gp_soak_plan(m, plan, o, &s, &err), GP_ERR_ARG); /* no soak asked for */
    assert_null(s);
    setenv("GGPLACE_FAKE_MODE", "ok", 1);
    assert_int_equal(gp_run_options_set_soak(o, 2, 5, &err), GP_OK);
    assert_int_equal(gp_soak_plan(m, plan, o, &s, &err), GP_OK);
    assert_int_equal(gp_soak_report_requests(s), 2);
    assert_true(gp_soak_report_peak(s) >= gp_soak_report_peak_anonymous(s));
    assert_string_equal(gp_soak_report_version(s), "version: 1 (fake)");
    gp_soak_report_close(&s);
    assert_int_equal(gp_verify_plan(NULL, plan, o, &v, &err), GP_ERR_ARG);
    assert_null(v);

    /* No llama-bench there: tune says so and returns nothing. */
    gp_tune_report *tr = NULL;
    assert_int_equal(gp_tune_plan(m, NULL, d, req, o, &tr, &err), GP_ERR_MISSING);
    assert_null(tr);
    assert_non_null(strstr(err.message, "llama-bench"));
    assert_int_equal(gp_tune_report_point_count(NULL), 0);
    assert_int_equal(gp_tune_report_step(NULL, 0), -1);

    gp_run_options_close(&o);
    gp_plan_result_close(&plan);
    gp_plan_request_close(&req);
    gp_devices_close(&d);
    gp_model_close(&m);
    cJSON_Delete(j);
    unsetenv("GGPLACE_FAKE_MODE");
    cache_back(saved_cache, dir); /* the cache the runs made goes too */
}

/* The devices a command runs on: its own --rpc servers added, -dev
 * applied; a calibration tune saved scales a plan's speeds. */
static void test_command_devices_and_calibration(void **state)
{
    (void)state;
    gp_devices *d = machine("2x12GiB"), *run = NULL;
    gp_error err = {0};
    gp_command *cmd = command("--rpc 10.0.0.1:50052 -dev CUDA1,RPC0");
    assert_int_equal(gp_command_devices(cmd, d, &run, &err), GP_OK);
    assert_int_equal(gp_devices_count(run), 3);
    assert_string_equal(gp_devices_name(run, 0), "CPU");
    assert_int_equal(gp_devices_count(d), 3); /* the caller's list is left alone */
    gp_devices_close(&run);
    gp_command_close(&cmd);
    cmd = command("-dev CUDA7");
    assert_int_equal(gp_command_devices(cmd, d, &run, &err), GP_ERR_ARG);
    assert_null(run);
    assert_non_null(strstr(err.message, "CUDA7"));
    gp_command_close(&cmd);

    char dir[] = "/tmp/gp_api_calib_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *saved_cache = cache_in(dir);
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(LLAMA, &m, &err), GP_OK);
    gp_plan_request *req = NULL;
    gp_plan_result *plain = NULL, *scaled = NULL;
    assert_int_equal(gp_plan_request_new(&req, &err), GP_OK);
    assert_int_equal(gp_plan_request_use_calibration(req, d, &err), GP_OK); /* none saved */
    assert_int_equal(gp_plan_create(m, NULL, d, req, &plain, &err), GP_OK);
    assert_int_equal(gp_calibration_save(d, NULL, false, 0.5, 0.25, 0, &err), GP_OK);
    assert_int_equal(gp_plan_request_use_calibration(req, d, &err), GP_OK);
    assert_int_equal(gp_plan_create(m, NULL, d, req, &scaled, &err), GP_OK);
    assert_true(gp_plan_result_decode_tps(scaled) < gp_plan_result_decode_tps(plain));
    assert_int_equal(gp_plan_request_use_calibration(req, NULL, &err), GP_ERR_ARG);
    gp_plan_result_close(&plain);
    gp_plan_result_close(&scaled);
    gp_plan_request_close(&req);
    gp_model_close(&m);
    gp_devices_close(&d);
    cache_back(saved_cache, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devices),
        cmocka_unit_test(test_devices_details),
        cmocka_unit_test(test_model_details),
        cmocka_unit_test(test_plan_report),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_mem_matches_internal),
        cmocka_unit_test(test_plan_matches_internal),
        cmocka_unit_test(test_plan_devices_and_failure),
        cmocka_unit_test(test_swap_config),
        cmocka_unit_test(test_mem_runtime),
        cmocka_unit_test(test_mem_json_and_accessors),
        cmocka_unit_test(test_plan_texts),
        cmocka_unit_test(test_run_options),
        cmocka_unit_test(test_verify_plan),
        cmocka_unit_test(test_command_devices_and_calibration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
