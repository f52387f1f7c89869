#include "verify/tune.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "args/llama_args.h"
#include "plan/speed.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "verify/verify.h"

void gp_tune_opts_default(gp_tune_opts *o)
{
    memset(o, 0, sizeof *o);
    o->budget_s = 600;
    o->metric = GP_TUNE_DECODE;
    o->n_prompt = 512;
    o->n_gen = 64;
}

/* ---- identities --------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void gp_hardware_fingerprint(const gp_devices *d, char *out, size_t size)
{
    size_t pos = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < d->n && pos < size; i++) {
        const gp_device *x = &d->dev[i];
        pos += (size_t)snprintf(out + pos, size - pos, "%s%s/%s/%lluMiB", i ? ";" : "", x->name, x->model,
                                (unsigned long long)(x->total >> 20));
        if (i == 0 && pos < size)
            pos += (size_t)snprintf(out + pos, size - pos, "/%ucores", x->cpu.cores);
    }
}

static const char *cache_root(const char *dir, char *buf, size_t size)
{
    if (dir) {
        snprintf(buf, size, "%s", dir);
        gp_mkdirs(buf);
    } else if (!gp_cache_dir(NULL, buf, size)) {
        snprintf(buf, size, "/tmp/ggplace-cache");
        gp_mkdirs(buf);
    }
    return buf;
}

/* ---- calibration ----------------------------------------------------------------- */

/* One calibration per machine and model class: routed-expert models decode
 * at a lower fraction of the bandwidth than dense ones (routing, gathers,
 * many small matrix products), so one factor cannot serve both. */
static void calibration_key(const gp_devices *d, bool moe, char *out, size_t size)
{
    char fp[2048];
    gp_hardware_fingerprint(d, fp, sizeof fp);
    snprintf(out, size, "%s|%s", fp, moe ? "moe" : "dense");
}

bool gp_calibration_load(const gp_devices *d, const char *cache_dir, bool moe, double *decode, double *prefill,
                         double *server_decode)
{
    char root[1024], path[1100], fp[2100];
    snprintf(path, sizeof path, "%s/calibration.json", cache_root(cache_dir, root, sizeof root));
    calibration_key(d, moe, fp, sizeof fp);
    char *text;
    size_t len;
    if (gp_read_file(path, 1 << 20, &text, &len, NULL) != GP_OK)
        return false;
    cJSON *j = cJSON_Parse(text);
    free(text);
    cJSON *e = cJSON_GetObjectItemCaseSensitive(j, fp);
    cJSON *dc = cJSON_GetObjectItem(e, "decode"), *pc = cJSON_GetObjectItem(e, "prefill");
    bool ok = cJSON_IsNumber(dc) && cJSON_IsNumber(pc) && dc->valuedouble > 0 && pc->valuedouble > 0;
    if (ok) {
        *decode = dc->valuedouble;
        *prefill = pc->valuedouble;
        cJSON *sc = cJSON_GetObjectItem(e, "server_decode");
        if (server_decode)
            *server_decode = cJSON_IsNumber(sc) && sc->valuedouble > 0 ? sc->valuedouble : 0;
    }
    cJSON_Delete(j);
    return ok;
}

gp_status gp_calibration_save(const gp_devices *d, const char *cache_dir, bool moe, double decode, double prefill,
                              double server_decode, gp_error *err)
{
    char root[1024], path[1100], fp[2100];
    snprintf(path, sizeof path, "%s/calibration.json", cache_root(cache_dir, root, sizeof root));
    calibration_key(d, moe, fp, sizeof fp);
    char *text = NULL;
    size_t len;
    cJSON *j = NULL;
    if (gp_read_file(path, 1 << 20, &text, &len, NULL) == GP_OK)
        j = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = cJSON_CreateObject();
    }
    cJSON_DeleteItemFromObjectCaseSensitive(j, fp);
    cJSON *e = cJSON_AddObjectToObject(j, fp);
    cJSON_AddNumberToObject(e, "decode", decode);
    cJSON_AddNumberToObject(e, "prefill", prefill);
    if (server_decode > 0)
        cJSON_AddNumberToObject(e, "server_decode", server_decode);
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    gp_status st = s ? gp_write_file_atomic(path, s, strlen(s), false, err)
                     : gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    free(s);
    return st;
}

