/*
 * Checking a llama-swap config: the keys llama-swap reads (its schema and
 * loader), and the mistakes it ignores or refuses without a clear message,
 * as warnings. May call the YAML reader (swap_yaml), macro names (swap_cmd),
 * matrix expressions, the report helpers and util/error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swap/swap_internal.h"
#include "util/error.h"

static void warn_at(gp_swap_result *r, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn_at(gp_swap_result *r, const yaml_node_t *n, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    gp_swap_warn(r, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, "%s", buf);
}

typedef struct keyspec keyspec;
struct keyspec {
    const char *name;
    const keyspec *children; /* known keys of the value (a mapping), NULL: anything */
    bool dict;               /* the value maps free names to children-shaped values */
};

#define KS_END {NULL, NULL, false}
static const keyspec ks_timeouts[] = {{"connect", 0, 0}, {"keepalive", 0, 0}, {"responseHeader", 0, 0},
                                      {"tlsHandshake", 0, 0}, {"expectContinue", 0, 0}, {"idleConn", 0, 0}, KS_END};
static const keyspec ks_filters[] = {{"stripParams", 0, 0}, {"setParams", 0, 0}, {"setParamsByID", 0, 0},
                                     {"strip_params", 0, 0}, KS_END};
static const keyspec ks_compat[] = {{"ignoreWebsockets", 0, 0}, KS_END};
static const keyspec ks_caps[] = {{"in", 0, 0}, {"out", 0, 0}, {"tools", 0, 0}, {"reranker", 0, 0},
                                  {"context", 0, 0}, KS_END};
static const keyspec ks_model[] = {
    {"macros", 0, 0}, {"cmd", 0, 0}, {"cmdStop", 0, 0}, {"name", 0, 0}, {"description", 0, 0}, {"env", 0, 0},
    {"proxy", 0, 0}, {"aliases", 0, 0}, {"checkEndpoint", 0, 0}, {"ttl", 0, 0}, {"unloadTimeout", 0, 0},
    {"useModelName", 0, 0}, {"filters", ks_filters, 0}, {"metadata", 0, 0}, {"concurrencyLimit", 0, 0},
    {"sendLoadingState", 0, 0}, {"unlisted", 0, 0}, {"timeouts", ks_timeouts, 0}, {"compat", ks_compat, 0},
    {"capabilities", ks_caps, 0}, {"healthCheckTimeout", 0, 0}, KS_END};
static const keyspec ks_group[] = {{"swap", 0, 0}, {"exclusive", 0, 0}, {"persistent", 0, 0}, {"members", 0, 0},
                                   KS_END};
static const keyspec ks_matrix[] = {{"vars", 0, 0}, {"evict_costs", 0, 0}, {"sets", 0, 0}, KS_END};
static const keyspec ks_router_settings[] = {{"groups", ks_group, true}, {"matrix", ks_matrix, 0}, KS_END};
static const keyspec ks_router[] = {{"use", 0, 0}, {"settings", ks_router_settings, 0}, KS_END};
static const keyspec ks_fifo[] = {{"priority", 0, 0}, KS_END};
static const keyspec ks_sched_settings[] = {{"fifo", ks_fifo, 0}, KS_END};
static const keyspec ks_sched[] = {{"use", 0, 0}, {"settings", ks_sched_settings, 0}, KS_END};
static const keyspec ks_routing[] = {{"scheduler", ks_sched, 0}, {"router", ks_router, 0}, KS_END};
static const keyspec ks_store[] = {{"path", 0, 0}, KS_END};
static const keyspec ks_activity[] = {{"session_id", 0, 0}, KS_END};
static const keyspec ks_ui[] = {{"activity", ks_activity, 0}, KS_END};
static const keyspec ks_perf[] = {{"disabled", 0, 0}, {"every", 0, 0}, KS_END};
static const keyspec ks_profile[] = {{"description", 0, 0}, {"pins", 0, 0}, KS_END};
static const keyspec ks_sel_settings[] = {{"spillover", 0, 0}, KS_END};
static const keyspec ks_selector[] = {{"strategy", 0, 0}, {"targets", 0, 0}, {"settings", ks_sel_settings, 0},
                                      {"name", 0, 0}, {"description", 0, 0}, {"unlisted", 0, 0},
                                      {"metadata", 0, 0}, KS_END};
