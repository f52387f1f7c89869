/* Models by URL and from Hugging Face: headers read over HTTP ranges from a
 * local server, planned exactly as the same files on disk. */
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

#include "calib.h"
#include "cli/cli.h"
#include "gguf/gguf.h"
#include "source/hf.h"
#include "source/remote.h"
#include "extras_builder.h"
#include "http_fixture.h"

static http_fixture F;
static char tmpdir[64];

static const char *const calib[] = {"deepseek-v2-lite", "gemma-3-4b", "lfm2-1.2b", "llama-3.1-8b",
                                    "llama-tiny", "qwen3-30b-a3b", "qwen3-8b"};
static const char *const examples[] = {"deepseek-v3-671b", "gemma-3-4b", "llama-3.1-8b", "qwen3-30b-a3b"};
#define N_CALIB (sizeof calib / sizeof calib[0])
#define N_EXAMPLES (sizeof examples / sizeof examples[0])


static void example_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/examples/%s.gguf", GP_SOURCE_DIR, name);
}

/* The size of the whole model a header describes. */
static uint64_t full_size(const char *path)
{
    gp_gguf *g = NULL;
    gp_error err;
    if (gp_gguf_open(path, &g, &err) != GP_OK)
        return 0;
    uint64_t n = g->data_offset + g->data_size;
    gp_gguf_close(&g);
    return n;
}

static uint64_t header_size(const char *path)
{
    gp_gguf *g = NULL;
    gp_error err;
    if (gp_gguf_open(path, &g, &err) != GP_OK)
        return 0;
    uint64_t n = g->header_size;
    gp_gguf_close(&g);
    return n;
}

/* ---- running the CLI in-process ---------------------------------------------------- */

typedef struct run_result {
    int rc;
    char *out;
    char *err;
} run_result;

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static run_result run_argv(int argc, const char **argv)
{
    run_result r = {0};
    size_t on = 0, en = 0;
    FILE *o = open_memstream(&r.out, &on), *e = open_memstream(&r.err, &en);
    r.rc = gp_cli_main(argc, (char **)argv, o, e);
    fclose(o);
    fclose(e);
    return r;
}

#define RUN(...) run_argv((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                          (const char *[]){__VA_ARGS__})

/* Replaces every occurrence of from with to (in a new string). */
static char *replace(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
        n++;
    char *out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1), *w = out;
    for (const char *p = s;;) {
        const char *q = strstr(p, from);
        if (!q) {
            strcpy(w, p);
            break;
        }
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, tl);
        w += tl;
        p = q + fl;
    }
    return out;
}

