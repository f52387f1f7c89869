/* The command line as a user meets it: exit codes, one-line errors, output. */
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

#include "cli/cli.h"
#include "gguf/types.h"
#include "cli_run.h"
#include "model_builder.h"

typedef cli_result run_result;

#define RUN(...) cli_run(NULL, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                     (const char *[]){__VA_ARGS__})

/* Every error is exactly one line, starting with "ggplace: ". */
static void assert_one_line_error(const run_result *r, const char *needle)
{
    assert_true(strncmp(r->err, "ggplace: ", 9) == 0);
    char *nl = strchr(r->err, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    if (needle && !strstr(r->err, needle))
        fail_msg("stderr '%s' lacks '%s'", r->err, needle);
}

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ggplace-cli-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_version_and_help(void **state)
{
    (void)state;
    run_result *r = RUN("ggplace", "--version");
    assert_int_equal(r->rc, 0);
    assert_string_equal(r->out, "ggplace " GGPLACE_VERSION "\n");
    r = RUN("ggplace", "--help");
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "inspect"));
    r = RUN("ggplace", "help", "inspect");
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "--tensors"));
    r = RUN("ggplace", "inspect", "--help");
    assert_int_equal(r->rc, 0);
    r = RUN("ggplace");
    assert_int_equal(r->rc, 2);
    r = RUN("ggplace", "frobnicate");
    assert_int_equal(r->rc, 2);
    assert_one_line_error(r, "frobnicate");
    r = RUN("ggplace", "inspect", "--bogus", "x.gguf");
    assert_int_equal(r->rc, 2);
    assert_one_line_error(r, "--bogus");
    r = RUN("ggplace", "inspect");
    assert_int_equal(r->rc, 2);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_bad_files(void **state)
{
    (void)state;
    char path[256];
    run_result *r = RUN("ggplace", "inspect", "/nonexistent/model.gguf");
    assert_int_equal(r->rc, 1);
    assert_one_line_error(r, "/nonexistent/model.gguf");

    r = RUN("ggplace", "inspect", tmpdir);
    assert_int_equal(r->rc, 1);
    assert_one_line_error(r, "directory");

    snprintf(path, sizeof path, "%s/empty.gguf", tmpdir);
    write_file(path, "", 0);
    r = RUN("ggplace", "inspect", path);
    assert_int_equal(r->rc, 1);
    assert_one_line_error(r, "empty.gguf");

    snprintf(path, sizeof path, "%s/text.gguf", tmpdir);
    write_file(path, "hello world\n", 12);
    r = RUN("ggplace", "inspect", "--json", path);
    assert_int_equal(r->rc, 1);
    assert_one_line_error(r, "magic");
    assert_string_equal(r->out, "");

    /* A valid GGUF that is not a model: no architecture. */
    gw *w = gw_new(3);
    gw_u32(w, "general.alignment", 32);
    snprintf(path, sizeof path, "%s/noarch.gguf", tmpdir);
    assert_true(gw_write(w, path, false));
    gw_free(w);
    r = RUN("ggplace", "inspect", path);
    assert_int_equal(r->rc, 1);
    assert_one_line_error(r, "general.architecture");
}