static const keyspec ks_onstartup[] = {{"preload", 0, 0}, KS_END};
static const keyspec ks_hooks[] = {{"on_startup", ks_onstartup, 0}, KS_END};
static const keyspec ks_peer_filters[] = {{"stripParams", 0, 0}, {"setParams", 0, 0}, KS_END};
static const keyspec ks_peer_timeouts[] = {{"connect", 0, 0}, {"keepalive", 0, 0}, {"responseHeader", 0, 0},
                                           {"tlsHandshake", 0, 0}, {"idleConn", 0, 0}, KS_END};
static const keyspec ks_peer[] = {{"proxy", 0, 0}, {"apiKey", 0, 0}, {"models", 0, 0},
                                  {"filters", ks_peer_filters, 0}, {"timeouts", ks_peer_timeouts, 0}, KS_END};
static const keyspec ks_upstream[] = {{"ignorePaths", 0, 0}, KS_END};
static const keyspec ks_top[] = {
    {"healthCheckTimeout", 0, 0}, {"globalTTL", 0, 0}, {"unloadTimeout", 0, 0}, {"logLevel", 0, 0},
    {"logTimeFormat", 0, 0}, {"logRequests", 0, 0}, {"metricsMaxInMemory", 0, 0}, {"captureBuffer", 0, 0},
    {"store", ks_store, 0}, {"ui", ks_ui, 0}, {"performance", ks_perf, 0}, {"startPort", 0, 0},
    {"sendLoadingState", 0, 0}, {"includeAliasesInList", 0, 0}, {"macros", 0, 0},
    {"profiles", ks_profile, true}, {"selectors", ks_selector, true}, {"models", ks_model, true},
    {"groups", ks_group, true}, {"matrix", ks_matrix, 0}, {"hooks", ks_hooks, 0}, {"logToStdout", 0, 0},
    {"apiKeys", 0, 0}, {"peers", ks_peer, true}, {"upstream", ks_upstream, 0}, {"routing", ks_routing, 0},
    KS_END};

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + ((a[i - 1] | 32) != (b[j - 1] | 32));
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static void check_keys(const gp_yaml *y, const yaml_node_t *map, const keyspec *spec, const char *where,
                       gp_swap_result *r, int depth)
{
    if (!map || map->type != YAML_MAPPING_NODE || !spec || depth > 8)
        return;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = gp_yaml_node(y, p->key), *v = gp_yaml_node(y, p->value);
        const char *name = gp_yaml_str(k);
        if (!name || !strcmp(name, "<<"))
            continue;
        const keyspec *s = NULL;
        for (const keyspec *x = spec; x->name; x++)
            if (!strcmp(x->name, name))
                s = x;
        if (!s) {
            const char *best = NULL;
            size_t bd = 3;
            for (const keyspec *x = spec; x->name; x++) {
                size_t dd = edit_distance(name, x->name);
                if (dd < bd) {
                    bd = dd;
                    best = x->name;
                }
            }
            if (best)
                warn_at(r, k, "unknown key '%s' in %s (did you mean '%s'?); llama-swap ignores it", name,
                        where, best);
            else
                warn_at(r, k, "unknown key '%s' in %s; llama-swap ignores it", name, where);
            continue;
        }
        if (!s->children || !v || v->type != YAML_MAPPING_NODE)
            continue;
        char sub[600];
        if (s->dict) {
            for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
                const char *id = gp_yaml_str(gp_yaml_node(y, q->key));
                snprintf(sub, sizeof sub, "%s '%s'", name, id ? id : "?");
                check_keys(y, gp_yaml_node(y, q->value), s->children, sub, r, depth + 1);
            }
        } else {
            snprintf(sub, sizeof sub, "%s%s%s", depth ? where : "", depth ? "." : "", name);
            check_keys(y, v, s->children, sub, r, depth + 1);
        }
    }
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    const char *v = gp_yaml_str(n);
    return v && !strcmp(v, s) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

