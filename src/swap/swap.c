#include "swap/swap.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args/llama_args.h"
#include "swap/swap_yaml.h"
#include "gguf/hf.h"
#include "hw/detect.h"
#include "gguf/remote.h"
#include "plan/corun.h"
#include "util/array.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "util/units.h"

/* ---- results -------------------------------------------------------------- */

static void warn(gp_swap_result *r, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(gp_swap_result *r, size_t line, size_t col, const char *fmt, ...)
{
    gp_swap_warning *w = realloc(r->warnings, (r->n_warnings + 1) * sizeof *w);
    if (!w)
        return;
    r->warnings = w;
    w = &r->warnings[r->n_warnings++];
    w->line = line;
    w->column = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
}

static void warn_at(gp_swap_result *r, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn_at(gp_swap_result *r, const yaml_node_t *n, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    warn(r, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, "%s", buf);
}

static gp_swap_model *add_model(gp_swap_result *r, const char *id, size_t line)
{
    gp_swap_model *m = realloc(r->models, (r->n_models + 1) * sizeof *m);
    if (!m)
        return NULL;
    r->models = m;
    m = &r->models[r->n_models++];
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    m->line = line;
    m->outcome = GP_SWAP_SKIPPED;
    return m;
}

static void skip(gp_swap_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void skip(gp_swap_model *m, const char *fmt, ...)
{
    m->outcome = GP_SWAP_SKIPPED;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->note, sizeof m->note, fmt, ap);
    va_end(ap);
}

void gp_swap_result_free(gp_swap_result *r)
{
    free(r->text);
    for (size_t i = 0; i < r->n_models; i++) {
        free(r->models[i].args);
        free(r->models[i].path);
    }
    free(r->models);
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

/* ---- the flags ggplace owns -------------------------------------------------- */

typedef struct owned_flag {
    const char *name;
    const char *slot;  /* flags that fill the same slot replace each other */
    const char *canon; /* same canon: same meaning */
    bool value;
} owned_flag;

/* Every spelling of every flag the planner decides (what gp_plan_args can
 * emit, plus the flags that would contradict it). */
static const owned_flag owned[] = {
    {"-c", "ctx", "-c", true}, {"--ctx-size", "ctx", "-c", true},
    {"-np", "np", "-np", true}, {"--parallel", "np", "-np", true},
    {"-kvu", "kvu", "-kvu", false}, {"--kv-unified", "kvu", "-kvu", false},
    {"-no-kvu", "kvu", "-no-kvu", false}, {"--no-kv-unified", "kvu", "-no-kvu", false},
    {"-fa", "fa", "-fa", true}, {"--flash-attn", "fa", "-fa", true},
    {"-ctk", "ctk", "-ctk", true}, {"--cache-type-k", "ctk", "-ctk", true},
    {"-ctv", "ctv", "-ctv", true}, {"--cache-type-v", "ctv", "-ctv", true},
    {"--swa-full", "swa", "--swa-full", false},
    {"-b", "b", "-b", true}, {"--batch-size", "b", "-b", true},
    {"-ub", "ub", "-ub", true}, {"--ubatch-size", "ub", "-ub", true},
    {"-ngl", "ngl", "-ngl", true}, {"--gpu-layers", "ngl", "-ngl", true}, {"--n-gpu-layers", "ngl", "-ngl", true},
    {"-ts", "ts", "-ts", true}, {"--tensor-split", "ts", "-ts", true},
    {"-sm", "sm", "-sm", true}, {"--split-mode", "sm", "-sm", true},
    {"-mg", "mg", "-mg", true}, {"--main-gpu", "mg", "-mg", true},
    {"-ot", "ot", "-ot", true}, {"--override-tensor", "ot", "-ot", true},
    {"-cmoe", "cmoe", "-cmoe", false}, {"--cpu-moe", "cmoe", "-cmoe", false},
    {"-ncmoe", "ncmoe", "-ncmoe", true}, {"--n-cpu-moe", "ncmoe", "-ncmoe", true},
    {"-ncffn", "ncffn", "-ncffn", true}, {"--n-cpu-ffn", "ncffn", "-ncffn", true},
    {"-nkvo", "kvo", "-nkvo", false}, {"--no-kv-offload", "kvo", "-nkvo", false},
    {"-kvo", "kvo", "-kvo", false}, {"--kv-offload", "kvo", "-kvo", false},
    {"-t", "t", "-t", true}, {"--threads", "t", "-t", true},
    {"--rpc", "rpc", "--rpc", true},
    {"-dev", "dev", "-dev", true}, {"--device", "dev", "-dev", true},
};

/* The owned flag tok names, and its inline value for "--flag=value". */
static const owned_flag *owned_find(const char *tok, const char **inline_value)
{
    if (inline_value)
        *inline_value = NULL;
    if (tok[0] != '-')
        return NULL;
    const char *eq = tok[1] == '-' ? strchr(tok, '=') : NULL;
    size_t n = eq ? (size_t)(eq - tok) : strlen(tok);
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        if (strlen(owned[i].name) != n || strncmp(owned[i].name, tok, n) != 0)
            continue;
        if (eq && !owned[i].value)
            return NULL;
        if (inline_value && eq)
            *inline_value = eq + 1;
        return &owned[i];
    }
    return NULL;
}

const char *gp_swap_owned_slot(const char *flag)
{
    const owned_flag *f = owned_find(flag, NULL);
    return f ? f->slot : NULL;
}

static int tristate(const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "enabled") || !strcmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "off") || !strcmp(v, "disabled") || !strcmp(v, "false") || !strcmp(v, "0"))
        return 0;
    return !strcmp(v, "auto") ? -1 : -2;
}

static bool same_value(const char *slot, const char *a, const char *b)
{
    if (!strcmp(a, b))
        return true;
    if (!strcmp(slot, "fa"))
        return tristate(a) != -2 && tristate(a) == tristate(b);
    char *ea, *eb;
    long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);
    return *a && *b && !*ea && !*eb && x == y && strcmp(slot, "ts") != 0 && strcmp(slot, "ot") != 0;
}

/* ---- configuration keys llama-swap reads (schema and loader, 2026-08) ------- */

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
static int dnf_parse(const char *expr, const char *const *vars, size_t n_vars, uint64_t *terms, int max)
{
    dnf_parser ps = {expr, vars, n_vars};
    int n = dnf_expr(&ps, terms, max, 0);
    while (n > 0 && *ps.p == ' ')
        ps.p++;
    return n > 0 && !*ps.p ? n : -1;
}

static void check_config(const gp_yaml *y, gp_swap_result *r)
{
    yaml_node_t *root = gp_yaml_root(y);
    check_keys(y, root, ks_top, "the top level", r, 0);
    yaml_node_t *models = gp_yaml_get(y, root, "models", NULL);
    if (!models || models->type != YAML_MAPPING_NODE) {
        warn(r, 1, 1, "no 'models' mapping: llama-swap requires one");
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
            if (set && (!expr || dnf_parse(expr, names, n_names, terms, 64) < 0))
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
    check_config(&y, r);
    gp_yaml_free(&y);
    return GP_OK;
}

/* ---- which program a command runs ----------------------------------------- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool is_server_binary(const char *p)
{
    const char *b = base_name(p);
    return !strcmp(b, "llama-server") || !strcmp(b, "llama-server.exe");
}

typedef struct mount {
    char host[1024], ctr[1024];
} mount;

typedef struct server_cmd {
    size_t start;       /* index of the first llama-server argument */
    bool docker;
    char image[256];
    mount mounts[16];
    size_t n_mounts;
} server_cmd;

/* docker/podman run options that take a value. */
static const char *const docker_valued[] = {
    "-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "--cap-add", "--cap-drop",
    "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-period", "--cpu-quota", "--cpu-shares", "-c",
    "--cpus", "--cpuset-cpus", "--cpuset-mems", "--device", "--device-cgroup-rule", "--dns", "--dns-option",
    "--dns-search", "--domainname", "--entrypoint", "-e", "--env", "--env-file", "--expose", "--gpus",
    "--group-add", "--health-cmd", "--health-interval", "--health-retries", "--health-start-period",
    "--health-timeout", "-h", "--hostname", "--ip", "--ip6", "--ipc", "--isolation", "-l", "--label",
    "--label-file", "--link", "--log-driver", "--log-opt", "--mac-address", "-m", "--memory",
    "--memory-reservation", "--memory-swap", "--memory-swappiness", "--mount", "--name", "--network", "--net",
    "--network-alias", "--oom-score-adj", "--pid", "--pids-limit", "--platform", "-p", "--publish", "--pull",
    "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout",
    "--storage-opt", "--sysctl", "--tmpfs", "--ulimit", "-u", "--user", "--userns", "--uts", "-v", "--volume",
    "--volumes-from", "-w", "--workdir", "--device-read-bps", "--device-write-bps", "--device-read-iops",
    "--device-write-iops", "--hooks-dir", "--init-path", "--secret", "--arch", "--os", "--variant",
};

