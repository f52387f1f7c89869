/*
 * The parts of a plan's JSON that a report draws: the model, where each
 * layer's tensors sit, the memory of the plan's placement over a range of
 * contexts for each KV cache type, and the alternatives the search weighed.
 */
#ifndef GP_EMIT_PLAN_JSON_H
#define GP_EMIT_PLAN_JSON_H

#include <cjson/cJSON.h>

#include "memory/device.h"
#include "model/model.h"
#include "plan/plan.h"

/* Adds "model", "layers", "outside", "kv_curve" and "alternatives" to root
 * (a plan object whose "devices" array lists d's devices in order, each of
 * which also gets "index", "kind" and "available"). The curve is the memory
 * model applied to the plan's flags with only -c and the cache types
 * changed. Returns GP_ERR_NOMEM when an allocation failed. */
gp_status gp_plan_json_add_details(cJSON *root, const gp_model *m, const gp_devices *d,
                                   const gp_plan *p, gp_error *err);

/* The contexts the curve is drawn at: powers of two from 2048 up to the
 * training context, the training context and the plan's own context, sorted
 * and without duplicates. Returns how many were written (at most cap). */
size_t gp_plan_curve_contexts(uint64_t n_ctx_train, uint64_t plan_ctx, uint64_t *out, size_t cap);

/* The plan as `ggplace plan --json` prints it: its args, the command cmd,
 * the context, each device's budget and memory, every tensor's device, the
 * predicted speeds, the why lines and the details above. NULL when out of
 * memory. */
char *gp_plan_json_text(const gp_model *m, const gp_devices *d, const gp_plan *p, const char *const *args,
                        const char *cmd);

#endif
