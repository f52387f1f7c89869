/* The public API's plans (include/ggplace.h): what to plan for, and the
 * fastest flags that fit. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "args/llama_args.h"
#include "emit/plan_json.h"
#include "gguf/types.h"
#include "memory/extras.h"
#include "util/error.h"

gp_status gp_plan_request_new(gp_plan_request **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the request");
    *out = malloc(sizeof **out);
    if (!*out)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    gp_plan_request_default(*out);
    return GP_OK;
}

void gp_plan_request_close(gp_plan_request **req)
{
    if (!req)
        return;
    free(*req);
    *req = NULL;
}

#define NEED_REQ(req)                                                        \
    do {                                                                     \
        if (!(req))                                                          \
            return gp_fail(err, GP_ERR_ARG, NULL, "no plan request");       \
    } while (0)

gp_status gp_plan_request_set_ctx(gp_plan_request *req, int64_t ctx, gp_error *err)
{
    NEED_REQ(req);
    if (ctx != GP_PLAN_CTX_DEFAULT && ctx != GP_PLAN_CTX_MAX && (ctx < 1 || ctx > (1ll << 32)))
        return gp_fail(err, GP_ERR_ARG, NULL, "context %lld: expected 1 to 2^32 tokens", (long long)ctx);
    req->ctx = ctx;
    return GP_OK;
}

gp_status gp_plan_request_set_ctx_per_slot(gp_plan_request *req, int64_t tokens, gp_error *err)
{
    NEED_REQ(req);
    if (tokens < 0 || tokens > (1ll << 32))
        return gp_fail(err, GP_ERR_ARG, NULL, "context per slot %lld: expected 1 to 2^32 tokens",
                       (long long)tokens);
    req->ctx_per_slot = tokens;
    return GP_OK;
}

gp_status gp_plan_request_set_parallel(gp_plan_request *req, int32_t slots, gp_error *err)
{
    NEED_REQ(req);
    if (slots < 1 || slots > 256)
        return gp_fail(err, GP_ERR_ARG, NULL, "slots %d: expected 1 to 256", (int)slots);
    req->parallel = slots;
    return GP_OK;
}

gp_status gp_plan_request_set_preset(gp_plan_request *req, const char *name, gp_error *err)
{
    NEED_REQ(req);
    int p = name ? gp_preset_from_name(name) : -1;
    if (p < 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "preset '%s': expected balanced, high_speed, more_context, "
                                              "system_safe, ultra_performance or moe_optimized",
                       name ? name : "(null)");
    req->preset = (gp_preset)p;
    return GP_OK;
}

gp_status gp_plan_request_set_kv(gp_plan_request *req, const char *type, gp_error *err)
{
    NEED_REQ(req);
    if (type && !strcmp(type, "auto"))
        req->kv = -1;
    else if (type && (!strcmp(type, "f16") || !strcmp(type, "q8_0") || !strcmp(type, "q4_0")))
        req->kv = gp_type_from_name(type);
    else
        return gp_fail(err, GP_ERR_ARG, NULL, "KV type '%s': expected f16, q8_0, q4_0 or auto",
                       type ? type : "(null)");
    return GP_OK;
}

gp_status gp_plan_request_set_flash_attn(gp_plan_request *req, const char *mode, gp_error *err)
{
    NEED_REQ(req);
    if (mode && !strcmp(mode, "on"))
        req->fa = GP_FA_ON;
    else if (mode && !strcmp(mode, "off"))
        req->fa = GP_FA_OFF;
    else if (mode && !strcmp(mode, "auto"))
        req->fa = GP_FA_AUTO;
    else
        return gp_fail(err, GP_ERR_ARG, NULL, "flash attention '%s': expected on, off or auto",
                       mode ? mode : "(null)");
    return GP_OK;
}

gp_status gp_plan_request_set_app(gp_plan_request *req, gp_app app, gp_error *err)
{
    NEED_REQ(req);
    if (app != GP_APP_SERVER && app != GP_APP_CLI)
        return gp_fail(err, GP_ERR_ARG, NULL, "app: expected GP_APP_SERVER or GP_APP_CLI");
    req->app = app;
    return GP_OK;
}

gp_status gp_plan_request_set_margin(gp_plan_request *req, int64_t bytes, gp_error *err)
{
    NEED_REQ(req);
    if (bytes < -1)
        return gp_fail(err, GP_ERR_ARG, NULL, "margin: expected bytes, or -1 for the preset's");
    req->margin = bytes;
    return GP_OK;
}

gp_status gp_plan_request_set_ram_margin(gp_plan_request *req, int64_t bytes, gp_error *err)
{
    NEED_REQ(req);
    if (bytes < -1)
        return gp_fail(err, GP_ERR_ARG, NULL, "RAM margin: expected bytes, or -1 for the preset's");
    req->ram_margin = bytes;
    return GP_OK;
}

gp_status gp_plan_request_set_target_vram(gp_plan_request *req, double fraction, gp_error *err)
{
    NEED_REQ(req);
    if (!(fraction >= 0 && fraction <= 1))
        return gp_fail(err, GP_ERR_ARG, NULL, "target VRAM use: expected a fraction in (0, 1], or 0");
    req->target_vram = fraction;
    return GP_OK;
}

gp_status gp_plan_request_set_for_load(gp_plan_request *req, bool for_load, gp_error *err)
{
    NEED_REQ(req);
    req->for_load = for_load;
    return GP_OK;
}

gp_status gp_plan_request_use_calibration(gp_plan_request *req, const gp_devices *devices, gp_error *err)
{
    NEED_REQ(req);
    if (!devices)
        return gp_fail(err, GP_ERR_ARG, NULL, "no devices");
    /* A calibration that tune measured on this machine scales predictions. */
    double server_decode = 0;
    if (gp_calibration_load(devices, NULL, false, &req->decode_scale, &req->prefill_scale, &server_decode) &&
        req->app == GP_APP_SERVER && server_decode > 0)
        req->decode_scale = server_decode; /* llama-server was measured itself */
    server_decode = 0;
    if (gp_calibration_load(devices, NULL, true, &req->moe_decode_scale, &req->moe_prefill_scale, &server_decode) &&
        req->app == GP_APP_SERVER && server_decode > 0)
        req->moe_decode_scale = server_decode;
    return GP_OK;
}

