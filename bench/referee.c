/*
 * The referee's measuring half: asks llama.cpp itself what every zoo model
 * allocates over a grid of configurations, on the CPU and with two
 * ggml-rpc-server on loopback standing in for two GPUs, and records the
 * figures in the calibration files' format (memory_server.csv,
 * memory_cli.csv, memory_rpc.csv), for `accuracy --by-family` to compare
 * with ggplace device by device.
 *
 *   referee ZOO_DIR OUT_DIR --oracle BIN [--llama-dir DIR] [--no-rpc] [MODEL...]
 *
 * ZOO_DIR holds header-only GGUFs (tests/zoo/make_zoo writes them); each
 * is measured through a sparse stand-in. The oracle's answers are cached
 * by header, grid and llama.cpp version (in ~/.cache/ggplace/referee), so
 * a rerun measures only what changed. RPC servers run on free loopback
 * ports and are stopped on every path.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit/sparse.h"
#include "model/model.h"
#include "util/fileio.h"
#include "util/proc.h"
#include "verify/verify.h"

#define ORACLE_TIMEOUT_MS (20 * 60 * 1000)

typedef struct referee {
    const char *zoo, *out, *oracle, *llama_dir;
    bool rpc;
    char version[256];
    char tmp[256];
    int rpc_port[2];
    gp_proc rpc_proc[2];
    FILE *server_csv, *cli_csv, *rpc_csv;
} referee;

/* ---- the grid -------------------------------------------------------------------- */

typedef struct grid_row {
    char opts[512];   /* the oracle's options for the row */
    char flags[256];  /* placement flags as the rpc file spells them ("" on the CPU) */
    char placement[32];
    int64_t n_ctx_req;
    int n_ubatch, n_seq, kv_unified, swa_full;
    bool fa;
    const char *type_k, *type_v;
} grid_row;

typedef struct grid {
    grid_row *row;
    size_t n, cap;
} grid;

static grid_row *grid_add(grid *g)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->row = realloc(g->row, g->cap * sizeof *g->row);
    }
    grid_row *r = &g->row[g->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* The single-device grid of one profile: llama-server's (outputs = slots,
 * SWA cache not full) or the library default's (outputs = batch). */
static void cpu_grid(grid *g, bool server, bool swa)
{
    static const int64_t ctxs[] = {4096, 32768};
    static const int ubs[] = {512, 1024};
    static const struct { int np, uni; } seqs[] = {{1, 0}, {4, 0}, {4, 1}};
    static const struct { bool fa; const char *k, *v; } kvs[] = {
        {true, "f16", "f16"}, {true, "q8_0", "q8_0"}, {true, "q4_0", "q4_0"}, {false, "f16", "f16"}};
    for (size_t c = 0; c < 2; c++)
        for (size_t u = 0; u < 2; u++)
            for (size_t s = 0; s < 3; s++)
                for (size_t k = 0; k < 4; k++)
                    for (int sf = 0; sf < (swa ? 2 : 1); sf++) {
                        grid_row *r = grid_add(g);
                        r->n_ctx_req = ctxs[c];
                        r->n_ubatch = ubs[u];
                        r->n_seq = seqs[s].np;
                        r->kv_unified = seqs[s].uni;
                        r->fa = kvs[k].fa;
                        r->type_k = kvs[k].k;
                        r->type_v = kvs[k].v;
                        r->swa_full = server ? sf : !sf;
                        int n = snprintf(r->opts, sizeof r->opts,
                                         "--n-ctx %lld --n-ubatch %d --n-seq %d --kv-unified %d --fa %s "
                                         "--type-k %s --type-v %s --swa-full %d",
                                         (long long)r->n_ctx_req, r->n_ubatch, r->n_seq, r->kv_unified,
                                         r->fa ? "on" : "off", r->type_k, r->type_v, r->swa_full);
                        if (server)
                            snprintf(r->opts + n, sizeof r->opts - (size_t)n, " --n-outputs-max %d", r->n_seq);
                    }
}

