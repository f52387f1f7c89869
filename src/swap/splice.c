/*
 * Byte-exact edits of the config file: a command's value edits turned into
 * file bytes in the scalar's own style (or a | block as the fallback),
 * spliced into the text, and accepted only when the result re-parses to the
 * same document with exactly the intended argv. May call the YAML reader
 * (swap_yaml) and the splitter (swap_cmd).
 */
#include <stdlib.h>
#include <string.h>

#include "swap/swap_internal.h"
#include "util/array.h"
#include "util/strbuf.h"

void gp_swap_fe_push(fedits *f, size_t b, size_t e, char *text)
{
    if (f->failed || !text) {
        free(text);
        f->failed = true;
        return;
    }
    fedit *v = gp_array_grow(f->v, &f->cap, f->n + 1, sizeof *v, 16);
    if (!v) {
        free(text);
        f->failed = true;
        return;
    }
    f->v = v;
    f->v[f->n++] = (fedit){b, e, text};
}

void gp_swap_fe_free(fedits *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].text);
    free(f->v);
    memset(f, 0, sizeof *f);
}

static int cmp_fedit(const void *a, const void *b)
{
    const fedit *x = a, *y = b;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

char *gp_swap_splice(const char *text, size_t len, fedit *e, size_t n, size_t *out_len)
{
    if (n)
        qsort(e, n, sizeof *e, cmp_fedit);
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].b < pos || e[i].e < e[i].b || e[i].e > len) {
            gp_sb_free(&sb);
            return NULL;
        }
        gp_sb_appendn(&sb, text + pos, e[i].b - pos);
        gp_sb_append(&sb, e[i].text);
        pos = e[i].e;
    }
    gp_sb_appendn(&sb, text + pos, len - pos);
    *out_len = sb.len;
    return gp_sb_take(&sb);
}

/* The text of a llama-swap argument as the scalar's style needs it. */
static char *encode(yaml_scalar_style_t style, const char *s)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    for (const char *p = s; *p; p++) {
        if (style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && (*p == '\\' || *p == '"'))
            gp_sb_appendn(&sb, "\\", 1);
        else if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE && *p == '\'')
            gp_sb_appendn(&sb, "'", 1);
        gp_sb_appendn(&sb, p, 1);
    }
    return gp_sb_take(&sb);
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_block(yaml_scalar_style_t s)
{
    return s == YAML_LITERAL_SCALAR_STYLE || s == YAML_FOLDED_SCALAR_STYLE;
}

static size_t line_start(const char *t, size_t p)
{
    while (p > 0 && t[p - 1] != '\n')
        p--;
    return p;
}

/* End of the line holding p: the position of its line break (or len). */
static size_t line_end(const char *t, size_t len, size_t p)
{
    while (p < len && t[p] != '\n' && t[p] != '\r')
        p++;
    return p;
}

static size_t break_at(const char *t, size_t len, size_t p)
{
    if (p < len && t[p] == '\r')
        return p + 1 < len && t[p + 1] == '\n' ? 2 : 1;
    return p < len && t[p] == '\n' ? 1 : 0;
}

/* True when the line [ls, le) holds nothing but blanks, the deleted spans
 * and possibly a trailing continuation backslash. */
static bool line_emptied(const char *t, size_t ls, size_t le, const fedit *d, size_t nd)
{
    for (size_t p = ls; p < le; p++) {
        if (blank(t[p]))
            continue;
        bool in = false;
        for (size_t k = 0; k < nd && !in; k++)
            in = p >= d[k].b && p < d[k].e;
        if (in)
            continue;
        if (t[p] == '\\') {
            size_t q = p + 1;
            while (q < le && blank(t[q]))
                q++;
            if (q == le)
                continue;
        }
        return false;
    }
    return true;
}

/* First byte of a block scalar's content (the line after its header). */
static size_t block_content_start(const char *t, size_t len, size_t begin)
{
    size_t p = line_end(t, len, begin);
    return p + break_at(t, len, p);
}

