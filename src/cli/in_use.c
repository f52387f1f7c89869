#include "cli/in_use.h"

#include <stdlib.h>

#include "util/json.h"

void gp_cli_print_runtime(FILE *f, const gp_mem *mem)
{
    char *s = NULL;
    if (gp_mem_runtime_text(mem, &s, NULL) == GP_OK)
        fputs(s, f);
    free(s);
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