static void assert_one_line_error(const run_result *r, const char *needle)
{
    if (r->rc != 1)
        fail_msg("rc %d, stderr '%s'", r->rc, r->err);
    assert_true(strncmp(r->err, "ggplace: ", 9) == 0);
    char *nl = strchr(r->err, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    if (needle && !strstr(r->err, needle))
        fail_msg("stderr '%s' lacks '%s'", r->err, needle);
}

static bool exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* ---- a split model, written byte by byte as gguf-split lays it out ------------------ */

static void put(FILE *f, const void *p, size_t n) { fwrite(p, 1, n, f); }
static void put_u16(FILE *f, uint16_t v) { put(f, &v, 2); }
static void put_u32(FILE *f, uint32_t v) { put(f, &v, 4); }
static void put_u64(FILE *f, uint64_t v) { put(f, &v, 8); }
static void put_str(FILE *f, const char *s)
{
    put_u64(f, strlen(s));
    put(f, s, strlen(s));
}

static uint64_t tinfo_size(const gp_gguf_tensor *t)
{
    return 8 + strlen(t->name) + 4 + 8ull * t->n_dims + 4 + 8;
}

/* Writes PREFIX-0000k-of-00003.gguf: the metadata in the first shard, the
 * tensors split in three, split.* keys in every shard, no data. */
static void write_shards(const char *src, const char *prefix)
{
    gp_gguf *g = NULL;
    gp_error err;
    assert_int_equal(gp_gguf_open(src, &g, &err), GP_OK);
    assert_int_equal(g->alignment, 32);
    uint64_t tbytes = 0;
    for (size_t i = 0; i < g->n_tensors; i++)
        tbytes += tinfo_size(&g->tensors[i]);
    size_t kv_start = 24, kv_end = (size_t)(g->header_size - tbytes);
    size_t n = g->n_tensors, cut[4] = {0, n / 3, 2 * n / 3, n};
    for (int k = 0; k < 3; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s-%05d-of-00003.gguf", prefix, k + 1);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        put(f, "GGUF", 4);
        put_u32(f, 3);
        put_u64(f, cut[k + 1] - cut[k]);
        put_u64(f, (k == 0 ? g->n_kv : 0) + 3);
        if (k == 0)
            put(f, g->bytes + kv_start, kv_end - kv_start);
        put_str(f, "split.no");
        put_u32(f, GGUF_U16);
        put_u16(f, (uint16_t)k);
        put_str(f, "split.count");
        put_u32(f, GGUF_U16);
        put_u16(f, 3);
        put_str(f, "split.tensors.count");
        put_u32(f, GGUF_I32);
        put_u32(f, (uint32_t)n);
        uint64_t off = 0;
        for (size_t i = cut[k]; i < cut[k + 1]; i++) {
            const gp_gguf_tensor *t = &g->tensors[i];
            put_str(f, t->name);
            put_u32(f, t->n_dims);
            for (uint32_t d = 0; d < t->n_dims; d++)
                put_u64(f, (uint64_t)t->ne[d]);
            put_u32(f, t->type);
            put_u64(f, off);
            off += (t->bytes + 31) / 32 * 32;
        }
        long pos = ftell(f);
        while (pos++ % 32)
            fputc(0, f);
        fclose(f);
    }
    gp_gguf_close(&g);
}

/* ---- fixture -------------------------------------------------------------------------- */

static char split_prefix[256];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ggplace-remote-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char p[1024], name[512];
    /* Predictable networking for the tests: no proxies, short timeouts,
     * no token, a private cache. */
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    unsetenv("HF_TOKEN");
    unsetenv("HF_TOKEN_PATH");
    unsetenv("MODEL_ENDPOINT");
    /* Generous for the transfers that must succeed on a loaded machine;
     * the slow-server test shortens it. */
    setenv("GGPLACE_HTTP_TIMEOUT", "20", 1);
    setenv("GGPLACE_HTTP_CONNECT_TIMEOUT", "10", 1);
    snprintf(p, sizeof p, "%s/cache", tmpdir);
    setenv("XDG_CACHE_HOME", p, 1);
    snprintf(p, sizeof p, "%s/hf", tmpdir);
    mkdir(p, 0755);
    setenv("HF_HOME", p, 1);

    for (size_t i = 0; i < N_CALIB; i++) {
        calib_model(p, sizeof p, calib[i]);
        snprintf(name, sizeof name, "c/%s.gguf", calib[i]);
        fx_add_file(&F, name, p, 0);
        snprintf(name, sizeof name, "full/%s.gguf", calib[i]);
        fx_add_file(&F, name, p, full_size(p));
    }
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        example_path(p, sizeof p, examples[i]);
        snprintf(name, sizeof name, "e/%s.gguf", examples[i]);
        fx_add_file(&F, name, p, 0);
        snprintf(name, sizeof name, "efull/%s.gguf", examples[i]);
        fx_add_file(&F, name, p, full_size(p));
    }
    /* Not a model; a header cut in half. */
    snprintf(p, sizeof p, "%s/page.html", tmpdir);
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 2000; i++)
        fputs("<html><body>not a model</body></html>\n", f);
    fclose(f);
    fx_add_file(&F, "notgguf.gguf", p, 0);
    {
        char src[1024];
        calib_model(src, sizeof src, "llama-tiny");
        FILE *in = fopen(src, "rb");
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, in);
        fclose(in);
        snprintf(p, sizeof p, "%s/trunc.gguf", tmpdir);
        f = fopen(p, "wb");
        fwrite(buf, 1, n / 2, f);
        fclose(f);
        fx_add_file(&F, "trunc.gguf", p, 0);
    }
    /* A model split in three, on disk and served. */
    calib_model(p, sizeof p, "qwen3-30b-a3b");
    snprintf(split_prefix, sizeof split_prefix, "%s/qwen3-30b-a3b", tmpdir);
    write_shards(p, split_prefix);
    for (int k = 1; k <= 3; k++) {
        char shard[1024];
        snprintf(shard, sizeof shard, "%s-%05d-of-00003.gguf", split_prefix, k);
        snprintf(name, sizeof name, "split/qwen3-30b-a3b-%05d-of-00003.gguf", k);
        fx_add_file(&F, name, shard, 0);
        snprintf(name, sizeof name, "acme/Split-GGUF/Q4_K_M/Qwen3-30B-A3B-Q4_K_M-%05d-of-00003.gguf", k);
        fx_add_file(&F, name, shard, 0);
    }
    /* Hugging Face-like repositories. */
    calib_model(p, sizeof p, "llama-3.1-8b");
    fx_add_file(&F, "acme/Llama-GGUF/Llama-3.1-8B-Q4_K_M.gguf", p, 0);
    calib_model(p, sizeof p, "qwen3-8b");
    fx_add_file(&F, "acme/Llama-GGUF/Llama-3.1-8B-Q8_0.gguf", p, 0);
    /* A projector (LLaVA-1.5 shaped, 4096 wide like the model). */
    snprintf(p, sizeof p, "%s/mmproj.gguf", tmpdir);
    if (!eb_mmproj(EB_LLAVA15, p))
        return -1;
    fx_add_file(&F, "acme/Llama-GGUF/mmproj-Llama-3.1-8B-F16.gguf", p, 0);
    calib_model(p, sizeof p, "llama-tiny");
    fx_add_file(&F, "gated/Tiny-GGUF/tiny-Q4_K_M.gguf", p, 0);
    if (!fx_start(&F))
        return -1;
    setenv("HF_ENDPOINT", F.base, 1);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fx_stop(&F);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void url_of(char *buf, size_t cap, const char *rest)
{
    snprintf(buf, cap, "%s/%s", F.base, rest);
}

