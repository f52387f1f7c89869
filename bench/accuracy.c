/*
 * Accuracy of the memory model against llama.cpp's own figures.
 *
 *   accuracy [--check] [--tier1[=ARCH,...]] [--pending FILE] [--models DIR] [--by-family | --markdown] [-v]
 *            [CALIB_DIR]
 *            (default: ../shared/calib beside the repository)
 *
 * Runs every row of memory_server.csv and memory_cli.csv (one device) and
 * memory_rpc.csv (CPU + two RPC devices, per device) through the same code
 * as `ggplace mem`, and prints for each file: rows, rows whose model and
 * context bytes are exact, the compute buffer's |error| p50 / p95 / max, and
 * how many rows are under-predicted. Exit status 1 if any row fails to run;
 * with --check, also if model or context bytes miss on any row, or compute
 * |error| exceeds p95 5 % / max 10 % (one device) or p95 5 % / max 15 % (RPC).
 * Exit status 77 (skipped) when the calibration set is absent.
 *
 * The same files measured by bench/referee for the zoo: --models names
 * where the headers are (default CALIB_DIR/models), --by-family adds one
 * line per architecture over all three files and every device, with the
 * worst under-prediction, and --tier1 checks the exact families' targets
 * on each family (or on those named): model and context bytes exact,
 * compute |error| p95 1 %, max 3 %, never under by more than 1 %.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args/llama_args.h"
#include "gguf/types.h"
#include "memory/device.h"
#include "memory/mem.h"
#include "model/arch.h"
#include "model/model.h"

#define MAX_FIELDS 24
#define MAX_MODELS 256

typedef struct row {
    char *f[MAX_FIELDS];
    int n;
} row;

/* Splits one CSV line in place (double quotes protect commas). */
static void split_csv(char *line, row *r)
{
    r->n = 0;
    char *p = line;
    while (*p && r->n < MAX_FIELDS) {
        if (*p == '"') {
            p++;
            r->f[r->n++] = p;
            while (*p && *p != '"')
                p++;
            if (*p)
                *p++ = 0;
            if (*p == ',')
                p++;
        } else {
            r->f[r->n++] = p;
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                p++;
            if (*p)
                *p++ = 0;
        }
    }
}

static int col(const row *hdr, const char *name)
{
    for (int i = 0; i < hdr->n; i++)
        if (strcmp(hdr->f[i], name) == 0)
            return i;
    return -1;
}

typedef struct stats {
    size_t rows, model_exact, context_exact, under, failed;
    double *err;
    size_t n_err, cap;
    double worst_under; /* the most negative (predicted - measured) / measured */
} stats;

static void add_err(stats *s, double e)
{
    if (s->n_err == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->err = realloc(s->err, s->cap * sizeof *s->err);
    }
    s->err[s->n_err++] = e;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)ceil(q * (double)n) - 1;
    if (i >= n)
        i = n - 1;
    return v[i];
}

static bool check_mode, tier1_mode, by_family;
static bool check_failed;
static const char *models_dir;
static const char *tier1_only; /* comma-separated architectures; NULL: all */
static char pending[4096];     /* architectures not held yet, one a line (--pending FILE) */

/* Whether name is one of the sep-separated entries of list. */
static bool listed(const char *list, char sep, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len + (e ? 1 : 0);
    }
    return false;
}

static bool is_pending(const char *arch)
{
    return listed(pending, '\n', arch);
}

