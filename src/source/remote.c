#include "source/remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "source/curl.h"
#include "util/error.h"
#include "util/fileio.h"

#define MIB (1024u * 1024u)
#define FIRST_RANGE MIB
/* No GGUF header comes near this; a larger claim is a hostile or broken file. */
#define MAX_HEADER (512ull * MIB)
/* Headroom over the estimate, so one more request is rarely needed. */
#define SLACK (64u * 1024u)
#define CACHE_MAGIC "ggplace-header 1\n"

bool gp_is_url(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

/* ---- how much header is still missing ------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* The parser's measure of what is missing; while not even the fixed start
 * of the header is in, the first range again. */
static int header_need(const unsigned char *b, size_t have, uint64_t *need)
{
    int r = gp_gguf_header_need(b, have, need);
    if (r == 0 && have < 24)
        *need = FIRST_RANGE;
    return r;
}

/* ---- options ----------------------------------------------------------------- */

static double env_seconds(const char *name, double dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    double d = strtod(v, &end);
    return (*end || d <= 0) ? dflt : d;
}

static long connect_ms(const gp_remote_opts *o)
{
    if (o && o->connect_timeout_ms > 0)
        return o->connect_timeout_ms;
    return (long)(env_seconds("GGPLACE_HTTP_CONNECT_TIMEOUT", 10) * 1000);
}

static long stall_s(const gp_remote_opts *o)
{
    if (o && o->stall_timeout_s > 0)
        return o->stall_timeout_s;
    long s = (long)(env_seconds("GGPLACE_HTTP_TIMEOUT", 30) + 0.5);
    return s < 1 ? 1 : s;
}

/* ---- the header cache ---------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}


bool gp_remote_cache_dir(const gp_remote_opts *o, char *buf, size_t cap)
{
    int n;
    if (!o || !o->cache_dir || !*o->cache_dir)
        return gp_cache_dir("headers", buf, cap);
    n = snprintf(buf, cap, "%s", o->cache_dir);
    if (n < 0 || (size_t)n >= cap)
        return false;
    return gp_mkdirs(buf);
}

bool gp_remote_cache_path(const gp_remote_opts *o, const char *url, char *buf, size_t cap)
{
    char dir[1024];
    if (!gp_remote_cache_dir(o, dir, sizeof dir))
        return false;
    int n = snprintf(buf, cap, "%s/%016llx.gguf-header", dir, (unsigned long long)fnv1a(url));
    return n > 0 && (size_t)n < cap;
}

typedef struct cache_entry {
    char etag[256];
    char last_modified[64];
    uint64_t file_size;
    unsigned char *bytes; /* the header */
    size_t len;
    char *raw;
} cache_entry;

static void cache_entry_free(cache_entry *e)
{
    free(e->raw);
    memset(e, 0, sizeof *e);
}

/* Reads "key: value\n" from the preamble; value copied into out. */
static bool preamble_field(const char *pre, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *l = pre; l && *l && *l != '\n'; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == ':' && l[kl + 1] == ' ') {
            const char *v = l + kl + 2, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= cap)
                return false;
            memcpy(out, v, n);
            out[n] = 0;
            return true;
        }
    }
    out[0] = 0;
    return false;
}

/* Loads the entry for url; false when there is none (or it is not for url). */
static bool cache_load(const gp_remote_opts *o, const char *url, cache_entry *e)
{
    memset(e, 0, sizeof *e);
    if (o && o->no_cache)
        return false;
    char path[1200];
    if (!gp_remote_cache_path(o, url, path, sizeof path))
        return false;
    char *raw;
    size_t len;
    gp_error err;
    if (gp_read_file(path, MAX_HEADER + 65536, &raw, &len, &err) != GP_OK)
        return false;
    char *sep = NULL;
    if (len > strlen(CACHE_MAGIC) && !memcmp(raw, CACHE_MAGIC, strlen(CACHE_MAGIC)))
        for (size_t i = strlen(CACHE_MAGIC); i + 1 < len && !sep; i++)
            if (raw[i] == '\n' && raw[i + 1] == '\n')
                sep = raw + i;
    char stored_url[4096], num[32], hlen[32];
    const char *pre = raw + strlen(CACHE_MAGIC);
    if (!sep || !preamble_field(pre, "url", stored_url, sizeof stored_url) ||
        strcmp(stored_url, url) != 0 || !preamble_field(pre, "file-size", num, sizeof num) ||
        !preamble_field(pre, "header-bytes", hlen, sizeof hlen)) {
        free(raw);
        return false;
    }
    preamble_field(pre, "etag", e->etag, sizeof e->etag);
    preamble_field(pre, "last-modified", e->last_modified, sizeof e->last_modified);
    e->file_size = strtoull(num, NULL, 10);
    e->bytes = (unsigned char *)sep + 2;
    e->len = len - (size_t)(e->bytes - (unsigned char *)raw);
    if (strtoull(hlen, NULL, 10) != e->len) {
        free(raw);
        return false;
    }
    e->raw = raw;
    return true;
}

