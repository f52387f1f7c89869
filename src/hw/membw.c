/*
 * The CPU's memory read bandwidth, measured: decode on a CPU streams every
 * weight once per token, so its speed is set by how fast the cores together
 * can read RAM, and no table or sysfs file tells that (channels, ranks, speed
 * and the memory controller all matter). One short streaming read with one
 * thread per physical core gives it; the result is cached per machine.
 */
#include "hw/membw.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/fileio.h"

#define PROBE_BYTES (256u << 20) /* well past any last-level cache */
#define PROBE_PASSES 15
#define PROBE_MAX_THREADS 256

/* 32-byte lanes: the compiler turns the XORs into the widest vector loads
 * the target has, as llama.cpp's kernels use. */
typedef uint64_t lane __attribute__((vector_size(32)));

typedef struct {
    const lane *base;
    size_t lanes;
    uint64_t sum; /* kept so the reads are not optimised away */
} probe_slice;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Four independent accumulators keep several loads in flight. */
static void *read_slice(void *arg)
{
    probe_slice *s = arg;
    const lane *p = s->base;
    lane a = {0}, b = {0}, c = {0}, d = {0};
    for (size_t i = 0; i + 4 <= s->lanes; i += 4) {
        a ^= p[i];
        b ^= p[i + 1];
        c ^= p[i + 2];
        d ^= p[i + 3];
    }
    a ^= b ^ c ^ d;
    s->sum = a[0] ^ a[1] ^ a[2] ^ a[3];
    return NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

double gp_membw_measure(uint32_t threads)
{
    if (threads == 0)
        threads = 1;
    if (threads > PROBE_MAX_THREADS)
        threads = PROBE_MAX_THREADS;
    lane *buf = aligned_alloc(64, PROBE_BYTES);
    if (!buf)
        return 0;
    memset(buf, 1, PROBE_BYTES); /* fault every page in before timing */
    size_t lanes = PROBE_BYTES / sizeof *buf / threads;
    probe_slice slices[PROBE_MAX_THREADS];
    pthread_t ids[PROBE_MAX_THREADS];
    double pass_gbs[PROBE_PASSES];
    int n_pass = 0;
    for (int pass = 0; pass < PROBE_PASSES; pass++) {
        uint32_t started = 0;
        double t0 = now_s();
        for (uint32_t i = 0; i < threads; i++) {
            slices[i] = (probe_slice){buf + (size_t)i * lanes, lanes, 0};
            if (pthread_create(&ids[i], NULL, read_slice, &slices[i]) != 0)
                break;
            started++;
        }
        for (uint32_t i = 0; i < started; i++)
            pthread_join(ids[i], NULL);
        double dt = now_s() - t0;
        if (started == threads && dt > 0)
            pass_gbs[n_pass++] = (double)(lanes * threads * sizeof *buf) / dt / 1e9;
    }
    free(buf);
    if (n_pass == 0)
        return 0;
    /* The second best pass: the slower ones were disturbed by other work,
     * and on virtual machines a single pass now and then runs implausibly
     * fast. */
    qsort(pass_gbs, (size_t)n_pass, sizeof pass_gbs[0], cmp_double);
    return pass_gbs[n_pass >= 2 ? n_pass - 2 : 0];
}

static void cache_path(char *out, size_t size)
{
    char dir[1024];
    if (gp_cache_dir(NULL, dir, sizeof dir))
        snprintf(out, size, "%s/membw", dir);
    else
        out[0] = 0;
}

/* One line per machine: "<key>\t<GB/s>". The key is what would change the
 * answer: the CPU model, its cores and the RAM size. */
static void make_key(const gp_device *cpu, char *key, size_t size)
{
    snprintf(key, size, "%s/%ucores/%lluMiB", cpu->model[0] ? cpu->model : "cpu", cpu->cpu.cores,
             (unsigned long long)(cpu->cpu.ram_total >> 20));
    for (char *c = key; *c; c++)
        if (*c == '\t' || *c == '\n')
            *c = ' ';
}

static double cache_lookup(const char *path, const char *key)
{
    char *text;
    size_t len;
    if (!path[0] || gp_read_file(path, 1 << 16, &text, &len, NULL) != GP_OK)
        return 0;
    double found = 0;
    size_t klen = strlen(key);
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (strncmp(line, key, klen) == 0 && line[klen] == '\t')
            found = strtod(line + klen + 1, NULL);
        line = next;
    }
    free(text);
    return found > 0 ? found : 0;
}

static void cache_store(const char *path, const char *key, double gbs)
{
    if (!path[0])
        return;
    char *text = NULL;
    size_t len = 0;
    if (gp_read_file(path, 1 << 16, &text, &len, NULL) != GP_OK)
        text = NULL;
    size_t cap = (text ? len : 0) + strlen(key) + 64;
    char *out = malloc(cap);
    if (!out) {
        free(text);
        return;
    }
    size_t pos = 0, klen = strlen(key);
    for (char *line = text; line && *line;) { /* keep the other machines' lines */
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (!(strncmp(line, key, klen) == 0 && line[klen] == '\t'))
            pos += (size_t)snprintf(out + pos, cap - pos, "%s\n", line);
        line = next;
    }
    pos += (size_t)snprintf(out + pos, cap - pos, "%s\t%.1f\n", key, gbs);
    gp_write_file_atomic(path, out, pos, false, NULL);
    free(out);
    free(text);
}

void gp_membw_detect(gp_devices *d)
{
    gp_device *cpu = &d->dev[0];
    const char *env = getenv("GGPLACE_MEMBW");
    if (env && *env) {
        /* A figure the user knows (or 0: do not measure). */
        double v = strtod(env, NULL);
        if (v > 0)
            cpu->bandwidth_gbs = v;
        return;
    }
    char path[1100], key[256];
    cache_path(path, sizeof path);
    make_key(cpu, key, sizeof key);
    double gbs = cache_lookup(path, key);
    if (gbs <= 0) {
        gbs = gp_membw_measure(cpu->cpu.cores ? cpu->cpu.cores : cpu->cpu.threads);
        if (gbs > 0)
            cache_store(path, key, gbs);
    }
    if (gbs > 0)
        cpu->bandwidth_gbs = (double)(long long)(gbs * 10.0 + 0.5) / 10.0;
}