/* ---- points --------------------------------------------------------------------- */

static void point_free(gp_tune_point *p)
{
    for (int i = 0; i < p->n_args; i++)
        free(p->args[i]);
    memset(p, 0, sizeof *p);
}

void gp_tune_result_free(gp_tune_result *r)
{
    point_free(&r->baseline);
    point_free(&r->best);
    for (int i = 0; i < r->n_points; i++)
        point_free(&r->points[i]);
    r->n_points = 0;
}

static void point_set_args(gp_tune_point *p, char *const *args)
{
    for (int i = 0; args && args[i] && p->n_args < GP_TUNE_MAX_ARGS; i++)
        p->args[p->n_args++] = strdup(args[i]);
}

static void point_copy(gp_tune_point *dst, const gp_tune_point *src)
{
    point_free(dst);
    *dst = *src;
    for (int i = 0; i < src->n_args; i++)
        dst->args[i] = strdup(src->args[i]);
}

static char *point_key(const gp_tune_point *p)
{
    size_t len = 1;
    for (int i = 0; i < p->n_args; i++)
        len += strlen(p->args[i]) + 1;
    char *k = malloc(len);
    if (!k)
        return NULL;
    k[0] = 0;
    for (int i = 0; i < p->n_args; i++) {
        strcat(k, p->args[i]);
        strcat(k, " ");
    }
    return k;
}

/* Replaces (or adds) "flag value" in a point's llama-server args. */
static void point_set_flag(gp_tune_point *p, const char *flag, const char *value)
{
    for (int i = 0; i + 1 < p->n_args; i++) {
        if (strcmp(p->args[i], flag) == 0) {
            free(p->args[i + 1]);
            p->args[i + 1] = strdup(value);
            return;
        }
    }
    if (p->n_args + 2 <= GP_TUNE_MAX_ARGS) {
        p->args[p->n_args++] = strdup(flag);
        p->args[p->n_args++] = strdup(value);
    }
}

static const char *point_flag(const gp_tune_point *p, const char *flag)
{
    for (int i = 0; i + 1 < p->n_args; i++)
        if (strcmp(p->args[i], flag) == 0)
            return p->args[i + 1];
    return NULL;
}

/* llama-server flags -> llama-bench flags (its spellings: -ts a/b, one -ot
 * with ';', -ngl 999, no context or slots: the bench sizes the context
 * from -p and -n). */
static int bench_argv(const gp_tune_point *p, char **out, int max, char *ot_buf, size_t ot_size)
{
    int n = 0;
    ot_buf[0] = 0;
    size_t ot_len = 0;
    for (int i = 0; i < p->n_args && n + 2 < max; i++) {
        const char *a = p->args[i], *v = i + 1 < p->n_args ? p->args[i + 1] : NULL;
        if (!strcmp(a, "-c") || !strcmp(a, "-np")) {
            i++;
        } else if (!strcmp(a, "-kvu")) {
        } else if (!strcmp(a, "--rpc") && v) {
            out[n++] = "-rpc";
            out[n++] = (char *)v;
            i++;
        } else if (!strcmp(a, "-ngl") && v) {
            out[n++] = "-ngl";
            out[n++] = !strcmp(v, "all") ? "999" : (char *)v;
            i++;
        } else if (!strcmp(a, "-ts") && v) {
            static char ts[256];
            snprintf(ts, sizeof ts, "%s", v);
            for (char *c = ts; *c; c++)
                if (*c == ',')
                    *c = '/';
            out[n++] = "-ts";
            out[n++] = ts;
            i++;
        } else if (!strcmp(a, "-ot") && v) {
            ot_len += (size_t)snprintf(ot_buf + ot_len, ot_len < ot_size ? ot_size - ot_len : 0, "%s%s",
                                       ot_len ? ";" : "", v);
            i++;
        } else if (!strcmp(a, "-nkvo")) {
            out[n++] = "-nkvo";
            out[n++] = "1";
        } else if (!strcmp(a, "--load-mode") && v) {
            out[n++] = "-lm";
            out[n++] = (char *)v;
            i++;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "-fa") || !strcmp(a, "-ctk") || !strcmp(a, "-ctv") ||
                    !strcmp(a, "-b") || !strcmp(a, "-ub") || !strcmp(a, "-sm") || !strcmp(a, "-mg")) && v) {
            out[n++] = (char *)a;
            out[n++] = (char *)v;
            i++;
        }
    }
    if (ot_len && n + 2 < max) {
        out[n++] = "-ot";
        out[n++] = ot_buf;
    }
    out[n] = NULL;
    return n;
}