/* ---- how much of a partly read header is missing -------------------------------------- */

static void test_header_need(void **state)
{
    (void)state;
    char p[1024];
    calib_model(p, sizeof p, "llama-tiny");
    gp_gguf *g = NULL;
    gp_error err;
    assert_int_equal(gp_gguf_open(p, &g, &err), GP_OK);
    uint64_t need;
    assert_int_equal(gp_gguf_header_need(g->bytes, g->size, &need), 1);
    assert_int_equal(need, g->header_size);
    /* Every prefix asks for more than it has, never beyond a sane bound. */
    for (size_t have = 0; have < g->header_size; have += 997) {
        int r = gp_gguf_header_need(g->bytes, have, &need);
        assert_int_equal(r, 0);
        assert_true(need > have);
    }
    assert_int_equal(gp_gguf_header_need((const unsigned char *)"<html>", 6, &need), -1);
    gp_gguf_close(&g);
}

/* ---- acceptance 1: the same plan from a URL as from the file -------------------------- */

static void check_plan_identical(const char *file, const char *url)
{
    run_result a = RUN("ggplace", "plan", file, "--json", "--gpu", "24GiB", "--no-detect", "--ram", "64GiB");
    run_result b = RUN("ggplace", "plan", url, "--json", "--gpu", "24GiB", "--no-detect", "--ram", "64GiB");
    assert_int_equal(a.rc, b.rc);
    if (a.rc == 0) {
        /* Only the model's name differs: -m FILE becomes -mu URL. */
        char from[2048], to[2048];
        snprintf(from, sizeof from, "-mu %s", url);
        snprintf(to, sizeof to, "-m %s", file);
        char *t1 = replace(b.out, from, to);
        char *t2 = replace(t1, url, file);
        if (strcmp(a.out, t2) != 0)
            fail_msg("plan of %s differs from plan of %s", url, file);
        assert_non_null(strstr(b.out, from));
        free(t1);
        free(t2);
    } else {
        /* The same refusal, named by the file or by the URL. */
        const char *ea = strstr(a.err, file), *eb = strstr(b.err, url);
        assert_non_null(ea);
        assert_non_null(eb);
        assert_string_equal(ea + strlen(file), eb + strlen(url));
    }
    run_free(&a);
    run_free(&b);
}

static void test_plan_url_identical(void **state)
{
    (void)state;
    char file[1024], url[1024], rest[256];
    for (size_t i = 0; i < N_CALIB; i++) {
        calib_model(file, sizeof file, calib[i]);
        snprintf(rest, sizeof rest, "r/c/%s.gguf", calib[i]);
        url_of(url, sizeof url, rest);
        check_plan_identical(file, url);
        /* A server that ignores ranges gives the same plan. */
        snprintf(rest, sizeof rest, "n/c/%s.gguf", calib[i]);
        url_of(url, sizeof url, rest);
        check_plan_identical(file, url);
    }
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        example_path(file, sizeof file, examples[i]);
        snprintf(rest, sizeof rest, "redir/e/%s.gguf", examples[i]);
        url_of(url, sizeof url, rest);
        check_plan_identical(file, url);
    }
}

