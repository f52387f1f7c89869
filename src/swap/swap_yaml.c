/*
 * Reading YAML as written: libyaml's document with byte offsets, lookups
 * that follow merge keys, and the source map of a scalar (which file bytes
 * produced each byte of its value). Calls libyaml and util/error.
 */
#include "swap/swap_yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

gp_status gp_yaml_load(gp_yaml *y, const char *label, const char *text, size_t len, gp_error *err)
{
    memset(y, 0, sizeof *y);
    y->text = text;
    y->len = len;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        y->bom = 3;
    bool ascii = y->bom == 0;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = (unsigned char)text[i] < 0x80;
    if (!ascii) {
        /* libyaml's marks count characters; keep where each one starts. */
        y->cpos = malloc((len + 1) * sizeof *y->cpos);
        if (!y->cpos)
            return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
        size_t n = 0;
        for (size_t i = y->bom; i < len; i++)
            if (((unsigned char)text[i] & 0xC0) != 0x80)
                y->cpos[n++] = i;
        y->cpos[n] = len;
        y->nchars = n;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        free(y->cpos);
        y->cpos = NULL;
        return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &y->doc)) {
        gp_status st = p.error == YAML_MEMORY_ERROR ? GP_ERR_NOMEM : GP_ERR_FORMAT;
        /* "FILE:LINE:COLUMN: problem", as compilers report it. */
        char where[GP_ERROR_TEXT];
        snprintf(where, sizeof where, "%.400s:%zu:%zu", label, p.problem_mark.line + 1, p.problem_mark.column + 1);
        gp_fail(err, st, where, "%s%s%s", p.problem ? p.problem : "invalid YAML", p.context ? " " : "",
                p.context ? p.context : "");
        yaml_parser_delete(&p);
        free(y->cpos);
        y->cpos = NULL;
        return st;
    }
    yaml_parser_delete(&p);
    y->loaded = true;
    if (!yaml_document_get_root_node(&y->doc)) {
        gp_yaml_free(y);
        char where[GP_ERROR_TEXT];
        snprintf(where, sizeof where, "%.400s:1:1", label);
        return gp_fail(err, GP_ERR_FORMAT, where, "empty YAML document");
    }
    return GP_OK;
}

void gp_yaml_free(gp_yaml *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = false;
    free(y->cpos);
    y->cpos = NULL;
}

size_t gp_yaml_offset(const gp_yaml *y, yaml_mark_t m)
{
    if (!y->cpos)
        return m.index < y->len ? m.index : y->len;
    return m.index <= y->nchars ? y->cpos[m.index] : y->len;
}

yaml_node_t *gp_yaml_node(const gp_yaml *y, int id)
{
    return yaml_document_get_node((yaml_document_t *)&y->doc, id);
}

yaml_node_t *gp_yaml_root(const gp_yaml *y)
{
    return yaml_document_get_root_node((yaml_document_t *)&y->doc);
}

const char *gp_yaml_str(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *get_depth(const gp_yaml *y, const yaml_node_t *map, const char *key, yaml_node_t **keynode,
                              int depth)
{
    if (!map || map->type != YAML_MAPPING_NODE || depth > 8)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = gp_yaml_node(y, p->key);
        const char *s = gp_yaml_str(k);
        if (s && strcmp(s, key) == 0) {
            if (keynode)
                *keynode = k;
            return gp_yaml_node(y, p->value);
        }
    }
    /* Keys merged with <<: *anchor (or a list of them); own keys win. */
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *s = gp_yaml_str(gp_yaml_node(y, p->key));
        if (!s || strcmp(s, "<<") != 0)
            continue;
        yaml_node_t *v = gp_yaml_node(y, p->value);
        if (v && v->type == YAML_MAPPING_NODE) {
            yaml_node_t *r = get_depth(y, v, key, keynode, depth + 1);
            if (r)
                return r;
        } else if (v && v->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                yaml_node_t *r = get_depth(y, gp_yaml_node(y, *it), key, keynode, depth + 1);
                if (r)
                    return r;
            }
        }
    }
    return NULL;
}

