/* Writing files without ever leaving a half-written one behind. */
#ifndef GP_UTIL_FILEIO_H
#define GP_UTIL_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "ggplace.h"

/* Writes data to path atomically: a temporary file in the same directory,
 * flushed and renamed over path. A file that already holds exactly data is
 * left alone (not written, no backup). With backup, an existing file is
 * first copied to "path.YYYYmmdd-HHMMSS.bak" (or "...-N.bak" when that name
 * is taken: a backup never replaces another). On failure nothing at path
 * changes and no temporary file is left. */
gp_status gp_write_file_atomic(const char *path, const void *data, size_t len, bool backup,
                               gp_error *err);

/* Creates a directory and its parents (mkdir -p); true if it exists after. */
bool gp_mkdirs(char *path);

/* ggplace's cache directory ($XDG_CACHE_HOME/ggplace, else ~/.cache/ggplace),
 * with sub appended when non-NULL, created if missing. False if there is no
 * home to put it in or it cannot be created. */
bool gp_cache_dir(const char *sub, char *buf, size_t size);

/* A scratch file for a child process's output that nobody else sees and
 * that never outlives this process, even killed outright: created in
 * $TMPDIR (else /tmp) as "ggplace-TAG-XXXXXX" and unlinked at once, then
 * named by "/proc/self/fd/N" for whoever opens or reads it here. Returns the
 * descriptor that keeps it alive (-1 on failure, errno set); path receives
 * its name. Where /proc is not mounted the file keeps its name until
 * gp_scratch_close. */
int gp_scratch_open(const char *tag, char *path, size_t size);
/* Where scratch files are made: $TMPDIR, else /tmp. */
const char *gp_scratch_dir(void);
void gp_scratch_close(int fd, const char *path);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
gp_status gp_read_file(const char *path, size_t max, char **out, size_t *len, gp_error *err);

#endif
