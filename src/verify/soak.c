#include "verify/soak.h"

#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/error.h"
#include "util/proc.h"

/* ---- what the process holds ------------------------------------------------- */

typedef struct sample {
    uint64_t anon;      /* every mapping's Anonymous: */
    uint64_t mapped;    /* Rss: of the model file's mappings */
} sample;

/* The model file as mappings name it: its inode and its file name. */
typedef struct model_file {
    unsigned long long inode;
    const char *name;
} model_file;

/* "Anonymous:" of /proc/PID/smaps_rollup: every mapping's, summed by the
   kernel in one pass. False when it cannot be read. */
static bool read_rollup_anon(pid_t pid, uint64_t *anon)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "Anonymous: %llu kB", &kb) == 1) {
            *anon = kb * 1024;
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* One pass over /proc/PID/smaps. False when it cannot be read (the process
   is gone). The kernel lists mappings in address order but builds the text
   a page at a time, letting the process run in between: a mapping that grew
   meanwhile (the heap, as brk moves) can come a second time. Each address
   range counts once, and anonymous memory comes from smaps_rollup where the
   kernel has it, which sums every mapping in one pass. */
static bool read_smaps(pid_t pid, const model_file *model, sample *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[4352];
    bool in_model = false, repeat = false;
    unsigned long long seen_end = 0;
    memset(out, 0, sizeof *out);
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "Anonymous: %llu kB", &kb) == 1) {
            if (!repeat)
                out->anon += kb * 1024;
        } else if (sscanf(line, "Rss: %llu kB", &kb) == 1) {
            if (in_model && !repeat)
                out->mapped += kb * 1024;
        } else {
            /* a mapping's first line: "start-end perms offset major:minor inode [path]" */
            unsigned long long start, end, offset, inode;
            unsigned major, minor;
            char perms[8];
            int used = 0;
            if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu%n", &start, &end, perms, &offset, &major, &minor,
                       &inode, &used) != 7)
                continue;
            repeat = start < seen_end;
            if (end > seen_end)
                seen_end = end;
            char *p = line + used, *nl = strchr(p, '\n');
            if (nl)
                *nl = 0;
            while (*p == ' ')
                p++;
            const char *slash = strrchr(p, '/');
            in_model = *p && inode == model->inode && strcmp(slash ? slash + 1 : p, model->name) == 0;
        }
    }
    fclose(f);
    uint64_t anon;
    if (read_rollup_anon(pid, &anon))
        out->anon = anon;
    return true;
}

typedef struct sampler {
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop;
    pid_t pid;
    const model_file *model;
    sample peak;
    int samples;
} sampler;

static void *sample_loop(void *arg)
{
    sampler *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        sample x;
        if (read_smaps(s->pid, s->model, &x)) {
            pthread_mutex_lock(&s->lock);
            if (x.anon + x.mapped > s->peak.anon + s->peak.mapped)
                s->peak = x;
            s->samples++;
            pthread_mutex_unlock(&s->lock);
        }
        /* a few samples a second: reading a large process's smaps costs
           the CPU the server computes on */
        gp_sleep_ms(250);
    }
    return NULL;
}

/* ---- the requests ----------------------------------------------------------- */

/* A prompt of n token ids, the same for a seed whatever n (a longer one
   extends a shorter one), clear of the special ids at the start. */
