/* The public API's llama-swap configs (include/ggplace.h): how configs are
 * re-planned or written, and what came of it, by swap/. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "swap/swap.h"
#include "util/error.h"

struct gp_swap_request {
    gp_devices devs;
    gp_plan_request req;
    char **only;               /* model ids to re-plan, copied */
    size_t n_only;
    gp_swap_corun_form form;
    char *server;              /* NULL: llama-server */
    gp_swap_progress_fn progress;
    void *progress_ctx;
};

struct gp_swap_config {
    gp_swap_result r;
    char *given;               /* the config given ("" for a new one), NUL-terminated */
    size_t given_len;
};

gp_status gp_swap_request_new(const gp_devices *devices, const gp_plan_request *req, gp_swap_request **out,
                              gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the request");
    *out = NULL;
    if (!devices)
        return gp_fail(err, GP_ERR_ARG, NULL, "no devices");
    gp_swap_request *s = calloc(1, sizeof *s);
    if (!s)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    s->devs = *devices;
    if (req)
        s->req = *req;
    else
        gp_plan_request_default(&s->req);
    s->form = GP_SWAP_FORM_MATRIX;
    *out = s;
    return GP_OK;
}

void gp_swap_request_close(gp_swap_request **req)
{
    if (!req || !*req)
        return;
    for (size_t i = 0; i < (*req)->n_only; i++)
        free((*req)->only[i]);
    free((*req)->only);
    free((*req)->server);
    free(*req);
    *req = NULL;
}

gp_status gp_swap_request_add_model(gp_swap_request *req, const char *id, gp_error *err)
{
    if (!req || !id)
        return gp_fail(err, GP_ERR_ARG, NULL, "no request or no model id");
    char **grown = realloc(req->only, (req->n_only + 1) * sizeof *grown);
    if (!grown)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    req->only = grown;
    if (!(req->only[req->n_only] = strdup(id)))
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    req->n_only++;
    return GP_OK;
}

gp_status gp_swap_request_set_corun(gp_swap_request *req, gp_swap_corun form, gp_error *err)
{
    if (!req)
        return gp_fail(err, GP_ERR_ARG, NULL, "no request");
    switch (form) {
    case GP_SWAP_CORUN_MATRIX: req->form = GP_SWAP_FORM_MATRIX; break;
    case GP_SWAP_CORUN_GROUPS: req->form = GP_SWAP_FORM_GROUPS; break;
    case GP_SWAP_CORUN_GROUPS_LEGACY: req->form = GP_SWAP_FORM_GROUPS_LEGACY; break;
    default: return gp_fail(err, GP_ERR_ARG, NULL, "co-residence: expected matrix, groups or legacy groups");
    }
    return GP_OK;
}

gp_status gp_swap_request_set_server(gp_swap_request *req, const char *path, gp_error *err)
{
    if (!req)
        return gp_fail(err, GP_ERR_ARG, NULL, "no request");
    return gp_api_set_string(&req->server, path, err);
}

gp_status gp_swap_request_set_progress(gp_swap_request *req, gp_swap_progress_fn fn, void *ctx, gp_error *err)
{
    if (!req)
        return gp_fail(err, GP_ERR_ARG, NULL, "no request");
    req->progress = fn;
    req->progress_ctx = ctx;
    return GP_OK;
}

/* ---- configs ----------------------------------------------------------------------- */

/* A config for out, keeping a copy of the text given. */
static gp_status new_config(const char *text, size_t len, gp_swap_config **out, gp_error *err)
{
    gp_swap_config *c = calloc(1, sizeof *c);
    char *given = malloc(len + 1);
    if (!c || !given) {
        free(c);
        free(given);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    if (len)
        memcpy(given, text, len);
    given[len] = '\0';
    c->given = given;
    c->given_len = len;
    *out = c;
    return GP_OK;
}

/* Hands c to the caller when st is GP_OK, else frees it. */
static gp_status finish(gp_status st, gp_swap_config *c, gp_swap_config **out)
{
    if (st == GP_OK)
        *out = c;
    else
        gp_swap_config_close(&c);
    return st;
}

gp_status gp_swap_config_rewrite(const gp_swap_request *req, const char *label, const char *text, size_t len,
                                 gp_swap_config **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, label, "no place for the config");
    *out = NULL;
    if (!req || (!text && len))
        return gp_fail(err, GP_ERR_ARG, label, "no request or no text");
    gp_swap_config *c = NULL;
    gp_status st = new_config(text, len, &c, err);
    if (st != GP_OK)
        return st;
    gp_swap_options o = {.devices = &req->devs, .request = req->req, .only = (const char *const *)req->only,
                         .n_only = req->n_only};
    st = gp_swap_rewrite(label ? label : "", c->given, len, &o, &c->r, err);
    return finish(st, c, out);
}