/* Placements over CPU + two RPC devices, as llama-server runs them. */
static void rpc_grid(grid *g, const gp_model *m)
{
    char half[32];
    snprintf(half, sizeof half, "--ngl %u --ts 1,1", m->hp.n_layer / 2);
    const char *ffn_cpu = m->hp.n_expert ? "--ngl 999 --ts 1,1 --ot exps=CPU"
                                         : "--ngl 999 --ts 1,1 --ot blk\\.[0-9]*[02468]\\.ffn=CPU";
    const struct { const char *name, *flags; } places[] = {
        {"all_ts11", "--ngl 999 --ts 1,1"}, {"all_ts31", "--ngl 999 --ts 3,1"}, {"half_ts11", half},
        {"none", "--ngl 0"}, {m->hp.n_expert ? "experts_cpu" : "ffn_cpu", ffn_cpu}};
    static const int64_t ctxs[] = {4096, 32768};
    static const int seqs[] = {1, 2};
    for (size_t p = 0; p < sizeof places / sizeof places[0]; p++)
        for (size_t c = 0; c < 2; c++)
            for (size_t s = 0; s < 2; s++) {
                grid_row *r = grid_add(g);
                r->n_ctx_req = ctxs[c];
                r->n_ubatch = 512;
                r->n_seq = seqs[s];
                r->kv_unified = 1;
                r->fa = true;
                r->type_k = r->type_v = "f16";
                snprintf(r->placement, sizeof r->placement, "%s", places[p].name);
                snprintf(r->flags, sizeof r->flags, "%s", places[p].flags);
                snprintf(r->opts, sizeof r->opts,
                         "--n-ctx %lld --n-ubatch 512 --n-seq %d --kv-unified 1 --fa on --swa-full 0 "
                         "--n-outputs-max %d",
                         (long long)r->n_ctx_req, r->n_seq, r->n_seq);
            }
}

/* ---- asking the oracle, through the cache ------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Runs the oracle once for the rows of g placed by flags, appending its
 * answers to out; false after saying why. */
static bool run_oracle(referee *rf, const char *header, const char *sparse, const grid *g, const char *flags,
                       bool rpc, FILE *out)
{
    char cfg_path[512], out_path[512], err_path[512], rpc_list[128];
    snprintf(cfg_path, sizeof cfg_path, "%s/configs.txt", rf->tmp);
    snprintf(out_path, sizeof out_path, "%s/oracle.jsonl", rf->tmp);
    snprintf(err_path, sizeof err_path, "%s/oracle.log", rf->tmp);
    unlink(out_path);
    unlink(err_path);
    FILE *cf = fopen(cfg_path, "w");
    if (!cf) {
        fprintf(stderr, "referee: %s: cannot write\n", cfg_path);
        return false;
    }
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->row[i].flags, flags))
            fprintf(cf, "--tag %zu %s\n", i, g->row[i].opts);
    fclose(cf);
    snprintf(rpc_list, sizeof rpc_list, "127.0.0.1:%d,127.0.0.1:%d", rf->rpc_port[0], rf->rpc_port[1]);
    char flag_words[256];
    snprintf(flag_words, sizeof flag_words, "%s", flags);
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)rf->oracle;
    argv[argc++] = (char *)sparse;
    if (rpc) {
        argv[argc++] = "--rpc";
        argv[argc++] = rpc_list;
    }
    for (char *t = strtok(flag_words, " "); t && argc < 28; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc++] = "--configs";
    argv[argc++] = cfg_path;
    argv[argc] = NULL;
    gp_proc p;
    gp_error err;
    if (gp_proc_start_split(&p, argv, out_path, err_path, &err) != GP_OK) {
        fprintf(stderr, "referee: %s: %s\n", rf->oracle, err.message);
        return false;
    }
    if (!gp_proc_wait(&p, ORACLE_TIMEOUT_MS)) {
        gp_proc_stop(&p, 2000);
        fprintf(stderr, "referee: %s: the oracle took longer than %d s\n", header, ORACLE_TIMEOUT_MS / 1000);
        return false;
    }
    bool exited = WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    gp_proc_stop(&p, 0);
    char *text;
    size_t len;
    if (!exited || gp_read_file(out_path, 1ull << 28, &text, &len, &err) != GP_OK) {
        fprintf(stderr, "referee: %s [%s]: the oracle failed:\n", header, flags);
        char *log;
        size_t log_len;
        if (gp_read_file(err_path, 1 << 20, &log, &log_len, &err) == GP_OK) {
            const char *tail = log_len > 2000 ? log + log_len - 2000 : log;
            fprintf(stderr, "%s\n", tail);
            free(log);
        }
        return false;
    }
    fwrite(text, 1, len, out);
    free(text);
    return true;
}

/* The oracle's answer lines for every row of g, in order; NULL after
 * saying why. The caller frees the text. */