static void cache_store(const gp_remote_opts *o, const char *url, const gp_remote_stats *st,
                        const unsigned char *bytes, size_t len)
{
    if (o && o->no_cache)
        return;
    char path[1200];
    if (!gp_remote_cache_path(o, url, path, sizeof path) || strchr(url, '\n') ||
        strchr(st->etag, '\n') || strchr(st->last_modified, '\n'))
        return;
    char pre[4096 + 512];
    int n = snprintf(pre, sizeof pre,
                     CACHE_MAGIC "url: %s\netag: %s\nlast-modified: %s\nfile-size: %llu\n"
                                 "header-bytes: %zu\n\n",
                     url, st->etag, st->last_modified, (unsigned long long)st->file_size, len);
    if (n < 0 || (size_t)n >= sizeof pre)
        return;
    unsigned char *all = malloc((size_t)n + len);
    if (!all)
        return;
    memcpy(all, pre, (size_t)n);
    memcpy(all + n, bytes, len);
    gp_error err;
    /* Atomic: a reader sees the old entry, the new one, or none. A cache
     * that cannot be written only costs a download next time. */
    (void)gp_write_file_atomic(path, all, (size_t)n + len, false, &err);
    free(all);
}

/* ---- one HTTP transfer ----------------------------------------------------------- */

typedef enum { MODE_HEADER, MODE_GET } xfer_mode;

typedef struct xfer {
    xfer_mode mode;
    const char *url;
    /* response headers of the final hop */
    long status;
    char etag[256];
    char last_modified[64];
    bool have_range;      /* Content-Range seen */
    uint64_t range_start, range_total;
    bool total_known;
    int64_t content_length;
    /* body */
    unsigned char *buf;
    size_t len, cap;
    size_t max;           /* MODE_GET: refuse more */
    uint64_t received;    /* body bytes of this transfer */
    bool too_big;
    /* MODE_HEADER */
    size_t base;          /* where this response's body goes in buf */
    bool reset_on_200;    /* a 200 restarts the body at 0 */
    bool stream_done;     /* the header is complete: stop */
    bool not_gguf;
    bool cache_hit;       /* the ETag matches the cached entry */
    const char *cached_etag;
    uint64_t next_check;
    uint64_t est;
    const gp_remote_opts *o;
    char errbuf[CURL_ERROR_SIZE];
} xfer;

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    char line[1024];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, l);
    line[l] = 0;
    while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
        line[--l] = 0;
    if (!strncmp(line, "HTTP/", 5)) {
        /* A new response (after a redirect or a 100): forget the last one. */
        const char *sp = strchr(line, ' ');
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->etag[0] = x->last_modified[0] = 0;
        x->have_range = x->total_known = false;
        x->content_length = -1;
        return len;
    }
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    *colon = 0;
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!strcasecmp(line, "etag"))
        snprintf(x->etag, sizeof x->etag, "%s", v);
    else if (!strcasecmp(line, "last-modified"))
        snprintf(x->last_modified, sizeof x->last_modified, "%s", v);
    else if (!strcasecmp(line, "content-length"))
        x->content_length = strtoll(v, NULL, 10);
    else if (!strcasecmp(line, "content-range")) {
        unsigned long long a, b;
        char total[32];
        if (sscanf(v, "bytes %llu-%llu/%31s", &a, &b, total) == 3) {
            x->have_range = true;
            x->range_start = a;
            if (strcmp(total, "*") != 0) {
                x->range_total = strtoull(total, NULL, 10);
                x->total_known = true;
            }
        } else if (sscanf(v, "bytes */%llu", &a) == 1) {
            x->range_total = a;
            x->total_known = true;
        }
    }
    return len;
}