gp_status gp_swap_config_generate(const gp_swap_request *req, const char *const *paths, size_t n,
                                  gp_swap_config **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the config");
    *out = NULL;
    if (!req || (!paths && n))
        return gp_fail(err, GP_ERR_ARG, NULL, "no request or no model files");
    gp_swap_config *c = NULL;
    gp_status st = new_config("", 0, &c, err);
    if (st != GP_OK)
        return st;
    gp_swap_gen_options o = {.devices = &req->devs, .request = req->req, .form = req->form, .server = req->server,
                             .progress = req->progress, .progress_ctx = req->progress_ctx};
    st = gp_swap_generate(paths, n, &o, &c->r, err);
    if (st == GP_OK)
        c->r.changed = true;
    return finish(st, c, out);
}

gp_status gp_swap_config_check(const char *label, const char *text, size_t len, gp_swap_config **out,
                               gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, label, "no place for the config");
    *out = NULL;
    if (!text && len)
        return gp_fail(err, GP_ERR_ARG, label, "no text");
    gp_swap_config *c = NULL;
    gp_status st = new_config(text, len, &c, err);
    if (st != GP_OK)
        return st;
    st = gp_swap_check(label ? label : "", c->given, len, &c->r, err);
    if (st == GP_OK && !(c->r.text = strdup(c->given)))
        st = gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    c->r.len = len;
    return finish(st, c, out);
}

void gp_swap_config_close(gp_swap_config **cfg)
{
    if (!cfg || !*cfg)
        return;
    gp_swap_result_free(&(*cfg)->r);
    free((*cfg)->given);
    free(*cfg);
    *cfg = NULL;
}

const char *gp_swap_config_text(const gp_swap_config *cfg, size_t *len)
{
    if (len)
        *len = cfg ? cfg->r.len : 0;
    return cfg ? cfg->r.text : NULL;
}

bool gp_swap_config_changed(const gp_swap_config *cfg)
{
    return cfg && cfg->r.changed;
}

gp_status gp_swap_config_diff(const gp_swap_config *cfg, const char *label_a, const char *label_b, char **out,
                              gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the diff");
    *out = NULL;
    if (!cfg || !label_a || !label_b)
        return gp_fail(err, GP_ERR_ARG, NULL, "no config or no labels");
    *out = gp_swap_diff(cfg->given, cfg->given_len, cfg->r.text, cfg->r.len, label_a, label_b);
    return *out ? GP_OK : gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
}

static const gp_swap_warning *warning(const gp_swap_config *cfg, uint32_t i)
{
    return cfg && i < cfg->r.n_warnings ? &cfg->r.warnings[i] : NULL;
}

uint32_t gp_swap_config_warning_count(const gp_swap_config *cfg)
{
    return cfg ? (uint32_t)cfg->r.n_warnings : 0;
}

const char *gp_swap_config_warning_text(const gp_swap_config *cfg, uint32_t i)
{
    return warning(cfg, i) ? warning(cfg, i)->text : NULL;
}

size_t gp_swap_config_warning_line(const gp_swap_config *cfg, uint32_t i)
{
    return warning(cfg, i) ? warning(cfg, i)->line : 0;
}

size_t gp_swap_config_warning_column(const gp_swap_config *cfg, uint32_t i)
{
    return warning(cfg, i) ? warning(cfg, i)->column : 0;
}

static const gp_swap_model *model(const gp_swap_config *cfg, uint32_t i)
{
    return cfg && i < cfg->r.n_models ? &cfg->r.models[i] : NULL;
}

uint32_t gp_swap_config_model_count(const gp_swap_config *cfg)
{
    return cfg ? (uint32_t)cfg->r.n_models : 0;
}

const char *gp_swap_config_model_id(const gp_swap_config *cfg, uint32_t i)
{
    return model(cfg, i) ? model(cfg, i)->id : NULL;
}

size_t gp_swap_config_model_line(const gp_swap_config *cfg, uint32_t i)
{
    return model(cfg, i) ? model(cfg, i)->line : 0;
}

gp_swap_outcome_kind gp_swap_config_model_outcome(const gp_swap_config *cfg, uint32_t i)
{
    if (!model(cfg, i))
        return GP_SWAP_MODEL_SKIPPED;
    switch (model(cfg, i)->outcome) {
    case GP_SWAP_CHANGED: return GP_SWAP_MODEL_CHANGED;
    case GP_SWAP_UNCHANGED: return GP_SWAP_MODEL_UNCHANGED;
    default: return GP_SWAP_MODEL_SKIPPED;
    }
}

const char *gp_swap_config_model_note(const gp_swap_config *cfg, uint32_t i)
{
    return model(cfg, i) ? model(cfg, i)->note : NULL;
}

const char *gp_swap_config_model_args(const gp_swap_config *cfg, uint32_t i)
{
    return model(cfg, i) ? model(cfg, i)->args : NULL;
}

const char *gp_swap_config_model_path(const gp_swap_config *cfg, uint32_t i)
{
    return model(cfg, i) ? model(cfg, i)->path : NULL;
}
