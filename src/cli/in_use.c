#include "cli/in_use.h"

#include "util/json.h"
#include "util/units.h"

/* Why each runtime item has its size, and what shrinks it. */
static void runtime_why(const gp_mem_result *r, gp_runtime_item i, char *buf, size_t size)
{
    const gp_runtime_mem *rt = &r->runtime;
    char one[32], all[32];
    buf[0] = 0;
    switch (i) {
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

void gp_cli_print_runtime(FILE *f, const gp_devices *d, const gp_mem_result *r)
{
    if (!gp_runtime_total(&r->runtime))
        return;
    fprintf(f, "%s grows into, at the steady-state peak (a full context in every slot, every cache at its bound):\n",
            d->dev[0].name);
    if (r->host_output) {
        char v[32];
        gp_format_mib(r->host_output, v, sizeof v);
        fprintf(f, "  %-13s %12s  the logits of every slot\n", "logits", v);
    }
    for (int i = 0; i < GP_RUNTIME_COUNT; i++) {
        if (!r->runtime.item[i])
            continue;
        char v[32], why[256];
        gp_format_mib(r->runtime.item[i], v, sizeof v);
        runtime_why(r, (gp_runtime_item)i, why, sizeof why);
        fprintf(f, "  %-13s %12s  %s\n", gp_runtime_item_name((gp_runtime_item)i), v, why);
    }
}

/* What device i grows into, by item (the host's logits buffer included). */
void gp_cli_json_runtime(cJSON *o, const gp_mem_result *r, uint32_t i)
{
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    if (i != 0)
        return;
    gp_json_add_u64(rt, "logits", r->host_output);
    for (int k = 0; k < GP_RUNTIME_COUNT; k++)
        gp_json_add_u64(rt, gp_runtime_item_name((gp_runtime_item)k), r->runtime.item[k]);
}

