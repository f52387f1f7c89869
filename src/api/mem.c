/* The public API's memory estimates (include/ggplace.h): what one command
 * allocates on each device, and how fast it runs. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "emit/extras_json.h"
#include "memory/extras.h"
#include "util/error.h"
#include "util/json.h"
#include "util/units.h"

gp_status gp_mem_estimate_cmd(const gp_model *model, const gp_command *cmd, const gp_devices *devices,
                              gp_mem **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the estimate");
    *out = NULL;
    if (!model || !devices)
        return gp_fail(err, GP_ERR_ARG, NULL, "no model or no devices");
    gp_mem *mem = calloc(1, sizeof *mem);
    gp_run_params *p = malloc(sizeof *p);
    if (!mem || !p) {
        free(mem);
        free(p);
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    }
    if (cmd)
        *p = cmd->p;
    else
        gp_run_params_default(p, GP_APP_SERVER);
    mem->devs = *devices;
    mem->d = &mem->devs;
    mem->r = &mem->own;
    /* Servers named by llama.cpp's own --rpc and not described: devices of unknown size. */
    gp_status st = gp_devices_add_llama_rpc(&mem->devs, p->rpc, err);
    if (st == GP_OK)
        st = gp_api_open_extras(p, &mem->files, err);
    if (st == GP_OK)
        st = gp_mem_estimate(model, p, &mem->devs, &mem->own, err);
    if (st == GP_OK) {
        mem->owns = true;
        gp_speed_predict(model, p, &mem->devs, &mem->own, &mem->speed);
        /* by the same speed model (and calibration) as a plan: the memory
           of a plan's flags predicts exactly the plan's speeds */
        gp_plan_request cal;
        gp_plan_request_default(&cal);
        cal.app = p->app;
        gp_plan_request_use_calibration(&cal, &mem->devs, NULL);
        mem->cal_speed = mem->speed;
        mem->calibrated = gp_plan_request_calibrate(&cal, model, &mem->cal_speed);
        gp_api_mem_explain(mem);
        *out = mem;
    } else {
        gp_mem_close(&mem);
    }
    free(p);
    return st;
}

void gp_mem_close(gp_mem **mem)
{
    if (!mem || !*mem)
        return;
    if ((*mem)->owns)
        gp_mem_result_free(&(*mem)->own);
    gp_extra_files_close(&(*mem)->files);
    free(*mem);
    *mem = NULL;
}

static bool mem_has(const gp_mem *mem, uint32_t i)
{
    return mem && i < mem->r->n_devices;
}

uint32_t gp_mem_device_count(const gp_mem *mem)
{
    return mem ? mem->r->n_devices : 0;
}

const char *gp_mem_device_name(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? mem->d->dev[i].name : NULL;
}

uint64_t gp_mem_model_bytes(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? gp_mem_with_extras(mem->r, i).model : 0;
}

uint64_t gp_mem_context_bytes(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? gp_mem_with_extras(mem->r, i).context : 0;
}

uint64_t gp_mem_compute_bytes(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? gp_mem_with_extras(mem->r, i).compute : 0;
}

uint64_t gp_mem_total_at_load(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? gp_mem_on_device(mem->r, i) : 0;
}

uint64_t gp_mem_total_in_use(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? gp_mem_in_use(mem->r, i) : 0;
}

uint64_t gp_mem_n_ctx(const gp_mem *mem)
{
    return mem ? mem->r->ctx.n_ctx : 0;
}

uint32_t gp_mem_n_seq(const gp_mem *mem)
{
    return mem ? mem->r->ctx.n_seq : 0;
}

double gp_mem_decode_tps(const gp_mem *mem)
{
    return mem ? mem->speed.decode_tps : 0;
}

double gp_mem_prefill_tps(const gp_mem *mem)
{
    return mem ? mem->speed.prefill_tps : 0;
}

uint32_t gp_mem_extras_count(const gp_mem *mem)
{
    return mem ? mem->r->extras.n : 0;
}

uint64_t gp_mem_extras_model_bytes(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? mem->r->extra[i].model : 0;
}

uint64_t gp_mem_extras_context_bytes(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? mem->r->extra[i].context : 0;
}