static char *request(uint32_t seed, uint64_t n, int slot, uint32_t n_vocab)
{
    uint32_t lo = n_vocab > 200 ? 100 : 1, span = n_vocab > lo + 1 ? n_vocab - lo - 1 : 1;
    cJSON *o = cJSON_CreateObject();
    cJSON *prompt = cJSON_AddArrayToObject(o, "prompt");
    uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
    for (uint64_t i = 0; i < n; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        cJSON_AddItemToArray(prompt, cJSON_CreateNumber(lo + (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 33) % span));
    }
    cJSON_AddNumberToObject(o, "n_predict", 4);
    cJSON_AddNumberToObject(o, "id_slot", slot);
    cJSON_AddBoolToObject(o, "cache_prompt", true);
    cJSON_AddBoolToObject(o, "ignore_eos", true);
    cJSON_AddNumberToObject(o, "temperature", 0);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

gp_status gp_verify_soak(const char *model, char *const *args, const gp_devices *d, const gp_soak_opts *o,
                         gp_soak_result *r, gp_error *err)
{
    memset(r, 0, sizeof *r);
    struct stat sb;
    if (stat(model, &sb) != 0)
        return gp_fail(err, GP_ERR_IO, model, "cannot read the model file");
    const char *slash = strrchr(model, '/');
    model_file mf = {(unsigned long long)sb.st_ino, slash ? slash + 1 : model};
    gp_llama_server srv;
    gp_status st = gp_llama_server_start(model, args, &o->server, &srv, &r->server, err);
    if (st != GP_OK)
        return st;
    int64_t t0 = gp_now_ms();
    sample at_load;
    if (read_smaps(srv.proc.pid, &mf, &at_load))
        r->load = at_load.anon + at_load.mapped;

    sampler sm = {.pid = srv.proc.pid, .model = &mf};
    pthread_mutex_init(&sm.lock, NULL);
    bool sampling = pthread_create(&sm.thread, NULL, sample_loop, &sm) == 0;
    if (!sampling)
        st = gp_fail(err, GP_ERR_NOMEM, NULL, "cannot start the memory sampler");

    /* First, on slot 0, distinct full prompts, each pushing the one before
       into the prompt cache, until the cache's bound is passed (each entry
       carries no more than its prompt's own checkpoints); then every slot
       filled in turns, each prompt one token longer than the one before and
       the last as long as the slot takes. llama-server checkpoints each turn
       4 tokens before its prompt's end, so the slot gathers its limit of
       checkpoints, each of a window as full as it gets: the caches are at
       their bounds together at the end. */
    const uint64_t full = o->ctx_per_slot > 64 ? o->ctx_per_slot - 8 : o->ctx_per_slot / 2;
    const uint32_t turns = o->ctx_checkpoints > 0 ? (uint32_t)o->ctx_checkpoints + 1 : 1;
    const uint64_t entry = o->slot_state_bytes ? o->slot_state_bytes : 1;
    const uint64_t fills = o->cache_bytes ? o->cache_bytes / entry + 2 : 0;
    const uint64_t total = fills + (uint64_t)o->slots * turns;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/completion", srv.port);
    for (uint64_t k = 0; k < total && st == GP_OK; k++) {
        if (r->requests >= o->max_requests || gp_now_ms() - t0 > (int64_t)o->max_seconds * 1000)
            break;
        if (o->server.progress)
            o->server.progress(o->server.progress_ctx, "soak requests", r->requests,
                               (int)(total < (uint64_t)o->max_requests ? total : (uint64_t)o->max_requests));
        uint64_t n;
        uint32_t seed;
        int slot;
        if (k < fills) {
            slot = 0;
            seed = (uint32_t)(1000 + k);
            n = full;
        } else {
            uint64_t j = k - fills;
            slot = (int)(j / turns);
            seed = (uint32_t)slot;
            uint64_t back = turns - 1 - j % turns;
            n = full > back ? full - back : 1;
        }
        char *req = request(seed, n ? n : 1, slot, o->server.n_vocab);
        long code = gp_verify_http(url, req, o->server.request_timeout_s, NULL);
        free(req);
        r->requests++;
        if (code != 200) {
            if (code < 0)
                gp_proc_wait(&srv.proc, 3000);
            st = gp_fail(err, GP_ERR_CONFIG, model, gp_proc_alive(&srv.proc)
                             ? "llama-server refused a soak request (HTTP %ld)"
                             : "llama-server died during the soak (out of memory?)", code);
        }
    }
    gp_sleep_ms(300);   /* a last sample after the last answer */
    if (sampling) {
        pthread_mutex_lock(&sm.lock);
        sm.stop = true;
        pthread_mutex_unlock(&sm.lock);
        pthread_join(sm.thread, NULL);
    }
    pthread_mutex_destroy(&sm.lock);
    r->peak_anon = sm.peak.anon;
    r->peak_mapped = sm.peak.mapped;
    r->peak = sm.peak.anon + sm.peak.mapped;
    r->samples = sm.samples;
    r->seconds = (double)(gp_now_ms() - t0) / 1000.0;
    gp_llama_server_finish(&srv, d, &r->server);
    return st;
}
