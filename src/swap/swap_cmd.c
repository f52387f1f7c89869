/*
 * Splitting a llama-swap cmd into argv as llama-swap does (comments,
 * macros, environment variables, quoting), each argument mapped back to the
 * bytes it came from; quoting an argument for that splitter; macro names.
 * Calls only util/.
 */
#include "swap/swap_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/error.h"

/* ---- text whose every byte knows where it came from --------------------- */

typedef struct pchar {
    char c;
    bool mac;        /* from a macro's value (or an environment variable) */
    size_t b, e;     /* bytes of the command text that produced it */
} pchar;

typedef struct ptext {
    pchar *v;
    size_t n, cap;
    bool failed;
} ptext;

static void pt_push(ptext *t, pchar c)
{
    if (t->failed)
        return;
    pchar *v = gp_array_grow(t->v, &t->cap, t->n + 1, sizeof *v, 256);
    if (!v) {
        t->failed = true;
        return;
    }
    t->v = v;
    t->v[t->n++] = c;
}

static bool is_trim_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The line [a, b) of t, trimmed as Go's strings.TrimSpace would (ASCII). */
static void trimmed(const ptext *t, size_t a, size_t b, size_t *ta, size_t *tb)
{
    while (a < b && is_trim_space(t->v[a].c))
        a++;
    while (b > a && is_trim_space(t->v[b - 1].c))
        b--;
    *ta = a;
    *tb = b;
}

/* Drops whole lines whose trimmed text starts with '#'; with join_backslash,
 * a line whose trimmed text ends with '\' becomes that text without the
 * backslash plus a space (llama-swap's two line passes). Lines are rejoined
 * with the newline that ended them. */
static ptext line_pass(const ptext *in, bool join_backslash)
{
    ptext out = {0};
    bool first = true;
    size_t a = 0;
    for (;;) {
        size_t b = a;
        while (b < in->n && in->v[b].c != '\n')
            b++;
        size_t ta, tb;
        trimmed(in, a, b, &ta, &tb);
        bool comment = ta < tb && in->v[ta].c == '#';
        if (!comment) {
            if (!first) {
                /* The separator: the newline that ended the previous kept line. */
                pchar nl = {'\n', false, a ? in->v[a - 1].b : 0, a ? in->v[a - 1].e : 0};
                pt_push(&out, nl);
            }
            first = false;
            if (join_backslash && tb > ta && in->v[tb - 1].c == '\\') {
                for (size_t i = ta; i + 1 < tb; i++)
                    pt_push(&out, in->v[i]);
                pchar sp = in->v[tb - 1];
                sp.c = ' ';
                pt_push(&out, sp);
            } else {
                for (size_t i = a; i < b; i++)
                    pt_push(&out, in->v[i]);
            }
        }
        if (b >= in->n)
            break;
        a = b + 1;
    }
    if (out.failed) {
        free(out.v);
        out = (ptext){.failed = true};
    }
    return out;
}

static bool match_at(const ptext *t, size_t i, const char *s)
{
    size_t n = strlen(s);
    if (i + n > t->n)
        return false;
    for (size_t k = 0; k < n; k++)
        if (t->v[i + k].c != s[k])
            return false;
    return true;
}

/* Replaces every "${name}" in t by value (strings.ReplaceAll semantics: left
 * to right, inserted text is not rescanned by this pass). Inserted bytes take
 * the provenance of the whole reference and are marked as macro bytes. */
static ptext replace_all(const ptext *t, const char *slug, const char *value)
{
    ptext out = {0};
    size_t sl = strlen(slug), vl = strlen(value);
    for (size_t i = 0; i < t->n;) {
        if (t->v[i].c == '$' && match_at(t, i, slug)) {
            size_t b = t->v[i].b, e = t->v[i + sl - 1].e;
            for (size_t k = 0; k < sl; k++) {
                if (t->v[i + k].b < b) b = t->v[i + k].b;
                if (t->v[i + k].e > e) e = t->v[i + k].e;
            }
            for (size_t k = 0; k < vl; k++)
                pt_push(&out, (pchar){value[k], true, b, e});
            i += sl;
        } else {
            pt_push(&out, t->v[i]);
            i++;
        }
    }
    if (out.failed) {
        free(out.v);
        out = (ptext){.failed = true};
    }
    return out;
}

static bool env_name_char(char c, bool first)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
}

/* ${env.NAME} in a plain string, expanded (llama-swap does this on the whole
 * file before anything else). Unset variables stay as written. */
