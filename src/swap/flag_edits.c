/*
 * The edits one command needs, in the space of its value: the planned flags
 * matched against the owned flags it has (replaced, removed or appended) and
 * the argv llama-swap will see afterwards. May call the owned flags, the
 * splitter's quoting (swap_cmd) and llama.cpp's flag table (args/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args/llama_args.h"
#include "swap/swap_internal.h"
#include "util/strbuf.h"

static char *quoted(const char *arg)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    gp_swap_quote(&sb, arg);
    return gp_sb_take(&sb);
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

bool gp_swap_plan_edits(job *j, size_t start, char **args, char *why, size_t wsize)
{
    const gp_swap_argv *a = &j->argv;
    old_item *items = calloc(a->n + 1, sizeof *items);
    char **repl = calloc(a->n + 1, sizeof *repl); /* per token: replacement argv text(s), "\n"-joined */
    bool *drop = calloc(a->n + 1, sizeof *drop);
    size_t n_items = 0;
    bool ok = items && repl && drop;
    for (size_t i = start; ok && i < a->n;) {
        const char *t = a->tok[i].text, *inl;
        const owned_flag *f = gp_swap_owned_find(t, &inl);
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
        const owned_flag *nf = gp_swap_owned_find(*p, NULL);
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
            if (same_flag && gp_swap_same_value(nf->slot, o->inl, nv))
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
        if (gp_swap_same_value(nf->slot, vt->text, nv))
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
