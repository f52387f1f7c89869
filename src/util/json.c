#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>

static cJSON *raw_u64(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_CreateRaw(buf);
}

cJSON *gp_json_add_u64(cJSON *obj, const char *key, uint64_t v)
{
    cJSON *n = raw_u64(v);
    if (n && !cJSON_AddItemToObject(obj, key, n)) {
        cJSON_Delete(n);
        return NULL;
    }
    return n;
}

cJSON *gp_json_push_u64(cJSON *arr, uint64_t v)
{
    cJSON *n = raw_u64(v);
    if (n && !cJSON_AddItemToArray(arr, n)) {
        cJSON_Delete(n);
        return NULL;
    }
    return n;
}

cJSON *gp_json_add_i64(cJSON *obj, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    cJSON *n = cJSON_CreateRaw(buf);
    if (n && !cJSON_AddItemToObject(obj, key, n)) {
        cJSON_Delete(n);
        return NULL;
    }
    return n;
}