typedef struct member_use {
    const char *model;
    const char *group;
} member_use;

static void check_groups(const gp_yaml *y, const yaml_node_t *models, const yaml_node_t *groups,
                         member_use *uses, size_t *n_uses, size_t max_uses, gp_swap_result *r)
{
    if (!groups || groups->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = groups->data.mapping.pairs.start; p < groups->data.mapping.pairs.top; p++) {
        const char *gid = gp_yaml_str(gp_yaml_node(y, p->key));
        yaml_node_t *members = gp_yaml_get(y, gp_yaml_node(y, p->value), "members", NULL);
        if (!gid)
            continue;
        if (!members || members->type != YAML_SEQUENCE_NODE) {
            warn_at(r, gp_yaml_node(y, p->key), "group '%s' has no members list", gid);
            continue;
        }
        for (yaml_node_item_t *it = members->data.sequence.items.start; it < members->data.sequence.items.top;
             it++) {
            yaml_node_t *mn = gp_yaml_node(y, *it);
            const char *m = gp_yaml_str(mn);
            if (!m)
                continue;
            if (!gp_yaml_get(y, models, m, NULL))
                warn_at(r, mn, "group '%s': member '%s' is not a model id", gid, m);
            bool dup = false;
            for (size_t i = 0; i < *n_uses && !dup; i++) {
                if (strcmp(uses[i].model, m) != 0)
                    continue;
                dup = true;
                if (!strcmp(uses[i].group, gid))
                    warn_at(r, mn, "group '%s' lists '%s' twice", gid, m);
                else
                    warn_at(r, mn, "model '%s' is in two groups ('%s' and '%s'); llama-swap allows one", m,
                            uses[i].group, gid);
            }
            if (!dup && *n_uses < max_uses)
                uses[(*n_uses)++] = (member_use){m, gid};
        }
    }
}

