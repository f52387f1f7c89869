/*
 * Which models can run at the same time: each model's footprint per device
 * (at its planned settings) against each device's budget. llama-swap does no
 * memory accounting of its own, so its groups and matrix sets come from here.
 */
#ifndef GP_PLAN_CORUN_H
#define GP_PLAN_CORUN_H

#include <stddef.h>
#include <stdint.h>

#include "ggplace.h"
#include "memory/device.h"

#define GP_CORUN_MAX_MODELS 64

/* need[i * n_dev + d]: bytes model i uses on device d. budget[d]: bytes
 * device d may hold (UINT64_MAX: no limit). */
typedef struct gp_corun {
    const uint64_t *need;
    const uint64_t *budget;
    size_t n;          /* models, at most GP_CORUN_MAX_MODELS */
    uint32_t n_dev;
} gp_corun;

/* True when the models in mask fit together on every device. */
bool gp_corun_fits(const gp_corun *c, uint64_t mask);

/* Every maximal set of models that fit together (no model can be added to
 * one; none is a subset of another), models that fit alone included, as
 * bitmasks in a malloc'd array, in the order a depth-first search finds them
 * (lower model indices first). Models that do not fit even alone are in no
 * set. More than max_sets sets is GP_ERR_CONFIG. */
gp_status gp_corun_maximal_sets(const gp_corun *c, size_t max_sets, uint64_t **sets, size_t *n_sets,
                                gp_error *err);

/* A partition into groups whose members fit together (first fit, largest
 * model first); group[i] is model i's group number (0-based, -1 for a
 * model that does not fit alone). Returns the number of groups. */
size_t gp_corun_groups(const gp_corun *c, int *group);

#endif
