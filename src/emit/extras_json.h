/* What else a command loads (projector, draft, MTP head, adapters) as
 * JSON: [{kind, file, compute_estimated, devices: [{name, model, context,
 * compute}]}], bytes as integers. */
#ifndef GP_EMIT_EXTRAS_JSON_H
#define GP_EMIT_EXTRAS_JSON_H

#include <cjson/cJSON.h>

#include "memory/device.h"
#include "memory/extras.h"

cJSON *gp_extras_json(const gp_extras_mem *x, const gp_devices *d);

#endif
