#include "emit/sparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

gp_status gp_write_sparse(const gp_model *m, const char *out_path, gp_error *err)
{
    if (m->n_shards != 1)
        return gp_fail(err, GP_ERR_ARG, m->path,
                       "a split model: write a stand-in for each shard separately");
    const gp_gguf *g = m->shards[0];
    struct stat a, b;
    if (stat(m->path, &a) == 0 && stat(out_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return gp_fail(err, GP_ERR_ARG, out_path, "refusing to overwrite the model itself");
    size_t plen = strlen(out_path);
    char *tmp = malloc(plen + 32);
    if (!tmp)
        return gp_fail(err, GP_ERR_NOMEM, out_path, "out of memory");
    snprintf(tmp, plen + 32, "%s.tmp.XXXXXX", out_path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return gp_fail(err, GP_ERR_IO, out_path, "cannot write: %s", strerror(e));
    }
    fchmod(fd, 0644);
    /* The header as it is, then a hole up to the end of the data section. */
    bool ok = true;
    size_t off = 0;
    while (ok && off < g->header_size) {
        ssize_t n = write(fd, g->bytes + off, g->header_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        if (ok)
            off += (size_t)n;
    }
    uint64_t total = g->data_offset + g->data_size;
    ok = ok && total <= (uint64_t)INT64_MAX && ftruncate(fd, (off_t)total) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, out_path) != 0) {
        if (ok)
            e = errno;
        unlink(tmp);
        free(tmp);
        return gp_fail(err, GP_ERR_IO, out_path, "cannot write: %s", strerror(e ? e : EIO));
    }
    free(tmp);
    return GP_OK;
}
