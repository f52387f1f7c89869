/* Columns that stay aligned whatever the figures: every cell is collected
 * first, then each column is as wide as its widest cell. The first column
 * is left-aligned (names), the others right-aligned (figures). */
#ifndef GP_CLI_TEXT_TABLE_H
#define GP_CLI_TEXT_TABLE_H

#include <stdio.h>

#define GP_TT_MAX_ROWS 160
#define GP_TT_MAX_COLS 8
#define GP_TT_CELL 64

typedef struct gp_text_table {
    unsigned n_cols;
    unsigned n_rows;
    unsigned min_width;                 /* of the figure columns */
    struct {
        int is_line;                    /* a free-standing line, not cells */
        union {
            char cell[GP_TT_MAX_COLS][GP_TT_CELL];
            char line[GP_TT_MAX_COLS * GP_TT_CELL];
        };
    } row[GP_TT_MAX_ROWS];
} gp_text_table;

void gp_tt_init(gp_text_table *t, unsigned n_cols, unsigned min_width);
/* A row of n_cols cells (rows past the capacity are dropped). */
void gp_tt_row(gp_text_table *t, const char *const *cells);
/* A line printed as it is, between rows (it does not set widths). */
void gp_tt_line(gp_text_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gp_tt_print(const gp_text_table *t, FILE *f);

#endif
