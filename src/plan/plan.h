/*
 * The planner: the fastest llama.cpp settings that fit.
 *
 * A plan is a set of llama-server flags (context, KV type, flash attention,
 * batch sizes, slots, threads, -ngl/-ts/-ot) whose memory, computed by the
 * memory model from exactly those flags, fits every device's budget, chosen
 * for predicted speed among the placements that fit.
 */
#ifndef GP_PLAN_PLAN_H
#define GP_PLAN_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "memory/device.h"
#include "memory/mem.h"
#include "model/model.h"
#include "plan/ot_regex.h"
#include "plan/speed.h"

typedef enum gp_preset {
    GP_PRESET_BALANCED = 0,
    GP_PRESET_HIGH_SPEED,
    GP_PRESET_MORE_CONTEXT,
    GP_PRESET_SYSTEM_SAFE,
    GP_PRESET_ULTRA_PERFORMANCE,
    GP_PRESET_MOE_OPTIMIZED,
    GP_PRESET_COUNT
} gp_preset;

const char *gp_preset_name(gp_preset p);
int gp_preset_from_name(const char *name);

/* GP_PLAN_CTX_DEFAULT and GP_PLAN_CTX_MAX: include/ggplace.h. */

typedef struct gp_plan_request {
    gp_preset preset;
    int64_t ctx;          /* GP_PLAN_CTX_DEFAULT, GP_PLAN_CTX_MAX, or tokens */
    int32_t parallel;     /* slots; 0 = preset default (1) */
    int64_t ctx_per_slot; /* tokens each slot may hold (-c = this x slots); 0 = not asked */
    int kv;               /* -1 auto, else a ggml type id used for K and V */
    gp_flash_attn fa;
    gp_app app;
    int64_t margin;       /* bytes kept free per GPU; -1 = preset default */
    int64_t ram_margin;   /* bytes kept free in RAM; -1 = preset default */
    double target_vram;   /* 0, or the fraction of each GPU's memory to use at most */
    gp_run_params pinned; /* the user's llama.cpp flags; user_set_* marks what is pinned */
    double decode_scale;  /* measured / modelled speed on this machine (tune); 0 = none */
    double prefill_scale;
    double moe_decode_scale, moe_prefill_scale; /* the same for routed-expert models */
    bool for_load;        /* budget RAM for the load alone, not for what the server grows into
                             (checkpoints, prompt cache): it may be killed after hours of use */
} gp_plan_request;

/* What device i's budget must hold for a plan's memory: on the host, with
 * the request's for_load off, the logits, llama-server's own memory and
 * the checkpoints and prompt cache the flags pin (unpinned, the plan sizes
 * them to the room left). Model file pages kept mapped are clean and
 * reclaimable: shown in use, not budgeted. */
uint64_t gp_plan_need(const gp_plan_request *req, const gp_mem_result *r, uint32_t i);

void gp_plan_request_default(gp_plan_request *r);

/* The calibration that applies to m (dense or routed experts): false when
 * none does. */
bool gp_plan_request_scales(const gp_plan_request *r, const gp_model *m, double *decode, double *prefill);
/* sp scaled by that calibration; false (sp untouched) when none applies */
bool gp_plan_request_calibrate(const gp_plan_request *r, const gp_model *m, gp_speed *sp);

#define GP_PLAN_MAX_WHY 16
#define GP_PLAN_MAX_ALTS 24

/* One configuration the search evaluated: the "why" behind the choice. */
typedef struct gp_plan_alt {
    uint64_t ctx;             /* requested context */
    uint32_t type_k, type_v;  /* KV cache types */
    uint32_t ubatch;
    bool fits;                /* every budget holds */
    bool chosen;              /* the plan's own configuration */
    uint32_t spilled;         /* routed-expert / FFN tensor groups moved to the CPU */
    uint32_t cpu_layers;      /* whole layers on the CPU */
    double decode_tps, prefill_tps; /* 0 when nothing fits */
    char rejected[160];       /* a fitting one that decodes faster than the plan: the rule that
                                 set it aside ("" otherwise) */
} gp_plan_alt;

typedef struct gp_plan {
    gp_run_params params;     /* the flags, overrides included */
    gp_mem_result mem;        /* memory of exactly these flags (owns placement) */
    gp_speed speed;
    uint64_t budget[GP_MAX_DEVICES]; /* bytes each device may use; UINT64_MAX = unknown */
    uint64_t need[GP_MAX_DEVICES];   /* what each budget holds: the load, and on the host the
                                        in-use peak but the reclaimable mapped file pages (the
                                        load alone with for_load) */
    gp_ot_rule *ot;           /* the -ot rules, also copied into params.overrides */
    size_t n_ot;
    uint32_t threads;         /* -t, 0 when unknown */
    char why[GP_PLAN_MAX_WHY][200];
    uint32_t n_why;
    uint32_t n_evaluated;     /* configurations the search evaluated */
    gp_plan_alt alts[GP_PLAN_MAX_ALTS]; /* the best placement per (context, KV, micro-batch) tried */
    uint32_t n_alts;
} gp_plan;

gp_status gp_plan_make(const gp_model *m, const gp_devices *d, const gp_plan_request *req,
                       gp_plan *out, gp_error *err);
void gp_plan_free(gp_plan *p);

/* The plan's llama.cpp flags as argv strings (malloc'd array of malloc'd
 * strings, NULL-terminated); the model path is not included. RPC devices
 * add --rpc with their endpoints in device order. */
char **gp_plan_args(const gp_model *m, const gp_devices *d, const gp_plan *p);
void gp_plan_args_free(char **args);

#endif
