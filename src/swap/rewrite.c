/*
 * Re-planning a llama-swap config (gp_swap_rewrite): each model's cmd
 * split with its macros and port, the model file and what else it loads
 * found, planned for its share of the devices, and its edits applied to the
 * file. The orchestration: may call the other files of src/swap/ (not
 * generate.c or diff.c), plan/, memory/ (the files a cmd loads besides the
 * model), args/, gguf/ (remote and hub models) and util/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args/llama_args.h"
#include "memory/extras.h"
#include "model/extras.h"
#include "model/open.h"
#include "source/hf.h"
#include "source/remote.h"
#include "swap/swap_internal.h"
#include "util/error.h"

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
    gp_swap_fe_free(&j->fe);
}

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
        gp_swap_skip(rep, "no cmd");
        return;
    }
    bool direct = false;
    for (yaml_node_pair_t *p = model->data.mapping.pairs.start; p < model->data.mapping.pairs.top; p++)
        direct |= gp_yaml_node(y, p->key) == key;
    size_t cmd_id = (size_t)(cmd - y->doc.nodes.start);
    if (!direct || gp_yaml_is_alias(key, cmd) || refs[cmd_id] > 1) {
        gp_swap_skip(rep, "cmd is shared through a YAML anchor or merge; edit it by hand");
        return;
    }
    j->cmd = cmd;
    j->cmd_key = key;
    if (gp_yaml_source(y, cmd, (int)key->start_mark.column, &j->src, NULL) != GP_OK) {
        gp_swap_skip(rep, "cannot map cmd back to its bytes; not edited");
        return;
    }
    j->macros = merge_macros(y, model, id, globals, n_globals, &j->n_macros);
    if (!j->macros) {
        gp_swap_skip(rep, "out of memory");
        return;
    }
    j->port = port;
    j->getenv_fn = o->getenv_fn;
    if (gp_swap_split(j->src.value, j->src.len, j->macros, j->n_macros, port, o->getenv_fn, &j->argv, NULL) !=
        GP_OK) {
        gp_swap_skip(rep, "out of memory");
        return;
    }
    size_t line = cmd->start_mark.line + 1, col = cmd->start_mark.column + 1;
    if (j->argv.unset_env[0])
        gp_swap_warn(r, line, col, "model '%s': environment variable %s is not set (llama-swap refuses the config)",
                     id, j->argv.unset_env);
    if (j->argv.unknown_macro[0])
        gp_swap_warn(r, line, col, "model '%s': macro ${%s} is not defined before use", id, j->argv.unknown_macro);
    server_cmd sc;
    char why[256] = "";
    if (!gp_swap_find_server(&j->argv, &sc, why, sizeof why)) {
        gp_swap_skip(rep, "%s", why);
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
                gp_swap_skip(rep, "the model comes from a docker registry (%s); give a local -m to plan it", t);
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
            gp_swap_warn(r, line, col, "model '%s': %s", id, re.message);
            gp_swap_skip(rep, "%s", re.message);
            return;
        }
        snprintf(host, sizeof host, "%s", murl ? murl : hf);
    } else {
        if (!mpath) {
            gp_swap_skip(rep, "no -m model file in cmd");
            return;
        }
        if (!gp_swap_host_path(&sc, mpath, host, sizeof host)) {
            gp_swap_skip(rep, "model %s is inside the container with no -v mount for it", mpath);
            return;
        }
        struct stat sb;
        if (stat(host, &sb) != 0) {
            gp_swap_warn(r, line, col, "model '%s': model file %s does not exist", id, host);
            gp_swap_skip(rep, "model file %s does not exist", host);
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
            if (file && n_mapped < 8 && gp_swap_host_path(&sc, one[1], mapped[n_mapped], sizeof mapped[0]))
                one[1] = mapped[n_mapped++];
            argc = 2;
        }
        gp_error e = {0};
        if (gp_llama_args_apply(&xp, argc, one, &k, &e) != GP_OK) {
            gp_model_close(&remote_model);
            gp_swap_skip(rep, "%s", e.message);
            return;
        }
    }
    gp_extra_files xf;
    gp_error xe = {0};
    gp_extra_names names;
    gp_load_extras_names(&xp.extras, hf_mmproj, &names);
    if (gp_extra_files_open(&names, hf_mmproj[0] ? &hub : o->remote, &xf, &xe) != GP_OK) {
        gp_model_close(&remote_model);
        gp_swap_warn(r, line, col, "model '%s': %s", id, xe.message);
        gp_swap_skip(rep, "%s", xe.message);
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
        gp_swap_plan_model(host, remote_model, &shared, &o->request, &xp.extras, xp.devices, cuda_list, rep, budget);
    if (args && j->share > 1 && !rep->note[0])
        snprintf(rep->note, sizeof rep->note, "planned for 1/%u of each device: %s keeps %u models loaded together",
                 j->share, j->share_group, j->share);
    gp_extra_files_close(&xf);
    if (!args)
        return;
    why[0] = 0;
    bool ok = gp_swap_plan_edits(j, sc.start, args, why, sizeof why);
    gp_plan_args_free(args);
    if (!ok) {
        if (strstr(why, "macro"))
            gp_swap_warn(r, line, col, "model '%s': %s; model skipped", id, why);
        gp_swap_skip(rep, "%s", why);
        return;
    }
    rep->outcome = j->n_ve || j->n_append ? GP_SWAP_CHANGED : GP_SWAP_UNCHANGED;
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
    gp_swap_check_config(&y, out);
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
        if (gp_swap_add_model(out, id, k->start_mark.line + 1))
            jobs[n_jobs++].cmd = m; /* the model for now; prepare_job sets the cmd */
    }
    for (size_t i = 0; i < n_jobs; i++)
        jobs[i].rep = &out->models[i];   /* reports are final now: their addresses stay valid */
    gp_swap_coresident(&y, root, jobs, n_jobs);
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
        bool ok = gp_swap_try_edits(&y, j, false);
        if (!ok && gp_swap_try_edits(&y, j, true)) {
            ok = true;
            snprintf(j->rep->note, sizeof j->rep->note, "cmd rewritten as a | block (the %s scalar could not "
                     "hold the new flags)", j->src.style == YAML_PLAIN_SCALAR_STYLE ? "plain" : "original");
        }
        if (!ok) {
            gp_swap_skip(j->rep, "the new flags could not be written into this cmd safely; not edited");
            continue;
        }
        for (size_t k = 0; k < j->fe.n; k++) {
            gp_swap_fe_push(&all, j->fe.v[k].b, j->fe.v[k].e, j->fe.v[k].text);
            j->fe.v[k].text = NULL;
        }
    }
    job **active = calloc(n_jobs + 1, sizeof *active);
    size_t n_active = 0;
    for (size_t i = 0; active && i < n_jobs; i++)
        if (jobs[i].rep->outcome == GP_SWAP_CHANGED)
            active[n_active++] = &jobs[i];
    size_t n2 = 0;
    char *t2 = !all.failed && active ? gp_swap_splice(text, len, all.v, all.n, &n2) : NULL;
    if (t2 && !gp_swap_validate(&y, t2, n2, active, n_active)) {
        free(t2);
        t2 = NULL;
        st = gp_fail(err, GP_ERR_UNSUPPORTED, label, "the edits do not re-parse to the intended config; nothing written");
    } else if (!t2) {
        st = gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    }
    gp_swap_fe_free(&all);
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
