/* The public API's run options (include/ggplace.h): how verify/ starts
 * llama-server and llama-bench, for a verify, a soak or a tune. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "args/llama_args.h"
#include "util/error.h"

#define NEED_OPTS(o)                                                       \
    do {                                                                   \
        if (!(o))                                                          \
            return gp_fail(err, GP_ERR_ARG, NULL, "no run options");      \
    } while (0)

gp_status gp_run_options_new(gp_run_options **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the options");
    gp_run_options *o = calloc(1, sizeof *o);
    if (!(*out = o))
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    gp_verify_opts_default(&o->v);
    gp_tune_opts_default(&o->t);
    o->soak_seconds = 600;
    return GP_OK;
}

void gp_run_options_close(gp_run_options **o)
{
    if (!o || !*o)
        return;
    free((*o)->llama_dir);
    free((*o)->model_path);
    gp_swap_argv_free(&(*o)->baseline);
    free(*o);
    *o = NULL;
}

gp_status gp_run_options_set_llama_dir(gp_run_options *o, const char *dir, gp_error *err)
{
    NEED_OPTS(o);
    gp_status st = gp_api_set_string(&o->llama_dir, dir, err);
    o->v.llama_dir = o->t.llama_dir = o->llama_dir;
    return st;
}

gp_status gp_run_options_set_model_path(gp_run_options *o, const char *path, gp_error *err)
{
    NEED_OPTS(o);
    return gp_api_set_string(&o->model_path, path, err);
}

const char *gp_api_run_model_path(const gp_run_options *o, const gp_model *model)
{
    return o->model_path ? o->model_path : model->path;
}

/* n in 1 .. 100000, else GP_ERR_ARG naming what. */
static gp_status count(int n, const char *what, gp_error *err)
{
    if (n < 1 || n > 100000)
        return gp_fail(err, GP_ERR_ARG, NULL, "%s %d: expected 1 to 100000", what, n);
    return GP_OK;
}

/* Sets *a (and *b when not NULL) to n when it is a valid count. */
static gp_status set_count(int n, const char *what, int *a, int *b, gp_error *err)
{
    gp_status st = count(n, what, err);
    if (st == GP_OK) {
        *a = n;
        if (b)
            *b = n;
    }
    return st;
}

gp_status gp_run_options_set_runs(gp_run_options *o, int runs, gp_error *err)
{
    NEED_OPTS(o);
    return set_count(runs, "runs", &o->v.runs, NULL, err);
}

gp_status gp_run_options_set_prompt_tokens(gp_run_options *o, int tokens, gp_error *err)
{
    NEED_OPTS(o);
    return set_count(tokens, "prompt tokens", &o->v.n_prompt, &o->t.n_prompt, err);
}

gp_status gp_run_options_set_predict(gp_run_options *o, int tokens, gp_error *err)
{
    NEED_OPTS(o);
    return set_count(tokens, "tokens to generate", &o->v.n_predict, &o->t.n_gen, err);
}

gp_status gp_run_options_set_soak(gp_run_options *o, int requests, int seconds, gp_error *err)
{
    NEED_OPTS(o);
    gp_status st = count(requests, "soak requests", err);
    if (st == GP_OK)
        st = count(seconds, "soak seconds", err);
    if (st == GP_OK) {
        o->soak_requests = requests;
        o->soak_seconds = seconds;
    }
    return st;
}

gp_status gp_run_options_set_tune_budget(gp_run_options *o, double seconds, gp_error *err)
{
    NEED_OPTS(o);
    if (!(seconds > 0))
        return gp_fail(err, GP_ERR_ARG, NULL, "tune budget: expected seconds above 0");
    o->t.budget_s = seconds;
    return GP_OK;
}

gp_status gp_run_options_set_tune_goal(gp_run_options *o, gp_tune_goal goal, gp_error *err)
{
    NEED_OPTS(o);
    switch (goal) {
    case GP_TUNE_GOAL_DECODE: o->t.metric = GP_TUNE_DECODE; break;
    case GP_TUNE_GOAL_PREFILL: o->t.metric = GP_TUNE_PREFILL; break;
    case GP_TUNE_GOAL_BOTH: o->t.metric = GP_TUNE_BOTH; break;
    default: return gp_fail(err, GP_ERR_ARG, NULL, "tune goal: expected decode, prefill or both");
    }
    return GP_OK;
}

gp_status gp_run_options_set_fresh(gp_run_options *o, bool fresh, gp_error *err)
{
    NEED_OPTS(o);
    o->t.fresh = fresh;
    return GP_OK;
}

gp_status gp_run_options_set_baseline(gp_run_options *o, const char *flags, gp_error *err)
{
    NEED_OPTS(o);
    gp_swap_argv_free(&o->baseline);
    o->n_base = 0;
    o->base_args[0] = NULL;
    if (!flags)
        return GP_OK;
    /* Split the way llama-swap splits; the program, the model and where the
     * server listens are not settings to compare. */
    gp_status st = gp_swap_split(flags, strlen(flags), NULL, 0, 8080, NULL, &o->baseline, err);
    if (st != GP_OK)
        return st;
    int nb = 0;
    for (size_t k = 0; k < o->baseline.n && nb < GP_TUNE_MAX_ARGS - 1; k++) {
        const char *w = o->baseline.tok[k].text;
        if (k == 0 && w[0] != '-')
            continue;
        if (!strcmp(w, "-m") || !strcmp(w, "--model") || !strcmp(w, "--port") || !strcmp(w, "--host")) {
            k++;
            continue;
        }
        if (!strncmp(w, "--model=", 8) || !strncmp(w, "--port=", 7) || !strncmp(w, "--host=", 7))
            continue;
        o->base_args[nb++] = o->baseline.tok[k].text;
    }
    o->base_args[nb] = NULL;
    /* Only flags llama.cpp accepts. */
    gp_run_params check;
    gp_run_params_default(&check, GP_APP_SERVER);
    for (int i = 0; i < nb;) {
        if ((st = gp_llama_args_apply(&check, nb, o->base_args, &i, err)) != GP_OK) {
            gp_swap_argv_free(&o->baseline);
            o->base_args[0] = NULL;
            return st;
        }
    }
    o->n_base = nb;
    return GP_OK;
}

gp_status gp_run_options_set_progress(gp_run_options *o, gp_run_progress_fn fn, void *ctx, gp_error *err)
{
    NEED_OPTS(o);
    o->v.progress = fn;
    o->v.progress_ctx = ctx;
    return GP_OK;
}

gp_status gp_run_options_set_tune_progress(gp_run_options *o, gp_tune_progress_fn fn, void *ctx, gp_error *err)
{
    NEED_OPTS(o);
    o->t.progress = fn;
    o->t.progress_ctx = ctx;
    return GP_OK;
}
