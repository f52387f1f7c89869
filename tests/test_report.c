/* The HTML report and the plan JSON it is drawn from: the same page from
 * `plan --report` and `report PLAN.json`, escaped strings, nothing loaded
 * from elsewhere, size limits, errors; the terminal map's wrapping; the
 * progress display staying silent off a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "emit/plan_json.h"
#include "emit/report_html.h"
#include "util/fileio.h"

#define EX(name) GP_SOURCE_DIR "/examples/" name

typedef struct run_result {
    int rc;
    char *out, *err;
    size_t out_len, err_len;
} run_result;

static run_result r;

static void run_free(void)
{
    free(r.out);
    free(r.err);
    memset(&r, 0, sizeof r);
}

static run_result *run(int argc, const char **argv)
{
    run_free();
    FILE *o = open_memstream(&r.out, &r.out_len), *e = open_memstream(&r.err, &r.err_len);
    r.rc = gp_cli_main(argc, (char **)argv, o, e);
    fclose(o);
    fclose(e);
    return &r;
}

#define RUN(...) run((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                     (const char *[]){__VA_ARGS__})

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ggplace-report-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    run_free();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_in(const char *name)
{
    static char p[4][256];
    static int k;
    char *s = p[k++ % 4];
    snprintf(s, sizeof p[0], "%s/%s", tmpdir, name);
    return s;
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    gp_error err;
    if (gp_read_file(path, 64u << 20, &text, &len, &err) != GP_OK)
        fail_msg("cannot read %s: %s", path, err.message);
    return text;
}

static void write_text(const char *path, const char *text)
{
    gp_error err;
    assert_int_equal(gp_write_file_atomic(path, text, strlen(text), false, &err), GP_OK);
}

/* GCC 12 at -O3 inlines slurp() here and takes the address of its local
   (handed to gp_read_file) for something the text may point into: a false
   positive. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- the plan's JSON carries what the report draws -------------------------------------- */

static void test_plan_json_details(void **state)
{
    (void)state;
    RUN("ggplace", "plan", EX("qwen3-30b-a3b.gguf"), "--no-detect", "--gpu", "12GiB", "--gpu", "8GiB",
        "--ram", "64GiB", "--json");
    assert_int_equal(r.rc, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    cJSON *model = cJSON_GetObjectItem(j, "model");
    assert_int_equal(cJSON_GetObjectItem(model, "n_layer")->valuedouble, 48);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "layers")), 48);
    /* Every layer's weights add up with the outside tensors to the plan's. */
    double sum = 0, weights = 0;
    cJSON *l, *p;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(j, "layers"))
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "parts"))
            sum += cJSON_GetObjectItem(p, "bytes")->valuedouble;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "outside"))
        sum += cJSON_GetObjectItem(p, "bytes")->valuedouble;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "tensors"))
        weights += cJSON_GetObjectItem(p, "bytes")->valuedouble;
    assert_true(sum == weights);
    /* Experts of layer 0 are on the CPU in this plan, attention on CUDA0. */
    bool cpu_experts = false;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "layers"), 0), "parts"))
        if (!strcmp(cJSON_GetObjectItem(p, "kind")->valuestring, "experts") &&
            !strcmp(cJSON_GetObjectItem(p, "device")->valuestring, "CPU"))
            cpu_experts = true;
    assert_true(cpu_experts);
    /* The curve: three cache types, each point's totals per device; the
     * plan's own point equals the plan's totals. */
    cJSON *curve = cJSON_GetObjectItem(j, "kv_curve");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(curve, "series")), 3);
    bool found = false;
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(curve, "series")) {
        if (strcmp(cJSON_GetObjectItem(s, "kv_type")->valuestring,
                   cJSON_GetObjectItem(j, "kv_type")->valuestring) != 0)
            continue;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "points")) {
            if (cJSON_GetObjectItem(p, "ctx")->valuedouble != cJSON_GetObjectItem(j, "ctx")->valuedouble)
                continue;
            found = true;
            for (int d = 0; d < 3; d++)
                assert_true(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "totals"), d)->valuedouble ==
                            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), d), "total")
                                ->valuedouble);
            assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "fits")));
        }
    }
    assert_true(found);
    /* Alternatives: f16 and q8_0 were weighed, exactly one chosen, and it is
     * the plan's speed. */
    int chosen = 0;
    cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "alternatives")) {
        if (!cJSON_IsTrue(cJSON_GetObjectItem(a, "chosen")))
            continue;
        chosen++;
        assert_string_equal(cJSON_GetObjectItem(a, "kv_type")->valuestring, "q8_0");
        assert_true(cJSON_GetObjectItem(a, "decode_tps")->valuedouble ==
                    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "predicted"), "decode_tps")->valuedouble);
    }
    assert_int_equal(chosen, 1);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alternatives")) >= 2);
    cJSON_Delete(j);
}