typedef struct bench_run {
    double pp, pp_sd, tg, tg_sd;
} bench_run;

static bool parse_bench(const char *text, bench_run *b)
{
    memset(b, 0, sizeof *b);
    cJSON *j = cJSON_Parse(text);
    bool ok = false;
    cJSON *e;
    cJSON_ArrayForEach(e, j) {
        cJSON *np = cJSON_GetObjectItem(e, "n_prompt"), *ng = cJSON_GetObjectItem(e, "n_gen");
        cJSON *avg = cJSON_GetObjectItem(e, "avg_ts"), *sd = cJSON_GetObjectItem(e, "stddev_ts");
        if (!cJSON_IsNumber(np) || !cJSON_IsNumber(ng) || !cJSON_IsNumber(avg))
            continue;
        double s = cJSON_IsNumber(sd) ? sd->valuedouble : 0;
        if (ng->valuedouble > 0) {
            b->tg = avg->valuedouble;
            b->tg_sd = s;
            ok = true;
        } else if (np->valuedouble > 0) {
            b->pp = avg->valuedouble;
            b->pp_sd = s;
        }
    }
    cJSON_Delete(j);
    return ok;
}

typedef struct tuner {
    const gp_model *m;
    const char *model_path;
    const gp_devices *d;
    const gp_tune_opts *o;
    char bench[1024];
    char cache_path[1200];
    cJSON *cache;           /* {"points": {key: {prefill_tps, decode_tps, repeats}}} */
    int64_t deadline_ms;
    gp_error *err;
} tuner;

static double score(const tuner *t, const gp_tune_point *p)
{
    switch (t->o->metric) {
    case GP_TUNE_PREFILL: return p->prefill_tps;
    case GP_TUNE_BOTH: return sqrt(p->prefill_tps * p->decode_tps);
    default: return p->decode_tps;
    }
}

/* Predicted (uncalibrated) speeds of a point's flags at `depth` filled KV
 * cells, and whether they fit. */
static bool predict_at(const tuner *t, const gp_tune_point *p, double depth, gp_speed *sp)
{
    gp_run_params rp;
    gp_run_params_default(&rp, GP_APP_SERVER);
    gp_error e;
    memset(sp, 0, sizeof *sp);
    for (int i = 0; i < p->n_args;)
        if (gp_llama_args_apply(&rp, p->n_args, p->args, &i, &e) != GP_OK)
            return false;
    gp_mem_result r;
    if (gp_mem_estimate(t->m, &rp, t->d, &r, &e) != GP_OK)
        return false;
    bool fits = true;
    for (uint32_t i = 0; i < t->d->n; i++) {
        uint64_t avail = t->d->dev[i].free ? t->d->dev[i].free : t->d->dev[i].total;
        if (avail && gp_mem_on_device(&r, i) > avail)
            fits = false;
    }
    gp_speed_predict_at(t->m, &rp, t->d, &r, depth, sp);
    gp_mem_result_free(&r);
    return fits;
}

/* What llama-bench's generation test sees: it starts from an empty cache,
 * so the KV read averages half the generated tokens. */
static bool predict(const tuner *t, const gp_tune_point *p, double *decode)
{
    gp_speed sp;
    bool fits = predict_at(t, p, t->o->n_gen / 2.0, &sp);
    *decode = sp.decode_tps;
    return fits;
}

