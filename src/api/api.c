/* The public API's devices, commands, memory estimates and plans (include/ggplace.h). */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "args/llama_args.h"
#include "gguf/types.h"
#include "hw/detect.h"
#include "hw/gpu_spec.h"
#include "hw/hw_json.h"
#include "memory/extras.h"
#include "model/extras.h"
#include "source/remote.h"
#include "util/error.h"

/* ---- devices ------------------------------------------------------------------ */

static gp_status devices_alloc(gp_devices **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the device list");
    *out = malloc(sizeof **out);
    if (!*out)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    gp_devices_init(*out);
    return GP_OK;
}

gp_status gp_devices_new(gp_devices **out, gp_error *err)
{
    gp_status st = devices_alloc(out, err);
    if (st == GP_OK)
        (*out)->dev[0].described = true;
    return st;
}

gp_status gp_devices_new_detected(gp_devices **out, gp_error *err)
{
    gp_status st = devices_alloc(out, err);
    if (st == GP_OK)
        gp_devices_detect(*out);
    return st;
}

gp_status gp_devices_new_from_file(const char *path, gp_devices **out, gp_error *err)
{
    if (!path)
        return gp_fail(err, GP_ERR_ARG, NULL, "no file named");
    gp_status st = devices_alloc(out, err);
    if (st == GP_OK && (st = gp_devices_load_file(path, *out, err)) != GP_OK)
        gp_devices_close(out);
    return st;
}

void gp_devices_close(gp_devices **devices)
{
    if (!devices)
        return;
    free(*devices);
    *devices = NULL;
}

gp_status gp_devices_add_gpu(gp_devices *devices, const char *spec, gp_error *err)
{
    if (!devices || !spec)
        return gp_fail(err, GP_ERR_ARG, NULL, "no device list or GPU description");
    return gp_devices_add_gpu_spec(devices, spec, err);
}

gp_status gp_devices_add_rpc_server(gp_devices *devices, const char *endpoint, uint64_t bytes, gp_error *err)
{
    if (!devices || !endpoint)
        return gp_fail(err, GP_ERR_ARG, NULL, "no device list or RPC server");
    return gp_devices_add_rpc(devices, endpoint, bytes, err);
}

gp_status gp_devices_set_ram(gp_devices *devices, uint64_t bytes, gp_error *err)
{
    if (!devices || bytes == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "RAM: expected a size above 0");
    gp_device *cpu = &devices->dev[0];
    cpu->total = cpu->free = bytes;
    cpu->cpu.ram_total = cpu->cpu.ram_available = bytes;
    cpu->cpu.cgroup_limit = cpu->cpu.cgroup_usage = 0;
    cpu->described = true;
    return GP_OK;
}

gp_status gp_devices_set_cpu_cores(gp_devices *devices, uint32_t cores, gp_error *err)
{
    if (!devices || cores == 0 || cores > 65536)
        return gp_fail(err, GP_ERR_ARG, NULL, "CPU cores: expected 1 to 65536");
    gp_device *cpu = &devices->dev[0];
    cpu->cpu.cores = cores;
    if (cpu->cpu.threads < cores)
        cpu->cpu.threads = cores;
    cpu->described = true;
    return GP_OK;
}

gp_status gp_devices_set_cpu_bandwidth(gp_devices *devices, double gb_per_s, gp_error *err)
{
    if (!devices || !(gb_per_s > 0))
        return gp_fail(err, GP_ERR_ARG, NULL, "CPU bandwidth: expected GB/s above 0");
    devices->dev[0].bandwidth_gbs = gb_per_s;
    return GP_OK;
}

static const gp_device *device_at(const gp_devices *d, uint32_t i)
{
    return d && i < d->n ? &d->dev[i] : NULL;
}

uint32_t gp_devices_count(const gp_devices *devices)
{
    return devices ? devices->n : 0;
}

const char *gp_devices_name(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->name : NULL;
}

const char *gp_devices_kind(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? gp_device_kind_name(dev->kind) : NULL;
}

uint64_t gp_devices_memory_total(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->total : 0;
}

uint64_t gp_devices_memory_free(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->free : 0;
}

double gp_devices_bandwidth(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->bandwidth_gbs : 0;
}

uint32_t gp_devices_note_count(const gp_devices *devices)
{
    return devices ? devices->n_notes : 0;
}

const char *gp_devices_note_text(const gp_devices *devices, uint32_t i)
{
    return devices && i < devices->n_notes ? devices->notes[i] : NULL;
}

/* ---- commands ----------------------------------------------------------------- */

