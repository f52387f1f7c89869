/*
 * Tensor-override patterns for llama.cpp's -ot, written to be right:
 * anchored, dots escaped, layer ranges as correct alternations of digit-wise
 * classes (never "[6-10]"), adjacent layers merged, and checked against
 * every tensor name with ECMAScript-style first-match search before use.
 */
#ifndef GP_PLAN_OT_REGEX_H
#define GP_PLAN_OT_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ggplace.h"

/* Appends to buf a regex (no anchors, no group) matching exactly the
 * decimal numbers in [lo, hi], e.g. 0..23 -> "[0-9]|1[0-9]|2[0-3]". */
void gp_regex_int_range(uint32_t lo, uint32_t hi, char *buf, size_t size);

/* A regex (no anchors) matching exactly the numbers of a sorted set, with
 * runs merged: {0,1,2,3,7,8} -> "[0-3]|[78]". Returns false if it does not
 * fit in buf. */
bool gp_regex_int_set(const uint32_t *vals, size_t n, char *buf, size_t size);

/* One -ot entry. */
typedef struct gp_ot_rule {
    char pattern[512];
    char buft[64];
} gp_ot_rule;

/* What the planner wants moved away from llama.cpp's default placement. */
typedef struct gp_ot_request {
    const char *const *names;  /* every tensor name of the model */
    size_t n_names;
    const int32_t *want;       /* device index wanted for each tensor (-1: not loaded) */
    const int32_t *dflt;       /* device llama.cpp gives it without overrides */
    const char *const *dev_names; /* buffer type name of each device index */
    size_t n_devices;
} gp_ot_request;

/* Builds the fewest anchored rules whose first-match evaluation moves every
 * tensor to its wanted device, and proves it by evaluating them over every
 * name. On success *rules is malloc'd (caller frees) with *n_rules entries. */
gp_status gp_ot_build(const gp_ot_request *req, gp_ot_rule **rules, size_t *n_rules, gp_error *err);

/* Evaluates rules over the names as llama.cpp would (regex_search, first
 * match wins, unmatched tensors keep dflt); fills got[]. False if a pattern
 * does not compile or names a device that is not in dev_names. */
bool gp_ot_evaluate(const gp_ot_request *req, const gp_ot_rule *rules, size_t n_rules, int32_t *got);

#endif