/* Measures a point with llama-bench, repeating until the spread is small. */
static gp_status measure(tuner *t, gp_tune_point *p)
{
    char *key = point_key(p);
    cJSON *points = cJSON_GetObjectItem(t->cache, "points");
    cJSON *hit = key && !t->o->fresh ? cJSON_GetObjectItemCaseSensitive(points, key) : NULL;
    if (hit) {
        p->prefill_tps = cJSON_GetObjectItem(hit, "prefill_tps")->valuedouble;
        p->decode_tps = cJSON_GetObjectItem(hit, "decode_tps")->valuedouble;
        p->repeats = (int)cJSON_GetObjectItem(hit, "repeats")->valuedouble;
        const cJSON *sp = cJSON_GetObjectItem(hit, "spread");
        p->spread = cJSON_IsNumber(sp) ? sp->valuedouble : 0;
        p->cached = true;
        free(key);
        return GP_OK;
    }
    char out[4096];
    int fd = gp_scratch_open("bench", out, sizeof out);
    if (fd < 0) {
        free(key);
        return gp_fail(t->err, GP_ERR_IO, gp_scratch_dir(), "cannot create llama-bench's output here: %s",
                       strerror(errno));
    }
    gp_status st = GP_OK;
    int reps = 3;
    bool have = false;
    for (int attempt = 0; attempt < 3; attempt++) {
        char rs[16], ps[16], ns[16], ot[4096];
        snprintf(rs, sizeof rs, "%d", reps);
        snprintf(ps, sizeof ps, "%d", t->o->n_prompt);
        snprintf(ns, sizeof ns, "%d", t->o->n_gen);
        char *argv[GP_TUNE_MAX_ARGS + 16];
        int n = 0;
        argv[n++] = t->bench;
        argv[n++] = "-m";
        argv[n++] = (char *)t->model_path;
        argv[n++] = "-p";
        argv[n++] = ps;
        argv[n++] = "-n";
        argv[n++] = ns;
        argv[n++] = "-r";
        argv[n++] = rs;
        argv[n++] = "-o";
        argv[n++] = "json";
        bench_argv(p, argv + n, GP_TUNE_MAX_ARGS, ot, sizeof ot);
        if (truncate(out, 0) != 0) {
            st = gp_fail(t->err, GP_ERR_IO, out, "cannot reset: %s", strerror(errno));
            break;
        }
        gp_proc proc;
        if ((st = gp_proc_start_split(&proc, argv, out, NULL, t->err)) != GP_OK)
            break;
        /* The first try may finish after the budget ends (a point is worth
         * having); repeats only run while the budget lasts. */
        int64_t left = t->deadline_ms - gp_now_ms() + (have ? 0 : 120000);
        if (have && left <= 0)
            break;
        bool done = gp_proc_wait(&proc, (int)(left > 600000 ? 600000 : left < 1000 ? 1000 : left));
        int status = proc.status;
        gp_proc_stop(&proc, 3000);
        char *text = NULL;
        size_t len;
        bench_run b;
        if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
            gp_read_file(out, 16 << 20, &text, &len, NULL) != GP_OK || !parse_bench(text, &b)) {
            free(text);
            /* A longer repeat that runs out of time keeps the shorter one. */
            if (!have)
                st = gp_fail(t->err, GP_ERR_CONFIG, t->model_path, done ? "llama-bench failed on these flags"
                                                                         : "llama-bench ran past the budget");
            break;
        }
        have = true;
        free(text);
        p->prefill_tps = b.pp;
        p->decode_tps = b.tg;
        p->repeats = reps;
        double spread = b.tg > 0 ? b.tg_sd / b.tg : 0;
        if (t->o->metric != GP_TUNE_DECODE && b.pp > 0)
            spread = fmax(spread, b.pp_sd / b.pp);
        p->spread = spread;
        if (spread <= 0.05 || gp_now_ms() > t->deadline_ms)
            break;
        reps += 3;
    }
    gp_scratch_close(fd, out);
    /* Only successful measurements are remembered. */
    if (st == GP_OK && key) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "prefill_tps", p->prefill_tps);
        cJSON_AddNumberToObject(e, "decode_tps", p->decode_tps);
        cJSON_AddNumberToObject(e, "repeats", p->repeats);
        cJSON_AddNumberToObject(e, "spread", p->spread);
        cJSON_DeleteItemFromObjectCaseSensitive(points, key);
        cJSON_AddItemToObject(points, key, e);
        char *s = cJSON_Print(t->cache);
        if (s)
            gp_write_file_atomic(t->cache_path, s, strlen(s), false, NULL);
        free(s);
    }
    free(key);
    return st;
}