/* The primary rewrite: every edit in place, in the scalar's own style. */
static bool build_primary(const gp_yaml *y, job *j, fedits *out)
{
    const char *t = y->text;
    size_t len = y->len;
    const gp_yaml_src *s = &j->src;
    bool block = is_block(s->style);
    size_t lo = block ? block_content_start(t, len, s->begin) : s->begin + (s->style != YAML_PLAIN_SCALAR_STYLE);
    size_t hi = block ? s->body_end
                      : (s->style == YAML_PLAIN_SCALAR_STYLE ? s->end : s->end - 1); /* the closing quote */
    fedit del[512];
    size_t nd = 0;
    for (size_t i = 0; i < j->n_ve; i++) {
        const vedit *v = &j->ve[i];
        if (v->ve == 0 || v->ve > s->len || v->vb >= v->ve)
            return false;
        size_t fb = s->mb[v->vb], fe = s->me[v->ve - 1];
        if (v->text)
            gp_swap_fe_push(out, fb, fe, encode(s->style, v->text));
        else if (nd < sizeof del / sizeof del[0])
            del[nd++] = (fedit){fb, fe, NULL};
        else
            return false;
    }
    /* Deletions: whole lines of a block when nothing else remains on them,
     * else the span and the blanks that separated it. */
    bool whole[512] = {false};
    for (size_t k = 0; k < nd; k++) {
        size_t ls = line_start(t, del[k].b), le = line_end(t, len, del[k].b);
        if (!block || del[k].e > le)
            continue;
        if (line_emptied(t, ls, le, del, nd))
            whole[k] = true;
    }
    fedit merged[512];
    size_t nm = 0;
    for (size_t k = 0; k < nd; k++) {
        size_t b = del[k].b, e = del[k].e;
        if (whole[k]) {
            b = line_start(t, b);
            e = line_end(t, len, e);
            e += break_at(t, len, e);
        } else {
            size_t q = e;
            while (q < hi && blank(t[q]))
                q++;
            if (q < hi && !break_at(t, len, q)) {
                e = q;
            } else {
                size_t p = b;
                while (p > lo && blank(t[p - 1]))
                    p--;
                if (!(block && p == line_start(t, p)))
                    b = p;
            }
        }
        merged[nm++] = (fedit){b, e, NULL};
    }
    qsort(merged, nm, sizeof *merged, cmp_fedit);
    size_t w = 0;
    for (size_t k = 0; k < nm; k++) {
        if (w && merged[k].b <= merged[w - 1].e) {
            if (merged[k].e > merged[w - 1].e)
                merged[w - 1].e = merged[k].e;
        } else {
            merged[w++] = merged[k];
        }
    }
    nm = w;
    for (size_t k = 0; k < nm; k++)
        gp_swap_fe_push(out, merged[k].b, merged[k].e, strdup(""));

    if (!block) {
        if (j->n_append) {
            gp_strbuf sb = {0};
            for (size_t i = 0; i < j->n_append; i++) {
                gp_sb_append(&sb, " ");
                gp_sb_append(&sb, j->append[i]);
            }
            char *raw = gp_sb_take(&sb);
            gp_swap_fe_push(out, hi, hi, raw ? encode(s->style, raw) : NULL);
            free(raw);
        }
        return !out->failed;
    }

    /* Blocks: added flags one per line at the end of the content, following a
     * trailing-backslash style when the block uses one. */
    size_t cs = block_content_start(t, len, s->begin);
    const char *nl = "\n";
    size_t first_le = line_end(t, len, cs);
    if (first_le < len && t[first_le] == '\r')
        nl = "\r\n";
    size_t n_lines = 0, n_cont = 0, last_ls = NONE, last_kept_ls = NONE;
    for (size_t p = cs; p < s->body_end;) {
        size_t le = line_end(t, len, p), a = p, b = le;
        while (a < b && blank(t[a]))
            a++;
        while (b > a && blank(t[b - 1]))
            b--;
        bool deleted = false;
        for (size_t k = 0; k < nm; k++)
            deleted |= merged[k].b <= p && merged[k].e > le;
        if (a < b && t[a] != '#') {
            n_lines++;
            if (t[b - 1] == '\\')
                n_cont++;
            last_ls = p;
            if (!deleted)
                last_kept_ls = p;
        }
        p = le + break_at(t, len, le);
        if (le >= len)
            break;
    }
    bool cont = false;
    if (n_lines >= 2 && n_cont == n_lines - 1 && last_ls != NONE) {
        size_t b = line_end(t, len, last_ls);
        while (b > last_ls && blank(t[b - 1]))
            b--;
        cont = t[b - 1] != '\\';
    }
    if (cont && last_kept_ls != NONE) {
        size_t le = line_end(t, len, last_kept_ls), b = le;
        while (b > last_kept_ls && blank(t[b - 1]))
            b--;
        bool has = b > last_kept_ls && t[b - 1] == '\\';
        if (j->n_append && !has) {
            gp_swap_fe_push(out, b, b, strdup(" \\"));
        } else if (!j->n_append && has && last_kept_ls != last_ls) {
            /* The last line went away: its predecessor no longer continues. */
            size_t p = b - 1;
            while (p > last_kept_ls && blank(t[p - 1]))
                p--;
            gp_swap_fe_push(out, p, b, strdup(""));
        }
    }
    /* New lines line up with the last flag line (continuation lines are
     * often indented deeper than the block). */
    int add_indent = s->indent;
    if (last_ls != NONE) {
        int sp = 0;
        while (last_ls + (size_t)sp < len && t[last_ls + (size_t)sp] == ' ')
            sp++;
        if (sp > add_indent)
            add_indent = sp;
    }
    if (j->n_append) {
        gp_strbuf sb = {0};
        gp_sb_append(&sb, "");
        if (!s->body_newline)
            gp_sb_append(&sb, nl);
        for (size_t i = 0; i < j->n_append; i++) {
            gp_sb_printf(&sb, "%*s%s%s%s", add_indent, "", j->append[i],
                         cont && i + 1 < j->n_append ? " \\" : "",
                         (i + 1 < j->n_append || s->body_newline) ? nl : "");
        }
        gp_swap_fe_push(out, s->body_end, s->body_end, gp_sb_take(&sb));
    }
    return !out->failed;
}

