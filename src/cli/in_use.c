#include "cli/in_use.h"

#include "util/json.h"
#include "util/units.h"

void gp_cli_print_runtime(FILE *f, const gp_mem *mem)
{
    uint64_t total = 0;
    for (uint32_t k = 0; k < gp_mem_runtime_count(mem); k++)
        total += gp_mem_runtime_bytes(mem, k);
    if (!total)
        return;
    fprintf(f, "%s grows into, at the steady-state peak (a full context in every slot, every cache at its bound):\n",
            gp_mem_device_name(mem, 0));
    if (gp_mem_logits_bytes(mem)) {
        char v[32];
        gp_format_mib(gp_mem_logits_bytes(mem), v, sizeof v);
        fprintf(f, "  %-13s %12s  the logits of every slot\n", "logits", v);
    }
    for (uint32_t k = 0; k < gp_mem_runtime_count(mem); k++) {
        if (!gp_mem_runtime_bytes(mem, k))
            continue;
        char v[32];
        gp_format_mib(gp_mem_runtime_bytes(mem, k), v, sizeof v);
        fprintf(f, "  %-13s %12s  %s\n", gp_mem_runtime_name(mem, k), v, gp_mem_runtime_why(mem, k));
    }
}

/* What device i grows into, by item (the host's logits buffer included). */
void gp_cli_json_runtime(cJSON *o, const gp_mem *mem, uint32_t i)
{
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    if (i != 0)
        return;
    gp_json_add_u64(rt, "logits", gp_mem_logits_bytes(mem));
    for (uint32_t k = 0; k < gp_mem_runtime_count(mem); k++)
        gp_json_add_u64(rt, gp_mem_runtime_name(mem, k), gp_mem_runtime_bytes(mem, k));
}
