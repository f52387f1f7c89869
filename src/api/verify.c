/* The public API's verify and soak reports (include/ggplace.h): llama-server
 * run by verify/ with a plan's flags, measured next to the prediction. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "plan/speed.h"
#include "util/error.h"
#include "verify/soak.h"

struct gp_verify_report {
    gp_verify_result r;
    char **args;            /* what llama-server got after -m MODEL, NULL-terminated */
    uint32_t n_args;
    double want_prefill, want_decode;
};

struct gp_soak_report {
    gp_soak_result r;
};

/* The plan's flags, then the flags its command kept as given (--jinja,
 * --load-mode none, ...), so llama-server runs as asked. NULL when out of
 * memory. */
static char **run_args(const gp_model *model, const gp_plan_result *plan, uint32_t *n)
{
    char **planned = gp_plan_args(model, &plan->devs, &plan->plan);
    size_t n_planned = 0;
    while (planned && planned[n_planned])
        n_planned++;
    char **args = planned ? realloc(planned, (n_planned + plan->n_kept + 1) * sizeof *args) : NULL;
    if (!args) {
        gp_plan_args_free(planned);
        return NULL;
    }
    size_t k = n_planned;
    for (uint32_t i = 0; i < plan->n_kept; i++)
        if ((args[k] = strdup(plan->kept[i])))
            k++;
    args[k] = NULL;
    if (k != n_planned + plan->n_kept) {
        gp_plan_args_free(args);
        return NULL;
    }
    *n = (uint32_t)k;
    return args;
}

static uint32_t vocab(const gp_model *model)
{
    return model->hp.n_vocab > UINT32_MAX ? UINT32_MAX : (uint32_t)model->hp.n_vocab;
}

gp_status gp_verify_plan(const gp_model *model, const gp_plan_result *plan, const gp_run_options *o,
                         gp_verify_report **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the report");
    *out = NULL;
    if (!model || !plan || !o)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model, plan or options");
    gp_verify_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    if (!(rep->args = run_args(model, plan, &rep->n_args))) {
        free(rep);
        return gp_fail(err, GP_ERR_NOMEM, model->path, "out of memory");
    }
    gp_verify_opts v = o->v;
    v.n_vocab = vocab(model);
    gp_status st = gp_verify_run(gp_api_run_model_path(o, model), rep->args, &plan->devs, &v, &rep->r, err);
    *out = rep;
    if (st != GP_OK)
        return st;
    /* The speeds to expect from these requests: prefill over a cache that
     * fills from empty, decode after the prompt (the plan's own figures
     * assume half the context, a long session). */
    gp_speed at_prompt, at_decode;
    const gp_plan *p = &plan->plan;
    gp_speed_predict_at(model, &p->params, &plan->devs, &p->mem, v.n_prompt / 2.0, &at_prompt);
    gp_speed_predict_at(model, &p->params, &plan->devs, &p->mem, v.n_prompt + v.n_predict / 2.0, &at_decode);
    rep->want_prefill = at_prompt.prefill_tps;
    rep->want_decode = at_decode.decode_tps;
    double cal_decode, cal_prefill;
    if (gp_plan_request_scales(&plan->req, model, &cal_decode, &cal_prefill)) {
        rep->want_prefill *= cal_prefill;
        rep->want_decode *= cal_decode;
    }
    return GP_OK;
}

void gp_verify_report_close(gp_verify_report **r)
{
    if (!r || !*r)
        return;
    gp_plan_args_free((*r)->args);
    free(*r);
    *r = NULL;
}

const char *gp_verify_report_version(const gp_verify_report *r)
{
    return r ? r->r.version : NULL;
}

const char *gp_verify_report_server(const gp_verify_report *r)
{
    return r ? r->r.server_path : NULL;
}

const char *gp_verify_report_log_tail(const gp_verify_report *r)
{
    return r ? r->r.log_tail : NULL;
}

uint32_t gp_verify_report_arg_count(const gp_verify_report *r)
{
    return r ? r->n_args : 0;
}

const char *gp_verify_report_arg(const gp_verify_report *r, uint32_t k)
{
    return r && k < r->n_args ? r->args[k] : NULL;
}