yaml_node_t *gp_yaml_get(const gp_yaml *y, const yaml_node_t *map, const char *key, yaml_node_t **keynode)
{
    return get_depth(y, map, key, keynode, 0);
}

bool gp_yaml_is_alias(const yaml_node_t *key, const yaml_node_t *value)
{
    return value->start_mark.index < key->end_mark.index;
}

/* ---- decoding a scalar with its source map ------------------------------- */

typedef struct dec {
    char *v;
    size_t n, cap;
    size_t *mb, *me;
    bool failed;
} dec;

static void put(dec *d, char c, size_t b, size_t e)
{
    if (d->failed)
        return;
    if (d->n + 1 >= d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        char *v = realloc(d->v, cap);
        size_t *mb = v ? realloc(d->mb, cap * sizeof *mb) : NULL;
        size_t *me = mb ? realloc(d->me, cap * sizeof *me) : NULL;
        if (v) d->v = v;
        if (mb) d->mb = mb;
        if (me) d->me = me;
        if (!v || !mb || !me) {
            d->failed = true;
            return;
        }
        d->cap = cap;
    }
    d->v[d->n] = c;
    d->mb[d->n] = b;
    d->me[d->n] = e;
    d->n++;
}

/* A run of output bytes waiting to be joined (breaks, blanks). */
typedef struct pending {
    char c[64];
    size_t b[64], e[64];
    size_t n;
    size_t extra; /* entries beyond 64 collapse into the last one's mapping */
} pending;

static void pend(pending *p, char c, size_t b, size_t e)
{
    if (p->n < 64) {
        p->c[p->n] = c;
        p->b[p->n] = b;
        p->e[p->n] = e;
        p->n++;
    } else {
        p->extra++;
    }
}

static void flush(dec *d, pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        put(d, p->c[i], p->b[i], p->e[i]);
    for (size_t i = 0; i < p->extra; i++)
        put(d, p->c[p->n - 1], p->b[p->n - 1], p->e[p->n - 1]);
    p->n = p->extra = 0;
}

static size_t break_len(const char *t, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    if (t[i] == '\r')
        return i + 1 < len && t[i + 1] == '\n' ? 2 : 1;
    return t[i] == '\n' ? 1 : 0;
}