/* The pending list: one architecture a line, '#' starts a comment. */
static bool read_pending(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    size_t used = 0;
    while (fgets(line, sizeof line, f)) {
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        for (e = s + strlen(s); e > s && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'); e--)
            ;
        size_t len = (size_t)(e - s);
        if (len && used + len + 2 < sizeof pending) {
            memcpy(pending + used, s, len);
            used += len;
            pending[used++] = '\n';
            pending[used] = 0;
        }
    }
    fclose(f);
    return true;
}

static bool held_to_tier1(const char *arch)
{
    if (!tier1_mode || is_pending(arch))
        return false;
    if (!tier1_only)
        return true;
    return listed(tier1_only, ',', arch);
}

static void check(stats *s, double p95_max, double max_max)
{
    if (!check_mode)
        return;
    if (s->model_exact != s->rows || s->context_exact != s->rows || s->failed ||
        pct(s->err, s->n_err, 0.95) > p95_max || (s->n_err && s->err[s->n_err - 1] > max_max))
        check_failed = true;
}

static void report(const char *name, stats *s)
{
    qsort(s->err, s->n_err, sizeof *s->err, cmpd);
    printf("%-18s rows %4zu  model exact %4zu  context exact %4zu  compute |err| p50 %.2f%% p95 %.2f%% max %.2f%%  under %zu%s\n",
           name, s->rows, s->model_exact, s->context_exact, 100 * pct(s->err, s->n_err, 0.5),
           100 * pct(s->err, s->n_err, 0.95), s->n_err ? 100 * s->err[s->n_err - 1] : 0.0, s->under,
           s->failed ? "  FAILED ROWS" : "");
}

typedef struct model_cache {
    char name[64];
    gp_model *m;
} model_cache;

static model_cache models[MAX_MODELS];

static gp_model *get_model(const char *dir, const char *name)
{
    for (int i = 0; i < MAX_MODELS && models[i].m; i++)
        if (strcmp(models[i].name, name) == 0)
            return models[i].m;
    for (int i = 0; i < MAX_MODELS; i++) {
        if (models[i].m)
            continue;
        char path[1024];
        if (models_dir)
            snprintf(path, sizeof path, "%s/%s.gguf", models_dir, name);
        else
            snprintf(path, sizeof path, "%s/models/%s.gguf", dir, name);
        gp_error err;
        if (gp_model_open(path, &models[i].m, &err) != GP_OK) {
            fprintf(stderr, "accuracy: %s: %s\n", err.file, err.message);
            return NULL;
        }
        snprintf(models[i].name, sizeof models[i].name, "%s", name);
        return models[i].m;
    }
    fprintf(stderr, "accuracy: %s: more than %d models in the figures\n", name, MAX_MODELS);
    return NULL;
}

/* Applies "-flag value" pairs given as one string (the rpc file's spelling
 * "--ngl" / "--ts" / "--ot" is llama.cpp's -ngl / -ts / -ot). */
static bool apply_flags(gp_run_params *p, const char *flags)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", flags);
    char *argv[32];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 32; t = strtok(NULL, " "))
        argv[argc++] = t;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--ngl")) argv[i] = "-ngl";
        else if (!strcmp(argv[i], "--ts")) argv[i] = "-ts";
        else if (!strcmp(argv[i], "--ot")) argv[i] = "-ot";
    }
    gp_error err;
    for (int i = 0; i < argc;)
        if (gp_llama_args_apply(p, argc, argv, &i, &err) != GP_OK) {
            fprintf(stderr, "accuracy: flags '%s': %s\n", flags, err.message);
            return false;
        }
    return true;
}

static void compare_one(stats *s, uint64_t want_model, uint64_t want_ctx, uint64_t want_cmp,
                        const gp_mem_device *got)
{
    s->rows++;
    s->model_exact += got->model == want_model;
    s->context_exact += got->context == want_ctx;
    double signed_e = want_cmp ? ((double)got->compute - (double)want_cmp) / (double)want_cmp
                               : (got->compute ? 1.0 : 0.0);
    add_err(s, fabs(signed_e));
    s->under += got->compute < want_cmp;
    if (signed_e < s->worst_under)
        s->worst_under = signed_e;
}

/* One row per architecture, over every file and device. */
#define MAX_FAMILIES 256
static struct family {
    char arch[64];
    char files[256];   /* its headers' names, without folder and .gguf, comma-joined */
    stats s;
} families[MAX_FAMILIES];

/* Adds the file name of path to a family's list, once. */
static void note_file(struct family *f, const char *path)
{
    const char *slash = strrchr(path, '/');
    char name[128];
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : path);
    char *dot = strstr(name, ".gguf");
    if (dot)
        *dot = 0;
    size_t len = strlen(f->files), n = strlen(name);
    for (const char *at = strstr(f->files, name); at; at = strstr(at + 1, name))
        if ((at == f->files || at[-1] == ' ') && (at[n] == ',' || at[n] == 0))
            return;
    if (len + n + 3 < sizeof f->files)
        snprintf(f->files + len, sizeof f->files - len, "%s%s", len ? ", " : "", name);
}

static stats *family_of(const gp_model *m)
{
    for (int i = 0; i < MAX_FAMILIES; i++) {
        if (!families[i].arch[0])
            snprintf(families[i].arch, sizeof families[i].arch, "%s", m->arch);
        if (!strcmp(families[i].arch, m->arch)) {
            note_file(&families[i], m->path);
            return &families[i].s;
        }
    }
    return NULL;
}

