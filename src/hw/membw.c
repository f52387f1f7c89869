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
#define PROBE_PASSES 5
#define PROBE_MAX_THREADS 256

typedef struct {
    const uint64_t *base;
    size_t words;
    uint64_t sum; /* kept so the reads are not optimised away */
} probe_slice;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Four independent accumulators let the core keep several loads in flight,
 * as llama.cpp's dot-product kernels do. */
static void *read_slice(void *arg)
{
    probe_slice *s = arg;
    const uint64_t *p = s->base;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= s->words; i += 4) {
        a ^= p[i];
        b ^= p[i + 1];
        c ^= p[i + 2];
        d ^= p[i + 3];
    }
    s->sum = a ^ b ^ c ^ d;
    return NULL;
}

double gp_membw_measure(uint32_t threads)
{
    if (threads == 0)
        threads = 1;
    if (threads > PROBE_MAX_THREADS)
        threads = PROBE_MAX_THREADS;
    uint64_t *buf = malloc(PROBE_BYTES);
    if (!buf)
        return 0;
    memset(buf, 1, PROBE_BYTES); /* fault every page in before timing */
    size_t words = PROBE_BYTES / sizeof *buf / threads;
    probe_slice slices[PROBE_MAX_THREADS];
    pthread_t ids[PROBE_MAX_THREADS];
    double best = 0;
    for (int pass = 0; pass < PROBE_PASSES; pass++) {
        uint32_t started = 0;
        double t0 = now_s();
        for (uint32_t i = 0; i < threads; i++) {
            slices[i] = (probe_slice){buf + (size_t)i * words, words, 0};
            if (pthread_create(&ids[i], NULL, read_slice, &slices[i]) != 0)
                break;
            started++;
        }
        for (uint32_t i = 0; i < started; i++)
            pthread_join(ids[i], NULL);
        double dt = now_s() - t0;
        if (started == threads && dt > 0) {
            double gbs = (double)(words * threads * sizeof *buf) / dt / 1e9;
            if (gbs > best)
                best = gbs; /* the best pass: others were disturbed by other work */
        }
    }
    free(buf);
    return best;
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