static bool grow(xfer *x, size_t need)
{
    if (need <= x->cap)
        return true;
    size_t cap = x->cap ? x->cap : 65536;
    while (cap < need)
        cap *= 2;
    unsigned char *b = realloc(x->buf, cap);
    if (!b)
        return false;
    x->buf = b;
    x->cap = cap;
    return true;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->received += len;
    if (x->mode == MODE_GET) {
        if (x->len + len > x->max) {
            x->too_big = true;
            return CURL_WRITEFUNC_ERROR;
        }
        if (!grow(x, x->len + len + 1))
            return CURL_WRITEFUNC_ERROR;
        memcpy(x->buf + x->len, data, len);
        x->len += len;
        return len;
    }
    if (x->status != 200 && x->status != 206)
        return len; /* an error page: the status says enough */
    if (x->status == 200 && x->reset_on_200) {
        /* The server ignored Range: this body is the file from its start. */
        x->reset_on_200 = false;
        x->len = 0;
    }
    if (x->cached_etag && x->etag[0] && !strcmp(x->etag, x->cached_etag)) {
        x->cache_hit = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (x->len + len > MAX_HEADER + SLACK + (size_t)MIB) {
        x->too_big = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (!grow(x, x->len + len))
        return CURL_WRITEFUNC_ERROR;
    memcpy(x->buf + x->len, data, len);
    x->len += len;
    if (x->o && x->o->progress)
        x->o->progress(x->o->progress_ctx, x->url, x->len, x->est > x->len ? x->est : x->len);
    if (x->len >= 4 && memcmp(x->buf, "GGUF", 4) != 0) {
        x->not_gguf = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (x->status == 200 && x->len >= x->next_check) {
        /* Streaming: stop as soon as the header is complete. */
        uint64_t need;
        int r = header_need(x->buf, x->len, &need);
        if (r != 0) {
            x->stream_done = true;
            return CURL_WRITEFUNC_ERROR;
        }
        x->est = need;
        x->next_check = need > x->len + SLACK ? need : x->len + SLACK;
    }
    return len;
}

static CURL *new_handle(const char *url, const gp_remote_opts *o, xfer *x, struct curl_slist *hdrs)
{
    CURL *c = gp_curl.easy_init();
    if (!c)
        return NULL;
    gp_curl.easy_setopt(c, CURLOPT_URL, url);
    gp_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    gp_curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    gp_curl.easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    gp_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    gp_curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    gp_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms(o));
    /* A transfer that stalls fails; a slow but moving one may take its time. */
    gp_curl.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    gp_curl.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_s(o));
    gp_curl.easy_setopt(c, CURLOPT_USERAGENT, "ggplace/" GGPLACE_VERSION);
    gp_curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    gp_curl.easy_setopt(c, CURLOPT_HEADERDATA, x);
    gp_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    gp_curl.easy_setopt(c, CURLOPT_WRITEDATA, x);
    gp_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    if (hdrs)
        gp_curl.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    return c;
}

static struct curl_slist *auth_headers(const gp_remote_opts *o, const char *extra)
{
    struct curl_slist *h = NULL;
    if (o && o->token && *o->token) {
        char line[600];
        snprintf(line, sizeof line, "Authorization: Bearer %s", o->token);
        h = gp_curl.slist_append(h, line);
    }
    if (extra)
        h = gp_curl.slist_append(h, extra);
    return h;
}

/* One line for a transport failure. */
static gp_status transport_error(gp_error *err, const char *url, CURLcode rc, const xfer *x,
                                 const gp_remote_opts *o, uint64_t had)
{
    switch (rc) {
    case CURLE_TOO_MANY_REDIRECTS:
        return gp_fail(err, GP_ERR_IO, url, "redirect loop (more than 10 redirects)");
    case CURLE_OPERATION_TIMEDOUT:
        return gp_fail(err, GP_ERR_IO, url,
                       "timed out: %s (set GGPLACE_HTTP_TIMEOUT, in seconds, to wait longer)",
                       x->errbuf[0] ? x->errbuf : "the server is too slow");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return gp_fail(err, GP_ERR_IO, url, "cannot connect: %s",
                       x->errbuf[0] ? x->errbuf : gp_curl.easy_strerror(rc));
    case CURLE_PARTIAL_FILE:
        return gp_fail(err, GP_ERR_IO, url,
                       "the server closed the connection after %llu bytes, before sending what it "
                       "announced",
                       (unsigned long long)(had + x->received));
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
        return gp_fail(err, GP_ERR_IO, url, "connection lost after %llu bytes: %s",
                       (unsigned long long)(had + x->received),
                       x->errbuf[0] ? x->errbuf : gp_curl.easy_strerror(rc));
    default:
        (void)o;
        return gp_fail(err, GP_ERR_IO, url, "%s", x->errbuf[0] ? x->errbuf : gp_curl.easy_strerror(rc));
    }
}

static gp_status status_error(gp_error *err, const char *url, long status, bool have_token)
{
    if (status == 401)
        return gp_fail(err, GP_ERR_IO, url,
                       have_token ? "HTTP 401: the token was refused; check HF_TOKEN (or the token file)"
                                  : "HTTP 401: authentication required: gated or private models need a "
                                    "Hugging Face token in HF_TOKEN or ~/.cache/huggingface/token "
                                    "(`hf auth login`)");
    if (status == 403)
        return gp_fail(err, GP_ERR_IO, url,
                       "HTTP 403: access denied: %s", have_token
                           ? "this token has no access; accept the model's terms on its page, or use "
                             "a token with read access"
                           : "gated models need a Hugging Face token in HF_TOKEN or "
                             "~/.cache/huggingface/token and accepted terms on the model's page");
    if (status == 404)
        return gp_fail(err, GP_ERR_IO, url, "HTTP 404: not found");
    if (status == 416)
        return gp_fail(err, GP_ERR_IO, url, "HTTP 416: the server refused the byte range");
    return gp_fail(err, GP_ERR_IO, url, "HTTP %ld", status);
}

/* ---- a header ----------------------------------------------------------------------- */

static gp_status from_cache(const char *url, const cache_entry *e, gp_gguf **out,
                            gp_remote_stats *st, gp_error *err)
{
    gp_status s = gp_gguf_parse_prefix(e->bytes, e->len, e->file_size, true, url, out, err);
    if (s == GP_OK) {
        st->from_cache = true;
        st->file_size = e->file_size;
        st->header_size = (*out)->header_size;
        snprintf(st->etag, sizeof st->etag, "%s", e->etag);
        snprintf(st->last_modified, sizeof st->last_modified, "%s", e->last_modified);
    }
    return s;
}

gp_status gp_remote_fetch_header(const char *url, const gp_remote_opts *o, gp_gguf **out,
                                 gp_remote_stats *stats, gp_error *err)
{
    gp_remote_stats dummy;
    gp_remote_stats *st = stats ? stats : &dummy;
    memset(st, 0, sizeof *st);
    if (!url || !out)
        return gp_fail(err, GP_ERR_ARG, url, "invalid argument");
    *out = NULL;
    if (!gp_is_url(url))
        return gp_fail(err, GP_ERR_ARG, url, "not an http(s) URL");

    cache_entry ce;
    bool cached = cache_load(o, url, &ce);
    if (o && o->offline) {
        if (!cached)
            return gp_fail(err, GP_ERR_IO, url,
                           "not in the header cache and --offline was given; read it once online");
        gp_status s = from_cache(url, &ce, out, st, err);
        cache_entry_free(&ce);
        return s;
    }
    gp_status ls = gp_curl_load(url, "to read URLs", err);
    if (ls != GP_OK) {
        cache_entry_free(&ce);
        return ls;
    }

    xfer x = {.mode = MODE_HEADER, .url = url, .o = o, .content_length = -1};
    char cond[400] = "";
    if (cached && ce.etag[0]) {
        snprintf(cond, sizeof cond, "If-None-Match: %s", ce.etag);
        x.cached_etag = ce.etag;
    } else if (cached && ce.last_modified[0]) {
        snprintf(cond, sizeof cond, "If-Modified-Since: %s", ce.last_modified);
    }
    struct curl_slist *hdrs = auth_headers(o, cond[0] ? cond : NULL);
    CURL *c = new_handle(url, o, &x, hdrs);
    if (!c) {
        gp_curl.slist_free_all(hdrs);
        cache_entry_free(&ce);
        return gp_fail(err, GP_ERR_NOMEM, url, "cannot start an HTTP transfer");
    }

    gp_status s = GP_OK;
    size_t first = o && o->first_range ? o->first_range : FIRST_RANGE;
    uint64_t want = first;             /* end (exclusive) of the next range */
    uint64_t file_size = 0;
    bool size_known = false, done = false;
    char etag0[256] = "";
    char *effective = NULL;
    for (int round = 0; !done; round++) {
        if (size_known && want > file_size)
            want = file_size;
        char range[64];
        snprintf(range, sizeof range, "%zu-%llu", x.len, (unsigned long long)want - 1);
        gp_curl.easy_setopt(c, CURLOPT_RANGE, range);
        x.base = x.len;
        x.reset_on_200 = true;
        x.received = 0;
        x.errbuf[0] = 0;
        x.next_check = x.est > x.len ? x.est : x.len + 4096;
        size_t before = x.len;
        CURLcode rc = gp_curl.easy_perform(c);
        st->requests++;
        st->bytes += x.received;
        if (x.cache_hit || (x.status == 304 && cached)) {
            gp_curl.easy_cleanup(c);
            c = NULL;
            s = from_cache(url, &ce, out, st, err);
            break;
        }
        if (x.not_gguf) {
            s = gp_fail(err, GP_ERR_FORMAT, url, "not a GGUF file (bad magic)");
            break;
        }
        if (x.too_big) {
            s = gp_fail(err, GP_ERR_FORMAT, url, "header larger than %llu MiB: not a model header",
                        (unsigned long long)(MAX_HEADER / MIB));
            break;
        }
        if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x.stream_done)) {
            s = transport_error(err, url, rc, &x, o, before);
            break;
        }
        if (x.status != 200 && x.status != 206) {
            s = status_error(err, url, x.status, o && o->token && *o->token);
            break;
        }
        if (round == 0) {
            snprintf(etag0, sizeof etag0, "%s", x.etag);
            snprintf(st->etag, sizeof st->etag, "%s", x.etag);
            snprintf(st->last_modified, sizeof st->last_modified, "%s", x.last_modified);
            /* Later ranges go straight to where the redirects led. */
            char *eff = NULL;
            if (gp_curl.easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
                strcmp(eff, url) != 0) {
                effective = strdup(eff);
                if (effective)
                    gp_curl.easy_setopt(c, CURLOPT_URL, effective);
            }
            /* The validators were only for the first request. */
            if (cond[0]) {
                gp_curl.slist_free_all(hdrs);
                hdrs = auth_headers(o, NULL);
                gp_curl.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
                x.cached_etag = NULL;
            }
        } else if (etag0[0] && x.etag[0] && strcmp(etag0, x.etag) != 0) {
            s = gp_fail(err, GP_ERR_IO, url, "the file changed on the server while its header was read");
            break;
        }
        if (x.status == 206) {
            st->ranged = true;
            if (!x.have_range || x.range_start != before) {
                s = gp_fail(err, GP_ERR_IO, url, "the server answered a different byte range");
                break;
            }
            if (x.total_known) {
                file_size = x.range_total;
                size_known = true;
            }
        } else {
            /* The whole file from its start, cut off after the header (or
             * all of it when it ended first). */
            if (x.content_length >= 0) {
                file_size = (uint64_t)x.content_length;
                size_known = true;
            } else if (!x.stream_done) {
                file_size = x.len;
                size_known = true;
            }
        }
        uint64_t need;
        int r = header_need(x.buf, x.len, &need);
        if (r < 0) {
            s = gp_fail(err, GP_ERR_FORMAT, url, "not a GGUF file (bad magic)");
            break;
        }
        if (r > 0) {
            done = true;
            break;
        }
        if ((size_known && x.len >= file_size) || (x.status == 200 && !x.stream_done)) {
            /* The file ended inside its header: the parser names where. */
            done = true;
            break;
        }
        if (need > MAX_HEADER) {
            s = gp_fail(err, GP_ERR_FORMAT, url, "header larger than %llu MiB: not a model header",
                        (unsigned long long)(MAX_HEADER / MIB));
            break;
        }
        if (x.len == before) {
            s = gp_fail(err, GP_ERR_IO, url, "the server sent no data for bytes %s", range);
            break;
        }
        x.est = need;
        uint64_t next = sat_add(sat_add(need, need / 32), SLACK);
        if (next < (uint64_t)x.len + SLACK)
            next = (uint64_t)x.len + SLACK;
        want = next;
    }
    if (c)
        gp_curl.easy_cleanup(c);
    gp_curl.slist_free_all(hdrs);
    free(effective);
    if (s == GP_OK && done) {
        if (!size_known)
            file_size = x.len;
        st->file_size = file_size;
        gp_status ps = gp_gguf_parse_prefix(x.buf, x.len, file_size < x.len ? x.len : file_size,
                                            false, url, out, err);
        if (ps != GP_OK) {
            s = ps;
        } else {
            gp_gguf *g = *out;
            st->header_size = g->header_size;
            /* Keep the header only: a private copy of just those bytes. */
            size_t keep = (size_t)g->header_size;
            gp_gguf_close(out);
            s = gp_gguf_parse_prefix(x.buf, keep, file_size < x.len ? x.len : file_size, true, url,
                                     out, err);
            if (s == GP_OK)
                cache_store(o, url, st, x.buf, keep);
        }
    }
    free(x.buf);
    cache_entry_free(&ce);
    return s;
}