/* A row the memory model refused counts against its family: a family
   whose rows all fail must not vanish from the table. */
static void family_failed(const gp_model *m)
{
    stats *f = family_of(m);
    if (f)
        f->failed++;
}

static void compare(stats *s, const gp_model *m, uint64_t want_model, uint64_t want_ctx, uint64_t want_cmp,
                    const gp_mem_device *got)
{
    compare_one(s, want_model, want_ctx, want_cmp, got);
    stats *f = family_of(m);
    if (f)
        compare_one(f, want_model, want_ctx, want_cmp, got);
}

/* Opens dir/file and splits its header row into hdr (which points into
 * hline); NULL after saying why. */
static FILE *open_csv(const char *dir, const char *file, char *hline, size_t size, row *hdr)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "accuracy: %s: cannot open\n", path);
        return NULL;
    }
    if (!fgets(hline, (int)size, f)) {
        fprintf(stderr, "accuracy: %s: no header row\n", path);
        fclose(f);
        return NULL;
    }
    split_csv(hline, hdr);
    return f;
}

/* The columns every calibration file has, and the run parameters they give. */
typedef struct common_cols {
    int model, req, ub, seq, uni, fa, mb, cb, pb;
} common_cols;

static common_cols common_columns(const row *hdr)
{
    return (common_cols){col(hdr, "model"), col(hdr, "n_ctx_req"), col(hdr, "n_ubatch"), col(hdr, "n_seq"),
                         col(hdr, "kv_unified"), col(hdr, "fa"), col(hdr, "model_bytes"), col(hdr, "context_bytes"),
                         col(hdr, "compute_bytes")};
}

static void common_params(const row *r, const common_cols *c, gp_app app, gp_run_params *p)
{
    gp_run_params_default(p, app);
    p->n_ctx = atoll(r->f[c->req]);
    p->n_ubatch = (uint32_t)atoi(r->f[c->ub]);
    p->n_parallel = atoi(r->f[c->seq]);
    p->kv_unified = atoi(r->f[c->uni]);
    p->flash_attn = strcmp(r->f[c->fa], "on") == 0 ? GP_FA_ON : GP_FA_OFF;
}

static int run_single(const char *dir, const char *file, gp_app app, bool verbose)
{
    char hline[4096], line[4096];
    row hdr, r;
    FILE *f = open_csv(dir, file, hline, sizeof hline, &hdr);
    if (!f)
        return 1;
    common_cols cc = common_columns(&hdr);
    int c_model = cc.model, c_b = col(&hdr, "n_batch"), c_tk = col(&hdr, "type_k"), c_tv = col(&hdr, "type_v"),
        c_swa = col(&hdr, "swa_full"), c_mb = cc.mb, c_cb = cc.cb, c_pb = cc.pb, c_nctx = col(&hdr, "n_ctx");
    stats s = {0};
    while (fgets(line, sizeof line, f)) {
        split_csv(line, &r);
        if (r.n < hdr.n)
            continue;
        gp_model *m = get_model(dir, r.f[c_model]);
        if (!m) {
            s.failed++;
            continue;
        }
        gp_run_params p;
        common_params(&r, &cc, app, &p);
        p.n_batch = (uint32_t)atoi(r.f[c_b]);
        p.type_k = (uint32_t)gp_type_from_name(r.f[c_tk]);
        p.type_v = (uint32_t)gp_type_from_name(r.f[c_tv]);
        p.swa_full = atoi(r.f[c_swa]) != 0;
        gp_devices d;
        gp_devices_init(&d);
        gp_mem_result res;
        gp_error err;
        if (gp_mem_estimate(m, &p, &d, &res, &err) != GP_OK) {
            fprintf(stderr, "accuracy: %s row %s: %s\n", file, r.f[c_model], err.message);
            s.failed++;
            family_failed(m);
            continue;
        }
        uint64_t wm = strtoull(r.f[c_mb], NULL, 10), wc = strtoull(r.f[c_cb], NULL, 10),
                 wp = strtoull(r.f[c_pb], NULL, 10);
        compare(&s, m, wm, wc, wp, &res.dev[0]);
        if (verbose && (res.dev[0].model != wm || res.dev[0].context != wc || res.dev[0].compute != wp ||
                        res.ctx.n_ctx != strtoull(r.f[c_nctx], NULL, 10)))
            printf("  %s ctx %s np %s uni %s fa %s %s/%s: model %llu/%llu ctx %llu/%llu compute %llu/%llu n_ctx %llu/%s\n",
                   r.f[c_model], r.f[cc.req], r.f[cc.seq], r.f[cc.uni], r.f[cc.fa], r.f[c_tk], r.f[c_tv],
                   (unsigned long long)res.dev[0].model, (unsigned long long)wm,
                   (unsigned long long)res.dev[0].context, (unsigned long long)wc,
                   (unsigned long long)res.dev[0].compute, (unsigned long long)wp,
                   (unsigned long long)res.ctx.n_ctx, r.f[c_nctx]);
        gp_mem_result_free(&res);
    }
    fclose(f);
    report(file, &s);
    check(&s, 0.05, 0.10);
    int rc = s.failed ? 1 : 0;
    free(s.err);
    return rc;
}

