/*
 * A small HTTP/1.1 server for tests, in a child process on 127.0.0.1 (a
 * port the kernel picks). It serves registered files under several
 * behaviours chosen by the first path component, and counts the body
 * bytes it sends:
 *   /r/NAME            Range honoured (206), ETag, If-None-Match -> 304
 *   /n/NAME            Range ignored: the whole file (200)
 *   /redir/NAME        302 to /r/NAME;  /loop/NAME  302 to itself
 *   /status/CODE/NAME  that status
 *   /range416/NAME     416 to any Range
 *   /reset/NAME        announces the range, sends 256 KiB, resets the connection
 *   /lie/NAME          announces the range, sends half, closes
 *   /slow/NAME         headers, then one byte every 200 ms
 *   /api/models/OWNER/REPO/refs|tree/COMMIT, /OWNER/REPO/resolve/COMMIT/PATH
 *                      Hugging Face's API and downloads for files registered
 *                      as "OWNER/REPO/PATH"; OWNER "gated" needs the token.
 * A registered file may have a virtual size beyond its real one (zeros):
 * a header-only file then looks like the whole model.
 */
#ifndef GP_TESTS_HTTP_FIXTURE_H
#define GP_TESTS_HTTP_FIXTURE_H

#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#define FX_MAX_FILES 64
#define FX_TOKEN "hf_fixtureTOKEN0123456789abcdefghijklmnop"
#define FX_COMMIT "0123456789abcdef0123456789abcdef01234567"

/* What the server did since the last fx_reset_stats. A connection counts
 * only the requests it read after that reset: one of an earlier test (a slow
 * transfer its client gave up on, an aborted stream) may still be writing,
 * and what it writes belongs to that test. */
typedef struct fx_stats {
    uint64_t bytes;       /* body bytes sent */
    uint32_t requests;
    uint32_t epoch;       /* bumped by each reset */
    uint32_t live;        /* connections still being served */
    pthread_mutex_t lock; /* process-shared: a count and its epoch change together */
} fx_stats;

typedef struct http_fixture {
    int port;
    pid_t pid;
    int listen_fd;
    char base[64];        /* "http://127.0.0.1:PORT" */
    struct {
        char name[256];
        char path[1024];
        uint64_t size;    /* served size (>= the real size; zeros beyond) */
    } files[FX_MAX_FILES];
    int n_files;
    fx_stats *stats;      /* shared with the server */
} http_fixture;

/* Registers a file before fx_start; virtual_size 0 serves the real size. */
void fx_add_file(http_fixture *f, const char *name, const char *path, uint64_t virtual_size);
bool fx_start(http_fixture *f);
void fx_stop(http_fixture *f);
void fx_reset_stats(http_fixture *f);
/* Waits until no connection is being served, at most timeout_ms; false on
 * time-out. */
bool fx_wait_idle(http_fixture *f, int timeout_ms);

#endif