static bool is_blank(const char *t, size_t len, size_t i)
{
    return i < len && (t[i] == ' ' || t[i] == '\t');
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(dec *d, unsigned long cp, size_t b, size_t e)
{
    char buf[4];
    size_t n;
    if (cp < 0x80) { buf[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { buf[0] = (char)(0xC0 | (cp >> 6)); buf[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12)); buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        buf[0] = (char)(0xF0 | (cp >> 18)); buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); buf[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    for (size_t i = 0; i < n; i++)
        put(d, buf[i], b, e);
}

/* Double-quoted escapes; returns bytes consumed after the backslash, 0 if invalid. */
static size_t escape(dec *d, const char *t, size_t len, size_t i)
{
    size_t b = i - 1;
    if (i >= len)
        return 0;
    char c = t[i];
    unsigned long cp;
    int digits = 0;
    switch (c) {
    case '0': put(d, '\0', b, i + 1); return 1;
    case 'a': put(d, '\a', b, i + 1); return 1;
    case 'b': put(d, '\b', b, i + 1); return 1;
    case 't': case '\t': put(d, '\t', b, i + 1); return 1;
    case 'n': put(d, '\n', b, i + 1); return 1;
    case 'v': put(d, '\v', b, i + 1); return 1;
    case 'f': put(d, '\f', b, i + 1); return 1;
    case 'r': put(d, '\r', b, i + 1); return 1;
    case 'e': put(d, '\x1b', b, i + 1); return 1;
    case ' ': case '"': case '/': case '\'': case '\\': put(d, c, b, i + 1); return 1;
    case 'N': put_utf8(d, 0x85, b, i + 1); return 1;
    case '_': put_utf8(d, 0xA0, b, i + 1); return 1;
    case 'L': put_utf8(d, 0x2028, b, i + 1); return 1;
    case 'P': put_utf8(d, 0x2029, b, i + 1); return 1;
    case 'x': digits = 2; break;
    case 'u': digits = 4; break;
    case 'U': digits = 8; break;
    default: return 0;
    }
    cp = 0;
    for (int k = 0; k < digits; k++) {
        int h = i + 1 + (size_t)k < len ? hexval(t[i + 1 + (size_t)k]) : -1;
        if (h < 0)
            return 0;
        cp = cp * 16 + (unsigned long)h;
    }
    put_utf8(d, cp, b, i + 1 + (size_t)digits);
    return 1 + (size_t)digits;
}

/* Flow scalars: plain (bytes [pos, stop)), single or double quoted (pos at
 * the opening quote). Line folding as YAML defines it. */
static bool decode_flow(dec *d, const char *t, size_t len, size_t pos, size_t stop, int quote, size_t *end)
{
    if (quote)
        pos++;
    for (;;) {
        bool leading_blanks = false;
        while (pos < (quote ? len : stop) && !is_blank(t, len, pos) && !break_len(t, len, pos)) {
            char c = t[pos];
            if (quote == '\'' && c == '\'' && pos + 1 < len && t[pos + 1] == '\'') {
                put(d, '\'', pos, pos + 2);
                pos += 2;
            } else if (quote && c == quote) {
                break;
            } else if (quote == '"' && c == '\\' && break_len(t, len, pos + 1)) {
                pos += 1 + break_len(t, len, pos + 1);
                leading_blanks = true;
                break;
            } else if (quote == '"' && c == '\\') {
                size_t k = escape(d, t, len, pos + 1);
                if (!k)
                    return false;
                pos += 1 + k;
            } else {
                put(d, c, pos, pos + 1);
                pos++;
            }
        }
        if (quote && pos < len && t[pos] == quote) {
            *end = pos + 1;
            return true;
        }
        if (!quote && pos >= stop) {
            *end = stop;
            return true;
        }
        if (pos >= len)
            return false;
        pending ws = {0}, lead = {0}, trail = {0};
        while (pos < (quote ? len : stop) && (is_blank(t, len, pos) || break_len(t, len, pos))) {
            size_t bl = break_len(t, len, pos);
            if (!bl) {
                if (!leading_blanks)
                    pend(&ws, t[pos], pos, pos + 1);
                pos++;
            } else {
                if (!leading_blanks) {
                    ws.n = ws.extra = 0;
                    pend(&lead, '\n', pos, pos + bl);
                    leading_blanks = true;
                } else {
                    pend(&trail, '\n', pos, pos + bl);
                }
                pos += bl;
            }
        }
        if (leading_blanks) {
            if (lead.n) {
                if (trail.n == 0)
                    put(d, ' ', lead.b[0], lead.e[0]);
                else
                    flush(d, &trail);
            } else {
                flush(d, &trail);
            }
        } else {
            flush(d, &ws);
        }
        if (!quote && pos >= stop) {
            *end = stop;
            return true;
        }
    }
}

static bool decode_block(dec *d, const char *t, size_t len, size_t pos, int key_column, gp_yaml_src *s)
{
    bool literal = t[pos] == '|';
    pos++;
    int chomping = 0, increment = 0;
    for (int k = 0; k < 2 && pos < len; k++) {
        if (t[pos] == '+' || t[pos] == '-') {
            chomping = t[pos] == '+' ? 1 : -1;
            pos++;
        } else if (t[pos] >= '1' && t[pos] <= '9') {
            increment = t[pos] - '0';
            pos++;
        }
    }
    while (is_blank(t, len, pos))
        pos++;
    if (pos < len && t[pos] == '#')
        while (pos < len && !break_len(t, len, pos))
            pos++;
    if (pos < len) {
        size_t bl = break_len(t, len, pos);
        if (!bl)
            return false;
        pos += bl;
    }
    int indent = increment ? (key_column >= 0 ? key_column + increment : increment) : 0;
    pending lead = {0}, trail = {0};
    int column = 0;
    /* Leading empty lines; they also decide the indentation when it is implicit. */
    int max_indent = 0;
    for (;;) {
        column = 0;
        while ((indent == 0 || column < indent) && pos < len && t[pos] == ' ') {
            pos++;
            column++;
        }
        if (column > max_indent)
            max_indent = column;
        size_t bl = break_len(t, len, pos);
        if (!bl)
            break;
        pend(&trail, '\n', pos, pos + bl);
        pos += bl;
    }
    if (indent == 0) {
        indent = max_indent;
        if (indent < key_column + 1)
            indent = key_column + 1;
        if (indent < 1)
            indent = 1;
    }
    bool leading_blank = false;
    s->body_end = pos - (size_t)column;
    s->body_newline = true;
    size_t line_start = pos - (size_t)column;
    while (column == indent && pos < len) {
        bool trailing_blank = is_blank(t, len, pos);
        if (!literal && lead.n && !leading_blank && !trailing_blank) {
            if (trail.n == 0)
                put(d, ' ', lead.b[0], lead.e[0]);
            lead.n = lead.extra = 0;
        } else {
            flush(d, &lead);
        }
        flush(d, &trail);
        leading_blank = is_blank(t, len, pos);
        while (pos < len && !break_len(t, len, pos)) {
            put(d, t[pos], pos, pos + 1);
            pos++;
        }
        if (pos >= len) {
            s->body_end = len;
            s->body_newline = false;
            line_start = len;
            column = 0;
            break;
        }
        size_t bl = break_len(t, len, pos);
        pend(&lead, '\n', pos, pos + bl);
        pos += bl;
        s->body_end = pos;
        for (;;) {
            line_start = pos;
            column = 0;
            while (column < indent && pos < len && t[pos] == ' ') {
                pos++;
                column++;
            }
            size_t b2 = break_len(t, len, pos);
            if (!b2)
                break;
            pend(&trail, '\n', pos, pos + b2);
            pos += b2;
        }
    }
    if (chomping != -1)
        flush(d, &lead);
    if (chomping == 1)
        flush(d, &trail);
    s->indent = indent;
    s->end = line_start;
    return true;
}

gp_status gp_yaml_source(const gp_yaml *y, const yaml_node_t *node, int key_column, gp_yaml_src *out,
                         gp_error *err)
{
    memset(out, 0, sizeof *out);
    if (!node || node->type != YAML_SCALAR_NODE)
        return gp_fail(err, GP_ERR_ARG, NULL, "not a scalar");
    out->style = node->data.scalar.style;
    out->begin = gp_yaml_offset(y, node->start_mark);
    out->end = gp_yaml_offset(y, node->end_mark);
    dec d = {0};
    bool ok;
    size_t end = out->end;
    switch (out->style) {
    case YAML_LITERAL_SCALAR_STYLE:
    case YAML_FOLDED_SCALAR_STYLE:
        ok = out->begin < y->len && (y->text[out->begin] == '|' || y->text[out->begin] == '>') &&
             decode_block(&d, y->text, y->len, out->begin, key_column, out);
        break;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        ok = out->begin < y->len && decode_flow(&d, y->text, y->len, out->begin, y->len,
                                                out->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ? '\'' : '"', &end);
        out->end = end;
        break;
    default:
        ok = decode_flow(&d, y->text, y->len, out->begin, out->end, 0, &end);
        break;
    }
    put(&d, '\0', out->end, out->end);
    if (d.failed) {
        free(d.v);
        free(d.mb);
        free(d.me);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    out->value = d.v;
    out->mb = d.mb;
    out->me = d.me;
    out->len = d.n - 1;
    if (!ok || out->len != node->data.scalar.length || memcmp(out->value, node->data.scalar.value, out->len) != 0) {
        gp_yaml_src_free(out);
        return gp_fail(err, GP_ERR_UNSUPPORTED, NULL, "cannot map the scalar back to its bytes");
    }
    return GP_OK;
}

void gp_yaml_src_free(gp_yaml_src *s)
{
    free(s->value);
    free(s->mb);
    free(s->me);
    s->value = NULL;
    s->mb = s->me = NULL;
}