static void test_inspect_json_contract(void **state)
{
    (void)state;
    mb_spec s = {.arch = "qwen3moe", .n_layer = 4, .n_embd = 256, .n_head = 8, .n_head_kv = 2,
                 .head_dim = 32, .n_ff = 512, .n_vocab = 1000, .n_expert = 8,
                 .n_expert_used = 2, .n_ff_exp = 256};
    gw *w = mb_build(&s);
    char path[256];
    snprintf(path, sizeof path, "%s/moe.gguf", tmpdir);
    assert_true(gw_write(w, path, false));
    gw_free(w);
    run_result *r = RUN("ggplace", "inspect", path, "--json", "--tensors");
    assert_int_equal(r->rc, 0);
    cJSON *j = cJSON_Parse(r->out);
    assert_non_null(j);
    static const char *keys[] = {"architecture", "name", "file_type", "n_params", "tensor_count",
                                 "tensor_bytes", "n_layer", "n_embd", "n_head", "n_head_kv",
                                 "n_vocab", "n_ctx_train", "n_expert", "n_expert_used",
                                 "data_present", "tensors"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!cJSON_GetObjectItem(j, keys[i]))
            fail_msg("missing key %s", keys[i]);
    assert_string_equal(cJSON_GetObjectItem(j, "architecture")->valuestring, "qwen3moe");
    assert_int_equal(cJSON_GetObjectItem(j, "n_expert")->valuedouble, 8);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "data_present")));
    cJSON *tensors = cJSON_GetObjectItem(j, "tensors");
    assert_int_equal(cJSON_GetArraySize(tensors), cJSON_GetObjectItem(j, "tensor_count")->valuedouble);
    cJSON *t0 = cJSON_GetArrayItem(tensors, 0);
    static const char *tkeys[] = {"name", "type", "shape", "bytes", "offset", "layer", "role"};
    for (size_t i = 0; i < sizeof tkeys / sizeof tkeys[0]; i++)
        assert_non_null(cJSON_GetObjectItem(t0, tkeys[i]));
    cJSON_Delete(j);

    r = RUN("ggplace", "inspect", path);
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "8 routed (2 used per token)"));
    assert_non_null(strstr(r->out, "data absent"));
}

static void test_shards(void **state)
{
    (void)state;
    /* Two shards: metadata in the first, tensors split between them. */
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/m-00001-of-00002.gguf", tmpdir);
    snprintf(p2, sizeof p2, "%s/m-00002-of-00002.gguf", tmpdir);
    gw *w = gw_new(3);
    gw_str(w, "general.architecture", "llama");
    gw_u32(w, "llama.block_count", 1);
    gw_u32(w, "llama.embedding_length", 64);
    gw_u32(w, "llama.attention.head_count", 2);
    gw_u32(w, "llama.vocab_size", 10);
    gw_u32(w, "split.count", 2);
    gw_tensor2(w, "token_embd.weight", GP_TYPE_F16, 64, 10);
    assert_true(gw_write(w, p1, false));
    gw_free(w);
    w = gw_new(3);
    gw_u32(w, "split.count", 2);
    gw_tensor2(w, "blk.0.attn_q.weight", GP_TYPE_F16, 64, 64);
    assert_true(gw_write(w, p2, false));
    gw_free(w);
    run_result *r = RUN("ggplace", "inspect", "--json", p1);
    assert_int_equal(r->rc, 0);
    cJSON *j = cJSON_Parse(r->out);
    assert_int_equal(cJSON_GetObjectItem(j, "tensor_count")->valuedouble, 2);
    assert_int_equal(cJSON_GetObjectItem(j, "shards")->valuedouble, 2);
    assert_int_equal(cJSON_GetObjectItem(j, "tensor_bytes")->valuedouble, 64 * 10 * 2 + 64 * 64 * 2);
    cJSON_Delete(j);
    unlink(p2);
    r = RUN("ggplace", "inspect", p1);
    assert_int_equal(r->rc, 1);
    assert_one_line_error(r, "m-00002-of-00002.gguf");
}

/* llama.cpp names RPC devices RPC0, RPC1... in the order --rpc gives their
   servers: a plan keeps -dev RPC1 and the --rpc list it counts in, and the
   subsets the planner tries itself are named the same way. */
static void test_rpc_device_names(void **state)
{
    (void)state;
    const char *model = GP_SOURCE_DIR "/examples/llama-3.1-8b.gguf";
    run_result *r = RUN("ggplace", "plan", model, "--no-detect", "--ram", "64GiB", "--rpc",
                        "127.0.0.1:50001,127.0.0.1:50002", "-dev", "RPC1", "--args");
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "--rpc 127.0.0.1:50001,127.0.0.1:50002 -dev RPC1 "));
    r = RUN("ggplace", "mem", model, "--no-detect", "--ram", "64GiB", "--rpc", "127.0.0.1:50001,127.0.0.1:50002",
            "-dev", "RPC2");
    assert_int_not_equal(r->rc, 0);
    assert_one_line_error(r, "RPC2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_help),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_inspect_json_contract),
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_rpc_device_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
