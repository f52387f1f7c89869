#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(gp_strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    if (sb->len + extra + 1 <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            sb->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->failed = true;
        return false;
    }
    sb->data = p;
    sb->cap = cap;
    return true;
}

void gp_sb_appendn(gp_strbuf *sb, const char *s, size_t n)
{
    if (!reserve(sb, n))
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void gp_sb_append(gp_strbuf *sb, const char *s)
{
    gp_sb_appendn(sb, s, strlen(s));
}

void gp_sb_printf(gp_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

char *gp_sb_take(gp_strbuf *sb)
{
    if (sb->failed) {
        gp_sb_free(sb);
        return NULL;
    }
    if (!sb->data && !reserve(sb, 0))
        return NULL;
    if (sb->len == 0)
        sb->data[0] = '\0';
    char *s = sb->data;
    *sb = (gp_strbuf){0};
    return s;
}

void gp_sb_free(gp_strbuf *sb)
{
    free(sb->data);
    *sb = (gp_strbuf){0};
}