static bool docker_takes_value(const char *opt)
{
    for (size_t i = 0; i < sizeof docker_valued / sizeof docker_valued[0]; i++)
        if (!strcmp(opt, docker_valued[i]))
            return true;
    return false;
}

static void add_mount(server_cmd *s, const char *host, size_t hl, const char *ctr, size_t cl)
{
    /* Named volumes have no host path to read the model from. */
    if (s->n_mounts >= sizeof s->mounts / sizeof s->mounts[0] || hl == 0 || cl == 0 || host[0] != '/' ||
        hl >= sizeof s->mounts[0].host || cl >= sizeof s->mounts[0].ctr)
        return;
    mount *m = &s->mounts[s->n_mounts++];
    memcpy(m->host, host, hl);
    m->host[hl] = 0;
    memcpy(m->ctr, ctr, cl);
    m->ctr[cl] = 0;
    while (strlen(m->ctr) > 1 && m->ctr[strlen(m->ctr) - 1] == '/')
        m->ctr[strlen(m->ctr) - 1] = 0;
}

static void parse_volume(server_cmd *s, const char *v)
{
    const char *c1 = strchr(v, ':');
    if (!c1)
        return;
    const char *c2 = strchr(c1 + 1, ':');
    add_mount(s, v, (size_t)(c1 - v), c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1));
}