gp_status gp_command_new(gp_app app, gp_command **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the command");
    *out = NULL;
    if (app != GP_APP_SERVER && app != GP_APP_CLI)
        return gp_fail(err, GP_ERR_ARG, NULL, "app: expected GP_APP_SERVER or GP_APP_CLI");
    gp_command *c = calloc(1, sizeof *c);
    if (!c)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    gp_run_params_default(&c->p, app);
    *out = c;
    return GP_OK;
}

static char *keep_string(gp_command *c, const char *s)
{
    if (c->n_strings == c->cap_strings) {
        size_t cap = c->cap_strings ? 2 * c->cap_strings : 8;
        char **grown = realloc(c->strings, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->strings = grown;
        c->cap_strings = cap;
    }
    char *copy = strdup(s);
    if (copy)
        c->strings[c->n_strings++] = copy;
    return copy;
}

gp_status gp_command_apply(gp_command *cmd, int argc, const char *const *argv, int *i, gp_error *err)
{
    if (!cmd || !argv || !i || *i < 0 || *i >= argc)
        return gp_fail(err, GP_ERR_ARG, NULL, "no command, or no flag at that position");
    const int from = *i;
    const uint32_t kept = cmd->p.n_extra;
    gp_status st = gp_llama_args_apply(&cmd->p, argc, (char *const *)argv, i, err);
    /* The flags kept as given point into argv (even after a bad value):
     * point them at copies. */
    const int to = *i < argc ? *i : argc;
    for (uint32_t k = kept; k < cmd->p.n_extra; k++) {
        for (int j = from; j < to; j++) {
            if (cmd->p.extra[k] != argv[j])
                continue;
            const char *copy = keep_string(cmd, argv[j]);
            if (!copy) {
                cmd->p.n_extra = k;
                return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
            }
            cmd->p.extra[k] = copy;
            break;
        }
    }
    return st;
}

gp_status gp_command_parse(int argc, const char *const *argv, gp_app app, gp_command **out, gp_error *err)
{
    gp_status st = gp_command_new(app, out, err);
    if (st != GP_OK)
        return st;
    if (argc > 0 && !argv) {
        gp_command_close(out);
        return gp_fail(err, GP_ERR_ARG, NULL, "no flags");
    }
    for (int i = 0; i < argc && st == GP_OK;) {
        if (!argv[i] || argv[i][0] != '-' || argv[i][1] == '\0')
            st = gp_fail(err, GP_ERR_ARG, NULL, "unexpected argument '%s' (llama.cpp flags only)",
                         argv[i] ? argv[i] : "(null)");
        else
            st = gp_command_apply(*out, argc, argv, &i, err);
    }
    if (st != GP_OK)
        gp_command_close(out);
    return st;
}

void gp_command_close(gp_command **cmd)
{
    if (!cmd || !*cmd)
        return;
    for (size_t k = 0; k < (*cmd)->n_strings; k++)
        free((*cmd)->strings[k]);
    free((*cmd)->strings);
    free(*cmd);
    *cmd = NULL;
}

const char *gp_command_model_path(const gp_command *cmd)
{
    return cmd && cmd->p.model_path[0] ? cmd->p.model_path : NULL;
}

/* ---- what a command loads besides the model ------------------------------------ */

static bool names_extras(const gp_load_extras *x)
{
    return x->mmproj[0] || x->mmproj_url[0] || x->draft[0] || x->draft_hf[0] || x->n_lora;
}

/* Opens the projector, draft and adapters p names into files, unless the
 * caller opened them already, and points p at them. */
static gp_status open_extras(gp_run_params *p, gp_extra_files *files, gp_error *err)
{
    memset(files, 0, sizeof *files);
    if (p->extras.files || !names_extras(&p->extras))
        return GP_OK;
    gp_remote_opts o = {.offline = p->offline, .token = p->hf_token[0] ? p->hf_token : NULL};
    gp_extra_names names;
    gp_load_extras_names(&p->extras, NULL, &names);
    gp_status st = gp_extra_files_open(&names, &o, files, err);
    if (st == GP_OK)
        p->extras.files = gp_extra_files_any(files) ? files : NULL;
    return st;
}

/* ---- memory --------------------------------------------------------------------- */

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
        st = open_extras(p, &mem->files, err);
    if (st == GP_OK)
        st = gp_mem_estimate(model, p, &mem->devs, &mem->own, err);
    if (st == GP_OK) {
        mem->owns = true;
        gp_speed_predict(model, p, &mem->devs, &mem->own, &mem->speed);
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

/* ---- plan requests ---------------------------------------------------------------- */

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

/* ---- plans ----------------------------------------------------------------------- */

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
        st = open_extras(&r->pinned, &res->files, err);
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
        *out = res;
    } else {
        if (planned)
            gp_plan_free(&res->plan);
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