/* What a header costs: at most 1.1x its size plus the first range. */
static void test_bytes_bound(void **state)
{
    (void)state;
    gp_remote_opts o = {.no_cache = true};
    char file[1024], url[1024], rest[256];
    print_message("%-22s %12s %12s %8s %5s\n", "header", "header bytes", "transferred", "ratio", "reqs");
    for (size_t i = 0; i < N_CALIB + N_EXAMPLES; i++) {
        const char *name = i < N_CALIB ? calib[i] : examples[i - N_CALIB];
        if (i < N_CALIB) {
            calib_model(file, sizeof file, name);
            snprintf(rest, sizeof rest, "r/full/%s.gguf", name);
        } else {
            example_path(file, sizeof file, name);
            snprintf(rest, sizeof rest, "r/efull/%s.gguf", name);
        }
        url_of(url, sizeof url, rest);
        uint64_t hs = header_size(file);
        fx_reset_stats(&F);
        gp_gguf *g = NULL;
        gp_remote_stats st;
        gp_error err = {0};
        if (gp_remote_fetch_header(url, &o, &g, &st, &err) != GP_OK)
            fail_msg("%s: %s", url, err.message);
        uint64_t sent = __atomic_load_n(&F.stats->bytes, __ATOMIC_SEQ_CST);
        print_message("%-22s %12llu %12llu %8.3f %5u\n", name, (unsigned long long)hs,
                      (unsigned long long)sent, (double)sent / (double)hs, st.requests);
        assert_int_equal(st.header_size, hs);
        assert_true(st.ranged);
        assert_true(g->data_present);
        assert_int_equal(st.file_size, full_size(file));
        assert_int_equal(sent, st.bytes);
        assert_true((double)sent <= 1.1 * (double)hs + 1024.0 * 1024.0);
        gp_gguf_close(&g);
    }
    /* Read as a stream, the transfer stops right after the header. (After
     * the ranged reads: an aborted stream's server keeps counting what its
     * socket buffers accept.) */
    for (size_t i = 0; i < N_CALIB + N_EXAMPLES; i++) {
        const char *name = i < N_CALIB ? calib[i] : examples[i - N_CALIB];
        if (i < N_CALIB)
            calib_model(file, sizeof file, name);
        else
            example_path(file, sizeof file, name);
        uint64_t hs = header_size(file);
        gp_gguf *g = NULL;
        gp_remote_stats st;
        gp_error err = {0};
        snprintf(rest, sizeof rest, i < N_CALIB ? "n/full/%s.gguf" : "n/efull/%s.gguf", name);
        url_of(url, sizeof url, rest);
        if (gp_remote_fetch_header(url, &o, &g, &st, &err) != GP_OK)
            fail_msg("%s: %s", url, err.message);
        assert_false(st.ranged);
        assert_true(g->data_present);
        assert_true(st.bytes <= hs + 1024 * 1024);
        gp_gguf_close(&g);
    }
}

/* ---- faults --------------------------------------------------------------------------- */

static void check_fault(const char *rest, const char *needle)
{
    char url[1024], cache[1200];
    url_of(url, sizeof url, rest);
    run_result r = RUN("ggplace", "plan", url, "--json", "--gpu", "24GiB", "--no-detect");
    assert_one_line_error(&r, needle);
    assert_non_null(strstr(r.err, url));
    assert_true(gp_remote_cache_path(NULL, url, cache, sizeof cache));
    assert_false(exists(cache));
    run_free(&r);
}

static void test_fault_404(void **state) { (void)state; check_fault("status/404/x.gguf", "HTTP 404"); }
static void test_fault_401(void **state) { (void)state; check_fault("status/401/x.gguf", "HTTP 401"); }
static void test_fault_403(void **state) { (void)state; check_fault("status/403/x.gguf", "HTTP 403"); }
static void test_fault_416(void **state) { (void)state; check_fault("range416/c/llama-tiny.gguf", "HTTP 416"); }
static void test_fault_reset(void **state)
{
    (void)state;
    check_fault("reset/full/qwen3-8b.gguf", "connection lost after");
}
static void test_fault_short_body(void **state)
{
    (void)state;
    check_fault("lie/full/qwen3-8b.gguf", "closed the connection after");
}
static void test_fault_truncated_header(void **state)
{
    (void)state;
    check_fault("r/trunc.gguf", "truncated GGUF");
}
static void test_fault_redirect_loop(void **state) { (void)state; check_fault("loop/x.gguf", "redirect loop"); }
static void test_fault_slow(void **state)
{
    (void)state;
    setenv("GGPLACE_HTTP_TIMEOUT", "1", 1);
    check_fault("slow/c/llama-tiny.gguf", "timed out");
    setenv("GGPLACE_HTTP_TIMEOUT", "20", 1);
}
/* A transfer its client gave up on goes on writing a little while (the
 * slow server sends a byte every 200 ms until the socket fails); none of it
 * may be counted for what a later test measures. */
static void test_abandoned_transfer_not_counted(void **state)
{
    (void)state;
    setenv("GGPLACE_HTTP_TIMEOUT", "1", 1);
    check_fault("slow/c/llama-tiny.gguf", "timed out");
    setenv("GGPLACE_HTTP_TIMEOUT", "20", 1);
    fx_reset_stats(&F);
    assert_true(fx_wait_idle(&F, 20000));
    assert_int_equal(__atomic_load_n(&F.stats->bytes, __ATOMIC_SEQ_CST), 0);
    assert_int_equal(__atomic_load_n(&F.stats->requests, __ATOMIC_SEQ_CST), 0);
}
static void test_fault_not_gguf(void **state) { (void)state; check_fault("r/notgguf.gguf", "not a GGUF file"); }
static void test_fault_no_server(void **state)
{
    (void)state;
    run_result r = RUN("ggplace", "inspect", "http://127.0.0.1:1/x.gguf");
    assert_one_line_error(&r, "cannot connect");
    run_free(&r);
}

/* ---- the cache and --offline ------------------------------------------------------------ */

