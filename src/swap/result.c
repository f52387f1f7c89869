/*
 * The report of a rewrite or a generation: warnings, one entry per model,
 * and freeing it. Calls nothing outside libc.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swap/swap_internal.h"

void gp_swap_warn(gp_swap_result *r, size_t line, size_t col, const char *fmt, ...)
{
    gp_swap_warning *w = realloc(r->warnings, (r->n_warnings + 1) * sizeof *w);
    if (!w)
        return;
    r->warnings = w;
    w = &r->warnings[r->n_warnings++];
    w->line = line;
    w->column = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
}

gp_swap_model *gp_swap_add_model(gp_swap_result *r, const char *id, size_t line)
{
    gp_swap_model *m = realloc(r->models, (r->n_models + 1) * sizeof *m);
    if (!m)
        return NULL;
    r->models = m;
    m = &r->models[r->n_models++];
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    m->line = line;
    m->outcome = GP_SWAP_SKIPPED;
    return m;
}

void gp_swap_skip(gp_swap_model *m, const char *fmt, ...)
{
    m->outcome = GP_SWAP_SKIPPED;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->note, sizeof m->note, fmt, ap);
    va_end(ap);
}

void gp_swap_result_free(gp_swap_result *r)
{
    free(r->text);
    for (size_t i = 0; i < r->n_models; i++) {
        free(r->models[i].args);
        free(r->models[i].path);
    }
    free(r->models);
    free(r->warnings);
    memset(r, 0, sizeof *r);
}
