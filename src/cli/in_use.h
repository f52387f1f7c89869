/* What the server grows into after load, as mem, plan and verify print it. */
#ifndef GP_CLI_IN_USE_H
#define GP_CLI_IN_USE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "ggplace.h"

/* The host's runtime items, one line each with why it is that size and the
   flag that shrinks it; nothing when there are none. */
void gp_cli_print_runtime(FILE *f, const gp_mem *mem);

/* "runtime": {item: bytes} of device i (the host's logits buffer and items;
   empty for the other devices). */
void gp_cli_json_runtime(cJSON *o, const gp_mem *mem, uint32_t i);

#endif