/* ---- small GETs (API answers) ----------------------------------------------------- */

static bool api_cache_path(const gp_remote_opts *o, const char *url, char *buf, size_t cap)
{
    char dir[1024];
    if ((o && o->no_cache) || !gp_remote_cache_dir(o, dir, sizeof dir))
        return false;
    int n = snprintf(buf, cap, "%s/%016llx.api", dir, (unsigned long long)fnv1a(url));
    return n > 0 && (size_t)n < cap;
}

static bool api_cache_load(const gp_remote_opts *o, const char *url, char **body, size_t *len)
{
    char path[1200];
    if (!api_cache_path(o, url, path, sizeof path))
        return false;
    char *raw;
    size_t n;
    gp_error e;
    if (gp_read_file(path, 64u * MIB, &raw, &n, &e) != GP_OK)
        return false;
    char *nl = memchr(raw, '\n', n);
    size_t ul = strlen(url);
    if (!nl || (size_t)(nl - raw) != ul || memcmp(raw, url, ul) != 0) {
        free(raw);
        return false;
    }
    size_t off = ul + 1;
    memmove(raw, raw + off, n - off + 1);
    *body = raw;
    *len = n - off;
    return true;
}

static void api_cache_store(const gp_remote_opts *o, const char *url, const char *body, size_t len)
{
    char path[1200];
    if (strchr(url, '\n') || !api_cache_path(o, url, path, sizeof path))
        return;
    size_t ul = strlen(url);
    char *all = malloc(ul + 1 + len);
    if (!all)
        return;
    memcpy(all, url, ul);
    all[ul] = '\n';
    memcpy(all + ul + 1, body, len);
    gp_error e;
    (void)gp_write_file_atomic(path, all, ul + 1 + len, false, &e);
    free(all);
}

