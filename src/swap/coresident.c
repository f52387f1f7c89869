/*
 * Models a config keeps loaded together (a group with swap: false, a matrix
 * set): how many share the devices with each one. May call the YAML reader
 * (swap_yaml) and matrix expressions.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "swap/swap_internal.h"

/* Models a group with swap: false, or a matrix set, keeps loaded together
 * share the devices: each job learns how many run beside it. */
static void share_with(job *jobs, size_t n_jobs, const char *id, uint32_t k, const char *why)
{
    for (size_t i = 0; id && i < n_jobs; i++)
        if (jobs[i].rep && !strcmp(jobs[i].rep->id, id) && k > jobs[i].share) {
            jobs[i].share = k;
            snprintf(jobs[i].share_group, sizeof jobs[i].share_group, "%.90s", why);
        }
}

static void coresident_matrix(const gp_yaml *y, const yaml_node_t *matrix, job *jobs, size_t n_jobs)
{
    const yaml_node_t *vars = gp_yaml_get(y, matrix, "vars", NULL), *sets = gp_yaml_get(y, matrix, "sets", NULL);
    if (!vars || vars->type != YAML_MAPPING_NODE || !sets || sets->type != YAML_MAPPING_NODE)
        return;
    const char *names[64], *ids[64];
    size_t n_vars = 0;
    for (yaml_node_pair_t *p = vars->data.mapping.pairs.start; p < vars->data.mapping.pairs.top && n_vars < 64; p++) {
        names[n_vars] = gp_yaml_str(gp_yaml_node(y, p->key));
        ids[n_vars] = gp_yaml_str(gp_yaml_node(y, p->value));
        if (names[n_vars] && ids[n_vars])
            n_vars++;
    }
    for (yaml_node_pair_t *p = sets->data.mapping.pairs.start; p < sets->data.mapping.pairs.top; p++) {
        const char *set = gp_yaml_str(gp_yaml_node(y, p->key)), *expr = gp_yaml_str(gp_yaml_node(y, p->value));
        if (!set || !expr)
            continue;
        uint64_t terms[64];
        int n = gp_swap_dnf_parse(expr, names, n_vars, terms, 64);
        if (n < 0)
            continue;   /* gp_swap_check_config says what is wrong with it */
        char why[96];
        snprintf(why, sizeof why, "matrix set '%.60s'", set);
        for (int t = 0; t < n; t++) {
            uint32_t k = (uint32_t)__builtin_popcountll(terms[t]);
            for (size_t v = 0; v < n_vars; v++)
                if (terms[t] >> v & 1)
                    share_with(jobs, n_jobs, ids[v], k, why);
        }
    }
}

void gp_swap_coresident(const gp_yaml *y, const yaml_node_t *root, job *jobs, size_t n_jobs)
{
    const yaml_node_t *settings =
        gp_yaml_get(y, gp_yaml_get(y, gp_yaml_get(y, root, "routing", NULL), "router", NULL), "settings", NULL);
    const yaml_node_t *lists[2] = {gp_yaml_get(y, root, "groups", NULL), gp_yaml_get(y, settings, "groups", NULL)};
    for (int l = 0; l < 2; l++) {
        const yaml_node_t *groups = lists[l];
        if (!groups || groups->type != YAML_MAPPING_NODE)
            continue;
        for (yaml_node_pair_t *p = groups->data.mapping.pairs.start; p < groups->data.mapping.pairs.top; p++) {
            const char *gid = gp_yaml_str(gp_yaml_node(y, p->key));
            const yaml_node_t *g = gp_yaml_node(y, p->value);
            const char *swap = gp_yaml_str(gp_yaml_get(y, g, "swap", NULL));
            const yaml_node_t *members = gp_yaml_get(y, g, "members", NULL);
            if (!gid || !swap || strcmp(swap, "false") != 0 || !members || members->type != YAML_SEQUENCE_NODE)
                continue;
            uint32_t k = (uint32_t)(members->data.sequence.items.top - members->data.sequence.items.start);
            char why[96];
            snprintf(why, sizeof why, "group '%.60s' (swap: false)", gid);
            for (yaml_node_item_t *it = members->data.sequence.items.start; it < members->data.sequence.items.top;
                 it++)
                share_with(jobs, n_jobs, gp_yaml_str(gp_yaml_node(y, *it)), k, why);
        }
    }
    coresident_matrix(y, gp_yaml_get(y, root, "matrix", NULL), jobs, n_jobs);
    coresident_matrix(y, gp_yaml_get(y, settings, "matrix", NULL), jobs, n_jobs);
}