static int run_rpc(const char *dir, bool verbose)
{
    char hline[4096], line[4096];
    row hdr, r;
    FILE *f = open_csv(dir, "memory_rpc.csv", hline, sizeof hline, &hdr);
    if (!f)
        return 1;
    common_cols cc = common_columns(&hdr);
    int c_model = cc.model, c_flags = col(&hdr, "flags"), c_dev = col(&hdr, "device"), c_mb = cc.mb,
        c_cb = cc.cb, c_pb = cc.pb;
    stats all = {0}, per[3] = {{0}};
    static const char *names[3] = {"CPU", "CUDA0", "CUDA1"};
    while (fgets(line, sizeof line, f)) {
        split_csv(line, &r);
        if (r.n < hdr.n)
            continue;
        gp_model *m = get_model(dir, r.f[c_model]);
        if (!m) {
            all.failed++;
            continue;
        }
        gp_run_params p;
        common_params(&r, &cc, GP_APP_SERVER, &p);
        if (!apply_flags(&p, r.f[c_flags])) {
            all.failed++;
            continue;
        }
        /* Two RPC servers stand in for two GPUs; the file names them CUDA0/CUDA1. */
        gp_devices d;
        gp_devices_init(&d);
        for (int i = 0; i < 2; i++) {
            gp_device *x = &d.dev[d.n++];
            memset(x, 0, sizeof *x);
            snprintf(x->name, sizeof x->name, "CUDA%d", i);
            x->kind = GP_DEV_RPC;
            x->total = x->free = 64ull << 30;
        }
        int di = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(r.f[c_dev], names[i]) == 0)
                di = i;
        gp_mem_result res;
        gp_error err;
        if (di < 0 || gp_mem_estimate(m, &p, &d, &res, &err) != GP_OK) {
            all.failed++;
            family_failed(m);
            continue;
        }
        uint64_t wm = strtoull(r.f[c_mb], NULL, 10), wc = strtoull(r.f[c_cb], NULL, 10),
                 wp = strtoull(r.f[c_pb], NULL, 10);
        compare(&all, m, wm, wc, wp, &res.dev[di]);
        compare_one(&per[di], wm, wc, wp, &res.dev[di]);
        if (verbose && (res.dev[di].model != wm || res.dev[di].context != wc || res.dev[di].compute != wp))
            printf("  %s [%s] ctx %s np %s fa %s %s: model %llu/%llu ctx %llu/%llu compute %llu/%llu\n",
                   r.f[c_model], r.f[c_flags], r.f[cc.req], r.f[cc.seq], r.f[cc.fa], names[di],
                   (unsigned long long)res.dev[di].model, (unsigned long long)wm,
                   (unsigned long long)res.dev[di].context, (unsigned long long)wc,
                   (unsigned long long)res.dev[di].compute, (unsigned long long)wp);
        gp_mem_result_free(&res);
    }
    fclose(f);
    report("memory_rpc.csv", &all);
    check(&all, 0.05, 0.15);
    for (int i = 0; i < 3; i++) {
        char label[32];
        snprintf(label, sizeof label, "  rpc %s", names[i]);
        report(label, &per[i]);
        free(per[i].err);
    }
    int rc = all.failed ? 1 : 0;
    free(all.err);
    return rc;
}

static bool markdown;    /* --markdown: the family table as the README shows it */