/* ---- plans ----------------------------------------------------------------------- */

static void free_kept(gp_plan_result *res)
{
    for (uint32_t k = 0; k < res->n_kept; k++)
        free(res->kept[k]);
    free(res->kept);
    res->kept = NULL;
    res->n_kept = 0;
}

/* Copies the flags p keeps as given, which may point into the caller's
 * strings. */
static gp_status keep_flags(gp_plan_result *res, const gp_run_params *p, const char *path, gp_error *err)
{
    res->kept = calloc(p->n_extra + 1, sizeof *res->kept);
    if (!res->kept)
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    for (uint32_t k = 0; k < p->n_extra; k++) {
        if (!(res->kept[k] = strdup(p->extra[k])))
            return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
        res->n_kept++;
    }
    res->req.pinned.n_extra = 0;
    return GP_OK;
}

gp_status gp_plan_create(const gp_model *model, const gp_command *cmd, const gp_devices *devices,
                         const gp_plan_request *req, gp_plan_result **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the plan");
    *out = NULL;
    if (!model || !devices || !req)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model, devices or request");
    gp_plan_result *res = calloc(1, sizeof *res);
    gp_plan_request *r = malloc(sizeof *r);
    gp_devices *all = malloc(sizeof *all);
    if (!res || !r || !all) {
        free(res);
        free(r);
        free(all);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    *r = *req;
    if (cmd)
        r->pinned = cmd->p;
    *all = *devices;
    bool planned = false;
    /* llama.cpp's own --rpc servers, then -dev: the plan uses those devices only. */
    gp_status st = gp_devices_add_llama_rpc(all, r->pinned.rpc, err);
    if (st == GP_OK && r->pinned.devices[0]) {
        uint32_t map[GP_MAX_DEVICES];
        st = gp_devices_select(all, r->pinned.devices, &res->devs, map, err);
    } else if (st == GP_OK) {
        res->devs = *all;
    }
    if (st == GP_OK)
        st = gp_api_open_extras(&r->pinned, &res->files, err);
    if (st == GP_OK)
        st = gp_plan_make(model, &res->devs, r, &res->plan, err);
    if (st == GP_OK) {
        planned = true;
        /* The plan's flags, then what else the command loads, as given. */
        res->args = gp_llama_args_append_extras(gp_plan_args(model, &res->devs, &res->plan), &r->pinned);
        if (!res->args)
            st = gp_fail(err, GP_ERR_NOMEM, model->path, "out of memory");
    }
    if (st == GP_OK) {
        while (res->args[res->n_args])
            res->n_args++;
        res->mem.r = &res->plan.mem;
        res->mem.d = &res->devs;
        res->mem.speed = res->plan.speed;
        res->mem.cal_speed = res->plan.speed;
        double decode, prefill;
        res->mem.calibrated = gp_plan_request_scales(r, model, &decode, &prefill);
        gp_api_mem_explain(&res->mem);
        res->req = *r;
        st = keep_flags(res, &r->pinned, model->path, err);
    }
    if (st == GP_OK) {
        *out = res;
    } else {
        if (planned)
            gp_plan_free(&res->plan);
        gp_plan_args_free(res->args);
        free_kept(res);
        gp_extra_files_close(&res->files);
        free(res);
    }
    free(r);
    free(all);
    return st;
}

void gp_plan_result_close(gp_plan_result **plan)
{
    if (!plan || !*plan)
        return;
    gp_plan_args_free((*plan)->args);
    free_kept(*plan);
    gp_plan_free(&(*plan)->plan);
    gp_extra_files_close(&(*plan)->files);
    free(*plan);
    *plan = NULL;
}

const char *const *gp_plan_result_args(const gp_plan_result *plan)
{
    return plan ? (const char *const *)plan->args : NULL;
}

size_t gp_plan_result_arg_count(const gp_plan_result *plan)
{
    return plan ? plan->n_args : 0;
}

double gp_plan_result_decode_tps(const gp_plan_result *plan)
{
    return plan ? plan->plan.speed.decode_tps : 0;
}

double gp_plan_result_prefill_tps(const gp_plan_result *plan)
{
    return plan ? plan->plan.speed.prefill_tps : 0;
}

uint32_t gp_plan_result_why_count(const gp_plan_result *plan)
{
    return plan ? plan->plan.n_why : 0;
}

const char *gp_plan_result_why(const gp_plan_result *plan, uint32_t i)
{
    return plan && i < plan->plan.n_why ? plan->plan.why[i] : NULL;
}

const gp_devices *gp_plan_result_devices(const gp_plan_result *plan)
{
    return plan ? &plan->devs : NULL;
}

const gp_mem *gp_plan_result_mem(const gp_plan_result *plan)
{
    return plan ? &plan->mem : NULL;
}

uint64_t gp_plan_result_budget(const gp_plan_result *plan, uint32_t i)
{
    return plan && i < plan->devs.n ? plan->plan.budget[i] : 0;
}

gp_status gp_plan_json(const gp_plan_result *plan, const gp_model *model, const char *cmd, char **out,
                       gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the JSON");
    *out = NULL;
    if (!plan || !model)
        return gp_fail(err, GP_ERR_ARG, NULL, "no plan or no model");
    *out = gp_plan_json_text(model, &plan->devs, &plan->plan, (const char *const *)plan->args, cmd ? cmd : "");
    return *out ? GP_OK : gp_fail(err, GP_ERR_NOMEM, model->path, "out of memory");
}
