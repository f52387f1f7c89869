/*
 * A unified diff (3 lines of context) of two texts, for swap --dry-run.
 * Calls only util/strbuf.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swap/swap.h"
#include "util/strbuf.h"

typedef struct line {
    const char *p;
    size_t n; /* with its newline */
} line;

static size_t split_lines(const char *t, size_t len, line **out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\n';
    n += len && t[len - 1] != '\n';
    *out = calloc(n + 1, sizeof **out);
    if (!*out)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && t[e] != '\n')
            e++;
        if (e < len)
            e++;
        (*out)[k++] = (line){t + i, e - i};
        i = e;
    }
    return k;
}

static bool line_eq(const line *a, const line *b)
{
    return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

static void put_line(gp_strbuf *sb, char mark, const line *l)
{
    gp_sb_appendn(sb, &mark, 1);
    gp_sb_appendn(sb, l->p, l->n);
    if (!l->n || l->p[l->n - 1] != '\n')
        gp_sb_append(sb, "\n\\ No newline at end of file\n");
}

char *gp_swap_diff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a, const char *label_b)
{
    line *la = NULL, *lb = NULL;
    size_t na = split_lines(a, alen, &la), nb = split_lines(b, blen, &lb);
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    if (!la || !lb) {
        free(la);
        free(lb);
        return gp_sb_take(&sb);
    }
    /* Common head and tail first: the middle is small for config edits. */
    size_t pre = 0;
    while (pre < na && pre < nb && line_eq(&la[pre], &lb[pre]))
        pre++;
    size_t suf = 0;
    while (suf < na - pre && suf < nb - pre && line_eq(&la[na - 1 - suf], &lb[nb - 1 - suf]))
        suf++;
    size_t ma = na - pre - suf, mb = nb - pre - suf;
    if (ma == 0 && mb == 0) {
        free(la);
        free(lb);
        return gp_sb_take(&sb);
    }
    /* ops: 0 same, 1 delete (a), 2 insert (b), over the whole files. */
    size_t n_ops = 0;
    unsigned char *ops = malloc(na + nb + 1);
    size_t *ai = malloc((na + nb + 1) * sizeof *ai), *bi = malloc((na + nb + 1) * sizeof *bi);
    uint32_t *lcs = (ma + 1) * (mb + 1) <= ((size_t)1 << 24) ? calloc((ma + 1) * (mb + 1), sizeof *lcs) : NULL;
    if (!ops || !ai || !bi) {
        free(ops); free(ai); free(bi); free(lcs); free(la); free(lb);
        return gp_sb_take(&sb);
    }
    for (size_t i = 0; i < pre; i++, n_ops++) {
        ops[n_ops] = 0; ai[n_ops] = i; bi[n_ops] = i;
    }
    if (lcs) {
        for (size_t i = ma; i-- > 0;)
            for (size_t j = mb; j-- > 0;)
                lcs[i * (mb + 1) + j] = line_eq(&la[pre + i], &lb[pre + j])
                                            ? lcs[(i + 1) * (mb + 1) + j + 1] + 1
                                            : (lcs[(i + 1) * (mb + 1) + j] > lcs[i * (mb + 1) + j + 1]
                                                   ? lcs[(i + 1) * (mb + 1) + j] : lcs[i * (mb + 1) + j + 1]);
        size_t i = 0, j = 0;
        while (i < ma || j < mb) {
            if (i < ma && j < mb && line_eq(&la[pre + i], &lb[pre + j])) {
                ops[n_ops] = 0; ai[n_ops] = pre + i++; bi[n_ops++] = pre + j++;
            } else if (i < ma && (j == mb || lcs[(i + 1) * (mb + 1) + j] >= lcs[i * (mb + 1) + j + 1])) {
                ops[n_ops] = 1; ai[n_ops] = pre + i++; bi[n_ops++] = pre + j;
            } else {
                ops[n_ops] = 2; ai[n_ops] = pre + i; bi[n_ops++] = pre + j++;
            }
        }
    } else {
        for (size_t i = 0; i < ma; i++, n_ops++) {
            ops[n_ops] = 1; ai[n_ops] = pre + i; bi[n_ops] = pre;
        }
        for (size_t j = 0; j < mb; j++, n_ops++) {
            ops[n_ops] = 2; ai[n_ops] = pre + ma; bi[n_ops] = pre + j;
        }
    }
    for (size_t i = 0; i < suf; i++, n_ops++) {
        ops[n_ops] = 0; ai[n_ops] = na - suf + i; bi[n_ops] = nb - suf + i;
    }
    free(lcs);
    gp_sb_printf(&sb, "--- %s\n+++ %s\n", label_a, label_b);
    const size_t ctx = 3;
    for (size_t k = 0; k < n_ops;) {
        if (ops[k] == 0) {
            k++;
            continue;
        }
        /* A hunk: from ctx lines before this change to ctx lines after the
         * last change that is within 2*ctx lines of the previous one. */
        size_t s = k >= ctx ? k - ctx : 0;
        while (s < k && ops[s] != 0)
            s++;
        size_t e = k;
        for (;;) {
            while (e < n_ops && ops[e] != 0)
                e++;
            size_t same = 0;
            while (e + same < n_ops && ops[e + same] == 0)
                same++;
            if (e + same < n_ops && same <= 2 * ctx) {
                e += same;
                continue;
            }
            e += same < ctx ? same : ctx;
            break;
        }
        size_t a0 = ai[s], b0 = bi[s], ca = 0, cb = 0;
        for (size_t q = s; q < e; q++) {
            ca += ops[q] != 2;
            cb += ops[q] != 1;
        }
        gp_sb_printf(&sb, "@@ -%zu,%zu +%zu,%zu @@\n", ca ? a0 + 1 : a0, ca, cb ? b0 + 1 : b0, cb);
        for (size_t q = s; q < e; q++)
            put_line(&sb, ops[q] == 0 ? ' ' : ops[q] == 1 ? '-' : '+', ops[q] == 2 ? &lb[bi[q]] : &la[ai[q]]);
        k = e;
    }
    free(ops); free(ai); free(bi); free(la); free(lb);
    return gp_sb_take(&sb);
}