static void test_cache_offline(void **state)
{
    (void)state;
    char url[1024], cache[1200];
    url_of(url, sizeof url, "r/c/lfm2-1.2b.gguf");
    assert_true(gp_remote_cache_path(NULL, url, cache, sizeof cache));
    unlink(cache);
    run_result a = RUN("ggplace", "inspect", url, "--json");
    assert_int_equal(a.rc, 0);
    assert_true(exists(cache));
    /* Again: the ETag matches, nothing is transferred. */
    fx_reset_stats(&F);
    run_result b = RUN("ggplace", "inspect", url, "--json");
    assert_int_equal(b.rc, 0);
    assert_string_equal(a.out, b.out);
    assert_int_equal(__atomic_load_n(&F.stats->bytes, __ATOMIC_SEQ_CST), 0);
    /* Offline: no request at all. */
    fx_reset_stats(&F);
    run_result c = RUN("ggplace", "inspect", url, "--json", "--offline");
    assert_int_equal(c.rc, 0);
    assert_string_equal(a.out, c.out);
    assert_int_equal(__atomic_load_n(&F.stats->requests, __ATOMIC_SEQ_CST), 0);
    run_result d = RUN("ggplace", "mem", url, "--offline", "--json", "--gpu", "24GiB", "--no-detect");
    assert_int_equal(d.rc, 0);
    char other[1024];
    url_of(other, sizeof other, "r/c/gemma-3-4b.gguf?never-read");
    run_result e = RUN("ggplace", "inspect", other, "--offline");
    assert_one_line_error(&e, "--offline");
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    run_free(&e);
}

static void test_verify_refuses_url(void **state)
{
    (void)state;
    char url[1024];
    url_of(url, sizeof url, "r/c/llama-tiny.gguf");
    run_result r = RUN("ggplace", "verify", url);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "needs the model file"));
    run_free(&r);
    r = RUN("ggplace", "plan", "-hff", "x.gguf", "--json");
    assert_int_equal(r.rc, 2);
    run_free(&r);
    r = RUN("ggplace", "plan", "-hf", "not-a-repo", "--json");
    assert_int_equal(r.rc, 2);
    run_free(&r);
}

/* ---- acceptance 2: three shards, one model ---------------------------------------------- */

static void test_split_local_and_remote(void **state)
{
    (void)state;
    char single[1024], shard[1024], url[1024];
    calib_model(single, sizeof single, "qwen3-30b-a3b");
    snprintf(shard, sizeof shard, "%s-00001-of-00003.gguf", split_prefix);
    const char *flags[] = {"-c", "8192", "--gpu", "12GiB", "--no-detect", "--json"};
    for (int cmd = 0; cmd < 2; cmd++) {
        const char *verb = cmd ? "plan" : "mem";
        const char *av[] = {"ggplace", verb, single, flags[0], flags[1], flags[2], flags[3], flags[4], flags[5]};
        run_result a = run_argv(9, av);
        av[2] = shard;
        run_result b = run_argv(9, av);
        assert_int_equal(a.rc, 0);
        assert_int_equal(b.rc, 0);
        char *t = replace(b.out, shard, single);
        assert_string_equal(a.out, t);
        free(t);
        run_free(&a);
        run_free(&b);
    }
    /* The shards by URL (any shard names them all). */
    url_of(url, sizeof url, "r/split/qwen3-30b-a3b-00002-of-00003.gguf");
    check_plan_identical(single, url);
}

/* ---- Hugging Face ------------------------------------------------------------------------ */

static void test_hf_pick(void **state)
{
    (void)state;
    const char *files[] = {
        "README.md",
        "imatrix-Q4_K_M.gguf",
        "model-Q8_0.gguf",
        "model-q4_k_m.gguf",
        "mmproj-model-F16.gguf",
        "mmproj-model-Q8_0.gguf",
        "big/model-Q2_K-00002-of-00002.gguf",
        "big/model-Q2_K-00001-of-00002.gguf",
        "big/mmproj-F32.gguf",
        "mtp-model-Q4_K_M.gguf",
    };
    size_t n = sizeof files / sizeof files[0];
    int primary, mmproj, *parts;
    uint32_t np;
    /* No quant: Q4_K_M, case-insensitive, models only. */
    gp_hf_pick(files, n, "", NULL, &primary, &parts, &np, &mmproj);
    assert_string_equal(files[primary], "model-q4_k_m.gguf");
    assert_int_equal(np, 1);
    /* mmproj: same directory, closest bits to 4 (F16 -> 16, Q8_0 -> 8). */
    assert_string_equal(files[mmproj], "mmproj-model-Q8_0.gguf");
    free(parts);
    gp_hf_pick(files, n, "Q8_0", NULL, &primary, &parts, &np, &mmproj);
    assert_string_equal(files[primary], "model-Q8_0.gguf");
    free(parts);
    /* A split model: the first shard, all shards in order, the deepest mmproj. */
    gp_hf_pick(files, n, "q2_k", NULL, &primary, &parts, &np, &mmproj);
    assert_string_equal(files[primary], "big/model-Q2_K-00001-of-00002.gguf");
    assert_int_equal(np, 2);
    assert_string_equal(files[parts[0]], "big/model-Q2_K-00001-of-00002.gguf");
    assert_string_equal(files[parts[1]], "big/model-Q2_K-00002-of-00002.gguf");
    assert_string_equal(files[mmproj], "big/mmproj-F32.gguf");
    free(parts);
    gp_hf_pick(files, n, "IQ1_S", NULL, &primary, &parts, &np, &mmproj);
    assert_int_equal(primary, -1);
    gp_hf_pick(files, n, "", "model-Q8_0.gguf", &primary, &parts, &np, &mmproj);
    assert_string_equal(files[primary], "model-Q8_0.gguf");
    free(parts);
    /* Neither Q4_K_M nor Q8_0: the first model file. */
    const char *few[] = {"mmproj-x-F16.gguf", "x-BF16.gguf", "x-F16.gguf"};
    gp_hf_pick(few, 3, "", NULL, &primary, &parts, &np, &mmproj);
    assert_string_equal(few[primary], "x-BF16.gguf");
    free(parts);

    char repo[257], tag[128];
    gp_error err;
    assert_int_equal(gp_hf_split_ref("a/b:c:Q4_K_M", repo, sizeof repo, tag, sizeof tag, &err), GP_OK);
    assert_string_equal(repo, "a/b");
    assert_string_equal(tag, "Q4_K_M");
    assert_int_equal(gp_hf_split_ref("a/b/c", repo, sizeof repo, tag, sizeof tag, &err), GP_ERR_ARG);
}

