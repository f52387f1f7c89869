#define PCRE2_CODE_UNIT_WIDTH 8
#include "plan/ot_regex.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/strbuf.h"

/* ---- numbers ------------------------------------------------------------- */

static void digit_class(gp_strbuf *sb, int lo, int hi)
{
    if (lo == hi)
        gp_sb_printf(sb, "%d", lo);
    else if (lo == 0 && hi == 9)
        gp_sb_append(sb, "[0-9]");
    else if (hi == lo + 1)
        gp_sb_printf(sb, "[%d%d]", lo, hi);
    else
        gp_sb_printf(sb, "[%d-%d]", lo, hi);
}

/* Alternatives for the fixed-width digit strings lo..hi (same length n),
 * appended with '|' between them. */
static void fixed_width(gp_strbuf *sb, const char *prefix, const char *lo, const char *hi, size_t n,
                        bool *first)
{
    if (n == 0) {
        gp_sb_printf(sb, "%s%s", *first ? "" : "|", prefix);
        *first = false;
        return;
    }
    char pre[64];
    if (lo[0] == hi[0]) {
        snprintf(pre, sizeof pre, "%s%c", prefix, lo[0]);
        fixed_width(sb, pre, lo + 1, hi + 1, n - 1, first);
        return;
    }
    bool lo_rest_zero = true, hi_rest_nine = true;
    for (size_t i = 1; i < n; i++) {
        lo_rest_zero = lo_rest_zero && lo[i] == '0';
        hi_rest_nine = hi_rest_nine && hi[i] == '9';
    }
    int dlo = lo[0] - '0', dhi = hi[0] - '0';
    char nines[32], zeros[32];
    memset(nines, '9', n - 1);
    nines[n - 1] = 0;
    memset(zeros, '0', n - 1);
    zeros[n - 1] = 0;
    int full_lo = dlo, full_hi = dhi;
    if (!lo_rest_zero) {
        snprintf(pre, sizeof pre, "%s%c", prefix, lo[0]);
        fixed_width(sb, pre, lo + 1, nines, n - 1, first);
        full_lo = dlo + 1;
    }
    if (!hi_rest_nine)
        full_hi = dhi - 1;
    if (full_lo <= full_hi) {
        gp_sb_printf(sb, "%s%s", *first ? "" : "|", prefix);
        *first = false;
        digit_class(sb, full_lo, full_hi);
        for (size_t i = 1; i < n; i++)
            gp_sb_append(sb, "[0-9]");
    }
    if (!hi_rest_nine) {
        snprintf(pre, sizeof pre, "%s%c", prefix, hi[0]);
        fixed_width(sb, pre, zeros, hi + 1, n - 1, first);
    }
}

static void range_into(gp_strbuf *sb, uint32_t lo, uint32_t hi, bool *first)
{
    /* Split into runs of equal digit count, then digit-wise classes. */
    uint32_t start = lo;
    while (start <= hi) {
        char a[16], b[16];
        int n = snprintf(a, sizeof a, "%u", start);
        uint64_t top = 1;
        for (int i = 0; i < n; i++)
            top *= 10;
        uint32_t end = (uint64_t)hi < top - 1 ? hi : (uint32_t)(top - 1);
        snprintf(b, sizeof b, "%0*u", n, end);
        if (n == 1) {
            gp_sb_append(sb, *first ? "" : "|");
            *first = false;
            digit_class(sb, (int)start, (int)end);
        } else {
            fixed_width(sb, "", a, b, (size_t)n, first);
        }
        if (end == UINT32_MAX)
            break;
        start = end + 1;
    }
}

void gp_regex_int_range(uint32_t lo, uint32_t hi, char *buf, size_t size)
{
    gp_strbuf sb = {0};
    bool first = true;
    range_into(&sb, lo, hi, &first);
    char *s = gp_sb_take(&sb);
    snprintf(buf, size, "%s", s ? s : "");
    free(s);
}

bool gp_regex_int_set(const uint32_t *vals, size_t n, char *buf, size_t size)
{
    gp_strbuf sb = {0};
    bool first = true;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && vals[j + 1] == vals[j] + 1)
            j++;
        range_into(&sb, vals[i], vals[j], &first);
        i = j + 1;
    }
    char *s = gp_sb_take(&sb);
    bool ok = s && strlen(s) < size;
    if (ok)
        snprintf(buf, size, "%s", s);
    free(s);
    return ok;
}

/* ---- evaluation ------------------------------------------------------------ */

static int find_dev(const gp_ot_request *req, const char *buft)
{
    for (size_t i = 0; i < req->n_devices; i++)
        if (strcmp(req->dev_names[i], buft) == 0)
            return (int)i;
    return -1;
}

