/* The public API's tune reports (include/ggplace.h): the search verify/
 * runs around a plan with llama-bench, and what each point gave. */
#include "api/api.h"

#include <stdlib.h>

#include "util/error.h"

struct gp_tune_report {
    gp_tune_result r;
};

gp_status gp_tune_plan(const gp_model *model, const gp_command *cmd, const gp_devices *devices,
                       const gp_plan_request *req, const gp_run_options *o, gp_tune_report **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the report");
    *out = NULL;
    if (!model || !devices || !req || !o)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model, devices, request or options");
    gp_tune_report *rep = calloc(1, sizeof *rep);
    gp_plan_request *r = malloc(sizeof *r);
    if (!rep || !r) {
        free(rep);
        free(r);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    *r = *req;
    if (cmd)
        r->pinned = cmd->p;
    gp_tune_opts t = o->t;
    t.llama_dir = o->v.llama_dir;
    t.n_prompt = o->v.n_prompt;
    t.n_gen = o->v.n_predict;
    gp_status st = gp_tune_run(model, gp_api_run_model_path(o, model), devices, r,
                               o->n_base ? (char *const *)o->base_args : NULL, &t, &rep->r, err);
    free(r);
    if (st != GP_OK) {
        gp_tune_report_close(&rep);
        return st;
    }
    *out = rep;
    return GP_OK;
}

void gp_tune_report_close(gp_tune_report **r)
{
    if (!r || !*r)
        return;
    gp_tune_result_free(&(*r)->r);
    free(*r);
    *r = NULL;
}

const char *gp_tune_report_version(const gp_tune_report *r)
{
    return r ? r->r.version : NULL;
}

static const gp_tune_point *point(const gp_tune_report *r, int i)
{
    if (!r)
        return NULL;
    if (i == GP_TUNE_POINT_BASELINE)
        return &r->r.baseline;
    if (i == GP_TUNE_POINT_BEST)
        return &r->r.best;
    return i >= 0 && i < r->r.n_points ? &r->r.points[i] : NULL;
}

int gp_tune_report_point_count(const gp_tune_report *r)
{
    return r ? r->r.n_points : 0;
}

uint32_t gp_tune_report_point_arg_count(const gp_tune_report *r, int i)
{
    const gp_tune_point *p = point(r, i);
    return p ? (uint32_t)p->n_args : 0;
}

const char *gp_tune_report_point_arg(const gp_tune_report *r, int i, uint32_t k)
{
    const gp_tune_point *p = point(r, i);
    return p && k < (uint32_t)p->n_args ? p->args[k] : NULL;
}

/* An accessor of point i's field, 0 (false) out of range. */
#define POINT_FIELD(type, name, field)                                         \
    type gp_tune_report_point_##name(const gp_tune_report *r, int i)           \
    {                                                                          \
        const gp_tune_point *p = point(r, i);                                  \
        return p ? p->field : 0;                                               \
    }
POINT_FIELD(double, prefill_tps, prefill_tps)
POINT_FIELD(double, decode_tps, decode_tps)
POINT_FIELD(double, predicted_decode_tps, predicted_decode_tps)
POINT_FIELD(int, repeats, repeats)
POINT_FIELD(bool, cached, cached)

int gp_tune_report_step_count(const gp_tune_report *r)
{
    return r ? r->r.n_steps : 0;
}

int gp_tune_report_step(const gp_tune_report *r, int k)
{
    return r && k >= 0 && k < r->r.n_steps ? r->r.steps[k] : -1;
}

double gp_tune_report_calibration_decode(const gp_tune_report *r)
{
    return r ? r->r.calibration_decode : 0;
}

double gp_tune_report_calibration_prefill(const gp_tune_report *r)
{
    return r ? r->r.calibration_prefill : 0;
}

double gp_tune_report_calibration_server_decode(const gp_tune_report *r)
{
    return r ? r->r.calibration_server_decode : 0;
}

double gp_tune_report_server_prefill_tps(const gp_tune_report *r)
{
    return r ? r->r.server_prefill_tps : 0;
}

double gp_tune_report_server_decode_tps(const gp_tune_report *r)
{
    return r ? r->r.server_decode_tps : 0;
}
