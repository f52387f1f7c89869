/*
 * The handles of the public API (include/ggplace.h) that wrap internal
 * results. gp_devices and gp_plan_request are the internal structs
 * themselves (memory/device.h, plan/plan.h); the CLI, which also reads details
 * the public accessors leave out, sees inside these through this header.
 */
#ifndef GP_API_API_H
#define GP_API_API_H

#include <stdbool.h>
#include <stddef.h>

#include "ggplace.h"
#include "memory/device.h"
#include "memory/extras.h"
#include "memory/mem.h"
#include "memory/params.h"
#include "plan/plan.h"
#include "plan/speed.h"

struct gp_command {
    gp_run_params p;
    char **strings;      /* the argv strings p->extra points at, copied */
    size_t n_strings, cap_strings;
};

struct gp_mem {
    const gp_mem_result *r; /* &own, or the plan's */
    const gp_devices *d;    /* &devs, or the plan's */
    gp_speed speed;
    gp_mem_result own;
    bool owns;              /* own is filled (and holds a placement) */
    gp_devices devs;
    gp_extra_files files;   /* what the command loads, when opened here */
};

struct gp_plan_result {
    gp_plan plan;
    gp_devices devs;        /* the devices planned on */
    char **args;            /* NULL-terminated */
    size_t n_args;
    gp_mem mem;             /* a view of plan.mem on devs */
    gp_extra_files files;   /* what the command loads, when opened here */
};

/* Opens the projector, draft and adapters p names into files, unless the
 * caller opened them already, and points p at them. */
gp_status gp_api_open_extras(gp_run_params *p, gp_extra_files *files, gp_error *err);

#endif
