/* MAP_ANONYMOUS and SO_LINGER details are outside strict POSIX. */
#define _DEFAULT_SOURCE
#include "http_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void fx_add_file(http_fixture *f, const char *name, const char *path, uint64_t virtual_size)
{
    if (f->n_files >= FX_MAX_FILES)
        return;
    struct stat sb;
    uint64_t real = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    snprintf(f->files[f->n_files].name, sizeof f->files[0].name, "%s", name);
    snprintf(f->files[f->n_files].path, sizeof f->files[0].path, "%s", path);
    f->files[f->n_files].size = virtual_size > real ? virtual_size : real;
    f->n_files++;
}

void fx_reset_stats(http_fixture *f)
{
    pthread_mutex_lock(&f->stats->lock);
    f->stats->epoch++;
    __atomic_store_n(&f->stats->bytes, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&f->stats->requests, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&f->stats->lock);
}

bool fx_wait_idle(http_fixture *f, int timeout_ms)
{
    for (int waited = 0; __atomic_load_n(&f->stats->live, __ATOMIC_SEQ_CST) > 0; waited += 5) {
        if (waited >= timeout_ms)
            return false;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return true;
}

/* ---- the server side -------------------------------------------------------------- */

typedef struct req {
    char method[16];
    char path[2048];
    bool has_range;
    uint64_t r0, r1;      /* r1 = UINT64_MAX: open-ended */
    char inm[256];        /* If-None-Match */
    char auth[512];
    bool close;
} req;

static http_fixture *fx;
/* The epoch of the request this connection is serving (one process a
 * connection, so one at a time). */
static uint32_t req_epoch;

/* Adds n to *counter when the request being served belongs to the current
 * epoch; false when it does not (nothing counted). */
static bool tally(uint64_t *counter, int64_t n)
{
    pthread_mutex_lock(&fx->stats->lock);
    bool current = req_epoch == fx->stats->epoch;
    if (current)
        __atomic_fetch_add(counter, (uint64_t)n, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&fx->stats->lock);
    return current;
}

static bool send_all(int fd, const void *p, size_t n, bool body)
{
    const char *c = p;
    /* Counted before sending, so a client that has read the bytes never
     * sees a smaller count; what could not be sent is taken back (unless a
     * reset came in between). */
    bool counted = body && tally(&fx->stats->bytes, (int64_t)n);
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            if (counted)
                tally(&fx->stats->bytes, -(int64_t)n);
            return false;
        }
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static bool sendf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool sendf(int fd, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return n > 0 && send_all(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, false);
}

/* Reads one request head; false at EOF. */
static bool read_req(int fd, req *r)
{
    static char buf[32768];
    size_t len = 0;
    memset(r, 0, sizeof *r);
    for (;;) {
        if (len + 1 >= sizeof buf)
            return false;
        ssize_t n = recv(fd, buf + len, 1, 0); /* byte by byte: no pipelining to keep */
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = 0;
        if (len >= 4 && !memcmp(buf + len - 4, "\r\n\r\n", 4))
            break;
    }
    if (sscanf(buf, "%15s %2047s", r->method, r->path) != 2)
        return false;
    for (char *l = strstr(buf, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        char *h = l + 2;
        if (!strncasecmp(h, "Range: bytes=", 13)) {
            unsigned long long a, b;
            if (sscanf(h + 13, "%llu-%llu", &a, &b) == 2) {
                r->has_range = true;
                r->r0 = a;
                r->r1 = b;
            } else if (sscanf(h + 13, "%llu-", &a) == 1) {
                r->has_range = true;
                r->r0 = a;
                r->r1 = UINT64_MAX;
            }
        } else if (!strncasecmp(h, "If-None-Match: ", 15)) {
            sscanf(h + 15, "%255[^\r]", r->inm);
        } else if (!strncasecmp(h, "Authorization: ", 15)) {
            sscanf(h + 15, "%511[^\r]", r->auth);
        } else if (!strncasecmp(h, "Connection: close", 17)) {
            r->close = true;
        }
    }
    return true;
}

static int find_file(const char *name)
{
    for (int i = 0; i < fx->n_files; i++)
        if (!strcmp(fx->files[i].name, name))
            return i;
    return -1;
}

static void etag_of(int i, char *buf, size_t cap)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = fx->files[i].name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(buf, cap, "\"fx-%016llx-%llu\"", (unsigned long long)h,
             (unsigned long long)fx->files[i].size);
}

static bool simple(int fd, int code, const char *text, const char *body)
{
    return sendf(fd, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 code, text, strlen(body), body);
}

/* Sends bytes [a, b) of file i (zeros past its real end). */
static bool send_range(int fd, int i, uint64_t a, uint64_t b, int delay_ms)
{
    int in = open(fx->files[i].path, O_RDONLY);
    if (in < 0)
        return false;
    static char chunk[65536];
    bool ok = true;
    while (a < b && ok) {
        size_t n = b - a > sizeof chunk ? sizeof chunk : (size_t)(b - a);
        if (delay_ms)
            n = 1;
        ssize_t got = pread(in, chunk, n, (off_t)a);
        if (got < 0)
            got = 0;
        memset(chunk + got, 0, n - (size_t)got);
        ok = send_all(fd, chunk, n, true);
        a += n;
        if (delay_ms) {
            struct timespec ts = {0, delay_ms * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    close(in);
    return ok;
}

/* The end of a connection's process. */
static _Noreturn void connection_done(int fd)
{
    close(fd);
    __atomic_fetch_sub(&fx->stats->live, 1, __ATOMIC_SEQ_CST);
    _exit(0);
}

static _Noreturn void hard_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    connection_done(fd);
}

/* Serves file i according to mode; false to close the connection. */
static bool serve_file(int fd, const req *r, int i, const char *mode)
{
    uint64_t size = fx->files[i].size;
    char etag[96];
    etag_of(i, etag, sizeof etag);
    bool ranges = strcmp(mode, "n") != 0;
    if (!strcmp(mode, "range416") && r->has_range) {
        return sendf(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%llu\r\n"
                         "Content-Length: 0\r\n\r\n", (unsigned long long)size);
    }
    if (!strcmp(mode, "r") && r->inm[0] && !strcmp(r->inm, etag))
        return sendf(fd, "HTTP/1.1 304 Not Modified\r\nETag: %s\r\n\r\n", etag);
    uint64_t a = 0, b = size;
    bool partial = false;
    if (ranges && r->has_range) {
        if (r->r0 >= size)
            return sendf(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%llu\r\n"
                             "Content-Length: 0\r\n\r\n", (unsigned long long)size);
        a = r->r0;
        b = r->r1 == UINT64_MAX || r->r1 + 1 > size ? size : r->r1 + 1;
        partial = true;
    }
    bool ok = partial ? sendf(fd, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %llu-%llu/%llu\r\n"
                                  "Content-Length: %llu\r\nETag: %s\r\nAccept-Ranges: bytes\r\n"
                                  "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n",
                              (unsigned long long)a, (unsigned long long)b - 1, (unsigned long long)size,
                              (unsigned long long)(b - a), etag)
                      : sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\nETag: %s\r\n"
                                  "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n",
                              (unsigned long long)(b - a), etag);
    if (!ok || !strcmp(r->method, "HEAD"))
        return ok;
    if (!strcmp(mode, "reset")) {
        send_range(fd, i, a, a + (b - a < 262144 ? (b - a) / 2 : 262144), 0);
        hard_reset(fd);
    }
    if (!strcmp(mode, "lie")) {
        send_range(fd, i, a, a + (b - a) / 2, 0);
        return false;
    }
    return send_range(fd, i, a, b, !strcmp(mode, "slow") ? 200 : 0);
}

/* "gated/..." repositories need the fixture's token. */
static bool auth_ok(int fd, const req *r, const char *repo)
{
    if (strncmp(repo, "gated/", 6) != 0)
        return true;
    if (!r->auth[0]) {
        simple(fd, 401, "Unauthorized", "{\"error\":\"Access to this model is restricted\"}");
        return false;
    }
    if (strcmp(r->auth, "Bearer " FX_TOKEN) != 0) {
        simple(fd, 403, "Forbidden", "{\"error\":\"Access denied\"}");
        return false;
    }
    return true;
}

static bool serve_api(int fd, const req *r, const char *rest)
{
    /* rest: OWNER/REPO/refs or OWNER/REPO/tree/COMMIT?recursive=true */
    char owner[128], repo[128], what[64];
    if (sscanf(rest, "%127[^/]/%127[^/]/%63[^/?]", owner, repo, what) != 3)
        return simple(fd, 404, "Not Found", "{\"error\":\"not found\"}");
    char full[300];
    snprintf(full, sizeof full, "%s/%s/", owner, repo);
    bool any = false;
    for (int i = 0; i < fx->n_files; i++)
        any |= !strncmp(fx->files[i].name, full, strlen(full));
    if (!any)
        return simple(fd, 401, "Unauthorized", "{\"error\":\"Repository not found\"}");
    full[strlen(full) - 1] = 0;
    if (!auth_ok(fd, r, full))
        return true;
    char body[65536];
    size_t n = 0;
    if (!strcmp(what, "refs")) {
        n = (size_t)snprintf(body, sizeof body,
                             "{\"branches\":[{\"name\":\"dev\",\"ref\":\"refs/heads/dev\",\"targetCommit\":"
                             "\"ffffffffffffffffffffffffffffffffffffffff\"},{\"name\":\"main\",\"ref\":"
                             "\"refs/heads/main\",\"targetCommit\":\"" FX_COMMIT "\"}],\"tags\":[],"
                             "\"converts\":[]}");
    } else if (!strcmp(what, "tree")) {
        n = (size_t)snprintf(body, sizeof body,
                             "[{\"type\":\"file\",\"oid\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                             "\"size\":10,\"path\":\".gitattributes\"},{\"type\":\"directory\",\"oid\":"
                             "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"size\":0,\"path\":\"sub\"}");
        size_t pl = strlen(full) + 1;
        for (int i = 0; i < fx->n_files && n < sizeof body - 600; i++)
            if (!strncmp(fx->files[i].name, full, pl - 1) && fx->files[i].name[pl - 1] == '/')
                n += (size_t)snprintf(body + n, sizeof body - n,
                                      ",{\"type\":\"file\",\"oid\":\"cccccccccccccccccccccccccccccccccccccccc\","
                                      "\"size\":%llu,\"lfs\":{\"oid\":\"dddddddddddddddddddddddddddddddd"
                                      "dddddddddddddddddddddddddddddddd\",\"size\":%llu,\"pointerSize\":134},"
                                      "\"path\":\"%s\"}",
                                      (unsigned long long)fx->files[i].size,
                                      (unsigned long long)fx->files[i].size, fx->files[i].name + pl);
        n += (size_t)snprintf(body + n, sizeof body - n, "]");
    } else {
        return simple(fd, 404, "Not Found", "{\"error\":\"not found\"}");
    }
    tally(&fx->stats->bytes, (int64_t)n);
    return simple(fd, 200, "OK", body);
}

static bool handle(int fd, const req *r)
{
    pthread_mutex_lock(&fx->stats->lock);
    req_epoch = fx->stats->epoch;
    __atomic_fetch_add(&fx->stats->requests, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&fx->stats->lock);
    char path[2048];
    snprintf(path, sizeof path, "%s", r->path + (r->path[0] == '/'));
    char *q = strchr(path, '?');
    char query[256] = "";
    if (q) {
        snprintf(query, sizeof query, "%s", q + 1);
        *q = 0;
    }
    char *slash = strchr(path, '/');
    if (!slash)
        return simple(fd, 404, "Not Found", "{}");
    *slash = 0;
    const char *mode = path, *rest = slash + 1;
    if (!strcmp(mode, "api") && !strncmp(rest, "models/", 7))
        return serve_api(fd, r, rest + 7);
    if (!strcmp(mode, "redir"))
        return sendf(fd, "HTTP/1.1 302 Found\r\nLocation: %s/r/%s\r\nContent-Length: 0\r\n\r\n", fx->base, rest);
    if (!strcmp(mode, "loop"))
        return sendf(fd, "HTTP/1.1 302 Found\r\nLocation: /loop/%s\r\nContent-Length: 0\r\n\r\n", rest);
    if (!strcmp(mode, "status")) {
        int code = atoi(rest);
        return sendf(fd, "HTTP/1.1 %d Error\r\nContent-Length: 2\r\n\r\n{}", code);
    }
    /* OWNER/REPO/resolve/COMMIT/PATH (mode is OWNER here) */
    char repo[128], commit[64], file[1024];
    if (sscanf(rest, "%127[^/]/resolve/%63[^/]/%1023s", repo, commit, file) == 3) {
        char full[2400], name[3500];
        snprintf(full, sizeof full, "%s/%s", mode, repo);
        if (!auth_ok(fd, r, full))
            return true;
        snprintf(name, sizeof name, "%s/%s", full, file);
        if (strcmp(commit, FX_COMMIT) != 0 || find_file(name) < 0)
            return simple(fd, 404, "Not Found", "{\"error\":\"Entry not found\"}");
        return sendf(fd, "HTTP/1.1 302 Found\r\nLocation: %s/r/%s\r\nX-Linked-Etag: \"x\"\r\n"
                         "Content-Length: 0\r\n\r\n", fx->base, name);
    }
    int i = find_file(rest);
    if (i < 0)
        return simple(fd, 404, "Not Found", "{\"error\":\"no such file\"}");
    return serve_file(fd, r, i, mode);
}

static _Noreturn void serve_connection(int fd)
{
    req r;
    while (read_req(fd, &r)) {
        if (!handle(fd, &r) || r.close)
            break;
    }
    connection_done(fd);
}

bool fx_start(http_fixture *f)
{
    f->stats = mmap(NULL, sizeof *f->stats, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (f->stats == MAP_FAILED)
        return false;
    memset(f->stats, 0, sizeof *f->stats);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&f->stats->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return false;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &al) != 0) {
        close(s);
        return false;
    }
    f->port = ntohs(a.sin_port);
    f->listen_fd = s;
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        setpgid(0, 0);
        fx = f;
        struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
        sigaction(SIGCHLD, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
            int c = accept(s, NULL, NULL);
            if (c < 0) {
                if (errno == EINTR)
                    continue;
                _exit(1);
            }
            __atomic_fetch_add(&f->stats->live, 1, __ATOMIC_SEQ_CST);
            pid_t h = fork();
            if (h < 0)
                __atomic_fetch_sub(&f->stats->live, 1, __ATOMIC_SEQ_CST);
            if (h == 0) {
                close(s);
                serve_connection(c);
            }
            close(c);
        }
    }
    f->pid = pid;
    setpgid(pid, pid);
    return true;
}

void fx_stop(http_fixture *f)
{
    if (f->pid > 0) {
        kill(-f->pid, SIGKILL);
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
    if (f->listen_fd > 0)
        close(f->listen_fd);
    f->listen_fd = 0;
    if (f->stats && f->stats != MAP_FAILED)
        munmap(f->stats, sizeof *f->stats);
    f->stats = NULL;
}