gp_status gp_remote_get(const char *url, const gp_remote_opts *o, size_t max, char **body,
                        size_t *len, long *status, bool *cached, gp_error *err)
{
    *body = NULL;
    *len = 0;
    *status = 0;
    if (cached)
        *cached = false;
    if (o && o->offline) {
        if (!api_cache_load(o, url, body, len))
            return gp_fail(err, GP_ERR_IO, url,
                           "not in the cache and --offline was given; run once online");
        *status = 200;
        if (cached)
            *cached = true;
        return GP_OK;
    }
    gp_status ls = gp_curl_load(url, "to read URLs", err);
    if (ls != GP_OK)
        return ls;
    xfer x = {.mode = MODE_GET, .url = url, .o = o, .max = max, .content_length = -1};
    struct curl_slist *hdrs = auth_headers(o, "Accept: application/json");
    CURL *c = new_handle(url, o, &x, hdrs);
    if (!c) {
        gp_curl.slist_free_all(hdrs);
        return gp_fail(err, GP_ERR_NOMEM, url, "cannot start an HTTP transfer");
    }
    CURLcode rc = gp_curl.easy_perform(c);
    gp_curl.easy_cleanup(c);
    gp_curl.slist_free_all(hdrs);
    gp_status s = GP_OK;
    if (x.too_big) {
        s = gp_fail(err, GP_ERR_IO, url, "answer larger than %zu bytes", max);
    } else if (rc != CURLE_OK) {
        s = transport_error(err, url, rc, &x, o, 0);
        if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
            /* Unreachable: an answer kept from an earlier run will do. */
            char *b;
            size_t n;
            if (api_cache_load(o, url, &b, &n)) {
                free(x.buf);
                *body = b;
                *len = n;
                *status = 200;
                if (cached)
                    *cached = true;
                return GP_OK;
            }
        }
    }
    if (s != GP_OK) {
        free(x.buf);
        return s;
    }
    if (!grow(&x, x.len + 1)) {
        free(x.buf);
        return gp_fail(err, GP_ERR_NOMEM, url, "out of memory");
    }
    x.buf[x.len] = 0;
    *body = (char *)x.buf;
    *len = x.len;
    *status = x.status;
    if (x.status == 200)
        api_cache_store(o, url, *body, *len);
    return GP_OK;
}