static char *measure(referee *rf, const char *header, const char *sparse, const grid *g, bool rpc)
{
    char *cfg = NULL;
    size_t cfg_len = 0;
    FILE *cf = open_memstream(&cfg, &cfg_len);
    for (size_t i = 0; i < g->n; i++)
        fprintf(cf, "--tag %zu %s %s\n", i, g->row[i].opts, g->row[i].flags);
    fclose(cf);

    char *head;
    size_t head_len;
    gp_error err;
    if (gp_read_file(header, 1ull << 30, &head, &head_len, &err) != GP_OK) {
        fprintf(stderr, "referee: %s: %s\n", header, err.message);
        free(cfg);
        return NULL;
    }
    uint64_t h = fnv(1469598103934665603ull, head, head_len);
    free(head);
    h = fnv(h, cfg, cfg_len);
    h = fnv(h, rf->version, strlen(rf->version));
    h = fnv(h, rpc ? "rpc" : "cpu", 3);
    char cache[1024], path[1200];
    if (!gp_cache_dir("referee", cache, sizeof cache))
        snprintf(cache, sizeof cache, "/tmp/ggplace-referee");
    gp_mkdirs(cache);
    snprintf(path, sizeof path, "%s/%016llx.jsonl", cache, (unsigned long long)h);
    char *text;
    size_t len;
    if (gp_read_file(path, 1ull << 28, &text, &len, &err) == GP_OK) {
        free(cfg);
        return text;
    }

    /* Placements are the oracle's model options: one run (one load) per
     * placement, with the rows of that placement as its configurations. */
    char *all = NULL;
    size_t all_len = 0;
    FILE *af = open_memstream(&all, &all_len);
    bool ok = true;
    for (size_t i = 0; i < g->n && ok; i++) {
        bool first = true;
        for (size_t k = 0; k < i; k++)
            first &= strcmp(g->row[k].flags, g->row[i].flags) != 0;
        if (first)
            ok = run_oracle(rf, header, sparse, g, g->row[i].flags, rpc, af);
    }
    fclose(af);
    free(cfg);
    if (!ok) {
        free(all);
        return NULL;
    }
    /* The devices by their place, not by this run's ports, so that the
     * cache serves later runs. */
    for (int d = 0; d < 2; d++) {
        char port[64], place[64];
        snprintf(port, sizeof port, "RPC0[127.0.0.1:%d]", rf->rpc_port[d]);
        snprintf(place, sizeof place, "RPC0[gpu%d]", d);
        for (char *at; (at = strstr(all, port));) {
            size_t pl = strlen(port), ql = strlen(place);
            memcpy(at, place, ql);
            memmove(at + ql, at + pl, strlen(at + pl) + 1);
        }
    }
    text = all;
    len = strlen(all);
    if (gp_write_file_atomic(path, text, len, false, &err) != GP_OK)
        fprintf(stderr, "referee: %s: not cached: %s\n", path, err.message);
    return text;
}

/* ---- recording ---------------------------------------------------------------------- */

static uint64_t num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
}

/* The answer tagged i, or NULL (the oracle refused the row: llama.cpp
 * rejects some combinations, which are then absent, as in calib/). */
static cJSON *answer(cJSON **answers, size_t n, size_t i)
{
    return i < n ? answers[i] : NULL;
}

static size_t parse_answers(char *text, cJSON ***out)
{
    size_t n = 0, cap = 0;
    cJSON **a = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *tag = j ? cJSON_GetObjectItemCaseSensitive(j, "tag") : NULL;
        const cJSON *ok = j ? cJSON_GetObjectItemCaseSensitive(j, "ok") : NULL;
        if (!cJSON_IsString(tag) || !cJSON_IsTrue(ok)) {
            cJSON_Delete(j);
            continue;
        }
        size_t i = (size_t)strtoull(tag->valuestring, NULL, 10);
        if (i >= cap) {
            size_t ncap = i + 64;
            a = realloc(a, ncap * sizeof *a);
            memset(a + cap, 0, (ncap - cap) * sizeof *a);
            cap = ncap;
        }
        cJSON_Delete(a[i]);
        a[i] = j;
        if (i + 1 > n)
            n = i + 1;
    }
    *out = a;
    return n;
}

static void free_answers(cJSON **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(a[i]);
    free(a);
}

static void record_cpu(FILE *f, const char *name, const char *arch, const grid *g, cJSON **a, size_t n)
{
    for (size_t i = 0; i < g->n; i++) {
        const cJSON *j = answer(a, n, i);
        const cJSON *cpu = j ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "bufts"), "CPU")
                             : NULL;
        if (!cpu)
            continue;
        const grid_row *r = &g->row[i];
        fprintf(f, "%s,%s,%lld,%llu,%llu,%llu,%d,%d,%s,%s,%s,%d,CPU,%llu,%llu,%llu\n", name, arch,
                (long long)r->n_ctx_req, (unsigned long long)num(j, "n_ctx"), (unsigned long long)num(j, "n_batch"),
                (unsigned long long)num(j, "n_ubatch"), r->n_seq, r->kv_unified, r->fa ? "on" : "off", r->type_k,
                r->type_v, r->swa_full, (unsigned long long)num(cpu, "model"), (unsigned long long)num(cpu, "context"),
                (unsigned long long)num(cpu, "compute"));
    }
}

