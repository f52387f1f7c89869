/*
 * A machine as JSON: what `ggplace devices --json` prints and `--hw FILE`
 * reads, so a machine described on one computer plans on any other. Writing
 * what was read gives back the same bytes. Schema: docs/devices.md.
 */
#ifndef GP_HW_JSON_H
#define GP_HW_JSON_H

#include "memory/device.h"

/* The devices and notes as pretty-printed JSON. Returns a NUL-terminated
 * string the caller frees with free(). */
gp_status gp_devices_to_json(const gp_devices *d, char **out, gp_error *err);

/* Parses that JSON into *d (replacing it). `label` names the text in errors.
 * Every key is checked: unknown keys, wrong types, names llama.cpp would not
 * accept and sizes beyond 2^53 are GP_ERR_FORMAT. */
gp_status gp_devices_from_json(const char *text, const char *label, gp_devices *d, gp_error *err);

/* The same from a file (at most 1 MiB). */
gp_status gp_devices_load_file(const char *path, gp_devices *d, gp_error *err);

#endif