static void check_hf_plan(const char *ref, const char *hff, const char *file, const char *resolved_path)
{
    char resolved[1024], flag[1200];
    snprintf(resolved, sizeof resolved, "%s/%.*s/resolve/" FX_COMMIT "/%s", F.base,
             (int)strcspn(ref, ":"), ref, resolved_path);
    /* The projector -hf would add is left out on both sides (it is priced
     * in test_hf_mmproj). */
    run_result a = RUN("ggplace", "plan", file, "--json", "--gpu", "24GiB", "--no-detect", "--ram", "64GiB",
                       "--no-mmproj");
    run_result b = hff ? RUN("ggplace", "plan", "-hf", ref, "-hff", hff, "--json", "--gpu", "24GiB", "--no-detect",
                             "--ram", "64GiB", "--no-mmproj")
                       : RUN("ggplace", "plan", "-hf", ref, "--json", "--gpu", "24GiB", "--no-detect", "--ram",
                             "64GiB", "--no-mmproj");
    if (b.rc != 0)
        fail_msg("-hf %s: %s", ref, b.err);
    if (hff)
        snprintf(flag, sizeof flag, "-hf %s -hff %s", ref, hff);
    else
        snprintf(flag, sizeof flag, "-hf %s", ref);
    char to[1100];
    snprintf(to, sizeof to, "-m %s", file);
    assert_non_null(strstr(b.out, flag));
    char *t1 = replace(b.out, flag, to);
    char *t2 = replace(t1, resolved, file);
    assert_string_equal(a.out, t2);
    free(t1);
    free(t2);
    run_free(&a);
    run_free(&b);
}

/* llama-server loads the projector -hf picks: the plan counts it, by its
 * header alone, and --no-mmproj leaves it out. */