uint64_t gp_mem_extras_compute_bytes(const gp_mem *mem, uint32_t i)
{
    return mem_has(mem, i) ? mem->r->extra[i].compute : 0;
}

uint64_t gp_mem_logits_bytes(const gp_mem *mem)
{
    return mem ? mem->r->host_output : 0;
}

uint32_t gp_mem_runtime_count(const gp_mem *mem)
{
    return mem ? GP_RUNTIME_COUNT : 0;
}

const char *gp_mem_runtime_name(const gp_mem *mem, uint32_t k)
{
    return mem && k < GP_RUNTIME_COUNT ? gp_runtime_item_name((gp_runtime_item)k) : NULL;
}

uint64_t gp_mem_runtime_bytes(const gp_mem *mem, uint32_t k)
{
    return mem && k < GP_RUNTIME_COUNT ? mem->r->runtime.item[k] : 0;
}

const char *gp_mem_runtime_why(const gp_mem *mem, uint32_t k)
{
    return mem && k < GP_RUNTIME_COUNT ? mem->why[k] : NULL;
}

/* Why each runtime item has its size, and what shrinks it; what the speed
 * model assumed. */
void gp_api_mem_explain(gp_mem *mem)
{
    const gp_mem_result *r = mem->r;
    mem->n_notes = gp_speed_assumptions(mem->d, mem->notes, 2 * GP_MAX_DEVICES);
    const gp_runtime_mem *rt = &r->runtime;
    char one[32], all[32];
    for (int i = 0; i < GP_RUNTIME_COUNT; i++) {
        char *buf = mem->why[i];
        size_t size = sizeof mem->why[i];
        buf[0] = 0;
        switch ((gp_runtime_item)i) {
        case GP_RUNTIME_PROCESS:
            snprintf(buf, size, "llama-server's heap, vocabulary and graph metadata");
            break;
        case GP_RUNTIME_MAPPED:
            gp_format_mib(rt->repacked_bytes, all, sizeof all);
            snprintf(buf, size, "model file pages kept mapped beside weights copied elsewhere (%s repacked for the "
                     "CPU); --no-repack or --load-mode none", all);
            break;
        case GP_RUNTIME_CHECKPOINTS:
            gp_format_mib(rt->checkpoint_bytes, one, sizeof one);
            snprintf(buf, size, "%u per slot x %u slot%s x %s (%s); --ctx-checkpoints",
                     rt->checkpoints_per_slot, r->ctx.n_seq, r->ctx.n_seq == 1 ? "" : "s", one,
                     rt->checkpoint_of ? rt->checkpoint_of : "");
            break;
        case GP_RUNTIME_PROMPT_CACHE:
            gp_format_mib(rt->slot_state_bytes, one, sizeof one);
            snprintf(buf, size, "%s; one full slot is %s; --cache-ram",
                     rt->cache_unbounded ? "no byte limit: n_ctx tokens of cached prompts" : "the limit, once filled",
                     one);
            break;
        default:
            break;
        }
    }
}

uint64_t gp_mem_n_ctx_seq(const gp_mem *mem)
{
    return mem ? mem->r->ctx.n_ctx_seq : 0;
}

uint32_t gp_mem_n_batch(const gp_mem *mem)
{
    return mem ? mem->r->ctx.n_batch : 0;
}

uint32_t gp_mem_n_ubatch(const gp_mem *mem)
{
    return mem ? mem->r->ctx.n_ubatch : 0;
}

bool gp_mem_kv_unified(const gp_mem *mem)
{
    return mem && mem->r->ctx.kv_unified;
}

bool gp_mem_flash_attn(const gp_mem *mem)
{
    return mem && mem->r->ctx.flash_attn;
}

bool gp_mem_compute_estimated(const gp_mem *mem)
{
    return mem && mem->r->compute_estimated;
}

bool gp_mem_compute_checked(const gp_mem *mem)
{
    return mem && mem->r->compute_checked;
}

bool gp_mem_calibrated(const gp_mem *mem)
{
    return mem && mem->calibrated;
}

double gp_mem_calibrated_decode_tps(const gp_mem *mem)
{
    return mem ? mem->cal_speed.decode_tps : 0;
}

double gp_mem_calibrated_prefill_tps(const gp_mem *mem)
{
    return mem ? mem->cal_speed.prefill_tps : 0;
}

