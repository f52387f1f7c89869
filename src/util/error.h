/* Filling gp_error: one place that formats every library error. */
#ifndef GP_UTIL_ERROR_H
#define GP_UTIL_ERROR_H

#include "ggplace.h"

/* Sets err (when non-NULL) and returns status, so callers can write
 * `return gp_fail(err, GP_ERR_FORMAT, path, "bad magic");`. */
gp_status gp_fail(gp_error *err, gp_status status, const char *file,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
