#include "util/fileio.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

static bool write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Copies path to the first free name of "path.STAMP.bak", "path.STAMP-2.bak",
 * "path.STAMP-3.bak"...: created exclusively, so two writes within one
 * second (or two processes at once) never take the same name. */
static gp_status backup_file(const char *path, gp_error *err)
{
    char *data;
    size_t len;
    gp_status st = gp_read_file(path, (size_t)1 << 30, &data, &len, err);
    if (st != GP_OK)
        return st;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tmv);
    size_t cap = strlen(path) + 64;
    char *bak = malloc(cap);
    if (!bak) {
        free(data);
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    }
    int fd = -1;
    for (unsigned k = 1; fd < 0 && k <= 10000; k++) {
        if (k == 1)
            snprintf(bak, cap, "%s.%s.bak", path, stamp);
        else
            snprintf(bak, cap, "%s.%s-%u.bak", path, stamp, k);
        fd = open(bak, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        free(data);
        st = gp_fail(err, GP_ERR_IO, bak, "cannot create backup: %s", strerror(e));
        free(bak);
        return st;
    }
    bool ok = write_all(fd, data, len) && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    free(data);
    if (!ok) {
        unlink(bak);
        st = gp_fail(err, GP_ERR_IO, bak, "cannot write backup: %s", strerror(e));
    }
    free(bak);
    return st;
}

/* True when path is a regular file holding exactly data. */
static bool same_content(const char *path, const struct stat *sb, const void *data, size_t len)
{
    if (!S_ISREG(sb->st_mode) || (uint64_t)sb->st_size != (uint64_t)len)
        return false;
    char *old;
    size_t n;
    gp_error ignored;
    if (gp_read_file(path, len + 1, &old, &n, &ignored) != GP_OK)
        return false;
    bool same = n == len && memcmp(old, data, len) == 0;
    free(old);
    return same;
}

gp_status gp_write_file_atomic(const char *path, const void *data, size_t len, bool backup,
                               gp_error *err)
{
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (exists && same_content(path, &sb, data, len))
        return GP_OK;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp)
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    snprintf(tmp, plen + 32, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return gp_fail(err, GP_ERR_IO, path, "cannot write: %s", strerror(e));
    }
    fchmod(fd, exists ? (sb.st_mode & 07777) : 0644);
    bool ok = write_all(fd, data, len) && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        free(tmp);
        return gp_fail(err, GP_ERR_IO, path, "cannot write: %s", strerror(e ? e : EIO));
    }
    if (exists && backup) {
        gp_status st = backup_file(path, err);
        if (st != GP_OK) {
            unlink(tmp);
            free(tmp);
            return st;
        }
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        free(tmp);
        return gp_fail(err, GP_ERR_IO, path, "cannot replace: %s", strerror(e));
    }
    free(tmp);
    return GP_OK;
}

gp_status gp_read_file(const char *path, size_t max, char **out, size_t *len, gp_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gp_fail(err, GP_ERR_IO, path, "%s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
        close(fd);
        return gp_fail(err, GP_ERR_IO, path, "is a directory or unreadable");
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                free(buf);
                close(fd);
                return gp_fail(err, GP_ERR_IO, path, "file is larger than %zu bytes", max);
            }
            cap *= 2;
            char *b = realloc(buf, cap + 1);
            if (!b) {
                free(buf);
                close(fd);
                return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
            }
            buf = b;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return gp_fail(err, GP_ERR_IO, path, "%s", strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return GP_OK;
}

bool gp_mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return false;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

bool gp_cache_dir(const char *sub, char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(buf, size, "%s/ggplace%s%s", xdg, sub ? "/" : "", sub ? sub : "");
    else if (home && *home)
        n = snprintf(buf, size, "%s/.cache/ggplace%s%s", home, sub ? "/" : "", sub ? sub : "");
    else
        return false;
    return n > 0 && (size_t)n < size && gp_mkdirs(buf);
}

const char *gp_scratch_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

int gp_scratch_open(const char *tag, char *path, size_t size)
{
    const char *dir = gp_scratch_dir();
    char name[4096];
    int n = snprintf(name, sizeof name, "%s/ggplace-%s-XXXXXX", dir, tag);
    if (n < 0 || (size_t)n >= sizeof name || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* A stop signal between creating the name and unlinking it would leave
       the file behind (ggplace's handler ends the process): held meanwhile. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, &old);
    int fd = mkstemp(name);
    int e = errno;
    if (fd >= 0) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (access(proc, R_OK | W_OK) == 0 && strlen(proc) < size) {
            unlink(name);
            snprintf(path, size, "%s", proc);
        } else {
            snprintf(path, size, "%s", name);
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return fd;
}

void gp_scratch_close(int fd, const char *path)
{
    if (strncmp(path, "/proc/self/fd/", 14) != 0)
        unlink(path);
    if (fd >= 0)
        close(fd);
}
