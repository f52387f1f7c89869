/* The public API's memory estimates (include/ggplace.h): what one command
 * allocates on each device, and how fast it runs. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>

#include "memory/extras.h"
#include "util/error.h"
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

/* Why each runtime item has its size, and what shrinks it. */
void gp_api_mem_explain(gp_mem *mem)
{
    const gp_mem_result *r = mem->r;
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