static void test_hf_mmproj(void **state)
{
    (void)state;
    run_result a = RUN("ggplace", "mem", "-hf", "acme/Llama-GGUF", "-c", "4096", "--no-detect", "--json");
    if (a.rc != 0)
        fail_msg("%s", a.err);
    assert_non_null(strstr(a.out, "\"kind\":\t\"mmproj\""));
    assert_non_null(strstr(a.out, "\"model\":\t624412672"));
    run_result b = RUN("ggplace", "mem", "-hf", "acme/Llama-GGUF", "-c", "4096", "--no-detect", "--json",
                       "--no-mmproj");
    assert_int_equal(b.rc, 0);
    assert_null(strstr(b.out, "mmproj"));
    /* A draft model from the hub (-hfd) is read the same way. */
    run_result c = RUN("ggplace", "mem", "-hf", "acme/Llama-GGUF", "--no-mmproj", "-hfd", "acme/Llama-GGUF:Q8_0",
                       "--spec-type", "draft-simple", "-c", "4096", "--no-detect", "--json");
    if (c.rc != 0)
        fail_msg("%s", c.err);
    assert_non_null(strstr(c.out, "\"kind\":\t\"draft\""));
    /* A llama-swap cmd with -hf is planned from the same header, its
     * projector counted. */
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s/swap-hf.yaml", tmpdir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs("models:\n  hub:\n    cmd: llama-server --port ${PORT} -hf acme/Llama-GGUF -c 4096\n", f);
    fclose(f);
    run_result sw = RUN("ggplace", "swap", cfg, "--dry-run", "--gpu", "24GiB", "--no-detect");
    if (sw.rc != 0 || !strstr(sw.err, "hub: re-planned"))
        fail_msg("swap -hf: %s%s", sw.err, sw.out);
    run_free(&sw);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

static void test_hf_resolution(void **state)
{
    (void)state;
    char llama[1024], qwen[1024], single[1024];
    calib_model(llama, sizeof llama, "llama-3.1-8b");
    calib_model(qwen, sizeof qwen, "qwen3-8b");
    calib_model(single, sizeof single, "qwen3-30b-a3b");
    check_hf_plan("acme/Llama-GGUF", NULL, llama, "Llama-3.1-8B-Q4_K_M.gguf");
    check_hf_plan("acme/Llama-GGUF:q8_0", NULL, qwen, "Llama-3.1-8B-Q8_0.gguf");
    check_hf_plan("acme/Llama-GGUF", "Llama-3.1-8B-Q8_0.gguf", qwen, "Llama-3.1-8B-Q8_0.gguf");
    check_hf_plan("acme/Split-GGUF:Q4_K_M", NULL, single, "Q4_K_M/Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf");

    gp_hf_resolution r;
    gp_error err = {0};
    assert_int_equal(gp_hf_resolve("acme/Llama-GGUF", NULL, NULL, &r, &err), GP_OK);
    assert_string_equal(r.commit, FX_COMMIT);
    assert_string_equal(r.mmproj, "mmproj-Llama-3.1-8B-F16.gguf");
    assert_int_equal(r.n_urls, 1);
    gp_hf_resolution_free(&r);
    assert_int_equal(gp_hf_resolve("acme/Split-GGUF:Q4_K_M", NULL, NULL, &r, &err), GP_OK);
    assert_int_equal(r.n_urls, 3);
    assert_string_equal(r.mmproj, "");
    gp_hf_resolution_free(&r);

    run_result e = RUN("ggplace", "inspect", "-hf", "acme/Llama-GGUF:Q5_K_M");
    assert_one_line_error(&e, "no model GGUF matches quant 'Q5_K_M'");
    run_free(&e);
    e = RUN("ggplace", "inspect", "-hf", "acme/Nothing-GGUF");
    assert_one_line_error(&e, "HTTP 401");
    run_free(&e);
    /* Offline: the API answers and headers cached above. */
    e = RUN("ggplace", "inspect", "-hf", "acme/Llama-GGUF:q8_0", "--offline", "--json");
    assert_int_equal(e.rc, 0);
    assert_non_null(strstr(e.out, "\"qwen3\""));
    run_free(&e);
}

static void test_hf_gated(void **state)
{
    (void)state;
    run_result r = RUN("ggplace", "inspect", "-hf", "gated/Tiny-GGUF", "--json");
    assert_one_line_error(&r, "HTTP 401");
    assert_non_null(strstr(r.err, "HF_TOKEN"));
    run_free(&r);
    setenv("HF_TOKEN", "hf_wrongTOKEN0123456789abcdefghijklmnop", 1);
    r = RUN("ggplace", "inspect", "-hf", "gated/Tiny-GGUF", "--json");
    assert_one_line_error(&r, "HTTP 403");
    run_free(&r);
    setenv("HF_TOKEN", FX_TOKEN, 1);
    r = RUN("ggplace", "inspect", "-hf", "gated/Tiny-GGUF", "--json");
    assert_int_equal(r.rc, 0);
    run_free(&r);
    unsetenv("HF_TOKEN");
    /* The token file of huggingface_hub, and -hft. */
    char p[1024];
    snprintf(p, sizeof p, "%s/token", getenv("HF_HOME"));
    FILE *f = fopen(p, "w");
    fputs(FX_TOKEN "\n", f);
    fclose(f);
    r = RUN("ggplace", "mem", "-hf", "gated/Tiny-GGUF", "--json", "--gpu", "8GiB", "--no-detect");
    assert_int_equal(r.rc, 0);
    run_free(&r);
    unlink(p);
    r = RUN("ggplace", "inspect", "-hf", "gated/Tiny-GGUF", "-hft", FX_TOKEN, "--json");
    assert_int_equal(r.rc, 0);
    run_free(&r);
}

static void on_api_progress(void *ctx, const char *url, uint64_t done, uint64_t total)
{
    (void)url;
    (void)total;
    *(uint64_t *)ctx = done;
}

/* Models from elsewhere through the public API: a URL, an -hf reference
 * with the projector llama-server adds, an endpoint given rather than taken
 * from the environment, a gated repository with and without the token, and
 * the extras a command loads. */
static void test_api_open(void **state)
{
    (void)state;
    assert_true(gp_path_is_url(F.base));
    assert_false(gp_path_is_url("model.gguf"));
    assert_false(gp_path_is_url(NULL));
    assert_int_equal(gp_hf_ref_check("acme/Llama-GGUF:Q8_0", NULL), GP_OK);
    gp_error err = {0};
    assert_int_equal(gp_hf_ref_check("acme", &err), GP_ERR_ARG);

    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "%s", getenv("HF_ENDPOINT"));
    unsetenv("HF_ENDPOINT");
    unsetenv("HF_TOKEN");
    gp_open_options *o = NULL;
    uint64_t got = 0;
    assert_int_equal(gp_open_options_new(&o, &err), GP_OK);
    assert_int_equal(gp_open_options_set_endpoint(o, endpoint, &err), GP_OK);
    assert_int_equal(gp_open_options_set_progress(o, on_api_progress, &got, &err), GP_OK);
    gp_model *m = NULL;
    char *projector = NULL;
    assert_int_equal(gp_model_open_hf("acme/Llama-GGUF", NULL, o, &m, &projector, &err), GP_OK);
    assert_non_null(strstr(gp_model_path(m), "/acme/Llama-GGUF/resolve/" FX_COMMIT "/Llama-3.1-8B-Q4_K_M.gguf"));
    assert_non_null(strstr(projector, "/mmproj-Llama-3.1-8B-F16.gguf"));
    (void)got; /* the headers may come from the cache earlier tests filled: no progress then */

    /* The projector it picked, opened with the command and counted. */
    gp_command *cmd = NULL;
    assert_int_equal(gp_command_new(GP_APP_SERVER, &cmd, &err), GP_OK);
    assert_int_equal(gp_command_open_extras(cmd, projector, o, &err), GP_OK);
    gp_devices *d = NULL;
    assert_int_equal(gp_devices_new(&d, &err), GP_OK);
    assert_int_equal(gp_devices_set_ram(d, 64ull << 30, &err), GP_OK);
    gp_mem *mem = NULL;
    assert_int_equal(gp_mem_estimate_cmd(m, cmd, d, &mem, &err), GP_OK);
    assert_int_equal(gp_mem_extras_count(mem), 1);
    assert_true(gp_mem_extras_model_bytes(mem, 0) > 0);
    gp_mem_close(&mem);
    gp_command_close(&cmd);
    gp_devices_close(&d);
    free(projector);
    gp_model_close(&m);

    /* The file asked for, and a model by URL. */
    assert_int_equal(gp_model_open_hf("acme/Llama-GGUF", "Llama-3.1-8B-Q8_0.gguf", o, &m, NULL, &err), GP_OK);
    assert_string_equal(gp_model_architecture(m), "qwen3");
    gp_model_close(&m);
    char url[256];
    snprintf(url, sizeof url, "%s/r/c/llama-tiny.gguf", F.base);
    assert_int_equal(gp_model_open_url(url, NULL, &m, &err), GP_OK);
    assert_string_equal(gp_model_path(m), url);
    gp_model_close(&m);
    assert_int_equal(gp_model_open_url("model.gguf", o, &m, &err), GP_ERR_ARG);
    assert_null(m);

    /* Without the endpoint given nor in the environment, the reference goes
     * elsewhere (offline here: nothing cached for it). */
    gp_open_options *off = NULL;
    assert_int_equal(gp_open_options_new(&off, &err), GP_OK);
    assert_int_equal(gp_open_options_set_offline(off, true, &err), GP_OK);
    assert_int_not_equal(gp_model_open_hf("acme/Llama-GGUF", NULL, off, &m, &projector, &err), GP_OK);
    assert_null(m);
    assert_null(projector);
    gp_open_options_close(&off);

    /* A gated repository: refused without the token, read with it. */
    assert_int_not_equal(gp_model_open_hf("gated/Tiny-GGUF", NULL, o, &m, NULL, &err), GP_OK);
    assert_non_null(strstr(err.message, "401"));
    assert_int_equal(gp_open_options_set_token(o, FX_TOKEN, &err), GP_OK);
    assert_int_equal(gp_model_open_hf("gated/Tiny-GGUF", NULL, o, &m, NULL, &err), GP_OK);
    gp_model_close(&m);
    gp_open_options_close(&o);
    assert_null(o);
    setenv("HF_ENDPOINT", endpoint, 1);
}

int main(void)
{
    if (!calib_present())
        return CALIB_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_need),
        cmocka_unit_test(test_plan_url_identical),
        cmocka_unit_test(test_bytes_bound),
        cmocka_unit_test(test_fault_404),
        cmocka_unit_test(test_fault_401),
        cmocka_unit_test(test_fault_403),
        cmocka_unit_test(test_fault_416),
        cmocka_unit_test(test_fault_reset),
        cmocka_unit_test(test_fault_short_body),
        cmocka_unit_test(test_fault_truncated_header),
        cmocka_unit_test(test_fault_redirect_loop),
        cmocka_unit_test(test_fault_slow),
        cmocka_unit_test(test_abandoned_transfer_not_counted),
        cmocka_unit_test(test_fault_not_gguf),
        cmocka_unit_test(test_fault_no_server),
        cmocka_unit_test(test_cache_offline),
        cmocka_unit_test(test_verify_refuses_url),
        cmocka_unit_test(test_split_local_and_remote),
        cmocka_unit_test(test_hf_pick),
        cmocka_unit_test(test_hf_resolution),
        cmocka_unit_test(test_hf_mmproj),
        cmocka_unit_test(test_hf_gated),
        cmocka_unit_test(test_api_open),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