/* The fallback: the edited value as a literal block (for a plain scalar that
 * would no longer be valid, or any edit that does not survive re-parsing). */
static bool build_block(const gp_yaml *y, job *j, fedits *out)
{
    const gp_yaml_src *s = &j->src;
    gp_strbuf v = {0};
    gp_sb_append(&v, "");
    size_t pos = 0;
    vedit *sorted = malloc((j->n_ve + 1) * sizeof *sorted);
    if (!sorted)
        return false;
    if (j->n_ve)
        memcpy(sorted, j->ve, j->n_ve * sizeof *sorted);
    for (size_t a = 1; a < j->n_ve; a++)
        for (size_t b = a; b > 0 && sorted[b - 1].vb > sorted[b].vb; b--) {
            vedit x = sorted[b];
            sorted[b] = sorted[b - 1];
            sorted[b - 1] = x;
        }
    for (size_t i = 0; i < j->n_ve; i++) {
        if (sorted[i].vb < pos) {
            free(sorted);
            gp_sb_free(&v);
            return false;
        }
        gp_sb_appendn(&v, s->value + pos, sorted[i].vb - pos);
        if (sorted[i].text)
            gp_sb_append(&v, sorted[i].text);
        pos = sorted[i].ve;
    }
    free(sorted);
    gp_sb_appendn(&v, s->value + pos, s->len - pos);
    for (size_t i = 0; i < j->n_append; i++) {
        if (v.len && v.data[v.len - 1] != ' ' && v.data[v.len - 1] != '\n')
            gp_sb_append(&v, " ");
        gp_sb_append(&v, j->append[i]);
    }
    char *val = gp_sb_take(&v);
    if (!val)
        return false;
    size_t n = strlen(val);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)val[i] < 0x20 && val[i] != '\t' && val[i] != '\n') {
            free(val);
            return false;
        }
    size_t trailing = 0;
    while (trailing < n && val[n - 1 - trailing] == '\n')
        trailing++;
    int indent = (int)j->cmd_key->start_mark.column + 2;
    gp_strbuf h = {0}, c = {0};
    gp_sb_printf(&h, "|%s%s", val[0] == ' ' || val[0] == '\n' ? "2" : "",
                 trailing == 0 ? "-" : trailing == 1 ? "" : "+");
    gp_sb_append(&c, "");
    for (size_t p = 0; p < n;) {
        size_t e = p;
        while (e < n && val[e] != '\n')
            e++;
        if (e > p)
            gp_sb_printf(&c, "%*s%.*s\n", indent, "", (int)(e - p), val + p);
        else if (e < n)
            gp_sb_append(&c, "\n");
        p = e < n ? e + 1 : e;
    }
    free(val);
    const char *t = y->text;
    if (is_block(s->style)) {
        char *hd = gp_sb_take(&h), *body = gp_sb_take(&c);
        gp_strbuf x = {0};
        gp_sb_printf(&x, "%s\n%s", hd ? hd : "", body ? body : "");
        free(hd);
        free(body);
        gp_swap_fe_push(out, s->begin, s->end, gp_sb_take(&x));
        return !out->failed;
    }
    size_t le = line_end(t, y->len, s->end);
    size_t at = le + break_at(t, y->len, le);
    if (at == le) {
        char *body = gp_sb_take(&c);
        gp_strbuf x = {0};
        gp_sb_printf(&x, "\n%s", body ? body : "");
        free(body);
        gp_swap_fe_push(out, at, at, gp_sb_take(&x));
    } else {
        gp_swap_fe_push(out, at, at, gp_sb_take(&c));
    }
    gp_swap_fe_push(out, s->begin, s->end, gp_sb_take(&h));
    return !out->failed;
}

