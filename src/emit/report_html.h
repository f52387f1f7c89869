/*
 * A plan as one self-contained HTML page: per-device memory bars, a map of
 * which device holds each layer's tensors, memory against context for each
 * KV cache type, the alternatives weighed, and the command to run.
 *
 * The page loads nothing (no network, no external file: a Content-Security-
 * Policy forbids it); everything is readable with JavaScript off, and a
 * small inline script only adds hover details and a copy button.
 */
#ifndef GP_EMIT_REPORT_HTML_H
#define GP_EMIT_REPORT_HTML_H

#include <stddef.h>

#include "ggplace.h"

/* Renders the JSON text of a plan (as `ggplace plan --json` prints it) into
 * *html (malloc'd, NUL-terminated, owned by the caller). source names the
 * JSON in error messages. GP_ERR_FORMAT when the text is not such a plan. */
gp_status gp_report_html(const char *plan_json, size_t len, const char *source, char **html,
                         gp_error *err);

#endif