static void test_curve_contexts(void **state)
{
    (void)state;
    uint64_t c[24];
    size_t n = gp_plan_curve_contexts(40960, 32768, c, 24);
    uint64_t want[] = {2048, 4096, 8192, 16384, 32768, 40960};
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(c[i], want[i]);
    n = gp_plan_curve_contexts(1000, 1000, c, 24);
    assert_int_equal(n, 1);
    assert_int_equal(c[0], 1000);
    n = gp_plan_curve_contexts(1u << 30, 5000, c, 8);
    assert_true(n <= 8);
    for (size_t i = 1; i < n; i++)
        assert_true(c[i - 1] < c[i]);
}

/* ---- the page ------------------------------------------------------------------- */

static void test_same_page_both_ways(void **state)
{
    (void)state;
    const char *json = path_in("plan.json"), *a = path_in("a.html"), *b = path_in("b.html");
    RUN("ggplace", "plan", EX("llama-3.1-8b.gguf"), "--no-detect", "--gpu", "12GiB", "--ram", "32GiB", "--json");
    assert_int_equal(r.rc, 0);
    write_text(json, r.out);
    RUN("ggplace", "report", json, "-o", a);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.out_len, 0);
    RUN("ggplace", "plan", EX("llama-3.1-8b.gguf"), "--no-detect", "--gpu", "12GiB", "--ram", "32GiB",
        "--report", b, "--args");
    assert_int_equal(r.rc, 0);
    char *x = slurp(a), *y = slurp(b);
    assert_string_equal(x, y);
    /* One column per layer, the devices with their exact totals. */
    assert_int_equal(count(x, "class=\"layer-col\""), 32);
    assert_non_null(strstr(x, "data-name=\"CUDA0\""));
    assert_non_null(strstr(x, "<!DOCTYPE html>"));
    /* Loads nothing: no src, no external href, a policy that forbids it. */
    assert_null(strstr(x, " src="));
    assert_null(strstr(x, "href=\"http"));
    assert_null(strstr(x, "@import"));
    assert_non_null(strstr(x, "default-src 'none'"));
    free(x);
    free(y);
    /* Standard output without -o; --dry-run writes nothing. */
    RUN("ggplace", "report", json);
    assert_int_equal(r.rc, 0);
    assert_true(!strncmp(r.out, "<!DOCTYPE html>", 15));
    const char *c = path_in("c.html");
    RUN("ggplace", "report", json, "--output", c, "--dry-run");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "not written"));
    assert_int_not_equal(access(c, F_OK), 0);
}

static void test_escaping(void **state)
{
    (void)state;
    const char *hostile =
        "{\"cmd\": \"llama-server -m '<script>alert(1)</script>' && echo \\\"x\\\"\","
        " \"ctx\": 4096, \"kv_type\": \"f16<b>\", \"why\": [\"<img src=x onerror=alert(1)>\"],"
        " \"model\": {\"name\": \"</title><script>x()</script>\", \"path\": \"a&b.gguf\", \"n_layer\": 1},"
        " \"layers\": [{\"index\": 0, \"kv_device\": \"CPU\", \"kv_bytes\": 10, \"kv_kind\": \"full\","
        "   \"parts\": [{\"kind\": \"attention\", \"device\": \"CPU\\\"><script>\", \"bytes\": 5, \"tensors\": 1}]}],"
        " \"devices\": [{\"name\": \"CPU\\\" onmouseover=\\\"x()\", \"model\": 1, \"context\": 2, \"compute\": 3,"
        "   \"total\": 6, \"budget\": null}]}";
    char *html = NULL;
    gp_error err;
    assert_int_equal(gp_report_html(hostile, strlen(hostile), "h.json", &html, &err), GP_OK);
    /* The only script element is the page's own. */
    assert_int_equal(count(html, "<script>"), 1);
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "\" onmouseover=\"x()"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "a&amp;b.gguf"));
    assert_non_null(strstr(html, "data-total=\"6\""));
    free(html);
}