bool gp_ot_evaluate(const gp_ot_request *req, const gp_ot_rule *rules, size_t n_rules, int32_t *got)
{
    pcre2_code **re = calloc(n_rules ? n_rules : 1, sizeof *re);
    int *dev = calloc(n_rules ? n_rules : 1, sizeof *dev);
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    bool ok = re && dev && md;
    for (size_t i = 0; ok && i < n_rules; i++) {
        int ec;
        PCRE2_SIZE eo;
        re[i] = pcre2_compile((PCRE2_SPTR)rules[i].pattern, PCRE2_ZERO_TERMINATED,
                              PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
        dev[i] = find_dev(req, rules[i].buft);
        ok = re[i] && dev[i] >= 0;
    }
    for (size_t t = 0; ok && t < req->n_names; t++) {
        got[t] = req->dflt[t];
        if (req->dflt[t] < 0)
            continue; /* not loaded: overrides do not apply */
        for (size_t i = 0; i < n_rules; i++) {
            if (pcre2_match(re[i], (PCRE2_SPTR)req->names[t], strlen(req->names[t]), 0, 0, md, NULL) >= 0) {
                got[t] = dev[i];
                break;
            }
        }
    }
    for (size_t i = 0; re && i < n_rules; i++)
        pcre2_code_free(re[i]);
    free(re);
    free(dev);
    pcre2_match_data_free(md);
    return ok;
}

/* ---- building ------------------------------------------------------------ */

static void escape_into(gp_strbuf *sb, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr(".^$|()[]{}*+?\\/", s[i]))
            gp_sb_appendn(sb, "\\", 1);
        gp_sb_appendn(sb, &s[i], 1);
    }
}

/* Splits "blk.12.ffn_up_exps.weight" into layer 12 and "ffn_up_exps.weight". */
static bool split_block_name(const char *name, uint32_t *layer, const char **rest)
{
    if (strncmp(name, "blk.", 4) != 0)
        return false;
    char *end;
    unsigned long v = strtoul(name + 4, &end, 10);
    if (end == name + 4 || *end != '.' || v > 1000000)
        return false;
    *layer = (uint32_t)v;
    *rest = end + 1;
    return true;
}

typedef struct group {
    int32_t dev;
    const char *suffixes[64];
    size_t n_suffixes;
    uint32_t *layers;
    size_t n_layers;
} group;

static bool same_layers(const group *a, const uint32_t *l, size_t n)
{
    return a->n_layers == n && memcmp(a->layers, l, n * sizeof *l) == 0;
}

/* "ffn_up_exps.weight","ffn_down_exps.weight" -> "ffn_(up|down)_exps\.weight" */
static void suffix_alternation(gp_strbuf *sb, const char *const *s, size_t n)
{
    if (n == 1) {
        escape_into(sb, s[0], strlen(s[0]));
        return;
    }
    size_t pre = strlen(s[0]), suf = strlen(s[0]);
    for (size_t i = 1; i < n; i++) {
        size_t p = 0;
        while (p < pre && s[i][p] == s[0][p])
            p++;
        pre = p;
        size_t li = strlen(s[i]), l0 = strlen(s[0]), q = 0;
        while (q < suf && q < li && q < l0 && s[i][li - 1 - q] == s[0][l0 - 1 - q])
            q++;
        suf = q;
    }
    /* The common parts must not overlap in the shortest name. */
    for (size_t i = 0; i < n; i++)
        if (pre + suf > strlen(s[i]))
            suf = strlen(s[i]) - pre;
    escape_into(sb, s[0], pre);
    gp_sb_append(sb, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gp_sb_append(sb, "|");
        escape_into(sb, s[i] + pre, strlen(s[i]) - pre - suf);
    }
    gp_sb_append(sb, ")");
    escape_into(sb, s[0] + strlen(s[0]) - suf, suf);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static bool push_rule(gp_ot_rule **rules, size_t *n, size_t *cap, const char *pattern, const char *buft)
{
    if (strlen(pattern) >= sizeof (*rules)[0].pattern)
        return false;
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        gp_ot_rule *r = realloc(*rules, *cap * sizeof *r);
        if (!r)
            return false;
        *rules = r;
    }
    snprintf((*rules)[*n].pattern, sizeof (*rules)[*n].pattern, "%s", pattern);
    snprintf((*rules)[*n].buft, sizeof (*rules)[*n].buft, "%s", buft);
    (*n)++;
    return true;
}

/* One exact rule per moved tensor: always correct, used if grouping fails. */
static bool exact_rules(const gp_ot_request *req, gp_ot_rule **rules, size_t *n, size_t *cap)
{
    for (size_t t = 0; t < req->n_names; t++) {
        if (req->want[t] < 0 || req->want[t] == req->dflt[t])
            continue;
        gp_strbuf sb = {0};
        gp_sb_append(&sb, "^");
        escape_into(&sb, req->names[t], strlen(req->names[t]));
        gp_sb_append(&sb, "$");
        char *p = gp_sb_take(&sb);
        bool ok = p && push_rule(rules, n, cap, p, req->dev_names[req->want[t]]);
        free(p);
        if (!ok)
            return false;
    }
    return true;
}