/* The best point once more through llama-server: the server adds work per
 * token that llama-bench does not (sampling, the slot loop, the HTTP thread
 * competing with the compute threads), so plans for llama-server are
 * calibrated by what it reaches. Cached like the points; skipped without a
 * llama-server. */
static void measure_server(tuner *t, const gp_tune_point *best, gp_tune_result *r)
{
    char *key = point_key(best);
    char skey[4200];
    snprintf(skey, sizeof skey, "server %s", key ? key : "");
    free(key);
    cJSON *points = cJSON_GetObjectItem(t->cache, "points");
    cJSON *hit = !t->o->fresh ? cJSON_GetObjectItemCaseSensitive(points, skey) : NULL;
    double decode = 0, prefill = 0;
    if (hit && cJSON_IsNumber(cJSON_GetObjectItem(hit, "decode_tps"))) {
        decode = cJSON_GetObjectItem(hit, "decode_tps")->valuedouble;
        prefill = cJSON_GetObjectItem(hit, "prefill_tps")->valuedouble;
    } else {
        gp_verify_opts vo;
        gp_verify_opts_default(&vo);
        vo.llama_dir = t->o->llama_dir;
        vo.runs = 3;
        vo.n_prompt = t->o->n_prompt;
        vo.n_predict = t->o->n_gen;
        vo.n_vocab = t->m->hp.n_vocab > UINT32_MAX ? UINT32_MAX : (uint32_t)t->m->hp.n_vocab;
        char *args[GP_TUNE_MAX_ARGS + 1] = {0};
        for (int i = 0; i < best->n_args; i++)
            args[i] = best->args[i];
        gp_verify_result vr;
        gp_error e;
        if (gp_verify_run(t->model_path, args, t->d, &vo, &vr, &e) != GP_OK)
            return;
        decode = vr.decode_tps;
        prefill = vr.prefill_tps;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "prefill_tps", prefill);
        cJSON_AddNumberToObject(o, "decode_tps", decode);
        cJSON_DeleteItemFromObjectCaseSensitive(points, skey);
        cJSON_AddItemToObject(points, skey, o);
        char *s = cJSON_Print(t->cache);
        if (s)
            gp_write_file_atomic(t->cache_path, s, strlen(s), false, NULL);
        free(s);
    }
    /* The server's requests run at the depth of the prompt plus half the
     * generated tokens. */
    gp_speed sp;
    predict_at(t, best, t->o->n_prompt + t->o->n_gen / 2.0, &sp);
    r->server_decode_tps = decode;
    r->server_prefill_tps = prefill;
    r->calibration_server_decode = sp.decode_tps > 0 && decode > 0 ? decode / sp.decode_tps : 0;
}

static void args_of_plan(const gp_model *m, const gp_devices *d, const gp_plan *plan, gp_tune_point *p)
{
    char **a = gp_plan_args(m, d, plan);
    point_set_args(p, a);
    gp_plan_args_free(a);
}