static void test_not_a_plan(void **state)
{
    (void)state;
    const char *bad = path_in("bad.json"), *other = path_in("other.json"), *out = path_in("x.html");
    write_text(bad, "this is not json");
    RUN("ggplace", "report", bad, "-o", out);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "not JSON"));
    write_text(other, "{\"devices\": [{\"name\": \"CPU\"}]}");
    RUN("ggplace", "report", other, "-o", out);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "not a plan"));
    assert_int_not_equal(access(out, F_OK), 0);
    RUN("ggplace", "report");
    assert_int_equal(r.rc, 2);
    RUN("ggplace", "report", bad, "--bogus");
    assert_int_equal(r.rc, 2);
    RUN("ggplace", "report", bad, "-o");
    assert_int_equal(r.rc, 2);
    RUN("ggplace", "report", path_in("missing.json"));
    assert_int_equal(r.rc, 1);
}

/* 1104 tensors (DeepSeek-V3's shape): the page stays well under 1 MiB. */
static void test_large_model_size(void **state)
{
    (void)state;
    const char *html = path_in("large.html");
    RUN("ggplace", "plan", EX("deepseek-v3-671b.gguf"), "--no-detect", "--gpu", "24GiB", "--gpu", "24GiB",
        "--ram", "512GiB", "--report", html, "--args");
    assert_int_equal(r.rc, 0);
    char *x = slurp(html);
    assert_true(strlen(x) < 1024 * 1024);
    assert_int_equal(count(x, "class=\"layer-col\""), 61);
    free(x);
}

/* ---- the terminal ---------------------------------------------------------------- */

static void test_map_wraps_to_columns(void **state)
{
    (void)state;
    setenv("COLUMNS", "40", 1);
    RUN("ggplace", "plan", EX("qwen3-30b-a3b.gguf"), "--no-detect", "--gpu", "12GiB", "--ram", "64GiB");
    unsetenv("COLUMNS");
    assert_int_equal(r.rc, 0);
    /* 48 layers in rows of 20: 0-19, 20-39, 40-47. */
    assert_non_null(strstr(r.out, "  layers 0-19\n"));
    assert_non_null(strstr(r.out, "  layers 40-47\n"));
    for (char *line = r.out; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (!strncmp(line, "  attention + KV", 16) || !strncmp(line, "  experts / FFN", 15))
            assert_true(len <= 40);
        line = nl ? nl + 1 : NULL;
    }
    /* Not a terminal: no colour codes. */
    assert_null(strstr(r.out, "\033["));
    /* Without COLUMNS, a pipe gets one row per kind, as before. */
    RUN("ggplace", "plan", EX("qwen3-30b-a3b.gguf"), "--no-detect", "--gpu", "12GiB", "--ram", "64GiB");
    assert_null(strstr(r.out, "  layers 0-"));
}

static void test_progress_silent_off_terminal(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gp_progress p;
    gp_progress_begin(&p, f, false, "work", 10);
    for (uint64_t i = 0; i <= 10; i++)
        gp_progress_update(&p, i);
    gp_progress_label(&p, "more work");
    gp_progress_end(&p);
    fclose(f);
    assert_int_equal(len, 0);
    free(buf);
    assert_false(gp_progress_enabled(stderr, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_json_details),
        cmocka_unit_test(test_curve_contexts),
        cmocka_unit_test(test_same_page_both_ways),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_not_a_plan),
        cmocka_unit_test(test_large_model_size),
        cmocka_unit_test(test_map_wraps_to_columns),
        cmocka_unit_test(test_progress_silent_off_terminal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