/* ---- checking an edit by parsing its result ------------------------------------ */

typedef struct vwalk {
    const gp_yaml *a, *b;
    job **jobs;
    size_t n_jobs;
    unsigned char *seen;
    size_t n_nodes;
} vwalk;

static bool argv_matches(const job *j, const char *value, size_t len)
{
    gp_swap_argv a;
    if (gp_swap_split(value, len, j->macros, j->n_macros, j->port, j->getenv_fn, &a, NULL) != GP_OK)
        return false;
    bool ok = a.n == j->n_expect;
    for (size_t i = 0; ok && i < a.n; i++)
        ok = !strcmp(a.tok[i].text, j->expect[i]);
    gp_swap_argv_free(&a);
    return ok;
}

static bool same_tree(vwalk *w, const yaml_node_t *x, const yaml_node_t *y, int depth)
{
    if (!x || !y || x->type != y->type || depth > 64)
        return false;
    size_t id = (size_t)(x - w->a->doc.nodes.start);
    if (id < w->n_nodes) {
        if (w->seen[id])
            return true;
        w->seen[id] = 1;
    }
    switch (x->type) {
    case YAML_SCALAR_NODE:
        for (size_t i = 0; i < w->n_jobs; i++)
            if (w->jobs[i]->cmd == x)
                return argv_matches(w->jobs[i], (const char *)y->data.scalar.value, y->data.scalar.length);
        return x->data.scalar.length == y->data.scalar.length &&
               !memcmp(x->data.scalar.value, y->data.scalar.value, x->data.scalar.length);
    case YAML_SEQUENCE_NODE: {
        ptrdiff_t n = x->data.sequence.items.top - x->data.sequence.items.start;
        if (n != y->data.sequence.items.top - y->data.sequence.items.start)
            return false;
        for (ptrdiff_t i = 0; i < n; i++)
            if (!same_tree(w, gp_yaml_node(w->a, x->data.sequence.items.start[i]),
                           gp_yaml_node(w->b, y->data.sequence.items.start[i]), depth + 1))
                return false;
        return true;
    }
    case YAML_MAPPING_NODE: {
        ptrdiff_t n = x->data.mapping.pairs.top - x->data.mapping.pairs.start;
        if (n != y->data.mapping.pairs.top - y->data.mapping.pairs.start)
            return false;
        for (ptrdiff_t i = 0; i < n; i++) {
            const yaml_node_pair_t *p = &x->data.mapping.pairs.start[i], *q = &y->data.mapping.pairs.start[i];
            if (!same_tree(w, gp_yaml_node(w->a, p->key), gp_yaml_node(w->b, q->key), depth + 1) ||
                !same_tree(w, gp_yaml_node(w->a, p->value), gp_yaml_node(w->b, q->value), depth + 1))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

bool gp_swap_validate(const gp_yaml *y, const char *text2, size_t len2, job **jobs, size_t n_jobs)
{
    gp_yaml y2;
    if (gp_yaml_load(&y2, "", text2, len2, NULL) != GP_OK)
        return false;
    vwalk w = {y, &y2, jobs, n_jobs, NULL, 0};
    w.n_nodes = (size_t)(y->doc.nodes.top - y->doc.nodes.start);
    w.seen = calloc(w.n_nodes + 1, 1);
    bool ok = w.seen && same_tree(&w, gp_yaml_root(y), gp_yaml_root(&y2), 0);
    free(w.seen);
    gp_yaml_free(&y2);
    return ok;
}

bool gp_swap_try_edits(const gp_yaml *y, job *j, bool as_block)
{
    fedits f = {0};
    bool ok = as_block ? build_block(y, j, &f) : build_primary(y, j, &f);
    size_t n2 = 0;
    char *t2 = ok ? gp_swap_splice(y->text, y->len, f.v, f.n, &n2) : NULL;
    ok = t2 && gp_swap_validate(y, t2, n2, &j, 1);
    free(t2);
    if (!ok) {
        gp_swap_fe_free(&f);
        return false;
    }
    j->fe = f;
    j->as_block = as_block;
    return true;
}