static void record_rpc(referee *rf, const char *name, const grid *g, cJSON **a, size_t n)
{
    for (size_t i = 0; i < g->n; i++) {
        const cJSON *j = answer(a, n, i);
        const cJSON *bufts = j ? cJSON_GetObjectItemCaseSensitive(j, "bufts") : NULL;
        if (!bufts)
            continue;
        const grid_row *r = &g->row[i];
        for (int d = 0; d < 3; d++) {
            /* llama.cpp names an RPC device by its address; the file, as
             * calib/ does, by its place among the GPUs. */
            char key[64], device[16];
            if (d == 0) {
                snprintf(key, sizeof key, "CPU");
                snprintf(device, sizeof device, "CPU");
            } else {
                snprintf(key, sizeof key, "RPC0[gpu%d]", d - 1);
                snprintf(device, sizeof device, "CUDA%d", d - 1);
            }
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(bufts, key);
            fprintf(rf->rpc_csv, "%s,%s,\"%s\",%lld,%d,%d,%d,on,%s,%llu,%llu,%llu\n", name, r->placement,
                    r->flags, (long long)r->n_ctx_req, r->n_ubatch, r->n_seq, r->kv_unified, device,
                    (unsigned long long)(b ? num(b, "model") : 0),
                    (unsigned long long)(b ? num(b, "context") : 0), (unsigned long long)(b ? num(b, "compute") : 0));
        }
    }
}

/* ---- one model ----------------------------------------------------------------------- */

static int referee_model(referee *rf, const char *file)
{
    char header[1200], sparse[600], name[256];
    snprintf(header, sizeof header, "%s/%s", rf->zoo, file);
    snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - 5), file);
    snprintf(sparse, sizeof sparse, "%s/%s", rf->tmp, file);
    gp_model *m;
    gp_error err;
    if (gp_model_open(header, &m, &err) != GP_OK) {
        fprintf(stderr, "referee: %s: %s\n", header, err.message);
        return 1;
    }
    if (gp_write_sparse(m, sparse, &err) != GP_OK) {
        fprintf(stderr, "referee: %s: %s\n", sparse, err.message);
        gp_model_close(&m);
        return 1;
    }
    bool swa = false;
    for (uint32_t il = 0; il < m->hp.n_layer; il++)
        swa |= m->layers[il].kind == GP_LAYER_SWA;
    int rc = 0;
    for (int server = 1; server >= 0; server--) {
        grid g = {0};
        cpu_grid(&g, server, swa);
        char *text = measure(rf, header, sparse, &g, false);
        if (!text) {
            rc = 1;
        } else {
            cJSON **a;
            size_t n = parse_answers(text, &a);
            if (!n) {
                fprintf(stderr, "referee: %s: llama.cpp loaded none of its configurations\n", header);
                rc = 1;
            }
            record_cpu(server ? rf->server_csv : rf->cli_csv, name, m->arch, &g, a, n);
            free_answers(a, n);
            free(text);
        }
        free(g.row);
    }
    if (rf->rpc) {
        grid g = {0};
        rpc_grid(&g, m);
        char *text = measure(rf, header, sparse, &g, true);
        if (!text) {
            rc = 1;
        } else {
            cJSON **a;
            size_t n = parse_answers(text, &a);
            record_rpc(rf, name, &g, a, n);
            free_answers(a, n);
            free(text);
        }
        free(g.row);
    }
    unlink(sparse);
    gp_model_close(&m);
    printf("referee: %s measured\n", name);
    fflush(stdout);
    return rc;
}

/* ---- RPC servers ---------------------------------------------------------------------- */