gp_status gp_ot_build(const gp_ot_request *req, gp_ot_rule **out, size_t *n_out, gp_error *err)
{
    *out = NULL;
    *n_out = 0;
    gp_ot_rule *rules = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;

    /* Per (device, suffix): the sorted set of layers whose tensor moves. */
    size_t n_moved = 0;
    for (size_t t = 0; t < req->n_names; t++)
        n_moved += req->want[t] >= 0 && req->want[t] != req->dflt[t];
    if (n_moved == 0)
        return GP_OK;
    typedef struct key { int32_t dev; const char *suffix; uint32_t *layers; size_t n; } key;
    key *keys = calloc(n_moved, sizeof *keys);
    group *groups = calloc(n_moved, sizeof *groups);
    size_t n_keys = 0, n_groups = 0;
    ok = keys && groups;
    for (size_t t = 0; ok && t < req->n_names; t++) {
        if (req->want[t] < 0 || req->want[t] == req->dflt[t])
            continue;
        uint32_t layer;
        const char *rest;
        if (!split_block_name(req->names[t], &layer, &rest)) {
            /* Tensors outside blocks get an exact rule. */
            gp_strbuf sb = {0};
            gp_sb_append(&sb, "^");
            escape_into(&sb, req->names[t], strlen(req->names[t]));
            gp_sb_append(&sb, "$");
            char *p = gp_sb_take(&sb);
            ok = p && push_rule(&rules, &n, &cap, p, req->dev_names[req->want[t]]);
            free(p);
            continue;
        }
        size_t k = 0;
        while (k < n_keys && !(keys[k].dev == req->want[t] && strcmp(keys[k].suffix, rest) == 0))
            k++;
        if (k == n_keys) {
            keys[k].dev = req->want[t];
            keys[k].suffix = rest;
            keys[k].layers = calloc(n_moved, sizeof *keys[k].layers);
            ok = keys[k].layers != NULL;
            n_keys++;
        }
        if (ok)
            keys[k].layers[keys[k].n++] = layer;
    }
    /* Merge suffixes with identical layer sets on the same device. */
    for (size_t k = 0; ok && k < n_keys; k++) {
        qsort(keys[k].layers, keys[k].n, sizeof *keys[k].layers, cmp_u32);
        size_t g = 0;
        while (g < n_groups && !(groups[g].dev == keys[k].dev &&
                                 same_layers(&groups[g], keys[k].layers, keys[k].n) &&
                                 groups[g].n_suffixes < 64))
            g++;
        if (g == n_groups) {
            groups[g].dev = keys[k].dev;
            groups[g].layers = keys[k].layers;
            groups[g].n_layers = keys[k].n;
            n_groups++;
        }
        groups[g].suffixes[groups[g].n_suffixes++] = keys[k].suffix;
    }
    for (size_t g = 0; ok && g < n_groups; g++) {
        char layers[2048];
        ok = gp_regex_int_set(groups[g].layers, groups[g].n_layers, layers, sizeof layers);
        if (!ok)
            break;
        gp_strbuf sb = {0};
        gp_sb_printf(&sb, "^blk\\.(%s)\\.", layers);
        suffix_alternation(&sb, groups[g].suffixes, groups[g].n_suffixes);
        gp_sb_append(&sb, "$");
        char *p = gp_sb_take(&sb);
        ok = p && push_rule(&rules, &n, &cap, p, req->dev_names[groups[g].dev]);
        free(p);
    }
    for (size_t k = 0; keys && k < n_keys; k++)
        free(keys[k].layers);
    free(keys);
    free(groups);

    /* Prove the rules; fall back to one exact rule per tensor otherwise. */
    int32_t *got = malloc((req->n_names ? req->n_names : 1) * sizeof *got);
    bool proven = ok && got && gp_ot_evaluate(req, rules, n, got);
    for (size_t t = 0; proven && t < req->n_names; t++)
        proven = req->want[t] < 0 || got[t] == req->want[t];
    if (!proven) {
        n = 0;
        ok = got && exact_rules(req, &rules, &n, &cap) && gp_ot_evaluate(req, rules, n, got);
        for (size_t t = 0; ok && t < req->n_names; t++)
            ok = req->want[t] < 0 || got[t] == req->want[t];
        if (!ok) {
            free(got);
            free(rules);
            return gp_fail(err, GP_ERR_CONFIG, NULL,
                           "cannot express the placement as -ot patterns that llama.cpp would follow");
        }
    }
    free(got);
    *out = rules;
    *n_out = n;
    return GP_OK;
}