static char *expand_env(const char *s, gp_swap_getenv_fn ge, char *unset, size_t unset_size)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    for (const char *p = s; *p;) {
        if (!strncmp(p, "${env.", 6) && env_name_char(p[6], true)) {
            const char *q = p + 6;
            while (env_name_char(*q, false))
                q++;
            if (*q == '}') {
                char name[128];
                size_t n = (size_t)(q - (p + 6));
                if (n < sizeof name) {
                    memcpy(name, p + 6, n);
                    name[n] = 0;
                    const char *v = ge(name);
                    if (v) {
                        gp_sb_append(&sb, v);
                        p = q + 1;
                        continue;
                    }
                    if (unset && !unset[0])
                        snprintf(unset, unset_size, "%s", name);
                }
            }
        }
        gp_sb_appendn(&sb, p, 1);
        p++;
    }
    return gp_sb_take(&sb);
}

/* The same on provenance text. */
static ptext expand_env_pt(const ptext *t, gp_swap_getenv_fn ge, char *unset, size_t unset_size)
{
    ptext out = {0};
    for (size_t i = 0; i < t->n;) {
        if (match_at(t, i, "${env.") && i + 6 < t->n && env_name_char(t->v[i + 6].c, true)) {
            size_t q = i + 6;
            char name[128];
            size_t n = 0;
            while (q < t->n && env_name_char(t->v[q].c, false) && n + 1 < sizeof name)
                name[n++] = t->v[q++].c;
            name[n] = 0;
            if (q < t->n && t->v[q].c == '}') {
                const char *v = ge(name);
                if (v) {
                    size_t b = t->v[i].b, e = t->v[q].e;
                    for (const char *c = v; *c; c++)
                        pt_push(&out, (pchar){*c, true, b, e});
                    i = q + 1;
                    continue;
                }
                if (unset && !unset[0])
                    snprintf(unset, unset_size, "%s", name);
            }
        }
        pt_push(&out, t->v[i]);
        i++;
    }
    if (out.failed) {
        free(out.v);
        out = (ptext){.failed = true};
    }
    return out;
}

static const char *default_getenv(const char *name)
{
    return getenv(name);
}

bool gp_swap_macro_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!(env_name_char(*p, false) || *p == '-'))
            return false;
    return true;
}

/* ---- POSIX splitting (llama-swap's dialect) ----------------------------- */

typedef struct splitter {
    gp_swap_argv *out;
    size_t cap;
    gp_strbuf tok;
    bool in_tok;
    size_t b, e;
    bool mac;
    bool failed;
} splitter;

static void sp_touch(splitter *s, const pchar *c)
{
    if (c->b < s->b) s->b = c->b;
    if (c->e > s->e) s->e = c->e;
    s->mac |= c->mac;
}

static void sp_start(splitter *s, const pchar *c)
{
    s->in_tok = true;
    s->b = c->b;
    s->e = c->e;
    s->mac = false;
    gp_sb_free(&s->tok);
    s->tok = (gp_strbuf){0};
    gp_sb_append(&s->tok, "");
    sp_touch(s, c);
}

static void sp_emit(splitter *s)
{
    if (!s->in_tok)
        return;
    s->in_tok = false;
    gp_swap_argv *a = s->out;
    gp_swap_token *grown = gp_array_grow(a->tok, &s->cap, a->n + 1, sizeof *grown, 16);
    if (!grown) {
        s->failed = true;
        return;
    }
    a->tok = grown;
    char *text = gp_sb_take(&s->tok);
    if (!text) {
        s->failed = true;
        return;
    }
    a->tok[a->n++] = (gp_swap_token){text, s->b, s->e, s->mac};
}

static void split_posix(const ptext *t, splitter *s)
{
    /* State: 0 between words, 1 in a word, '\'' or '"' inside quotes. */
    int st = 0;
    for (size_t i = 0; i < t->n; i++) {
        const pchar *c = &t->v[i];
        char r = c->c;
        bool has_next = i + 1 < t->n;
        char r0 = has_next ? t->v[i + 1].c : 0;
        /* Backslash: outside quotes it escapes anything; inside double quotes
         * only $ ` " \ and a newline; inside single quotes nothing. A
         * backslash before a newline or at the end disappears. */
        if (r == '\\' && st != '\'') {
            bool line_end = !has_next || r0 == '\n';
            bool escapes = st != '"' || line_end || r0 == '$' || r0 == '`' || r0 == '"' || r0 == '\\';
            if (escapes) {
                if (line_end) {
                    if (st != 0)
                        sp_touch(s, c);
                    if (has_next) {
                        if (st != 0)
                            sp_touch(s, &t->v[i + 1]);
                        i++;
                    }
                    continue;
                }
                if (st == 0) {
                    sp_start(s, c);
                    st = 1;
                }
                sp_touch(s, c);
                sp_touch(s, &t->v[i + 1]);
                gp_sb_appendn(&s->tok, &r0, 1);
                i++;
                continue;
            }
        }
        if (st == 0) {
            if (r == '\'' || r == '"') {
                sp_start(s, c);
                st = r;
            } else if (r != ' ' && r != '\t' && r != '\n') {
                sp_start(s, c);
                gp_sb_appendn(&s->tok, &r, 1);
                st = 1;
            }
        } else if (st == 1) {
            if (r == '\'' || r == '"') {
                sp_touch(s, c);
                st = r;
            } else if (r == ' ' || r == '\t' || r == '\n') {
                sp_emit(s);
                st = 0;
            } else {
                sp_touch(s, c);
                gp_sb_appendn(&s->tok, &r, 1);
            }
        } else {
            sp_touch(s, c);
            if (r == st)
                st = 1;
            else
                gp_sb_appendn(&s->tok, &r, 1);
        }
    }
    /* An unterminated quote still yields its word, as in llama-swap. */
    sp_emit(s);
}