static bool start_rpc(referee *rf)
{
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/ggml-rpc-server", rf->llama_dir);
    for (int i = 0; i < 2; i++) {
        rf->rpc_port[i] = gp_free_port();
        char port[16], log[600];
        snprintf(port, sizeof port, "%d", rf->rpc_port[i]);
        snprintf(log, sizeof log, "%s/rpc%d.log", rf->tmp, i);
        char *argv[] = {bin, "-H", "127.0.0.1", "-p", port, NULL};
        gp_error err;
        if (gp_proc_start(&rf->rpc_proc[i], argv, log, &err) != GP_OK) {
            fprintf(stderr, "referee: %s: %s\n", bin, err.message);
            return false;
        }
        if (!gp_wait_port("127.0.0.1", rf->rpc_port[i], 20000)) {
            fprintf(stderr, "referee: %s did not listen on port %d within 20 s (its log: %s)\n", bin,
                    rf->rpc_port[i], log);
            return false;
        }
    }
    return true;
}

static void stop_rpc(referee *rf)
{
    for (int i = 0; i < 2; i++)
        gp_proc_stop(&rf->rpc_proc[i], 2000);
}

static FILE *open_csv(const referee *rf, const char *file, const char *header_row)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", rf->out, file);
    FILE *f = fopen(path, "w");
    if (f)
        fputs(header_row, f);
    else
        fprintf(stderr, "referee: %s: cannot write\n", path);
    return f;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    referee rf = {.rpc = true};
    const char *only[64];
    int n_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--oracle") && i + 1 < argc)
            rf.oracle = argv[++i];
        else if (!strcmp(argv[i], "--llama-dir") && i + 1 < argc)
            rf.llama_dir = argv[++i];
        else if (!strcmp(argv[i], "--no-rpc"))
            rf.rpc = false;
        else if (!rf.zoo)
            rf.zoo = argv[i];
        else if (!rf.out)
            rf.out = argv[i];
        else if (n_only < 64)
            only[n_only++] = argv[i];
    }
    if (!rf.llama_dir)
        rf.llama_dir = getenv("GGPLACE_LLAMA_DIR");
    if (!rf.zoo || !rf.out || !rf.oracle || !rf.llama_dir) {
        fprintf(stderr, "usage: referee ZOO_DIR OUT_DIR --oracle BIN [--llama-dir DIR] [--no-rpc] [MODEL...]\n");
        return 2;
    }
    char server[1200];
    snprintf(server, sizeof server, "%s/llama-server", rf.llama_dir);
    if (!gp_llama_version(server, rf.version, sizeof rf.version))
        snprintf(rf.version, sizeof rf.version, "%s", rf.llama_dir);
    snprintf(rf.tmp, sizeof rf.tmp, "/tmp/ggplace-referee-XXXXXX");
    if (!mkdtemp(rf.tmp)) {
        perror("referee: mkdtemp");
        return 1;
    }
    gp_proc_trap_signals();
    int rc = 0;
    rf.server_csv = open_csv(&rf, "memory_server.csv",
                             "model,arch,n_ctx_req,n_ctx,n_batch,n_ubatch,n_seq,kv_unified,fa,type_k,type_v,"
                             "swa_full,buft,model_bytes,context_bytes,compute_bytes\n");
    rf.cli_csv = open_csv(&rf, "memory_cli.csv",
                          "model,arch,n_ctx_req,n_ctx,n_batch,n_ubatch,n_seq,kv_unified,fa,type_k,type_v,"
                          "swa_full,buft,model_bytes,context_bytes,compute_bytes\n");
    rf.rpc_csv = rf.rpc ? open_csv(&rf, "memory_rpc.csv",
                                   "model,placement,flags,n_ctx_req,n_ubatch,n_seq,kv_unified,fa,device,"
                                   "model_bytes,context_bytes,compute_bytes\n")
                        : NULL;
    if (!rf.server_csv || !rf.cli_csv || (rf.rpc && !rf.rpc_csv) || (rf.rpc && !start_rpc(&rf))) {
        rc = 1;
        goto done;
    }
    DIR *d = opendir(rf.zoo);
    if (!d) {
        fprintf(stderr, "referee: %s: cannot read\n", rf.zoo);
        rc = 1;
        goto done;
    }
    char *files[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".gguf"))
            continue;
        bool wanted = n_only == 0;
        for (int i = 0; i < n_only; i++)
            wanted |= !strncmp(e->d_name, only[i], len - 5) && strlen(only[i]) == len - 5;
        if (wanted)
            files[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, n, sizeof *files, by_name);
    for (size_t i = 0; i < n; i++) {
        rc |= referee_model(&rf, files[i]);
        free(files[i]);
    }
done:
    if (rf.rpc)
        stop_rpc(&rf);
    if (rf.server_csv)
        fclose(rf.server_csv);
    if (rf.cli_csv)
        fclose(rf.cli_csv);
    if (rf.rpc_csv)
        fclose(rf.rpc_csv);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rf.tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "referee: could not remove %s\n", rf.tmp);
    return rc;
}
