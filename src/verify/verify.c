#include "verify/verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "source/curl.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/proc.h"

void gp_verify_opts_default(gp_verify_opts *o)
{
    memset(o, 0, sizeof *o);
    o->runs = 3;
    o->n_prompt = 512;
    o->n_predict = 64;
    o->start_timeout_s = 300;
    o->request_timeout_s = 600;
    o->n_vocab = 1000;
}

bool gp_llama_find_tool(const char *dir, const char *name, char *out, size_t size)
{
    const char *env = getenv("GGPLACE_LLAMA_DIR");
    const char *dirs[2] = {dir, env && *env ? env : NULL};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i])
            continue;
        snprintf(out, size, "%s/%s", dirs[i], name);
        if (access(out, X_OK) == 0)
            return true;
        if (i == 0)
            return false; /* an explicit directory is the only place looked at */
    }
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = strdup(path);
    bool found = false;
    for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && !found; p = strtok_r(NULL, ":", &save)) {
        snprintf(out, size, "%s/%s", p, name);
        found = access(out, X_OK) == 0;
    }
    free(copy);
    return found;
}

static void read_log_tail(const char *path, char *out, size_t size)
{
    char *text = NULL;
    size_t len = 0;
    out[0] = 0;
    if (gp_read_file(path, 256u << 20, &text, &len, NULL) != GP_OK)
        return;
    const char *tail = len >= size ? text + len - (size - 1) : text;
    snprintf(out, size, "%s", tail);
    free(text);
}

bool gp_llama_version(const char *tool, char *out, size_t size)
{
    char log[4096];
    int fd = gp_scratch_open("version", log, sizeof log);
    if (fd < 0)
        return false;
    gp_proc p;
    char *argv[] = {(char *)tool, "--version", NULL};
    bool ok = gp_proc_start(&p, argv, log, NULL) == GP_OK;
    if (ok && !gp_proc_wait(&p, 20000))
        ok = false;
    gp_proc_stop(&p, 1000);
    char text[4096];
    read_log_tail(log, text, sizeof text);
    gp_scratch_close(fd, log);
    out[0] = 0;
    const char *v = strstr(text, "version:");
    if (ok && v) {
        const char *eol = strchr(v, '\n');
        size_t n = eol ? (size_t)(eol - v) : strlen(v);
        snprintf(out, size, "%.*s", (int)n, v);
    }
    return out[0] != 0;
}


/* ---- HTTP ------------------------------------------------------------------ */

typedef struct body {
    char *data;
    size_t len;
} body;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    body *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > (64u << 20))
        return 0;
    char *d = realloc(b->data, b->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, ptr, n);
    b->data = d;
    b->len += n;
    d[b->len] = 0;
    return n;
}

static long http(const char *url, const char *post, int timeout_s, body *out);

long gp_verify_http(const char *url, const char *post, int timeout_s, char **response)
{
    body b = {0};
    long code = http(url, post, timeout_s, &b);
    if (response)
        *response = b.data;
    else
        free(b.data);
    return code;
}

static long http(const char *url, const char *post, int timeout_s, body *out)
{
    CURL *c = gp_curl.easy_init();
    if (!c)
        return -1;
    struct curl_slist *h = NULL;
    gp_curl.easy_setopt(c, CURLOPT_URL, url);
    gp_curl.easy_setopt(c, CURLOPT_NOPROXY, "*");
    gp_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    gp_curl.easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
    gp_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    gp_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    gp_curl.easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (post) {
        h = gp_curl.slist_append(h, "Content-Type: application/json");
        gp_curl.easy_setopt(c, CURLOPT_HTTPHEADER, h);
        gp_curl.easy_setopt(c, CURLOPT_POSTFIELDS, post);
    }
    long code = -1;
    if (gp_curl.easy_perform(c) == CURLE_OK)
        gp_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    gp_curl.slist_free_all(h);
    gp_curl.easy_cleanup(c);
    return code;
}

/* ---- the run ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *completion_request(int n_prompt, int n_predict, int run, uint32_t n_vocab)
{
    /* Ordinary token ids, clear of the special ones at the start. */
    uint32_t lo = n_vocab > 200 ? 100 : 1, span = n_vocab > lo + 1 ? n_vocab - lo - 1 : 1;
    cJSON *o = cJSON_CreateObject();
    cJSON *prompt = cJSON_AddArrayToObject(o, "prompt");
    /* Token ids, not text: the length is exact whatever the tokenizer. The
     * first id differs per run so no cache can serve it. */
    for (int i = 0; i < n_prompt; i++)
        cJSON_AddItemToArray(prompt, cJSON_CreateNumber(
            lo + (i == 0 ? (uint32_t)run % span : (uint32_t)((uint64_t)i * 7919u % span))));
    cJSON_AddNumberToObject(o, "n_predict", n_predict);
    cJSON_AddBoolToObject(o, "cache_prompt", false);
    cJSON_AddBoolToObject(o, "ignore_eos", true);
    cJSON_AddNumberToObject(o, "temperature", 0);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