#define MEASURED(name, field)                                                  \
    double gp_verify_report_##name(const gp_verify_report *r, uint32_t i)      \
    {                                                                          \
        return r && i < GP_MAX_DEVICES ? r->r.measured.field[i] : 0;           \
    }
MEASURED(model_mib, model_mib)
MEASURED(context_mib, context_mib)
MEASURED(compute_mib, compute_mib)
MEASURED(extras_model_mib, extra_model_mib)
MEASURED(extras_context_mib, extra_context_mib)
MEASURED(extras_compute_mib, extra_compute_mib)

double gp_verify_report_mapped_mib(const gp_verify_report *r)
{
    return r ? r->r.measured.mapped_mib : 0;
}

double gp_verify_report_prefill_tps(const gp_verify_report *r)
{
    return r ? r->r.prefill_tps : 0;
}

double gp_verify_report_decode_tps(const gp_verify_report *r)
{
    return r ? r->r.decode_tps : 0;
}

int gp_verify_report_runs(const gp_verify_report *r)
{
    return r ? r->r.runs : 0;
}

double gp_verify_report_predicted_prefill_tps(const gp_verify_report *r)
{
    return r ? r->want_prefill : 0;
}

double gp_verify_report_predicted_decode_tps(const gp_verify_report *r)
{
    return r ? r->want_decode : 0;
}

/* ---- soaks ------------------------------------------------------------------------- */

gp_status gp_soak_plan(const gp_model *model, const gp_plan_result *plan, const gp_run_options *o,
                       gp_soak_report **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the report");
    *out = NULL;
    if (!model || !plan || !o)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model, plan or options");
    if (o->soak_requests < 1)
        return gp_fail(err, GP_ERR_ARG, NULL, "no soak: set its requests first");
    uint32_t n_args;
    char **args = run_args(model, plan, &n_args);
    gp_soak_report *rep = calloc(1, sizeof *rep);
    if (!args || !rep) {
        gp_plan_args_free(args);
        free(rep);
        return gp_fail(err, GP_ERR_NOMEM, model->path, "out of memory");
    }
    const gp_mem_result *mem = &plan->plan.mem;
    const gp_runtime_mem *rt = &mem->runtime;
    gp_soak_opts so;
    memset(&so, 0, sizeof so);
    so.server = o->v;
    so.server.n_vocab = vocab(model);
    so.max_requests = o->soak_requests;
    so.max_seconds = o->soak_seconds;
    so.slots = mem->ctx.n_seq;
    so.ctx_per_slot = mem->ctx.n_ctx_seq;
    so.ctx_checkpoints = rt->checkpoint_bytes ? plan->plan.params.ctx_checkpoints : 0;
    so.cache_bytes = rt->item[GP_RUNTIME_PROMPT_CACHE];
    so.slot_state_bytes = rt->slot_state_bytes;
    gp_status st = gp_verify_soak(gp_api_run_model_path(o, model), args, &plan->devs, &so, &rep->r, err);
    gp_plan_args_free(args);
    *out = rep;
    return st;
}

void gp_soak_report_close(gp_soak_report **r)
{
    if (!r || !*r)
        return;
    free(*r);
    *r = NULL;
}

const char *gp_soak_report_version(const gp_soak_report *r)
{
    return r ? r->r.server.version : NULL;
}

const char *gp_soak_report_server(const gp_soak_report *r)
{
    return r ? r->r.server.server_path : NULL;
}

const char *gp_soak_report_log_tail(const gp_soak_report *r)
{
    return r ? r->r.server.log_tail : NULL;
}

int gp_soak_report_requests(const gp_soak_report *r)
{
    return r ? r->r.requests : 0;
}

double gp_soak_report_seconds(const gp_soak_report *r)
{
    return r ? r->r.seconds : 0;
}

int gp_soak_report_samples(const gp_soak_report *r)
{
    return r ? r->r.samples : 0;
}

uint64_t gp_soak_report_peak(const gp_soak_report *r)
{
    return r ? r->r.peak : 0;
}

uint64_t gp_soak_report_peak_anonymous(const gp_soak_report *r)
{
    return r ? r->r.peak_anon : 0;
}

uint64_t gp_soak_report_peak_mapped(const gp_soak_report *r)
{
    return r ? r->r.peak_mapped : 0;
}

uint64_t gp_soak_report_after_load(const gp_soak_report *r)
{
    return r ? r->r.load : 0;
}
