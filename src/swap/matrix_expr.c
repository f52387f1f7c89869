/*
 * llama-swap matrix sets: an expression of vars with &, | and parentheses,
 * read into disjunctive normal form. Calls nothing outside libc.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "swap/swap_internal.h"

/* A matrix set's expression ("a & (b | c)") in disjunctive normal form:
 * each conjunction a bitmask over the vars, at most max of them. Returns
 * how many, or -1 when the text is not an expression of known vars. */
typedef struct dnf_parser {
    const char *p;
    const char *const *vars;
    size_t n_vars;
} dnf_parser;

static int dnf_expr(dnf_parser *ps, uint64_t *out, int max, int depth);

static int dnf_factor(dnf_parser *ps, uint64_t *out, int max, int depth)
{
    while (*ps->p == ' ')
        ps->p++;
    if (*ps->p == '(') {
        ps->p++;
        int n = dnf_expr(ps, out, max, depth + 1);
        while (*ps->p == ' ')
            ps->p++;
        if (n < 0 || *ps->p != ')')
            return -1;
        ps->p++;
        return n;
    }
    size_t len = 0;
    while (ps->p[len] && (isalnum((unsigned char)ps->p[len]) || ps->p[len] == '_' || ps->p[len] == '-'))
        len++;
    for (size_t v = 0; len && v < ps->n_vars && v < 64; v++)
        if (strlen(ps->vars[v]) == len && !strncmp(ps->vars[v], ps->p, len)) {
            ps->p += len;
            if (max < 1)
                return -1;
            out[0] = 1ull << v;
            return 1;
        }
    return -1;
}

static int dnf_term(dnf_parser *ps, uint64_t *out, int max, int depth)
{
    int n = dnf_factor(ps, out, max, depth);
    for (;;) {
        while (*ps->p == ' ')
            ps->p++;
        if (n < 0 || *ps->p != '&')
            return n;
        ps->p++;
        uint64_t rhs[32];
        int m = dnf_factor(ps, rhs, 32, depth);
        if (m < 0 || n * m > max)
            return -1;
        uint64_t prod[64];
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                prod[k++] = out[i] | rhs[j];
        memcpy(out, prod, (size_t)k * sizeof *out);
        n = k;
    }
}

static int dnf_expr(dnf_parser *ps, uint64_t *out, int max, int depth)
{
    if (depth > 16)
        return -1;
    int n = dnf_term(ps, out, max, depth);
    for (;;) {
        while (*ps->p == ' ')
            ps->p++;
        if (n < 0 || *ps->p != '|')
            return n;
        ps->p++;
        int m = dnf_term(ps, out + n, max - n, depth);
        if (m < 0)
            return -1;
        n += m;
    }
}

/* expr as whole: its conjunctions (-1: unreadable or names an unknown var) */
int gp_swap_dnf_parse(const char *expr, const char *const *vars, size_t n_vars, uint64_t *terms, int max)
{
    dnf_parser ps = {expr, vars, n_vars};
    int n = dnf_expr(&ps, terms, max, 0);
    while (n > 0 && *ps.p == ' ')
        ps.p++;
    return n > 0 && !*ps.p ? n : -1;
}