gp_status gp_llama_server_start(const char *model, char *const *args, const gp_verify_opts *o,
                                gp_llama_server *srv, gp_verify_result *r, gp_error *err)
{
    memset(srv, 0, sizeof *srv);
    memset(r, 0, sizeof *r);
    if (!gp_llama_find_tool(o->llama_dir, "llama-server", r->server_path, sizeof r->server_path))
        return gp_fail(err, GP_ERR_MISSING, NULL,
                       "llama-server not found (use --llama-dir DIR, GGPLACE_LLAMA_DIR, or PATH; "
                       "scripts/build-llama.sh builds one)");
    /* Its /health and /completion are asked over HTTP. */
    gp_status ls = gp_curl_load(NULL, "to talk to llama-server", err);
    if (ls != GP_OK)
        return ls;
    gp_llama_version(r->server_path, r->version, sizeof r->version);

    srv->log_fd = gp_scratch_open("server", srv->log, sizeof srv->log);
    if (srv->log_fd < 0)
        return gp_fail(err, GP_ERR_IO, gp_scratch_dir(), "cannot create llama-server's log here: %s",
                       strerror(errno));
    srv->port = gp_free_port();
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", srv->port);
    size_t n_args = 0;
    while (args && args[n_args])
        n_args++;
    char **argv = calloc(n_args + 16, sizeof *argv);
    if (!argv) {
        gp_scratch_close(srv->log_fd, srv->log);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    size_t k = 0;
    argv[k++] = r->server_path;
    argv[k++] = "-m";
    argv[k++] = (char *)model;
    for (size_t i = 0; i < n_args; i++)
        argv[k++] = args[i];
    argv[k++] = "--host";
    argv[k++] = "127.0.0.1";
    argv[k++] = "--port";
    argv[k++] = port_s;
    argv[k++] = "-lv";
    argv[k++] = "4";
    argv[k] = NULL;

    gp_status st = gp_proc_start(&srv->proc, argv, srv->log, err);
    free(argv);
    if (st != GP_OK) {
        gp_scratch_close(srv->log_fd, srv->log);
        return st;
    }
    /* Up when /health answers 200; gone if the process exits first. */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", srv->port);
    int64_t deadline = gp_now_ms() + (int64_t)o->start_timeout_s * 1000;
    bool up = false;
    while (!up && gp_now_ms() < deadline && gp_proc_alive(&srv->proc)) {
        body b = {0};
        up = http(url, NULL, 5, &b) == 200;
        free(b.data);
        if (!up && o->progress)
            o->progress(o->progress_ctx, "loading the model in llama-server", 0, 0);
        if (!up)
            gp_sleep_ms(200);
    }
    if (!up) {
        bool died = !gp_proc_alive(&srv->proc);
        gp_proc_stop(&srv->proc, 5000);
        read_log_tail(srv->log, r->log_tail, sizeof r->log_tail);
        gp_scratch_close(srv->log_fd, srv->log);
        return gp_fail(err, GP_ERR_CONFIG, model, died ? "llama-server exited during start-up (see its log)"
                                                        : "llama-server did not become ready in time");
    }
    return GP_OK;
}

void gp_llama_server_finish(gp_llama_server *srv, const gp_devices *d, gp_verify_result *r)
{
    gp_proc_stop(&srv->proc, 10000);
    char *text = NULL;
    size_t len;
    if (gp_read_file(srv->log, 256u << 20, &text, &len, NULL) == GP_OK) {
        gp_llama_log_parse(text, d, &r->measured);
        free(text);
    }
    read_log_tail(srv->log, r->log_tail, sizeof r->log_tail);
    gp_scratch_close(srv->log_fd, srv->log);
}

gp_status gp_verify_run(const char *model, char *const *args, const gp_devices *d,
                        const gp_verify_opts *o, gp_verify_result *r, gp_error *err)
{
    gp_llama_server srv;
    gp_status st = gp_llama_server_start(model, args, o, &srv, r, err);
    if (st != GP_OK)
        return st;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/completion", srv.port);
    double *pre = calloc((size_t)o->runs + 1, sizeof *pre), *dec = calloc((size_t)o->runs + 1, sizeof *dec);
    for (int i = 0; i < o->runs && st == GP_OK && pre && dec; i++) {
        if (o->progress)
            o->progress(o->progress_ctx, "timed requests", i, o->runs);
        char *req = completion_request(o->n_prompt, o->n_predict, i, o->n_vocab);
        body b = {0};
        long code = http(url, req, o->request_timeout_s, &b);
        free(req);
        cJSON *j = code == 200 ? cJSON_Parse(b.data) : NULL;
        cJSON *t = j ? cJSON_GetObjectItem(j, "timings") : NULL;
        cJSON *pp = t ? cJSON_GetObjectItem(t, "prompt_per_second") : NULL;
        cJSON *dp = t ? cJSON_GetObjectItem(t, "predicted_per_second") : NULL;
        if (!cJSON_IsNumber(pp) || !cJSON_IsNumber(dp)) {
            /* A dropped connection is often the server dying: give it a
             * moment to be seen as gone before naming the failure. */
            if (code != 200)
                gp_proc_wait(&srv.proc, 3000);
            st = gp_fail(err, GP_ERR_CONFIG, model, gp_proc_alive(&srv.proc)
                             ? "llama-server answered /completion without timings (HTTP %ld)"
                             : "llama-server crashed while answering", code);
        } else {
            pre[r->runs] = pp->valuedouble;
            dec[r->runs] = dp->valuedouble;
            r->runs++;
        }
        cJSON_Delete(j);
        free(b.data);
    }
    if (r->runs > 0) {
        qsort(pre, (size_t)r->runs, sizeof *pre, cmp_double);
        qsort(dec, (size_t)r->runs, sizeof *dec, cmp_double);
        r->prefill_tps = pre[r->runs / 2];
        r->decode_tps = dec[r->runs / 2];
    }
    free(pre);
    free(dec);
    gp_llama_server_finish(&srv, d, r);
    return st;
}
