#include "plan/corun.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/error.h"

static bool add_fits(const gp_corun *c, const uint64_t *used, size_t i)
{
    for (uint32_t d = 0; d < c->n_dev; d++) {
        uint64_t b = c->budget[d];
        if (b == UINT64_MAX)
            continue;
        uint64_t x = c->need[i * c->n_dev + d];
        if (used[d] > b || x > b - used[d])
            return false;
    }
    return true;
}

bool gp_corun_fits(const gp_corun *c, uint64_t mask)
{
    uint64_t used[GP_MAX_DEVICES] = {0};
    for (size_t i = 0; i < c->n; i++) {
        if (!(mask >> i & 1))
            continue;
        if (!add_fits(c, used, i))
            return false;
        for (uint32_t d = 0; d < c->n_dev; d++)
            used[d] += c->need[i * c->n_dev + d];
    }
    return true;
}

typedef struct walk {
    const gp_corun *c;
    uint64_t alone;  /* models that fit by themselves */
    uint64_t *sets;
    size_t n, cap, max;
    bool failed, too_many;
} walk;

static void record(walk *w, uint64_t mask)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->sets[i] == mask)
            return;
    if (w->n == w->max) {
        w->too_many = true;
        return;
    }
    uint64_t *s = gp_array_grow(w->sets, &w->cap, w->n + 1, sizeof *s, 16);
    if (!s) {
        w->failed = true;
        return;
    }
    w->sets = s;
    w->sets[w->n++] = mask;
}

/* Depth-first over fitting sets, adding models in increasing index order.
 * When every model that could join the current set fits with all the
 * others too, their union is the only maximal set above it: record it and
 * stop there (many small models would otherwise mean 2^n visits). */
static void dfs(walk *w, uint64_t mask, const uint64_t *used, size_t next)
{
    if (w->failed || w->too_many)
        return;
    const gp_corun *c = w->c;
    uint64_t add = 0;
    for (size_t j = 0; j < c->n; j++)
        if (!(mask >> j & 1) && (w->alone >> j & 1) && add_fits(c, used, j))
            add |= 1ull << j;
    if (add == 0) {
        if (mask)
            record(w, mask);
        return;
    }
    if (gp_corun_fits(c, mask | add)) {
        record(w, mask | add);
        return;
    }
    for (size_t j = next; j < c->n; j++) {
        if (!(add >> j & 1))
            continue;
        uint64_t u2[GP_MAX_DEVICES];
        for (uint32_t d = 0; d < c->n_dev; d++)
            u2[d] = used[d] + c->need[j * c->n_dev + d];
        dfs(w, mask | (1ull << j), u2, j + 1);
    }
}

gp_status gp_corun_maximal_sets(const gp_corun *c, size_t max_sets, uint64_t **sets, size_t *n_sets,
                                gp_error *err)
{
    *sets = NULL;
    *n_sets = 0;
    if (c->n > GP_CORUN_MAX_MODELS || c->n_dev > GP_MAX_DEVICES)
        return gp_fail(err, GP_ERR_ARG, NULL, "at most %d models", GP_CORUN_MAX_MODELS);
    walk w = {.c = c, .max = max_sets};
    for (size_t i = 0; i < c->n; i++)
        if (gp_corun_fits(c, 1ull << i))
            w.alone |= 1ull << i;
    uint64_t used[GP_MAX_DEVICES] = {0};
    dfs(&w, 0, used, 0);
    if (w.failed) {
        free(w.sets);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    if (w.too_many) {
        free(w.sets);
        return gp_fail(err, GP_ERR_CONFIG, NULL, "more than %zu combinations of models fit together", max_sets);
    }
    *sets = w.sets;
    *n_sets = w.n;
    return GP_OK;
}

static double weight(const gp_corun *c, size_t i)
{
    double w = 0;
    for (uint32_t d = 0; d < c->n_dev; d++) {
        if (c->budget[d] == UINT64_MAX || c->budget[d] == 0)
            continue;
        double f = (double)c->need[i * c->n_dev + d] / (double)c->budget[d];
        if (f > w)
            w = f;
    }
    return w;
}

size_t gp_corun_groups(const gp_corun *c, int *group)
{
    size_t order[GP_CORUN_MAX_MODELS];
    size_t n = c->n < GP_CORUN_MAX_MODELS ? c->n : GP_CORUN_MAX_MODELS;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Largest first (insertion sort: a handful of models). */
    for (size_t i = 1; i < n; i++) {
        size_t x = order[i], j = i;
        while (j > 0 && weight(c, order[j - 1]) < weight(c, x)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    uint64_t masks[GP_CORUN_MAX_MODELS] = {0};
    size_t n_groups = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        group[i] = -1;
        if (!gp_corun_fits(c, 1ull << i))
            continue;
        size_t g = 0;
        while (g < n_groups && !gp_corun_fits(c, masks[g] | 1ull << i))
            g++;
        if (g == n_groups)
            n_groups++;
        masks[g] |= 1ull << i;
        group[i] = (int)g;
    }
    /* Number groups by their first member so the output follows the input. */
    int renum[GP_CORUN_MAX_MODELS];
    for (size_t g = 0; g < GP_CORUN_MAX_MODELS; g++)
        renum[g] = -1;
    int next = 0;
    for (size_t i = 0; i < n; i++)
        if (group[i] >= 0 && renum[group[i]] < 0)
            renum[group[i]] = next++;
    for (size_t i = 0; i < n; i++)
        if (group[i] >= 0)
            group[i] = renum[group[i]];
    return n_groups;
}
