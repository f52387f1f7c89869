/*
 * GGUF headers over HTTP: only the header is read, never the weights.
 *
 * A header is fetched with Range requests: one first range, then more
 * ranges sized from what the bytes already read say is still missing (a
 * string array's count and average length, the tensor count: gguf/'s
 * gp_gguf_header_need), until the tensor infos are complete. A server that ignores Range is read as a
 * stream and the transfer is cut off as soon as the header is complete.
 * Redirects are followed; ETag and Last-Modified are kept, and complete
 * headers are cached under the URL and its ETag so they are read once.
 *
 * Every failure is one gp_error naming the URL; nothing is cached unless
 * the header parsed completely. The library never prints: progress is
 * reported through a callback.
 */
#ifndef GP_SOURCE_REMOTE_H
#define GP_SOURCE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ggplace.h"
#include "gguf/gguf.h"

typedef void (*gp_remote_progress_fn)(void *ctx, const char *url, uint64_t done, uint64_t total);

typedef struct gp_remote_opts {
    long connect_timeout_ms;  /* 0: $GGPLACE_HTTP_CONNECT_TIMEOUT (s), else 10 s */
    long stall_timeout_s;     /* a transfer slower than 1 KiB/s for this long fails;
                                 0: $GGPLACE_HTTP_TIMEOUT (s), else 30 s */
    size_t first_range;       /* 0: 1 MiB */
    const char *token;        /* sent as "Authorization: Bearer"; NULL or "" for none */
    bool offline;             /* use the header cache only */
    bool no_cache;            /* neither read nor write the cache */
    const char *cache_dir;    /* NULL: $XDG_CACHE_HOME/ggplace/headers (~/.cache/...) */
    const char *endpoint;     /* the Hugging Face endpoint -hf resolves against; NULL:
                                 gp_hf_endpoint()'s ($MODEL_ENDPOINT, $HF_ENDPOINT, ...) */
    gp_remote_progress_fn progress;
    void *progress_ctx;
} gp_remote_opts;

/* What one header read cost. */
typedef struct gp_remote_stats {
    uint64_t bytes;           /* body bytes received */
    uint32_t requests;        /* HTTP requests made (redirects not counted) */
    bool from_cache;
    bool ranged;              /* the server honoured Range */
    uint64_t file_size;       /* the whole file, as the server reported it */
    uint64_t header_size;     /* bytes up to the end of the tensor infos */
    char etag[256];
    char last_modified[64];
} gp_remote_stats;

/* True for http:// and https:// addresses. */
bool gp_is_url(const char *s);

/* Fetches and parses the header of the GGUF at url. o and stats may be
 * NULL. The result owns a copy of the header bytes; data_present reflects
 * the file size the server reported. */
gp_status gp_remote_fetch_header(const char *url, const gp_remote_opts *o, gp_gguf **out,
                                 gp_remote_stats *stats, gp_error *err);

/* A small GET (API answers): the body (NUL-terminated, at most max bytes)
 * and the status. Transport failures are errors; HTTP statuses are not.
 * With o->offline, or when the server cannot be reached, a body cached by
 * an earlier successful GET of the same URL is returned with status 200 and
 * *cached set. */
gp_status gp_remote_get(const char *url, const gp_remote_opts *o, size_t max, char **body,
                        size_t *len, long *status, bool *cached, gp_error *err);

/* The directory of the header cache (created when missing); false when no
 * home or cache directory is known. */
bool gp_remote_cache_dir(const gp_remote_opts *o, char *buf, size_t cap);

/* The cache file that holds url's header (it may not exist). */
bool gp_remote_cache_path(const gp_remote_opts *o, const char *url, char *buf, size_t cap);

#endif
