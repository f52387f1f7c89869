/*
 * A one-line progress display on stderr for work that can take more than a
 * second (remote headers, tune runs, a llama-server starting, many models).
 * It draws only when stderr is a terminal and the command's output is not
 * JSON, waits half a second before drawing so quick work shows nothing, and
 * erases itself when done.
 */
#ifndef GP_CLI_PROGRESS_H
#define GP_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct gp_progress {
    FILE *f;          /* NULL: disabled */
    char label[96];
    uint64_t total;   /* 0: unknown (a spinner) */
    uint64_t done;
    int64_t start_ms, last_ms;
    bool drawn;
    unsigned spin;
} gp_progress;

/* Starts a display on f (normally the command's stderr); enabled only when
 * f is a terminal and json is false. */
void gp_progress_begin(gp_progress *p, FILE *f, bool json, const char *label, uint64_t total);
/* Records progress (done of total) and redraws at most ten times a second. */
void gp_progress_update(gp_progress *p, uint64_t done);
/* Changes the label (a new stage of the same work). */
void gp_progress_label(gp_progress *p, const char *label);
/* Erases the line; the display is disabled afterwards. */
void gp_progress_end(gp_progress *p);

/* Whether a display on f would draw (a terminal, not JSON). */
bool gp_progress_enabled(FILE *f, bool json);

#endif