uint32_t gp_mem_assumption_count(const gp_mem *mem)
{
    return mem ? mem->n_notes : 0;
}

const char *gp_mem_assumption_text(const gp_mem *mem, uint32_t k)
{
    return mem && k < mem->n_notes ? mem->notes[k] : NULL;
}

static const gp_extra_mem *extra_at(const gp_mem *mem, uint32_t k)
{
    return mem && k < mem->r->extras.n ? &mem->r->extras.item[k] : NULL;
}

const char *gp_mem_extra_kind(const gp_mem *mem, uint32_t k)
{
    const gp_extra_mem *e = extra_at(mem, k);
    return e ? gp_extra_kind_name(e->kind) : NULL;
}

const char *gp_mem_extra_file(const gp_mem *mem, uint32_t k)
{
    const gp_extra_mem *e = extra_at(mem, k);
    return e ? e->name : NULL;
}

bool gp_mem_extra_estimated(const gp_mem *mem, uint32_t k)
{
    const gp_extra_mem *e = extra_at(mem, k);
    return e && e->estimated;
}

uint64_t gp_mem_extra_model_bytes(const gp_mem *mem, uint32_t k, uint32_t i)
{
    const gp_extra_mem *e = extra_at(mem, k);
    return e && mem_has(mem, i) ? e->model[i] : 0;
}

uint64_t gp_mem_extra_context_bytes(const gp_mem *mem, uint32_t k, uint32_t i)
{
    const gp_extra_mem *e = extra_at(mem, k);
    return e && mem_has(mem, i) ? e->context[i] : 0;
}

uint64_t gp_mem_extra_compute_bytes(const gp_mem *mem, uint32_t k, uint32_t i)
{
    const gp_extra_mem *e = extra_at(mem, k);
    return e && mem_has(mem, i) ? e->compute[i] : 0;
}

const char *gp_mem_extras_note(const gp_mem *mem)
{
    return mem ? mem->r->extras.note : NULL;
}

void gp_api_mem_runtime_lines(gp_strbuf *sb, const gp_mem *mem)
{
    if (!gp_runtime_total(&mem->r->runtime))
        return;
    gp_sb_printf(sb, "%s grows into, at the steady-state peak (a full context in every slot, every cache at "
                     "its bound):\n", mem->d->dev[0].name);
    char v[32];
    if (mem->r->host_output) {
        gp_format_mib(mem->r->host_output, v, sizeof v);
        gp_sb_printf(sb, "  %-13s %12s  the logits of every slot\n", "logits", v);
    }
    for (uint32_t k = 0; k < GP_RUNTIME_COUNT; k++) {
        if (!mem->r->runtime.item[k])
            continue;
        gp_format_mib(mem->r->runtime.item[k], v, sizeof v);
        gp_sb_printf(sb, "  %-13s %12s  %s\n", gp_runtime_item_name((gp_runtime_item)k), v, mem->why[k]);
    }
}

gp_status gp_api_text_begin(char **out, const void *obj, const char *what, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the text");
    *out = NULL;
    return obj ? GP_OK : gp_fail(err, GP_ERR_ARG, NULL, "no %s", what);
}

gp_status gp_api_text_take(gp_strbuf *sb, char **out, gp_error *err)
{
    gp_sb_append(sb, "");
    *out = gp_sb_take(sb);
    return *out ? GP_OK : gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
}

gp_status gp_mem_runtime_text(const gp_mem *mem, char **out, gp_error *err)
{
    gp_status st = gp_api_text_begin(out, mem, "estimate", err);
    if (st != GP_OK)
        return st;
    gp_strbuf sb = {0};
    gp_api_mem_runtime_lines(&sb, mem);
    return gp_api_text_take(&sb, out, err);
}

/* "runtime": {item: bytes} of device i (the host's logits buffer and items;
 * empty for the other devices). */
static void runtime_json(cJSON *o, const gp_mem *mem, uint32_t i)
{
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    if (i != 0)
        return;
    gp_json_add_u64(rt, "logits", mem->r->host_output);
    for (uint32_t k = 0; k < GP_RUNTIME_COUNT; k++)
        gp_json_add_u64(rt, gp_runtime_item_name((gp_runtime_item)k), mem->r->runtime.item[k]);
}