void gp_swap_check_config(const gp_yaml *y, gp_swap_result *r)
{
    yaml_node_t *root = gp_yaml_root(y);
    check_keys(y, root, ks_top, "the top level", r, 0);
    yaml_node_t *models = gp_yaml_get(y, root, "models", NULL);
    if (!models || models->type != YAML_MAPPING_NODE) {
        gp_swap_warn(r, 1, 1, "no 'models' mapping: llama-swap requires one");
        models = NULL;
    }
    yaml_node_t *k, *v;
    if ((v = gp_yaml_get(y, root, "healthCheckTimeout", &k)) && gp_yaml_str(v) && strtol(gp_yaml_str(v), NULL, 10) < 15)
        warn_at(r, k, "healthCheckTimeout: %s is below llama-swap's minimum of 15 seconds", gp_yaml_str(v));
    if ((v = gp_yaml_get(y, root, "startPort", &k)) && gp_yaml_str(v) && strtol(gp_yaml_str(v), NULL, 10) < 1)
        warn_at(r, k, "startPort must be at least 1");
    yaml_node_t *gmacros = gp_yaml_get(y, root, "macros", NULL);
    if (gmacros && gmacros->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = gmacros->data.mapping.pairs.start; p < gmacros->data.mapping.pairs.top; p++) {
            yaml_node_t *mk = gp_yaml_node(y, p->key);
            const char *n = gp_yaml_str(mk);
            if (n && (!gp_swap_macro_name_ok(n) || !strcmp(n, "PORT") || !strcmp(n, "MODEL_ID") || !strcmp(n, "PID")))
                warn_at(r, mk, "macro name '%s' is reserved or invalid (llama-swap refuses the config)", n);
        }

    /* Aliases are unique across the file and must not shadow a model id. */
    size_t cap = 64, n_alias = 0;
    struct alias { const char *name, *model; } *aliases = malloc(cap * sizeof *aliases);
    for (yaml_node_pair_t *p = models ? models->data.mapping.pairs.start : NULL;
         models && p < models->data.mapping.pairs.top; p++) {
        yaml_node_t *idn = gp_yaml_node(y, p->key), *m = gp_yaml_node(y, p->value);
        const char *id = gp_yaml_str(idn);
        if (!id)
            continue;
        if (!m || m->type != YAML_MAPPING_NODE) {
            warn_at(r, idn, "model '%s' is not a mapping", id);
            continue;
        }
        yaml_node_t *cmd = gp_yaml_get(y, m, "cmd", NULL);
        if (!gp_yaml_str(cmd) || !gp_yaml_str(cmd)[0])
            warn_at(r, idn, "model '%s' has no cmd (llama-swap requires one)", id);
        if ((v = gp_yaml_get(y, m, "proxy", &k)) && gp_yaml_str(v) && !gp_yaml_str(v)[0])
            warn_at(r, k, "model '%s': proxy: \"\" is not the default; remove the key to get "
                          "http://localhost:${PORT}", id);
        if ((v = gp_yaml_get(y, m, "ttl", &k)) && scalar_is(v, "0"))
            warn_at(r, k, "model '%s': ttl: 0 never unloads the model, even when globalTTL is set; "
                          "-1 (or no ttl) uses globalTTL", id);
        if ((v = gp_yaml_get(y, m, "checkEndpoint", &k)) && gp_yaml_str(v) && !gp_yaml_str(v)[0])
            warn_at(r, k, "model '%s': checkEndpoint: \"\" is not the default; use /health or none", id);
        if ((v = gp_yaml_get(y, m, "env", NULL)) && v->type == YAML_SEQUENCE_NODE)
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                yaml_node_t *e = gp_yaml_node(y, *it);
                const char *s = gp_yaml_str(e);
                if (s && !strncmp(s, "LLAMA_ARG_", 10))
                    warn_at(r, e, "model '%s': env %.*s sets a llama-server option outside cmd; "
                                  "the plan does not see it", id, (int)strcspn(s, "="), s);
            }
        yaml_node_t *al = gp_yaml_get(y, m, "aliases", NULL);
        if (!al || al->type != YAML_SEQUENCE_NODE)
            continue;
        for (yaml_node_item_t *it = al->data.sequence.items.start; it < al->data.sequence.items.top; it++) {
            yaml_node_t *an = gp_yaml_node(y, *it);
            const char *a = gp_yaml_str(an);
            if (!a)
                continue;
            if (gp_yaml_get(y, models, a, NULL) && strcmp(a, id) != 0)
                warn_at(r, an, "model '%s': alias '%s' is also a model id (the model wins)", id, a);
            bool dup = false;
            for (size_t i = 0; i < n_alias && !dup; i++)
                if (!strcmp(aliases[i].name, a)) {
                    dup = true;
                    warn_at(r, an, "duplicate alias '%s' (models '%s' and '%s'); llama-swap refuses the config",
                            a, aliases[i].model, id);
                }
            if (dup || !aliases)
                continue;
            if (n_alias == cap) {
                struct alias *x = realloc(aliases, cap * 2 * sizeof *x);
                if (!x)
                    continue;
                aliases = x;
                cap *= 2;
            }
            aliases[n_alias++] = (struct alias){a, id};
        }
    }
    free(aliases);

    /* Groups: a model in one group only, legacy and routing forms not mixed. */
    yaml_node_t *lgroups = gp_yaml_get(y, root, "groups", &k);
    yaml_node_t *lgk = k;
    yaml_node_t *lmatrix = gp_yaml_get(y, root, "matrix", NULL);
    yaml_node_t *router = gp_yaml_get(y, gp_yaml_get(y, root, "routing", NULL), "router", &k);
    yaml_node_t *rk = k;
    yaml_node_t *settings = gp_yaml_get(y, router, "settings", NULL);
    yaml_node_t *rgroups = gp_yaml_get(y, settings, "groups", NULL);
    yaml_node_t *rmatrix = gp_yaml_get(y, settings, "matrix", NULL);
    if ((lgroups || lmatrix) && router)
        warn_at(r, lgroups ? lgk : rk, "top-level groups/matrix together with routing.router: llama-swap refuses "
                                       "the config; move them under routing.router.settings");
    if (lgroups && lmatrix)
        warn_at(r, lgk, "groups and matrix together: llama-swap refuses the config");
    yaml_node_t *use = gp_yaml_get(y, router, "use", &k);
    if (use && scalar_is(use, "matrix") && !rmatrix)
        warn_at(r, k, "routing.router.use is matrix but routing.router.settings.matrix is missing");
    member_use uses[512];
    size_t n_uses = 0;
    check_groups(y, models, lgroups, uses, &n_uses, 512, r);
    check_groups(y, models, rgroups, uses, &n_uses, 512, r);
    yaml_node_t *matrices[2] = {lmatrix, rmatrix};
    for (int i = 0; i < 2; i++) {
        yaml_node_t *vars = gp_yaml_get(y, matrices[i], "vars", NULL);
        if (!vars || vars->type != YAML_MAPPING_NODE)
            continue;
        for (yaml_node_pair_t *p = vars->data.mapping.pairs.start; p < vars->data.mapping.pairs.top; p++) {
            yaml_node_t *vk = gp_yaml_node(y, p->key);
            const char *vn = gp_yaml_str(vk), *target = gp_yaml_str(gp_yaml_node(y, p->value));
            if (target && models && !gp_yaml_get(y, models, target, NULL))
                warn_at(r, vk, "matrix var '%s' names '%s', which is not a model id", vn ? vn : "?", target);
        }
        /* each set an expression of vars with &, | and parentheses */
        const char *names[64];
        size_t n_names = 0;
        for (yaml_node_pair_t *p = vars->data.mapping.pairs.start; p < vars->data.mapping.pairs.top && n_names < 64;
             p++)
            if ((names[n_names] = gp_yaml_str(gp_yaml_node(y, p->key))))
                n_names++;
        yaml_node_t *sets = gp_yaml_get(y, matrices[i], "sets", NULL);
        for (yaml_node_pair_t *p = sets && sets->type == YAML_MAPPING_NODE ? sets->data.mapping.pairs.start : NULL;
             p && p < sets->data.mapping.pairs.top; p++) {
            yaml_node_t *sk = gp_yaml_node(y, p->key);
            const char *set = gp_yaml_str(sk), *expr = gp_yaml_str(gp_yaml_node(y, p->value));
            uint64_t terms[64];
            if (set && (!expr || gp_swap_dnf_parse(expr, names, n_names, terms, 64) < 0))
                warn_at(r, sk, "matrix set '%s': '%s' is not an expression of the matrix vars with &, | and "
                               "parentheses; its models are planned as if each ran alone",
                        set, expr ? expr : "");
        }
    }
}

gp_status gp_swap_check(const char *label, const char *text, size_t len, gp_swap_result *r, gp_error *err)
{
    gp_yaml y;
    gp_status st = gp_yaml_load(&y, label, text, len, err);
    if (st != GP_OK)
        return st;
    if (gp_yaml_root(&y)->type != YAML_MAPPING_NODE) {
        gp_yaml_free(&y);
        char where[GP_ERROR_TEXT];
        snprintf(where, sizeof where, "%.400s:1:1", label);
        return gp_fail(err, GP_ERR_FORMAT, where, "the top level is not a mapping");
    }
    gp_swap_check_config(&y, r);
    gp_yaml_free(&y);
    return GP_OK;
}
