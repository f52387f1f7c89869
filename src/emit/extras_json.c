#include "emit/extras_json.h"

#include "util/json.h"

cJSON *gp_extras_json(const gp_extras_mem *x, const gp_devices *d)
{
    cJSON *list = cJSON_CreateArray();
    for (uint32_t k = 0; list && k < x->n; k++) {
        const gp_extra_mem *e = &x->item[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", gp_extra_kind_name(e->kind));
        cJSON_AddStringToObject(o, "file", e->name);
        cJSON_AddBoolToObject(o, "compute_estimated", e->estimated);
        cJSON *dv = cJSON_AddArrayToObject(o, "devices");
        for (uint32_t i = 0; i < d->n; i++) {
            cJSON *dev = cJSON_CreateObject();
            cJSON_AddStringToObject(dev, "name", d->dev[i].name);
            gp_json_add_u64(dev, "model", e->model[i]);
            gp_json_add_u64(dev, "context", e->context[i]);
            gp_json_add_u64(dev, "compute", e->compute[i]);
            cJSON_AddItemToArray(dv, dev);
        }
        cJSON_AddItemToArray(list, o);
    }
    return list;
}