static bool has_unknown_macro(const ptext *t, char *name, size_t size)
{
    for (size_t i = 0; i + 3 < t->n; i++) {
        if (t->v[i].c != '$' || t->v[i + 1].c != '{')
            continue;
        size_t q = i + 2, n = 0;
        char buf[128];
        while (q < t->n && n + 1 < sizeof buf &&
               (env_name_char(t->v[q].c, false) || t->v[q].c == '-' || t->v[q].c == '.'))
            buf[n++] = t->v[q++].c;
        buf[n] = 0;
        if (n && q < t->n && t->v[q].c == '}') {
            snprintf(name, size, "%s", buf);
            return true;
        }
    }
    return false;
}

gp_status gp_swap_split(const char *cmd, size_t len, const gp_swap_macro *macros, size_t n_macros,
                        long port, gp_swap_getenv_fn getenv_fn, gp_swap_argv *out, gp_error *err)
{
    memset(out, 0, sizeof *out);
    gp_swap_getenv_fn ge = getenv_fn ? getenv_fn : default_getenv;
    ptext t = {0};
    for (size_t i = 0; i < len; i++)
        pt_push(&t, (pchar){cmd[i], false, i, i + 1});
    if (t.failed)
        goto nomem;

    /* Environment first (llama-swap expands it in the raw file), then the
     * comment lines, then the macros from the last declared to the first, so
     * a macro's value can use the ones declared before it. */
    ptext u = expand_env_pt(&t, ge, out->unset_env, sizeof out->unset_env);
    free(t.v);
    if (u.failed)
        goto nomem;
    t = line_pass(&u, false);
    free(u.v);
    if (t.failed)
        goto nomem;
    for (size_t k = n_macros; k-- > 0;) {
        char slug[160];
        snprintf(slug, sizeof slug, "${%s}", macros[k].name);
        char *value = expand_env(macros[k].value, ge, out->unset_env, sizeof out->unset_env);
        if (!value)
            goto nomem;
        u = replace_all(&t, slug, value);
        free(value);
        free(t.v);
        if (u.failed)
            goto nomem;
        t = u;
    }
    if (port >= 0) {
        char ps[32];
        snprintf(ps, sizeof ps, "%ld", port);
        u = replace_all(&t, "${PORT}", ps);
        free(t.v);
        if (u.failed)
            goto nomem;
        t = u;
    }
    has_unknown_macro(&t, out->unknown_macro, sizeof out->unknown_macro);
    u = line_pass(&t, true);
    free(t.v);
    if (u.failed)
        goto nomem;
    t = u;

    splitter s = {.out = out};
    split_posix(&t, &s);
    gp_sb_free(&s.tok);
    free(t.v);
    if (s.failed) {
        gp_swap_argv_free(out);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    return GP_OK;
nomem:
    free(t.v);
    gp_swap_argv_free(out);
    return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
}

void gp_swap_argv_free(gp_swap_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->tok[i].text);
    free(a->tok);
    a->tok = NULL;
    a->n = 0;
}

void gp_swap_quote(gp_strbuf *sb, const char *arg)
{
    bool plain = arg[0] != '\0' && arg[0] != '#';
    for (const char *p = arg; *p && plain; p++)
        if (strchr(" \t\n\r\v\f'\"\\", *p))
            plain = false;
    if (plain) {
        gp_sb_append(sb, arg);
        return;
    }
    gp_sb_append(sb, "'");
    for (const char *p = arg; *p; p++) {
        if (*p == '\'')
            gp_sb_append(sb, "'\\''");
        else
            gp_sb_appendn(sb, p, 1);
    }
    gp_sb_append(sb, "'");
}
