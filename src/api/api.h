/*
 * The handles of the public API (include/ggplace.h) that wrap internal
 * results, and what the files of api/ share. gp_devices and
 * gp_plan_request are the internal structs themselves (memory/device.h,
 * plan/plan.h). Internal to api/: its callers, the CLI included, see the
 * handles through ggplace.h only.
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
#include "memory/runtime.h"
#include "plan/plan.h"
#include "plan/speed.h"
#include "source/remote.h"
#include "swap/swap_cmd.h"
#include "verify/tune.h"
#include "verify/verify.h"
#include "util/strbuf.h"

struct gp_command {
    gp_run_params p;
    char **strings;      /* the argv strings p->extra points at, copied */
    size_t n_strings, cap_strings;
    gp_extra_files files; /* what it loads besides the model, once gp_command_open_extras opened them */
};

struct gp_open_options {
    bool offline;
    char *token;            /* given: sent everywhere; NULL: $HF_TOKEN, else the stored one */
    char *endpoint;         /* NULL: the environment's */
    gp_open_progress_fn progress;
    void *progress_ctx;
};

struct gp_mem {
    const gp_mem_result *r; /* &own, or the plan's */
    const gp_devices *d;    /* &devs, or the plan's */
    gp_speed speed;
    gp_speed cal_speed;     /* speed, scaled by the calibration tune saved (the plan's own for a plan) */
    bool calibrated;        /* a saved calibration scaled cal_speed */
    gp_mem_result own;
    bool owns;              /* own is filled (and holds a placement) */
    gp_devices devs;
    gp_extra_files files;   /* what the command loads, when opened here */
    char why[GP_RUNTIME_COUNT][256]; /* why each runtime item has its size (gp_api_mem_explain) */
    char notes[2 * GP_MAX_DEVICES][GP_SPEED_NOTE]; /* what the speed model assumed of the devices */
    uint32_t n_notes;
};

struct gp_plan_result {
    gp_plan plan;
    gp_devices devs;        /* the devices planned on */
    char **args;            /* NULL-terminated */
    size_t n_args;
    gp_mem mem;             /* a view of plan.mem on devs */
    gp_extra_files files;   /* what the command loads, when opened here */
    gp_plan_request req;    /* as planned: its calibration scales (its kept flags are in kept) */
    char **kept;            /* the flags of the command kept as given (--jinja, ...), copied */
    uint32_t n_kept;
};

struct gp_run_options {
    gp_verify_opts v;       /* llama_dir points at llama_dir below */
    gp_tune_opts t;         /* llama_dir, n_prompt and n_gen are v's at the run */
    char *llama_dir, *model_path;
    int soak_requests, soak_seconds;
    gp_swap_argv baseline;  /* the baseline as split; base_args point into it */
    char *base_args[GP_TUNE_MAX_ARGS];
    int n_base;
};

/* Opens the projector, draft and adapters p names into files, unless the
 * caller opened them already, and points p at them. */
gp_status gp_api_open_extras(gp_run_params *p, gp_extra_files *files, gp_error *err);

/* The remote options o (NULL: the defaults) stands for, the token as it
 * goes to `url` (NULL: to the Hugging Face endpoint): the one given, else
 * $HF_TOKEN, else the stored token when url is under the endpoint; buf
 * holds a stored one. */
void gp_api_remote_opts(const gp_open_options *o, const char *url, char *buf, size_t cap, gp_remote_opts *out);

/* Replaces *dst by a copy of s (NULL: none). */
gp_status gp_api_set_string(char **dst, const char *s, gp_error *err);

/* Fills mem->why and mem->notes from its result and devices. */
void gp_api_mem_explain(gp_mem *mem);

/* The checks of a function that hands out a text: GP_ERR_ARG when out is
 * NULL or obj (`what`, in the message) is missing; *out is cleared. */
gp_status gp_api_text_begin(char **out, const void *obj, const char *what, gp_error *err);
/* Hands the text built in sb to *out (GP_ERR_NOMEM when an append failed). */
gp_status gp_api_text_take(gp_strbuf *sb, char **out, gp_error *err);

/* Appends the lines of what the host grows into (gp_mem_runtime_text). */
void gp_api_mem_runtime_lines(gp_strbuf *sb, const gp_mem *mem);

/* The path llama.cpp is given for model under o. */
const char *gp_api_run_model_path(const gp_run_options *o, const gp_model *model);

#endif