static char *mem_json_text(const gp_mem *mem)
{
    const gp_mem_result *r = mem->r;
    const gp_devices *d = mem->d;
    cJSON *root = cJSON_CreateObject();
    const gp_ctx_shape *c = &r->ctx;
    gp_json_add_u64(root, "n_ctx", c->n_ctx);
    gp_json_add_u64(root, "n_ctx_seq", c->n_ctx_seq);
    gp_json_add_u64(root, "n_batch", c->n_batch);
    gp_json_add_u64(root, "n_ubatch", c->n_ubatch);
    gp_json_add_u64(root, "n_seq", c->n_seq);
    cJSON_AddBoolToObject(root, "kv_unified", c->kv_unified);
    cJSON_AddBoolToObject(root, "flash_attn", c->flash_attn);
    cJSON *devs = cJSON_AddArrayToObject(root, "devices");
    gp_mem_device sum = {0};
    uint64_t in_use = 0;
    for (uint32_t i = 0; i < r->n_devices; i++) {
        const gp_mem_device *x = &r->dev[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->dev[i].name);
        gp_json_add_u64(o, "model", x->model);
        gp_json_add_u64(o, "context", x->context);
        gp_json_add_u64(o, "compute", x->compute);
        gp_json_add_u64(o, "total", gp_mem_device_total(x));
        gp_json_add_u64(o, "in_use", gp_mem_in_use(r, i));
        runtime_json(o, mem, i);
        if (d->dev[i].total)
            gp_json_add_u64(o, "memory", d->dev[i].total);
        if (d->dev[i].free)
            gp_json_add_u64(o, "free", d->dev[i].free);
        cJSON_AddItemToArray(devs, o);
        sum.model += x->model;
        sum.context += x->context;
        sum.compute += x->compute;
        in_use += gp_mem_in_use(r, i);
    }
    cJSON *tot = cJSON_AddObjectToObject(root, "total");
    gp_json_add_u64(tot, "model", sum.model);
    gp_json_add_u64(tot, "context", sum.context);
    gp_json_add_u64(tot, "compute", sum.compute);
    gp_json_add_u64(tot, "in_use", in_use);
    runtime_json(tot, mem, 0);
    gp_json_add_u64(root, "host_output", r->host_output);
    cJSON_AddBoolToObject(root, "compute_estimated", r->compute_estimated);
    cJSON_AddBoolToObject(root, "compute_checked", r->compute_checked);
    cJSON_AddBoolToObject(root, "compute_bound", r->compute_bound);
    cJSON *pr = cJSON_AddObjectToObject(root, "predicted");
    /* rounded as plan --json rounds them, so that the two compare equal */
    cJSON_AddNumberToObject(pr, "decode_tps", (double)(long long)(mem->cal_speed.decode_tps * 100) / 100);
    cJSON_AddNumberToObject(pr, "prefill_tps", (double)(long long)(mem->cal_speed.prefill_tps * 100) / 100);
    cJSON_AddBoolToObject(pr, "calibrated", mem->calibrated);
    cJSON *as = cJSON_AddArrayToObject(pr, "assumed");
    for (uint32_t i = 0; i < mem->n_notes; i++)
        cJSON_AddItemToArray(as, cJSON_CreateString(mem->notes[i]));
    if (r->extras.n || r->extras.note[0]) {
        /* What else the server loads; devices[] above is the main model. */
        cJSON_AddItemToObject(root, "extras", gp_extras_json(&r->extras, d));
        cJSON *all = cJSON_AddArrayToObject(root, "devices_with_extras");
        for (uint32_t i = 0; i < r->n_devices; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", d->dev[i].name);
            gp_json_add_u64(x, "total", gp_mem_on_device(r, i));
            cJSON_AddItemToArray(all, x);
        }
        if (r->extras.note[0])
            cJSON_AddStringToObject(root, "extras_note", r->extras.note);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

gp_status gp_mem_json(const gp_mem *mem, char **out, gp_error *err)
{
    gp_status st = gp_api_text_begin(out, mem, "estimate", err);
    if (st != GP_OK)
        return st;
    *out = mem_json_text(mem);
    return *out ? GP_OK : gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
}
