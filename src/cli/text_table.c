#include "cli/text_table.h"

#include <stdarg.h>
#include <string.h>

void gp_tt_init(gp_text_table *t, unsigned n_cols, unsigned min_width)
{
    t->n_cols = n_cols > GP_TT_MAX_COLS ? GP_TT_MAX_COLS : n_cols;
    t->n_rows = 0;
    t->min_width = min_width;
}

void gp_tt_row(gp_text_table *t, const char *const *cells)
{
    if (t->n_rows >= GP_TT_MAX_ROWS)
        return;
    t->row[t->n_rows].is_line = 0;
    for (unsigned c = 0; c < t->n_cols; c++)
        snprintf(t->row[t->n_rows].cell[c], GP_TT_CELL, "%s", cells[c] ? cells[c] : "");
    t->n_rows++;
}

void gp_tt_line(gp_text_table *t, const char *fmt, ...)
{
    if (t->n_rows >= GP_TT_MAX_ROWS)
        return;
    t->row[t->n_rows].is_line = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->row[t->n_rows].line, sizeof t->row[0].line, fmt, ap);
    va_end(ap);
    t->n_rows++;
}

void gp_tt_print(const gp_text_table *t, FILE *f)
{
    size_t w[GP_TT_MAX_COLS] = {0};
    for (unsigned c = 1; c < t->n_cols; c++)
        w[c] = t->min_width;
    for (unsigned r = 0; r < t->n_rows; r++)
        for (unsigned c = 0; !t->row[r].is_line && c < t->n_cols; c++) {
            size_t n = strlen(t->row[r].cell[c]);
            if (n > w[c])
                w[c] = n;
        }
    for (unsigned r = 0; r < t->n_rows; r++) {
        if (t->row[r].is_line) {
            fprintf(f, "%s\n", t->row[r].line);
            continue;
        }
        char buf[GP_TT_MAX_COLS * (GP_TT_CELL + 1) + 1];
        size_t n = (size_t)snprintf(buf, sizeof buf, "%-*s", (int)w[0], t->row[r].cell[0]);
        for (unsigned c = 1; c < t->n_cols && n < sizeof buf; c++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, " %*s", (int)w[c], t->row[r].cell[c]);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        /* No trailing blanks where the last cells are empty. */
        while (n > 0 && buf[n - 1] == ' ')
            n--;
        fprintf(f, "%.*s\n", (int)n, buf);
    }
}