gp_status gp_tune_run(const gp_model *m, const char *model_path, const gp_devices *d,
                      const gp_plan_request *req, char *const *baseline_args,
                      const gp_tune_opts *o, gp_tune_result *r, gp_error *err)
{
    memset(r, 0, sizeof *r);
    tuner t = {.m = m, .model_path = model_path, .d = d, .o = o, .err = err};
    if (!gp_llama_find_tool(o->llama_dir, "llama-bench", t.bench, sizeof t.bench))
        return gp_fail(err, GP_ERR_MISSING, NULL,
                       "llama-bench not found (use --llama-dir DIR, GGPLACE_LLAMA_DIR, or PATH; "
                       "scripts/build-llama.sh builds one)");
    gp_llama_version(t.bench, r->version, sizeof r->version);
    t.deadline_ms = gp_now_ms() + (int64_t)(o->budget_s * 1000);

    /* The cache: model header, hardware and llama.cpp version. */
    char root[1024], fp[2048];
    gp_hardware_fingerprint(d, fp, sizeof fp);
    const gp_gguf *g = m->shards[0];
    uint64_t h = fnv(1469598103934665603ull, g->bytes, (size_t)g->header_size);
    h = fnv(h, fp, strlen(fp));
    h = fnv(h, r->version, strlen(r->version));
    char pn[32], gn[32];
    snprintf(pn, sizeof pn, "p%d", o->n_prompt);
    snprintf(gn, sizeof gn, "n%d", o->n_gen);
    h = fnv(h, pn, strlen(pn));
    h = fnv(h, gn, strlen(gn));
    snprintf(t.cache_path, sizeof t.cache_path, "%s/tune-%016llx.json", cache_root(o->cache_dir, root, sizeof root),
             (unsigned long long)h);
    char *text;
    size_t len;
    if (gp_read_file(t.cache_path, 16 << 20, &text, &len, NULL) == GP_OK) {
        t.cache = cJSON_Parse(text);
        free(text);
    }
    if (!cJSON_IsObject(t.cache)) {
        cJSON_Delete(t.cache);
        t.cache = cJSON_CreateObject();
    }
    if (!cJSON_IsObject(cJSON_GetObjectItem(t.cache, "points")))
        cJSON_AddObjectToObject(t.cache, "points");

    gp_status st;
    /* Baseline: llama.cpp's defaults or the user's flags. */
    point_set_args(&r->baseline, baseline_args);
    if ((st = measure(&t, &r->baseline)) != GP_OK)
        goto done;
    predict(&t, &r->baseline, &r->baseline.predicted_decode_tps);

    /* Starting point: the plan, and placement variants: plans made with
     * other margins move more or fewer tensors to the CPU. */
    gp_plan plan;
    if ((st = gp_plan_make(m, d, req, &plan, err)) != GP_OK)
        goto done;
    gp_tune_point start = {0};
    args_of_plan(m, d, &plan, &start);
    gp_plan_free(&plan);
    gp_tune_point cur = {0};
    point_copy(&cur, &start);
    point_free(&start);
    if (!predict(&t, &cur, &cur.predicted_decode_tps) || (st = measure(&t, &cur)) != GP_OK) {
        point_free(&cur);
        if (st == GP_OK)
            st = gp_fail(err, GP_ERR_CONFIG, model_path, "the plan does not fit by its own flags");
        goto done;
    }
    point_copy(&r->points[r->n_points++], &cur);
    r->steps[r->n_steps++] = 0;
    if (o->progress)
        o->progress(o->progress_ctx, "plan", score(&t, &cur), score(&t, &cur),
                    (double)(t.deadline_ms - gp_now_ms()) / 1000);

    uint32_t cores = d->dev[0].cpu.cores ? d->dev[0].cpu.cores : 1;
    uint32_t threads = d->dev[0].cpu.threads ? d->dev[0].cpu.threads : cores;
    bool improved = true;
    for (int pass = 0; improved && pass < 4 && gp_now_ms() < t.deadline_ms; pass++) {
        improved = false;
        for (int dim = 0; dim < 5 && gp_now_ms() < t.deadline_ms; dim++) {
            /* Candidate values of one dimension around the current point. */
            gp_tune_point cand[8];
            int nc = 0;
            memset(cand, 0, sizeof cand);
            char v[32];
            if (dim == 0) {
                static const int64_t margins[] = {0, 256ll << 20, 512ll << 20, 2048ll << 20};
                for (size_t k = 0; k < 4; k++) {
                    gp_plan_request rq = *req;
                    rq.margin = margins[k];
                    gp_plan pl;
                    if (gp_plan_make(m, d, &rq, &pl, NULL) != GP_OK)
                        continue;
                    args_of_plan(m, d, &pl, &cand[nc]);
                    /* Keep the other dimensions as they are now. */
                    static const char *keep[] = {"-t", "-ub", "-fa", "-ctk", "-ctv"};
                    for (size_t q = 0; q < 5; q++)
                        if (point_flag(&cur, keep[q]))
                            point_set_flag(&cand[nc], keep[q], point_flag(&cur, keep[q]));
                    nc++;
                    gp_plan_free(&pl);
                }
            } else if (dim == 1) {
                uint32_t tv[4] = {cores, threads, cores > 1 ? cores - 1 : 1, cores > 1 ? cores / 2 : 1};
                for (int k = 0; k < 4; k++) {
                    point_copy(&cand[nc], &cur);
                    snprintf(v, sizeof v, "%u", tv[k]);
                    point_set_flag(&cand[nc++], "-t", v);
                }
            } else if (dim == 2) {
                static const char *ubs[] = {"256", "512", "1024", "2048"};
                for (int k = 0; k < 4; k++) {
                    point_copy(&cand[nc], &cur);
                    point_set_flag(&cand[nc], "-ub", ubs[k]);
                    if (atoi(ubs[k]) > 2048)
                        point_set_flag(&cand[nc], "-b", ubs[k]);
                    nc++;
                }
            } else if (dim == 3) {
                static const char *fas[] = {"on", "off"};
                const char *kv = point_flag(&cur, "-ctv");
                for (int k = 0; k < 2; k++) {
                    if (!strcmp(fas[k], "off") && kv && strcmp(kv, "f16") && strcmp(kv, "f32") && strcmp(kv, "bf16"))
                        continue; /* a quantized V cache needs flash attention */
                    point_copy(&cand[nc], &cur);
                    point_set_flag(&cand[nc++], "-fa", fas[k]);
                }
            } else {
                static const char *kvs[] = {"f16", "q8_0"};
                const char *fa = point_flag(&cur, "-fa");
                for (int k = 0; k < 2; k++) {
                    if (!strcmp(kvs[k], "q8_0") && fa && !strcmp(fa, "off"))
                        continue;
                    point_copy(&cand[nc], &cur);
                    point_set_flag(&cand[nc], "-ctk", kvs[k]);
                    point_set_flag(&cand[nc++], "-ctv", kvs[k]);
                }
            }
            for (int k = 0; k < nc; k++) {
                char *ka = point_key(&cand[k]), *kc = point_key(&cur);
                bool same = ka && kc && !strcmp(ka, kc);
                bool seen = false;
                for (int q = 0; q < r->n_points && !seen; q++) {
                    char *kq = point_key(&r->points[q]);
                    seen = kq && ka && !strcmp(kq, ka);
                    free(kq);
                }
                free(ka);
                free(kc);
                if (same || seen || r->n_points >= GP_TUNE_MAX_POINTS || gp_now_ms() >= t.deadline_ms ||
                    !predict(&t, &cand[k], &cand[k].predicted_decode_tps)) {
                    point_free(&cand[k]);
                    continue;
                }
                gp_error perr;
                tuner tt = t;
                tt.err = &perr;
                if (measure(&tt, &cand[k]) != GP_OK) {
                    point_free(&cand[k]); /* a failed point is skipped, never cached */
                    continue;
                }
                point_copy(&r->points[r->n_points++], &cand[k]);
                /* Better only beyond the noise: 2 %, or twice the larger
                 * spread of the two measurements. */
                double noise = fmax(0.02, 2 * fmax(cand[k].spread, cur.spread));
                if (score(&t, &cand[k]) > score(&t, &cur) * (1 + noise)) {
                    point_copy(&cur, &cand[k]);
                    r->steps[r->n_steps++] = r->n_points - 1;
                    improved = true;
                }
                if (o->progress) {
                    char *desc = point_key(&cand[k]);
                    o->progress(o->progress_ctx, desc ? desc : "", score(&t, &cand[k]), score(&t, &cur),
                                (double)(t.deadline_ms - gp_now_ms()) / 1000);
                    free(desc);
                }
                point_free(&cand[k]);
            }
        }
    }
    point_copy(&r->best, &cur);
    point_free(&cur);
    r->calibration_decode = r->best.predicted_decode_tps > 0 ? r->best.decode_tps / r->best.predicted_decode_tps : 0;
    gp_speed sp;
    predict_at(&t, &r->best, 0, &sp); /* llama-bench's prompt test starts empty too */
    r->calibration_prefill = sp.prefill_tps > 0 ? r->best.prefill_tps / sp.prefill_tps : 0;
    measure_server(&t, &r->best, r);
    if (r->calibration_decode > 0 && r->calibration_prefill > 0)
        gp_calibration_save(d, o->cache_dir, m->hp.n_expert > 0, r->calibration_decode, r->calibration_prefill,
                            r->calibration_server_decode, NULL);
    st = GP_OK;
done:
    cJSON_Delete(t.cache);
    return st;
}