static void parse_mount(server_cmd *s, const char *v)
{
    const char *src = NULL, *dst = NULL;
    size_t sl = 0, dl = 0;
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (eq) {
            size_t kl = (size_t)(eq - p);
            if ((kl == 6 && !strncmp(p, "source", 6)) || (kl == 3 && !strncmp(p, "src", 3))) {
                src = eq + 1;
                sl = n - kl - 1;
            } else if ((kl == 6 && !strncmp(p, "target", 6)) || (kl == 3 && !strncmp(p, "dst", 3)) ||
                       (kl == 11 && !strncmp(p, "destination", 11))) {
                dst = eq + 1;
                dl = n - kl - 1;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (src && dst)
        add_mount(s, src, sl, dst, dl);
}

static bool llama_image(const char *image)
{
    char low[256];
    size_t n = 0;
    for (; image[n] && n + 1 < sizeof low; n++)
        low[n] = (char)(image[n] >= 'A' && image[n] <= 'Z' ? image[n] + 32 : image[n]);
    low[n] = 0;
    return strstr(low, "llama.cpp") || strstr(low, "llama-cpp") || strstr(low, "llamacpp");
}

/* Whether argv runs llama-server (directly, through env, or in a llama.cpp
 * container); why says what it runs otherwise. */
static bool find_server(const gp_swap_argv *a, server_cmd *s, char *why, size_t wsize)
{
    memset(s, 0, sizeof *s);
    size_t i = 0;
    if (a->n == 0) {
        snprintf(why, wsize, "empty command");
        return false;
    }
    if (!strcmp(base_name(a->tok[0].text), "env")) {
        i = 1;
        while (i < a->n && (strchr(a->tok[i].text, '=') || a->tok[i].text[0] == '-'))
            i++;
    }
    if (i >= a->n) {
        snprintf(why, wsize, "empty command");
        return false;
    }
    const char *prog = base_name(a->tok[i].text);
    if (is_server_binary(a->tok[i].text)) {
        s->start = i + 1;
        return true;
    }
    if (strcmp(prog, "docker") != 0 && strcmp(prog, "podman") != 0 && strcmp(prog, "nerdctl") != 0) {
        snprintf(why, wsize, "runs %s, not llama-server", prog);
        return false;
    }
    i++;
    if (i < a->n && !strcmp(a->tok[i].text, "container"))
        i++;
    if (i >= a->n || strcmp(a->tok[i].text, "run") != 0) {
        snprintf(why, wsize, "runs %s without 'run'", prog);
        return false;
    }
    i++;
    while (i < a->n && a->tok[i].text[0] == '-') {
        const char *o = a->tok[i].text;
        if (!strcmp(o, "--")) {
            i++;
            break;
        }
        const char *eq = strchr(o, '=');
        if (eq && o[1] == '-') {
            if (!strncmp(o, "--volume=", 9))
                parse_volume(s, eq + 1);
            else if (!strncmp(o, "--mount=", 8))
                parse_mount(s, eq + 1);
            i++;
            continue;
        }
        if (docker_takes_value(o) && i + 1 < a->n) {
            if (!strcmp(o, "-v") || !strcmp(o, "--volume"))
                parse_volume(s, a->tok[i + 1].text);
            else if (!strcmp(o, "--mount"))
                parse_mount(s, a->tok[i + 1].text);
            i += 2;
            continue;
        }
        i++;
    }
    if (i >= a->n) {
        snprintf(why, wsize, "%s run without an image", prog);
        return false;
    }
    snprintf(s->image, sizeof s->image, "%s", a->tok[i].text);
    if (!llama_image(s->image)) {
        snprintf(why, wsize, "runs the container %.120s, not a llama.cpp image", s->image);
        return false;
    }
    i++;
    /* Server images start llama-server; the full image takes --server. */
    if (i < a->n && (is_server_binary(a->tok[i].text) || !strcmp(a->tok[i].text, "--server")))
        i++;
    s->docker = true;
    s->start = i;
    return true;
}

/* The host file behind a path seen inside a container. */
static bool host_path(const server_cmd *s, const char *p, char *out, size_t size)
{
    if (!s->docker) {
        snprintf(out, size, "%s", p);
        return true;
    }
    const mount *best = NULL;
    size_t bl = 0;
    for (size_t i = 0; i < s->n_mounts; i++) {
        size_t cl = strlen(s->mounts[i].ctr);
        if (!strncmp(p, s->mounts[i].ctr, cl) && (p[cl] == 0 || p[cl] == '/' || !strcmp(s->mounts[i].ctr, "/")) &&
            cl >= bl) {
            best = &s->mounts[i];
            bl = cl;
        }
    }
    if (!best)
        return false;
    snprintf(out, size, "%s%s", best->host, !strcmp(best->ctr, "/") ? p : p + bl);
    return true;
}

/* ---- edits ------------------------------------------------------------------- */

/* Value space: replace value bytes [vb, ve) of the cmd by text (already
 * quoted for llama-swap's splitter); text NULL deletes. */
typedef struct vedit {
    size_t vb, ve;
    char *text;
} vedit;

/* File space: replace file bytes [b, e) by text (already YAML-encoded). */
typedef struct fedit {
    size_t b, e;
    char *text;
} fedit;

typedef struct fedits {
    fedit *v;
    size_t n, cap;
    bool failed;
} fedits;

static void fe_push(fedits *f, size_t b, size_t e, char *text)
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

static void fe_free(fedits *f)
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

/* Applies sorted, non-overlapping edits; NULL if they overlap. */
static char *splice(const char *text, size_t len, fedit *e, size_t n, size_t *out_len)
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

static char *quoted(const char *arg)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    gp_swap_quote(&sb, arg);
    return gp_sb_take(&sb);
}

/* ---- one model's command ------------------------------------------------------- */

typedef struct job {
    gp_swap_model *rep;
    const yaml_node_t *cmd, *cmd_key;
    gp_yaml_src src;
    gp_swap_macro *macros;
    size_t n_macros;
    long port;
    gp_swap_getenv_fn getenv_fn; /* ${env.X}: the same lookup for every split of this cmd */
    gp_swap_argv argv;
    char **expect;        /* argv after the edit */
    size_t n_expect;
    vedit *ve;
    size_t n_ve;
    char **append;        /* lines to add: "flag" or "flag value", quoted */
    size_t n_append;
    fedits fe;            /* the file edits that passed validation */
    bool as_block;
    uint32_t share;       /* > 1: the model stays loaded beside share - 1 others (a swap: false
                             group) and is planned for that part of every device */
    char share_group[96];
} job;

static void job_free(job *j)
{
    gp_yaml_src_free(&j->src);
    free(j->macros);
    gp_swap_argv_free(&j->argv);
    for (size_t i = 0; i < j->n_expect; i++)
        free(j->expect[i]);
    free(j->expect);
    for (size_t i = 0; i < j->n_ve; i++)
        free(j->ve[i].text);
    free(j->ve);
    for (size_t i = 0; i < j->n_append; i++)
        free(j->append[i]);
    free(j->append);
    fe_free(&j->fe);
}

static bool push_str(char ***v, size_t *n, const char *s)
{
    char *c = s ? strdup(s) : NULL;
    char **x = c ? realloc(*v, (*n + 1) * sizeof *x) : NULL;
    if (!x) {
        free(c);
        return false;
    }
    *v = x;
    x[(*n)++] = c;
    return true;
}

static bool push_vedit(job *j, size_t vb, size_t ve, const char *text)
{
    vedit *x = realloc(j->ve, (j->n_ve + 1) * sizeof *x);
    if (!x)
        return false;
    j->ve = x;
    char *t = NULL;
    if (text && !(t = strdup(text)))
        return false;
    x[j->n_ve++] = (vedit){vb, ve, t};
    return true;
}

typedef struct old_item {
    const owned_flag *f;
    size_t fi, vi;        /* flag token, value token (SIZE_MAX: none) */
    const char *inl;      /* value of --flag=value */
    bool used;
} old_item;

#define NONE ((size_t)-1)

/* Matches the planned flags against the owned flags in the command: same
 * slot in order (the k-th -ot to the k-th -ot), a value replaced only when it
 * differs, owned flags the plan does not want removed, new ones appended.
 * Fills j->ve, j->append, j->expect; false with why when the command cannot
 * be edited. */
static bool plan_edits(job *j, size_t start, char **args, char *why, size_t wsize)
{
    const gp_swap_argv *a = &j->argv;
    old_item *items = calloc(a->n + 1, sizeof *items);
    char **repl = calloc(a->n + 1, sizeof *repl); /* per token: replacement argv text(s), "\n"-joined */
    bool *drop = calloc(a->n + 1, sizeof *drop);
    size_t n_items = 0;
    bool ok = items && repl && drop;
    for (size_t i = start; ok && i < a->n;) {
        const char *t = a->tok[i].text, *inl;
        const owned_flag *f = owned_find(t, &inl);
        if (f) {
            size_t vi = f->value && !inl && i + 1 < a->n ? i + 1 : NONE;
            items[n_items++] = (old_item){f, i, vi, inl, false};
            if (a->tok[i].from_macro || (vi != NONE && a->tok[vi].from_macro)) {
                snprintf(why, wsize, "%s comes from a macro; the macro is left as written (edit it by hand)", t);
                ok = false;
            }
            i += vi != NONE ? 2 : 1;
            continue;
        }
        if (t[0] == '-' && t[1]) {
            char name[128];
            size_t n = t[1] == '-' ? strcspn(t, "=") : strlen(t);
            snprintf(name, sizeof name, "%.*s", (int)n, t);
            const gp_llama_flag *lf = gp_llama_flag_find(name);
            i += lf && lf->takes_value && !t[n] ? 2 : 1;
            continue;
        }
        i++;
    }
    for (char **p = args; ok && *p; p++) {
        const owned_flag *nf = owned_find(*p, NULL);
        const char *nv = NULL;
        if (!nf) {
            snprintf(why, wsize, "the plan has a flag this rewrite does not know (%s)", *p);
            ok = false;
            break;
        }
        if (nf->value) {
            if (!p[1]) {
                ok = false;
                break;
            }
            nv = *++p;
        }
        old_item *o = NULL;
        for (size_t k = 0; k < n_items && !o; k++)
            if (!items[k].used && !strcmp(items[k].f->slot, nf->slot))
                o = &items[k];
        if (!o) {
            gp_strbuf line = {0};
            gp_sb_append(&line, nf->name);
            if (nv) {
                gp_sb_append(&line, " ");
                gp_swap_quote(&line, nv);
            }
            char *l = gp_sb_take(&line);
            ok = l && push_str(&j->append, &j->n_append, l) && push_str(&j->expect, &j->n_expect, nf->name) &&
                 (!nv || push_str(&j->expect, &j->n_expect, nv));
            free(l);
            /* Appended argv goes after the kept tokens: collect it at the end. */
            continue;
        }
        o->used = true;
        bool same_flag = !strcmp(o->f->canon, nf->canon);
        const gp_swap_token *ft = &a->tok[o->fi];
        if (o->inl) {
            if (same_flag && same_value(nf->slot, o->inl, nv))
                continue;
            char text[1200];
            size_t nl = same_flag ? (size_t)(o->inl - 1 - ft->text) : strlen(nf->name);
            snprintf(text, sizeof text, "%.*s=%s", (int)nl, same_flag ? ft->text : nf->name, nv);
            char *q = quoted(text);
            ok = q && push_vedit(j, ft->begin, ft->end, q) && (repl[o->fi] = strdup(text));
            free(q);
            continue;
        }
        if (!same_flag) {
            ok = push_vedit(j, ft->begin, ft->end, nf->name) && (repl[o->fi] = strdup(nf->name));
            if (!ok)
                break;
        }
        if (!nv)
            continue;
        if (o->vi == NONE) {
            /* The flag ends the command without its value: give it one. */
            gp_strbuf sb = {0};
            gp_sb_printf(&sb, "%s ", same_flag ? ft->text : nf->name);
            gp_swap_quote(&sb, nv);
            char *q = gp_sb_take(&sb);
            char both[1200];
            snprintf(both, sizeof both, "%s\n%s", same_flag ? ft->text : nf->name, nv);
            free(repl[o->fi]);
            repl[o->fi] = NULL;
            if (j->n_ve && j->ve[j->n_ve - 1].vb == ft->begin) {
                free(j->ve[j->n_ve - 1].text);
                j->n_ve--;
            }
            ok = q && push_vedit(j, ft->begin, ft->end, q) && (repl[o->fi] = strdup(both));
            free(q);
            continue;
        }
        const gp_swap_token *vt = &a->tok[o->vi];
        if (same_value(nf->slot, vt->text, nv))
            continue;
        char *q = quoted(nv);
        ok = q && push_vedit(j, vt->begin, vt->end, q) && (repl[o->vi] = strdup(nv));
        free(q);
    }
    for (size_t k = 0; ok && k < n_items; k++) {
        if (items[k].used)
            continue;
        size_t last = items[k].vi != NONE ? items[k].vi : items[k].fi;
        drop[items[k].fi] = true;
        if (items[k].vi != NONE)
            drop[items[k].vi] = true;
        ok = push_vedit(j, a->tok[items[k].fi].begin, a->tok[last].end, NULL);
    }
    /* The argv llama-swap will see: kept and replaced tokens, then the appended flags. */
    if (ok) {
        char **appended = j->expect;
        size_t n_appended = j->n_expect;
        j->expect = NULL;
        j->n_expect = 0;
        for (size_t i = 0; ok && i < a->n; i++) {
            if (drop[i])
                continue;
            if (!repl[i]) {
                ok = push_str(&j->expect, &j->n_expect, a->tok[i].text);
                continue;
            }
            char *nl = strchr(repl[i], '\n');
            if (nl) {
                *nl = 0;
                ok = push_str(&j->expect, &j->n_expect, repl[i]) && push_str(&j->expect, &j->n_expect, nl + 1);
            } else {
                ok = push_str(&j->expect, &j->n_expect, repl[i]);
            }
        }
        for (size_t i = 0; i < n_appended; i++) {
            if (ok)
                ok = push_str(&j->expect, &j->n_expect, appended[i]);
            free(appended[i]);
        }
        free(appended);
    }
    for (size_t i = 0; repl && i < a->n; i++)
        free(repl[i]);
    free(repl);
    free(drop);
    free(items);
    if (!ok && !why[0])
        snprintf(why, wsize, "out of memory");
    return ok;
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
            fe_push(out, fb, fe, encode(s->style, v->text));
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
        fe_push(out, merged[k].b, merged[k].e, strdup(""));

    if (!block) {
        if (j->n_append) {
            gp_strbuf sb = {0};
            for (size_t i = 0; i < j->n_append; i++) {
                gp_sb_append(&sb, " ");
                gp_sb_append(&sb, j->append[i]);
            }
            char *raw = gp_sb_take(&sb);
            fe_push(out, hi, hi, raw ? encode(s->style, raw) : NULL);
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
            fe_push(out, b, b, strdup(" \\"));
        } else if (!j->n_append && has && last_kept_ls != last_ls) {
            /* The last line went away: its predecessor no longer continues. */
            size_t p = b - 1;
            while (p > last_kept_ls && blank(t[p - 1]))
                p--;
            fe_push(out, p, b, strdup(""));
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
        fe_push(out, s->body_end, s->body_end, gp_sb_take(&sb));
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
        fe_push(out, s->begin, s->end, gp_sb_take(&x));
        return !out->failed;
    }
    size_t le = line_end(t, y->len, s->end);
    size_t at = le + break_at(t, y->len, le);
    if (at == le) {
        char *body = gp_sb_take(&c);
        gp_strbuf x = {0};
        gp_sb_printf(&x, "\n%s", body ? body : "");
        free(body);
        fe_push(out, at, at, gp_sb_take(&x));
    } else {
        fe_push(out, at, at, gp_sb_take(&c));
    }
    fe_push(out, s->begin, s->end, gp_sb_take(&h));
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

/* True when text2 parses to the same document as y except for the jobs'
 * commands, which split to exactly the argv each job expects. */
static bool validate(const gp_yaml *y, const char *text2, size_t len2, job **jobs, size_t n_jobs)
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

static bool try_edits(const gp_yaml *y, job *j, bool as_block)
{
    fedits f = {0};
    bool ok = as_block ? build_block(y, j, &f) : build_primary(y, j, &f);
    size_t n2 = 0;
    char *t2 = ok ? splice(y->text, y->len, f.v, f.n, &n2) : NULL;
    ok = t2 && validate(y, t2, n2, &j, 1);
    free(t2);
    if (!ok) {
        fe_free(&f);
        return false;
    }
    j->fe = f;
    j->as_block = as_block;
    return true;
}

/* ---- re-planning a config -------------------------------------------------- */

static size_t read_macros(const gp_yaml *y, const yaml_node_t *map, gp_swap_macro *out, size_t max)
{
    size_t n = 0;
    if (!map || map->type != YAML_MAPPING_NODE)
        return 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top && n < max; p++) {
        const char *k = gp_yaml_str(gp_yaml_node(y, p->key)), *v = gp_yaml_str(gp_yaml_node(y, p->value));
        if (k && v)
            out[n++] = (gp_swap_macro){k, v};
    }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool wanted(const gp_swap_options *o, const char *id)
{
    if (!o->only)
        return true;
    for (size_t i = 0; i < o->n_only; i++)
        if (!strcmp(o->only[i], id))
            return true;
    return false;
}

static char *render_args(char **args)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    for (char **a = args; a && *a; a++) {
        if (a != args)
            gp_sb_append(&sb, " ");
        gp_swap_quote(&sb, *a);
    }
    return gp_sb_take(&sb);
}

/* Plans one model file; fills the report's args, path and footprint. A
 * cmd's -dev list (devices, "" for none) narrows the devices planned for;
 * the footprint stays in the full list's order. */
/* What CUDA_VISIBLE_DEVICES=LIST leaves of d: the CPU, the CUDA devices it
 * names (by index or UUID prefix) in its order and renumbered CUDA0, CUDA1...
 * as the process sees them, then the other devices; map[k] is sub's device
 * k in d. False (with why) when it names no CUDA device of d. */
static bool cuda_visible(const gp_devices *d, const char *list, gp_devices *sub, uint32_t *map, char *why,
                         size_t wsize)
{
    uint32_t cuda[GP_MAX_DEVICES], n_cuda = 0;
    for (uint32_t i = 1; i < d->n; i++)
        if (d->dev[i].kind == GP_DEV_CUDA)
            cuda[n_cuda++] = i;
    *sub = *d;
    sub->n = 1;
    map[0] = 0;
    /* The runtime's own rules (index or UUID prefix, stop at the first
     * miss), as detection applies them. */
    const char *uuids[GP_MAX_DEVICES];
    for (uint32_t k = 0; k < n_cuda; k++)
        uuids[k] = d->dev[cuda[k]].uuid[0] ? d->dev[cuda[k]].uuid : NULL;
    gp_devices notes;
    gp_devices_init(&notes);
    uint32_t order[GP_MAX_DEVICES];
    uint32_t shown = gp_hw_visible(&notes, "CUDA_VISIBLE_DEVICES", list, n_cuda, uuids, order);
    /* The other devices keep their places; the visible cards take the place
     * of the first card, in the list's order. */
    for (uint32_t i = 1; i < d->n; i++) {
        if (d->dev[i].kind != GP_DEV_CUDA) {
            map[sub->n] = i;
            sub->dev[sub->n++] = d->dev[i];
        } else if (i == cuda[0]) {
            for (uint32_t k = 0; k < shown; k++) {
                map[sub->n] = cuda[order[k]];
                sub->dev[sub->n] = d->dev[cuda[order[k]]];
                snprintf(sub->dev[sub->n].name, sizeof sub->dev[0].name, "CUDA%u", k);
                sub->n++;
            }
        }
    }
    if (shown == 0 && n_cuda > 0) {
        snprintf(why, wsize, "CUDA_VISIBLE_DEVICES=%s names none of the %u CUDA devices", list, n_cuda);
        return false;
    }
    return true;
}

static char **plan_model(const char *path, gp_model *opened, const gp_devices *d, const gp_plan_request *req,
                         const gp_load_extras *extras, const char *devices, const char *cuda_list,
                         gp_swap_model *rep, uint64_t *budget)
{
    gp_model *m = opened; /* owned from here on */
    gp_error err = {0};
    if (!m && gp_model_open(path, &m, &err) != GP_OK) {
        skip(rep, "%s", err.message);
        return NULL;
    }
    /* The devices this model's process sees: CUDA_VISIBLE_DEVICES, then -dev. */
    gp_devices vis, sub;
    uint32_t vmap[GP_MAX_DEVICES], smap[GP_MAX_DEVICES], map[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < GP_MAX_DEVICES; i++)
        vmap[i] = smap[i] = i;
    const gp_devices *use = d;
    char why[256];
    if (cuda_list) {
        if (!cuda_visible(d, cuda_list, &vis, vmap, why, sizeof why)) {
            skip(rep, "%s", why);
            gp_model_close(&m);
            return NULL;
        }
        use = &vis;
    }
    if (devices && *devices) {
        if (gp_devices_select(use, devices, &sub, smap, &err) != GP_OK) {
            skip(rep, "%s", err.message);
            gp_model_close(&m);
            return NULL;
        }
        use = &sub;
    }
    for (uint32_t i = 0; i < use->n; i++)
        map[i] = vmap[smap[i]];
    gp_plan plan;
    gp_plan_request r = *req;
    gp_run_params_default(&r.pinned, r.app);
    if (extras)
        r.pinned.extras = *extras; /* what else the command loads takes room too */
    /* the command's own -dev stays as written (the plan keeps a pinned one) */
    if (devices && *devices)
        snprintf(r.pinned.devices, sizeof r.pinned.devices, "%s", devices);
    if (gp_plan_make(m, use, &r, &plan, &err) != GP_OK) {
        skip(rep, "no plan: %s", err.message);
        gp_model_close(&m);
        return NULL;
    }
    char **args = gp_plan_args(m, use, &plan);
    rep->n_dev = d->n;
    memset(rep->need, 0, sizeof rep->need);
    for (uint32_t i = 0; i < use->n && i < GP_MAX_DEVICES; i++) {
        rep->need[map[i]] = gp_mem_on_device(&plan.mem, i);
        if (budget)
            budget[map[i]] = plan.budget[i];
    }
    rep->args = render_args(args);
    free(rep->path);
    rep->path = strdup(path);
    gp_plan_free(&plan);
    gp_model_close(&m);
    return args;
}

/* llama-swap's macro scope for one model: MODEL_ID, the globals, then the
 * model's own (replacing a global of the same name in place). */
static gp_swap_macro *merge_macros(const gp_yaml *y, const yaml_node_t *model, const char *id,
                                   const gp_swap_macro *globals, size_t n_globals, size_t *n)
{
    gp_swap_macro local[64];
    size_t n_local = read_macros(y, gp_yaml_get(y, model, "macros", NULL), local, 64);
    gp_swap_macro *m = calloc(1 + n_globals + n_local, sizeof *m);
    *n = 0;
    if (!m)
        return NULL;
    m[(*n)++] = (gp_swap_macro){"MODEL_ID", id};
    for (size_t i = 0; i < n_globals; i++)
        m[(*n)++] = globals[i];
    for (size_t i = 0; i < n_local; i++) {
        size_t k = 0;
        while (k < *n && strcmp(m[k].name, local[i].name) != 0)
            k++;
        m[k] = local[i];
        if (k == *n)
            (*n)++;
    }
    return m;
}

/* Whether the command uses ${PORT} once its macros are expanded (llama-swap
 * gives a port only to those). */
static bool uses_port(const char *cmd, const gp_swap_macro *m, size_t n, gp_swap_getenv_fn ge)
{
    gp_swap_argv a;
    if (gp_swap_split(cmd, strlen(cmd), m, n, -1, ge, &a, NULL) != GP_OK)
        return strstr(cmd, "${PORT}") != NULL;
    bool uses = false;
    for (size_t i = 0; i < a.n && !uses; i++)
        uses = strstr(a.tok[i].text, "${PORT}") != NULL;
    gp_swap_argv_free(&a);
    return uses;
}

static void prepare_job(const gp_yaml *y, const gp_swap_options *o, job *j, const char *id, const yaml_node_t *model,
                        const gp_swap_macro *globals, size_t n_globals, long port, const unsigned *refs,
                        gp_swap_result *r)
{
    gp_swap_model *rep = j->rep;
    yaml_node_t *key = NULL;
    yaml_node_t *cmd = gp_yaml_get(y, model, "cmd", &key);
    if (!gp_yaml_str(cmd)) {
        skip(rep, "no cmd");
        return;
    }
    bool direct = false;
    for (yaml_node_pair_t *p = model->data.mapping.pairs.start; p < model->data.mapping.pairs.top; p++)
        direct |= gp_yaml_node(y, p->key) == key;
    size_t cmd_id = (size_t)(cmd - y->doc.nodes.start);
    if (!direct || gp_yaml_is_alias(key, cmd) || refs[cmd_id] > 1) {
        skip(rep, "cmd is shared through a YAML anchor or merge; edit it by hand");
        return;
    }
    j->cmd = cmd;
    j->cmd_key = key;
    if (gp_yaml_source(y, cmd, (int)key->start_mark.column, &j->src, NULL) != GP_OK) {
        skip(rep, "cannot map cmd back to its bytes; not edited");
        return;
    }
    j->macros = merge_macros(y, model, id, globals, n_globals, &j->n_macros);
    if (!j->macros) {
        skip(rep, "out of memory");
        return;
    }
    j->port = port;
    j->getenv_fn = o->getenv_fn;
    if (gp_swap_split(j->src.value, j->src.len, j->macros, j->n_macros, port, o->getenv_fn, &j->argv, NULL) !=
        GP_OK) {
        skip(rep, "out of memory");
        return;
    }
    size_t line = cmd->start_mark.line + 1, col = cmd->start_mark.column + 1;
    if (j->argv.unset_env[0])
        warn(r, line, col, "model '%s': environment variable %s is not set (llama-swap refuses the config)", id,
             j->argv.unset_env);
    if (j->argv.unknown_macro[0])
        warn(r, line, col, "model '%s': macro ${%s} is not defined before use", id, j->argv.unknown_macro);
    server_cmd sc;
    char why[256] = "";
    if (!find_server(&j->argv, &sc, why, sizeof why)) {
        skip(rep, "%s", why);
        return;
    }
    /* The model: the last -m wins, as in llama.cpp; a model llama-server
     * downloads (-hf, -mu) is planned from its header, read over HTTP. */
    const char *mpath = NULL, *hf = NULL, *hff = NULL, *murl = NULL;
    for (size_t i = sc.start; i < j->argv.n; i++) {
        const char *t = j->argv.tok[i].text;
        const char *next = i + 1 < j->argv.n ? j->argv.tok[i + 1].text : NULL;
        if ((!strcmp(t, "-m") || !strcmp(t, "--model")) && next)
            mpath = j->argv.tok[++i].text;
        else if (!strncmp(t, "--model=", 8))
            mpath = t + 8;
        else if ((!strcmp(t, "-hf") || !strcmp(t, "--hf-repo") || !strcmp(t, "-hfr")) && next)
            hf = j->argv.tok[++i].text;
        else if ((!strcmp(t, "-hff") || !strcmp(t, "--hf-file")) && next)
            hff = j->argv.tok[++i].text;
        else if ((!strcmp(t, "-mu") || !strcmp(t, "--model-url")) && next)
            murl = j->argv.tok[++i].text;
        else if (!strcmp(t, "-dr") || !strcmp(t, "--docker-repo")) {
            if (!mpath) {
                skip(rep, "the model comes from a docker registry (%s); give a local -m to plan it", t);
                return;
            }
        }
    }
    gp_model *remote_model = NULL;
    char host[2048] = "", hf_mmproj[2048] = "";
    gp_remote_opts hub = o->remote ? *o->remote : (gp_remote_opts){0};
    char token[512];
    if (!mpath && (hf || murl)) {
        gp_error re = {0};
        gp_status rst;
        if (murl) {
            rst = gp_remote_open_model(murl, o->remote, &remote_model, &re);
        } else {
            /* The Hugging Face token goes to the hub only (-mu gets none). */
            if (!hub.token && gp_hf_token(token, sizeof token))
                hub.token = token;
            gp_hf_resolution res;
            rst = gp_hf_resolve(hf, hff, &hub, &res, &re);
            if (rst == GP_OK) {
                rst = gp_remote_open_model_urls(res.urls[0], (const char *const *)res.urls, res.n_urls, &hub,
                                                &remote_model, &re);
                snprintf(hf_mmproj, sizeof hf_mmproj, "%s", res.mmproj_url);
                gp_hf_resolution_free(&res);
            }
        }
        if (rst != GP_OK) {
            warn(r, line, col, "model '%s': %s", id, re.message);
            skip(rep, "%s", re.message);
            return;
        }
        snprintf(host, sizeof host, "%s", murl ? murl : hf);
    } else {
        if (!mpath) {
            skip(rep, "no -m model file in cmd");
            return;
        }
        if (!host_path(&sc, mpath, host, sizeof host)) {
            skip(rep, "model %s is inside the container with no -v mount for it", mpath);
            return;
        }
        struct stat sb;
        if (stat(host, &sb) != 0) {
            warn(r, line, col, "model '%s': model file %s does not exist", id, host);
            skip(rep, "model file %s does not exist", host);
            return;
        }
    }
    /* What else the command loads (--mmproj, -md, --lora...): kept as
     * written, and priced so the plan leaves room for it. */
    gp_run_params xp;
    gp_run_params_default(&xp, o->request.app);
    char mapped[8][2048];
    int n_mapped = 0;
    for (size_t i = sc.start + 1; i < j->argv.n; i++) {
        const char *t = j->argv.tok[i].text;
        if (!gp_llama_flag_loads_extra(t) && strcmp(t, "-dev") && strcmp(t, "--device"))
            continue;
        const gp_llama_flag *f = gp_llama_flag_find(t);
        char *one[2] = {(char *)t, NULL};
        int argc = 1, k = 0;
        if (f && f->takes_value && i + 1 < j->argv.n) {
            one[1] = j->argv.tok[++i].text;
            bool file = !strcmp(t, "-mm") || !strcmp(t, "--mmproj") || !strcmp(t, "-md") ||
                        !strcmp(t, "--model-draft") || !strcmp(t, "--spec-draft-model") || !strcmp(t, "--lora");
            if (file && n_mapped < 8 && host_path(&sc, one[1], mapped[n_mapped], sizeof mapped[0]))
                one[1] = mapped[n_mapped++];
            argc = 2;
        }
        gp_error e = {0};
        if (gp_llama_args_apply(&xp, argc, one, &k, &e) != GP_OK) {
            gp_model_close(&remote_model);
            skip(rep, "%s", e.message);
            return;
        }
    }
    gp_extra_files xf;
    gp_error xe = {0};
    if (gp_extra_files_open(&xp.extras, hf_mmproj, hf_mmproj[0] ? &hub : o->remote, &xf, &xe) != GP_OK) {
        gp_model_close(&remote_model);
        warn(r, line, col, "model '%s': %s", id, xe.message);
        skip(rep, "%s", xe.message);
        return;
    }
    xp.extras.files = gp_extra_files_any(&xf) ? &xf : NULL;
    /* CUDA_VISIBLE_DEVICES from the model's env: list or an `env` wrapper
     * (the wrapper, applied last, wins). */
    const char *cuda_list = NULL;
    static const char cvd[] = "CUDA_VISIBLE_DEVICES=";
    const yaml_node_t *env = gp_yaml_get(y, model, "env", NULL);
    if (env && env->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = env->data.sequence.items.start; it < env->data.sequence.items.top; it++) {
            const char *e = gp_yaml_str(gp_yaml_node(y, *it));
            if (e && !strncmp(e, cvd, sizeof cvd - 1))
                cuda_list = e + sizeof cvd - 1;
        }
    for (size_t i = 1; !sc.docker && i + 1 < sc.start; i++)
        if (!strncmp(j->argv.tok[i].text, cvd, sizeof cvd - 1))
            cuda_list = j->argv.tok[i].text + sizeof cvd - 1;
    uint64_t budget[GP_MAX_DEVICES];
    /* Loaded together with others: each gets an equal part of every device. */
    gp_devices shared = *o->devices;
    for (uint32_t i = 0; j->share > 1 && i < shared.n; i++) {
        gp_device *x = &shared.dev[i];
        uint64_t avail = x->free ? x->free : x->total;
        x->free = avail / j->share;
        x->total /= j->share;
    }
    char **args =
        plan_model(host, remote_model, &shared, &o->request, &xp.extras, xp.devices, cuda_list, rep, budget);
    if (args && j->share > 1 && !rep->note[0])
        snprintf(rep->note, sizeof rep->note, "planned for 1/%u of each device: %s keeps %u models loaded together",
                 j->share, j->share_group, j->share);
    gp_extra_files_close(&xf);
    if (!args)
        return;
    why[0] = 0;
    bool ok = plan_edits(j, sc.start, args, why, sizeof why);
    gp_plan_args_free(args);
    if (!ok) {
        if (strstr(why, "macro"))
            warn(r, line, col, "model '%s': %s; model skipped", id, why);
        skip(rep, "%s", why);
        return;
    }
    rep->outcome = j->n_ve || j->n_append ? GP_SWAP_CHANGED : GP_SWAP_UNCHANGED;
}

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
        int n = dnf_parse(expr, names, n_vars, terms, 64);
        if (n < 0)
            continue;   /* check_config says what is wrong with it */
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

static void coresident(const gp_yaml *y, const yaml_node_t *root, job *jobs, size_t n_jobs)
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

static void count_refs(const gp_yaml *y, const yaml_node_t *n, unsigned *refs, size_t n_nodes, int depth)
{
    if (!n || depth > 64)
        return;
    size_t id = (size_t)(n - y->doc.nodes.start);
    if (id >= n_nodes || refs[id]++ > 0)
        return;
    if (n->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            count_refs(y, gp_yaml_node(y, *it), refs, n_nodes, depth + 1);
    else if (n->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            count_refs(y, gp_yaml_node(y, p->key), refs, n_nodes, depth + 1);
            count_refs(y, gp_yaml_node(y, p->value), refs, n_nodes, depth + 1);
        }
}

gp_status gp_swap_rewrite(const char *label, const char *text, size_t len, const gp_swap_options *o,
                          gp_swap_result *out, gp_error *err)
{
    memset(out, 0, sizeof *out);
    gp_yaml y;
    gp_status st = gp_yaml_load(&y, label, text, len, err);
    if (st != GP_OK)
        return st;
    yaml_node_t *root = gp_yaml_root(&y);
    if (root->type != YAML_MAPPING_NODE) {
        gp_yaml_free(&y);
        char where[GP_ERROR_TEXT];
        snprintf(where, sizeof where, "%.400s:1:1", label);
        return gp_fail(err, GP_ERR_FORMAT, where, "the top level is not a mapping");
    }
    check_config(&y, out);
    yaml_node_t *models = gp_yaml_get(&y, root, "models", NULL);
    size_t n_models = models && models->type == YAML_MAPPING_NODE
                          ? (size_t)(models->data.mapping.pairs.top - models->data.mapping.pairs.start)
                          : 0;
    size_t n_nodes = (size_t)(y.doc.nodes.top - y.doc.nodes.start);
    unsigned *refs = calloc(n_nodes + 1, sizeof *refs);
    job *jobs = calloc(n_models + 1, sizeof *jobs);
    const char **ids = calloc(n_models + 1, sizeof *ids);
    if (!refs || !jobs || !ids) {
        free(refs);
        free(jobs);
        free(ids);
        gp_yaml_free(&y);
        return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    }
    /* A model the user named must be there: planning the others instead
     * would answer a question nobody asked. */
    for (size_t i = 0; o->only && i < o->n_only; i++)
        if (!models || !gp_yaml_get(&y, models, o->only[i], NULL)) {
            char known[512] = "";
            size_t kn = 0;
            for (size_t k = 0; k < n_models && kn < sizeof known - 80; k++) {
                const char *id = gp_yaml_str(gp_yaml_node(&y, models->data.mapping.pairs.start[k].key));
                if (id)
                    kn += (size_t)snprintf(known + kn, sizeof known - kn, "%s%.60s", kn ? ", " : "", id);
            }
            st = gp_fail(err, GP_ERR_ARG, label, "--model %.200s: no such model (%s%s)", o->only[i],
                         n_models ? "models: " : "the config has no models", known);
            free(refs);
            free(jobs);
            free(ids);
            gp_yaml_free(&y);
            gp_swap_result_free(out);
            return st;
        }
    /* Nodes reached twice are shared through anchors. */
    count_refs(&y, root, refs, n_nodes, 0);
    for (yaml_node_t *n = y.doc.nodes.start; n < y.doc.nodes.top; n++)
        if (n->type == YAML_MAPPING_NODE)
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = gp_yaml_node(&y, p->key), *v = gp_yaml_node(&y, p->value);
                if (k && v && gp_yaml_is_alias(k, v))
                    refs[v - y.doc.nodes.start] += 1;
            }
    gp_swap_macro globals[128];
    size_t n_globals = read_macros(&y, gp_yaml_get(&y, root, "macros", NULL), globals, 128);

    /* ${PORT}: startPort upward, in sorted model-id order, for commands using it. */
    long start_port = 5800;
    const char *sp = gp_yaml_str(gp_yaml_get(&y, root, "startPort", NULL));
    if (sp && strtol(sp, NULL, 10) > 0)
        start_port = strtol(sp, NULL, 10);
    size_t n_ids = 0;
    for (size_t i = 0; i < n_models; i++) {
        yaml_node_pair_t *p = &models->data.mapping.pairs.start[i];
        const char *id = gp_yaml_str(gp_yaml_node(&y, p->key));
        yaml_node_t *m = gp_yaml_node(&y, p->value);
        const char *cmd = gp_yaml_str(gp_yaml_get(&y, m, "cmd", NULL));
        if (!id || !cmd)
            continue;
        size_t nm = 0;
        gp_swap_macro *mm = merge_macros(&y, m, id, globals, n_globals, &nm);
        if (mm && uses_port(cmd, mm, nm, o->getenv_fn))
            ids[n_ids++] = id;
        free(mm);
    }
    qsort(ids, n_ids, sizeof *ids, cmp_str);

    size_t n_jobs = 0;
    for (size_t i = 0; i < n_models; i++) {
        yaml_node_pair_t *p = &models->data.mapping.pairs.start[i];
        yaml_node_t *k = gp_yaml_node(&y, p->key), *m = gp_yaml_node(&y, p->value);
        const char *id = gp_yaml_str(k);
        if (!id || !m || m->type != YAML_MAPPING_NODE || !wanted(o, id))
            continue;
        if (add_model(out, id, k->start_mark.line + 1))
            jobs[n_jobs++].cmd = m; /* the model for now; prepare_job sets the cmd */
    }
    for (size_t i = 0; i < n_jobs; i++)
        jobs[i].rep = &out->models[i];   /* reports are final now: their addresses stay valid */
    coresident(&y, root, jobs, n_jobs);
    for (size_t i = 0; i < n_jobs; i++) {
        job *j = &jobs[i];
        const yaml_node_t *m = j->cmd;
        j->cmd = NULL;
        const char *id = j->rep->id;
        long port = -1;
        for (size_t q = 0; q < n_ids; q++)
            if (!strcmp(ids[q], id))
                port = start_port + (long)q;
        prepare_job(&y, o, j, id, m, globals, n_globals, port, refs, out);
    }

    /* Each model's edits must re-parse to the same document with exactly the
     * planned argv; else its cmd becomes a | block; else it is left alone. */
    fedits all = {0};
    for (size_t i = 0; i < n_jobs; i++) {
        job *j = &jobs[i];
        if (j->rep->outcome != GP_SWAP_CHANGED)
            continue;
        bool ok = try_edits(&y, j, false);
        if (!ok && try_edits(&y, j, true)) {
            ok = true;
            snprintf(j->rep->note, sizeof j->rep->note, "cmd rewritten as a | block (the %s scalar could not "
                     "hold the new flags)", j->src.style == YAML_PLAIN_SCALAR_STYLE ? "plain" : "original");
        }
        if (!ok) {
            skip(j->rep, "the new flags could not be written into this cmd safely; not edited");
            continue;
        }
        for (size_t k = 0; k < j->fe.n; k++) {
            fe_push(&all, j->fe.v[k].b, j->fe.v[k].e, j->fe.v[k].text);
            j->fe.v[k].text = NULL;
        }
    }
    job **active = calloc(n_jobs + 1, sizeof *active);
    size_t n_active = 0;
    for (size_t i = 0; active && i < n_jobs; i++)
        if (jobs[i].rep->outcome == GP_SWAP_CHANGED)
            active[n_active++] = &jobs[i];
    size_t n2 = 0;
    char *t2 = !all.failed && active ? splice(text, len, all.v, all.n, &n2) : NULL;
    if (t2 && !validate(&y, t2, n2, active, n_active)) {
        free(t2);
        t2 = NULL;
        st = gp_fail(err, GP_ERR_UNSUPPORTED, label, "the edits do not re-parse to the intended config; nothing written");
    } else if (!t2) {
        st = gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    }
    fe_free(&all);
    free(active);
    for (size_t i = 0; i < n_jobs; i++)
        job_free(&jobs[i]);
    free(jobs);
    free(ids);
    free(refs);
    gp_yaml_free(&y);
    if (!t2) {
        gp_swap_result_free(out);
        return st;
    }
    out->text = t2;
    out->len = n2;
    out->changed = n2 != len || memcmp(t2, text, len) != 0;
    return GP_OK;
}

/* ---- writing a new config ----------------------------------------------------- */

/* A model id from a file name: no directory, no .gguf, no shard suffix,
 * only characters that need no quoting anywhere. */
static void id_from_path(const char *path, char *id, size_t size)
{
    const char *b = base_name(path);
    size_t n = strlen(b);
    if (n > 5 && !strcasecmp(b + n - 5, ".gguf"))
        n -= 5;
    /* NAME-00001-of-00003 */
    if (n > 15 && b[n - 15] == '-' && !strncmp(b + n - 9, "-of-", 4))
        n -= 15;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++) {
        char c = b[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        id[k++] = ok ? c : '-';
    }
    id[k] = 0;
    if (!k)
        snprintf(id, size, "model");
}

/* A matrix var: 1-8 letters and digits (llama-swap's schema). */
static void var_from_id(const char *id, char used[][9], size_t n_used, char *out)
{
    char base[9];
    size_t k = 0;
    for (const char *p = id; *p && k < 8; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            base[k++] = *p;
        else if (*p >= 'A' && *p <= 'Z')
            base[k++] = (char)(*p + 32);
    base[k] = 0;
    if (!k)
        snprintf(base, sizeof base, "m");
    for (unsigned suffix = 1;; suffix++) {
        char cand[9];
        if (suffix == 1)
            snprintf(cand, sizeof cand, "%s", base);
        else {
            char num[8];
            int nl = snprintf(num, sizeof num, "%u", suffix);
            size_t keep = strlen(base) + (size_t)nl > 8 ? 8 - (size_t)nl : strlen(base);
            snprintf(cand, sizeof cand, "%.*s%s", (int)keep, base, num);
        }
        bool taken = false;
        for (size_t i = 0; i < n_used && !taken; i++)
            taken = !strcmp(used[i], cand);
        if (!taken) {
            snprintf(out, 9, "%s", cand);
            return;
        }
    }
}

static void fmt_gib(uint64_t b, char *buf, size_t size)
{
    snprintf(buf, size, "%.2f GiB", (double)b / (1024.0 * 1024 * 1024));
}

static bool projector_file(const char *path)
{
    gp_gguf *g = NULL;
    if (gp_gguf_open(path, &g, NULL) != GP_OK)
        return false;
    const char *type = gp_gguf_get_str(g, "general.type");
    bool yes = gp_gguf_find(g, "clip.projector_type") || gp_gguf_find(g, "clip.vision.projector_type") ||
               gp_gguf_find(g, "clip.audio.projector_type") || (type && !strcmp(type, "mmproj"));
    gp_gguf_close(&g);
    return yes;
}

static size_t common_prefix(const char *a, const char *b)
{
    size_t k = 0;
    while (a[k] && tolower((unsigned char)a[k]) == tolower((unsigned char)b[k]))
        k++;
    return k;
}

/* Pairs each model with the projector of its directory (the one whose name,
 * without "mmproj-", shares the longest start with the model's name); a
 * lone projector and a lone model given together pair whatever their
 * directories. */
static void pair_projectors(const char *const *paths, size_t n, bool *is_mmproj, int *mmproj_of)
{
    size_t n_models = 0, n_proj = 0;
    for (size_t i = 0; i < n; i++) {
        mmproj_of[i] = -1;
        is_mmproj[i] = projector_file(paths[i]);
        n_proj += is_mmproj[i];
        n_models += !is_mmproj[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (is_mmproj[i])
            continue;
        const char *ms = strrchr(paths[i], '/');
        size_t mdir = ms ? (size_t)(ms - paths[i]) : 0;
        const char *mname = ms ? ms + 1 : paths[i];
        size_t best = 0;
        for (size_t k = 0; k < n; k++) {
            if (!is_mmproj[k])
                continue;
            const char *ps = strrchr(paths[k], '/');
            size_t pdir = ps ? (size_t)(ps - paths[k]) : 0;
            const char *pname = ps ? ps + 1 : paths[k];
            bool same_dir = pdir == mdir && !strncmp(paths[i], paths[k], mdir);
            if (!same_dir && !(n_models == 1 && n_proj == 1))
                continue;
            if (!strncasecmp(pname, "mmproj-", 7))
                pname += 7;
            size_t score = 1 + common_prefix(mname, pname);
            if (score > best) {
                best = score;
                mmproj_of[i] = (int)k;
            }
        }
    }
}

gp_status gp_swap_generate(const char *const *paths, size_t n, const gp_swap_gen_options *o, gp_swap_result *out,
                           gp_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model files");
    if (n > GP_CORUN_MAX_MODELS)
        return gp_fail(err, GP_ERR_ARG, NULL, "at most %d models", GP_CORUN_MAX_MODELS);
    const gp_devices *d = o->devices;
    char **args[GP_CORUN_MAX_MODELS] = {0};
    /* planned[k]: the file of the k-th planned model; rep_of[file]: its
     * report in out->models (projectors have none, so the two differ). */
    size_t planned[GP_CORUN_MAX_MODELS], n_planned = 0, rep_of[GP_CORUN_MAX_MODELS] = {0};
    uint64_t budget[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < GP_MAX_DEVICES; i++)
        budget[i] = UINT64_MAX;
    /* Projectors given among the files go with a model, not on their own. */
    int mmproj_of[GP_CORUN_MAX_MODELS];
    bool is_mmproj[GP_CORUN_MAX_MODELS] = {0};
    pair_projectors(paths, n, is_mmproj, mmproj_of);
    char absolute[GP_CORUN_MAX_MODELS][4096];
    for (size_t i = 0; i < n; i++) {
        char cwd[2048];
        /* llama-swap runs commands from its own directory: absolute paths. */
        if (paths[i][0] != '/' && getcwd(cwd, sizeof cwd))
            snprintf(absolute[i], sizeof absolute[i], "%s/%s", cwd, paths[i]);
        else
            snprintf(absolute[i], sizeof absolute[i], "%s", paths[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (o->progress)
            o->progress(o->progress_ctx, i, n, paths[i]);
        if (is_mmproj[i])
            continue;
        char id[256];
        id_from_path(paths[i], id, sizeof id);
        char uniq[272];
        snprintf(uniq, sizeof uniq, "%s", id);
        for (unsigned k = 2;; k++) {
            bool taken = false;
            for (size_t q = 0; q < out->n_models && !taken; q++)
                taken = !strcmp(out->models[q].id, uniq);
            if (!taken)
                break;
            snprintf(uniq, sizeof uniq, "%s-%u", id, k);
        }
        gp_swap_model *rep = add_model(out, uniq, 0);
        rep_of[i] = out->n_models - 1;
        if (!rep) {
            gp_swap_result_free(out);
            return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
        }
        gp_run_params xp;
        gp_run_params_default(&xp, o->request.app);
        gp_extra_files xf = {0};
        if (mmproj_of[i] >= 0) {
            snprintf(xp.extras.mmproj, sizeof xp.extras.mmproj, "%.*s", (int)sizeof xp.extras.mmproj - 1,
                     absolute[mmproj_of[i]]);
            gp_error xe = {0};
            if (gp_extra_files_open(&xp.extras, NULL, NULL, &xf, &xe) != GP_OK) {
                warn(out, 0, 0, "%s: %s; planned without it", paths[mmproj_of[i]], xe.message);
                xp.extras.mmproj[0] = 0;
                mmproj_of[i] = -1;
            }
            xp.extras.files = gp_extra_files_any(&xf) ? &xf : NULL;
        }
        args[i] = plan_model(absolute[i], NULL, d, &o->request, &xp.extras, NULL, NULL, rep, budget);
        gp_extra_files_close(&xf);
        if (!args[i]) {
            warn(out, 0, 0, "%s: %s; left out", paths[i], rep->note);
            continue;
        }
        rep->outcome = GP_SWAP_CHANGED;
        planned[n_planned++] = i;
    }
    if (n_planned == 0) {
        gp_swap_result_free(out);
        return gp_fail(err, GP_ERR_CONFIG, NULL, "no model could be planned for this hardware");
    }

    uint64_t need[GP_CORUN_MAX_MODELS * GP_MAX_DEVICES];
    for (size_t k = 0; k < n_planned; k++)
        for (uint32_t dv = 0; dv < d->n; dv++)
            need[k * d->n + dv] = out->models[rep_of[planned[k]]].need[dv];
    gp_corun c = {need, budget, n_planned, d->n};

    gp_strbuf sb = {0};
    gp_sb_append(&sb, "# llama-swap configuration written by ggplace swap --generate.\n# Hardware:");
    for (uint32_t dv = 0; dv < d->n; dv++) {
        char b[32] = "unknown";
        if (budget[dv] != UINT64_MAX)
            fmt_gib(budget[dv], b, sizeof b);
        gp_sb_printf(&sb, "%s %s %s", dv ? "," : "", dv == 0 ? "RAM" : d->dev[dv].name, b);
    }
    gp_sb_printf(&sb, " usable (after margins); preset %s.\n", gp_preset_name(o->request.preset));
    gp_sb_append(&sb, "# Footprints are ggplace's memory model at each model's planned flags;\n"
                      "# llama-swap does no memory accounting of its own.\n");
    gp_sb_append(&sb, "models:\n");
    for (size_t k = 0; k < n_planned; k++) {
        size_t i = planned[k];
        const gp_swap_model *m = &out->models[rep_of[i]];
        gp_sb_printf(&sb, "  \"%s\":\n    # ", m->id);
        for (uint32_t dv = 0; dv < d->n; dv++) {
            char b[32];
            fmt_gib(m->need[dv], b, sizeof b);
            gp_sb_printf(&sb, "%s%s %s", dv ? ", " : "", d->dev[dv].name, b);
        }
        gp_sb_printf(&sb, "\n    cmd: |\n      %s\n      --port ${PORT}\n      -m ", o->server ? o->server : "llama-server");
        gp_swap_quote(&sb, m->path);
        gp_sb_append(&sb, "\n");
        if (mmproj_of[i] >= 0) {
            gp_sb_append(&sb, "      --mmproj ");
            gp_swap_quote(&sb, absolute[mmproj_of[i]]);
            gp_sb_append(&sb, "\n");
        }
        for (char **a = args[i]; a && *a; a++) {
            gp_sb_append(&sb, "      ");
            gp_sb_append(&sb, *a);
            const owned_flag *f = owned_find(*a, NULL);
            if (f && f->value && a[1]) {
                gp_sb_append(&sb, " ");
                gp_swap_quote(&sb, *++a);
            }
            gp_sb_append(&sb, "\n");
        }
    }

    gp_status st = GP_OK;
    if (o->form == GP_SWAP_FORM_MATRIX) {
        uint64_t *sets = NULL;
        size_t n_sets = 0;
        st = gp_corun_maximal_sets(&c, 1000, &sets, &n_sets, err);
        if (st == GP_OK) {
            char vars[GP_CORUN_MAX_MODELS][9];
            for (size_t k = 0; k < n_planned; k++)
                var_from_id(out->models[rep_of[planned[k]]].id, vars, k, vars[k]);
            gp_sb_append(&sb, "routing:\n  router:\n    use: matrix\n    settings:\n      matrix:\n        vars:\n");
            for (size_t k = 0; k < n_planned; k++)
                gp_sb_printf(&sb, "          %s: \"%s\"\n", vars[k], out->models[rep_of[planned[k]]].id);
            /* Reloading a big model costs more: keep it when the solver can. */
            gp_sb_append(&sb, "        evict_costs:\n");
            for (size_t k = 0; k < n_planned; k++) {
                uint64_t tot = 0;
                for (uint32_t dv = 0; dv < d->n; dv++)
                    tot += out->models[rep_of[planned[k]]].need[dv];
                unsigned long cost = (unsigned long)((tot + (512ull << 20)) >> 30);
                gp_sb_printf(&sb, "          %s: %lu\n", vars[k], cost ? cost : 1);
            }
            gp_sb_append(&sb, "        sets:\n");
            for (size_t s = 0; s < n_sets; s++) {
                gp_sb_printf(&sb, "          set%zu: \"", s + 1);
                bool first = true;
                for (size_t k = 0; k < n_planned; k++)
                    if (sets[s] >> k & 1) {
                        gp_sb_printf(&sb, "%s%s", first ? "" : " & ", vars[k]);
                        first = false;
                    }
                gp_sb_append(&sb, "\"\n");
            }
        }
        free(sets);
    } else {
        int group[GP_CORUN_MAX_MODELS];
        size_t n_groups = gp_corun_groups(&c, group);
        const char *ind = o->form == GP_SWAP_FORM_GROUPS_LEGACY ? "  " : "        ";
        if (o->form == GP_SWAP_FORM_GROUPS_LEGACY)
            gp_sb_append(&sb, "groups:\n");
        else
            gp_sb_append(&sb, "routing:\n  router:\n    use: group\n    settings:\n      groups:\n");
        for (size_t g = 0; g < n_groups; g++) {
            /* Members run together; loading another group unloads them. */
            gp_sb_printf(&sb, "%s\"group%zu\":\n%s  swap: false\n%s  exclusive: true\n%s  members:\n", ind, g + 1,
                         ind, ind, ind);
            for (size_t k = 0; k < n_planned; k++)
                if (group[k] == (int)g)
                    gp_sb_printf(&sb, "%s    - \"%s\"\n", ind, out->models[rep_of[planned[k]]].id);
        }
    }
    for (size_t i = 0; i < n; i++)
        gp_plan_args_free(args[i]);
    if (st != GP_OK) {
        gp_sb_free(&sb);
        gp_swap_result_free(out);
        return st;
    }
    out->text = gp_sb_take(&sb);
    if (!out->text) {
        gp_swap_result_free(out);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    out->len = strlen(out->text);
    out->changed = true;
    return GP_OK;
}

/* ---- unified diff ----------------------------------------------------------------- */

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
