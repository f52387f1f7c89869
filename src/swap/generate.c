/*
 * Writing a new llama-swap config (swap --generate): one model per GGUF file
 * with its planned flags, projectors paired with their models, and the
 * models that fit together as a matrix or groups. May call planning one
 * model, the co-run solver (plan/corun), gguf/, memory/ (projectors), the
 * owned flags, the splitter's quoting (swap_cmd) and the report helpers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gguf/gguf.h"
#include "plan/corun.h"
#include "memory/extras.h"
#include "model/extras.h"
#include "swap/swap_internal.h"
#include "util/error.h"
#include "util/strbuf.h"

/* A model id from a file name: no directory, no .gguf, no shard suffix,
 * only characters that need no quoting anywhere. */
static void id_from_path(const char *path, char *id, size_t size)
{
    const char *b = gp_swap_base_name(path);
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
        gp_swap_model *rep = gp_swap_add_model(out, uniq, 0);
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
            gp_extra_names names;
            gp_load_extras_names(&xp.extras, NULL, &names);
            if (gp_extra_files_open(&names, NULL, &xf, &xe) != GP_OK) {
                gp_swap_warn(out, 0, 0, "%s: %s; planned without it", paths[mmproj_of[i]], xe.message);
                xp.extras.mmproj[0] = 0;
                mmproj_of[i] = -1;
            }
            xp.extras.files = gp_extra_files_any(&xf) ? &xf : NULL;
        }
        args[i] = gp_swap_plan_model(absolute[i], NULL, d, &o->request, &xp.extras, NULL, NULL, rep, budget);
        gp_extra_files_close(&xf);
        if (!args[i]) {
            gp_swap_warn(out, 0, 0, "%s: %s; left out", paths[i], rep->note);
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
            const owned_flag *f = gp_swap_owned_find(*a, NULL);
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
