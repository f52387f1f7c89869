/* A growable, always NUL-terminated string for building output. */
#ifndef GP_UTIL_STRBUF_H
#define GP_UTIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gp_strbuf {
    char *data;   /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    bool failed;  /* an allocation failed; further appends are ignored */
} gp_strbuf;

void gp_sb_append(gp_strbuf *sb, const char *s);
void gp_sb_appendn(gp_strbuf *sb, const char *s, size_t n);
void gp_sb_printf(gp_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the string to the caller (never NULL unless failed) and resets sb. */
char *gp_sb_take(gp_strbuf *sb);
void gp_sb_free(gp_strbuf *sb);

#endif