static void report_families(void)
{
    if (markdown)
        printf("\n| family | zoo header | rows (device figures) | model / context exact | compute \\|error\\| p50 / p95 / "
               "max | worst under | held |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    else
        printf("\nby family (every file, every device):\n");
    for (int i = 0; i < MAX_FAMILIES && families[i].arch[0]; i++) {
        stats *s = &families[i].s;
        qsort(s->err, s->n_err, sizeof *s->err, cmpd);
        double p50 = pct(s->err, s->n_err, 0.5), p95 = pct(s->err, s->n_err, 0.95),
               max = s->n_err ? s->err[s->n_err - 1] : 0.0;
        const bool exact = s->model_exact == s->rows && s->context_exact == s->rows && !s->failed;
        /* The architecture table's mark says which families users are told
           are checked (tier 1, exact); the others' figures are an upper
           bound (tier 2): never under, within 30 % over on 95 % of rows. */
        bool known;
        const bool marked = gp_arch_lookup(families[i].arch, &known)->checked;
        const bool pending_arch = is_pending(families[i].arch);
        const bool held = held_to_tier1(families[i].arch) && marked;
        const bool tier2 = tier1_mode && !marked && !pending_arch;
        const bool miss1 = !exact || p95 > 0.01 || max > 0.03 || s->worst_under < -0.01;
        const bool miss2 = !exact || s->worst_under < 0 || p95 > 0.30;
        const char *verdict = held && miss1                         ? "  MISSES TIER 1"
                              : tier2 && miss2                      ? "  MISSES TIER 2 (bound)"
                              : tier2                               ? "  bound (tier 2)"
                              : tier1_mode && marked && pending_arch ? "  MARKED CHECKED BUT PENDING"
                              : pending_arch                        ? "  pending"
                                                                    : "";
        if (markdown)
            printf("| `%s` | %s | %zu | %zu / %zu | %.2f / %.2f / %.2f %% | %.2f %% | %s%s |\n", families[i].arch,
                   families[i].files, s->rows, s->model_exact, s->context_exact, 100 * p50, 100 * p95, 100 * max,
                   100 * s->worst_under, pending_arch ? "pending" : marked ? "exact" : "bound",
                   s->failed ? ", failed rows" : "");
        else
            printf("%-16s rows %4zu  model exact %4zu  context exact %4zu  compute |err| p50 %.2f%% p95 %.2f%% "
                   "max %.2f%%  worst under %.2f%%%s%s\n",
                   families[i].arch, s->rows, s->model_exact, s->context_exact, 100 * p50, 100 * p95, 100 * max,
                   100 * s->worst_under, verdict, s->failed ? "  FAILED ROWS" : "");
        if ((held && miss1) || (tier2 && miss2) || (tier1_mode && marked && pending_arch))
            check_failed = true;
        free(s->err);
    }
}

int main(int argc, char **argv)
{
    const char *dir = GP_DEFAULT_CALIB_DIR;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--check") == 0)
            check_mode = true;
        else if (strcmp(argv[i], "--tier1") == 0)
            tier1_mode = by_family = true;
        else if (strncmp(argv[i], "--tier1=", 8) == 0)
            tier1_mode = by_family = true, tier1_only = argv[i] + 8;
        else if (strcmp(argv[i], "--pending") == 0 && i + 1 < argc) {
            if (!read_pending(argv[++i])) {
                fprintf(stderr, "accuracy: %s: cannot read\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--by-family") == 0)
            by_family = true;
        else if (strcmp(argv[i], "--markdown") == 0)
            by_family = markdown = true;
        else if (strcmp(argv[i], "--models") == 0 && i + 1 < argc)
            models_dir = argv[++i];
        else
            dir = argv[i];
    }
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/memory_server.csv", dir);
    FILE *pf = fopen(probe, "r");
    if (!pf) {
        printf("calibration set not found at %s; skipped\n", dir);
        return 77;
    }
    fclose(pf);
    int rc = 0;
    rc |= run_single(dir, "memory_server.csv", GP_APP_SERVER, verbose);
    rc |= run_single(dir, "memory_cli.csv", GP_APP_CLI, verbose);
    snprintf(probe, sizeof probe, "%s/memory_rpc.csv", dir);
    if ((pf = fopen(probe, "r"))) {
        fclose(pf);
        rc |= run_rpc(dir, verbose);
    }
    if (by_family)
        report_families();
    for (int i = 0; i < MAX_MODELS; i++)
        gp_model_close(&models[i].m);
    if (check_failed) {
        printf("accuracy targets missed\n");
        return 1;
    }
    return rc;
}
