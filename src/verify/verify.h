/*
 * Running the real thing: start llama-server with exactly the planned argv
 * on a free loopback port, wait for /health, time fixed prompts through
 * /completion, stop it, and read what it allocated from its load log.
 */
#ifndef GP_VERIFY_VERIFY_H
#define GP_VERIFY_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "memory/device.h"
#include "util/proc.h"
#include "verify/llama_log.h"

typedef struct gp_verify_opts {
    const char *llama_dir;   /* directory of llama-server; NULL: $GGPLACE_LLAMA_DIR, then PATH */
    int runs;                /* timed requests */
    int n_prompt;            /* prompt tokens per request */
    int n_predict;           /* generated tokens per request */
    int start_timeout_s;     /* load and /health */
    int request_timeout_s;   /* each /completion */
    uint32_t n_vocab;        /* prompt token ids stay below this (the model's vocabulary) */
    /* Told what is being waited for (done of total; total 0 when unknown)
     * while the server starts and answers; NULL: nobody listens. */
    void (*progress)(void *ctx, const char *stage, int done, int total);
    void *progress_ctx;
} gp_verify_opts;

void gp_verify_opts_default(gp_verify_opts *o);

typedef struct gp_verify_result {
    char version[160];       /* llama-server --version */
    char server_path[1024];
    gp_llama_buffers measured;
    double prefill_tps;      /* median over runs */
    double decode_tps;
    int runs;
    char log_tail[4096];     /* the end of llama-server's log, for failures */
} gp_verify_result;

/* Finds a llama.cpp tool by name; false if it is nowhere. */
bool gp_llama_find_tool(const char *dir, const char *name, char *out, size_t size);

/* Asks a tool for its version line ("version: 1 (de3ff815)"). */
bool gp_llama_version(const char *tool, char *out, size_t size);

/* A llama-server started on a free loopback port, its log in a temporary
 * file. */
typedef struct gp_llama_server {
    gp_proc proc;
    int port;
    char log[4096];  /* its scratch log (util/fileio.h), kept by log_fd */
    int log_fd;
} gp_llama_server;

/* Starts llama-server with "-m model args..." and waits for /health (r gets
 * its path and version; on failure the end of its log). */
gp_status gp_llama_server_start(const char *model, char *const *args, const gp_verify_opts *o,
                                gp_llama_server *srv, gp_verify_result *r, gp_error *err);
/* Stops it, reads what it allocated from its log into r and removes the log. */
void gp_llama_server_finish(gp_llama_server *srv, const gp_devices *d, gp_verify_result *r);

/* One HTTP request to a local server (POST when post is not NULL): the
 * status, or -1 when none came; *response (if given) gets the body, to be
 * freed. */
long gp_verify_http(const char *url, const char *post, int timeout_s, char **response);

/* Runs llama-server with "-m model args..." and measures it. On failure the
 * result's log_tail holds the end of llama-server's log. A caller that may
 * be interrupted traps the stop signals (gp_proc_trap_signals) first. */
gp_status gp_verify_run(const char *model, char *const *args, const gp_devices *d,
                        const gp_verify_opts *o, gp_verify_result *r, gp_error *err);

#endif
