/* Small helpers over cJSON that keep integers exact. */
#ifndef GP_UTIL_JSON_H
#define GP_UTIL_JSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* Adds an unsigned integer as a plain JSON number, exact beyond 2^53. */
cJSON *gp_json_add_u64(cJSON *obj, const char *key, uint64_t v);
/* Appends an unsigned integer to an array. */
cJSON *gp_json_push_u64(cJSON *arr, uint64_t v);
cJSON *gp_json_add_i64(cJSON *obj, const char *key, int64_t v);

#endif
