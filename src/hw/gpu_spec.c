#include "hw/gpu_spec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw/gpu_table.h"
#include "util/error.h"
#include "util/units.h"

/* "CUDA", "cuda", "CUDA1" (the index is ignored: names follow order). */
static bool backend_label(const char *s, size_t len, gp_device_kind *kind)
{
    static const gp_device_kind local[] = {GP_DEV_CUDA, GP_DEV_ROCM, GP_DEV_VULKAN, GP_DEV_METAL};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        const char *prefix = gp_device_kind_prefix(local[i]);
        size_t pl = strlen(prefix);
        if (len < pl || strncasecmp(s, prefix, pl) != 0)
            continue;
        size_t j = pl;
        while (j < len && isdigit((unsigned char)s[j]))
            j++;
        if (j == len) {
            *kind = local[i];
            return true;
        }
    }
    return false;
}

static gp_status add_one_gpu(gp_devices *d, const char *spec, gp_error *err)
{
    /* [BACKEND:][NAME][:SIZE], where either NAME or SIZE must be present. */
    gp_device dev;
    memset(&dev, 0, sizeof dev);
    dev.kind = GP_DEV_CUDA;
    bool have_kind = false;
    const char *rest = spec;
    const char *colon = strchr(rest, ':');
    if (colon && backend_label(rest, (size_t)(colon - rest), &dev.kind)) {
        have_kind = true;
        rest = colon + 1;
    } else if (!colon && backend_label(rest, strlen(rest), &dev.kind)) {
        return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': give a size or a card, e.g. %s:24GiB", spec, spec);
    }
    char label[128] = "";
    uint64_t bytes = 0;
    bool have_size = false;
    const char *last = strrchr(rest, ':');
    const char *size_text = last ? last + 1 : rest;
    /* A bare number is a card ("3090"), never a size in bytes. */
    bool unitless = size_text[strspn(size_text, "0123456789.")] == '\0';
    if (!unitless && gp_parse_size(size_text, &bytes)) {
        have_size = true;
        if (last) {
            size_t n = (size_t)(last - rest);
            if (n == 0 || n >= sizeof label)
                return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': expected [NAME:]SIZE, e.g. 24GiB", spec);
            memcpy(label, rest, n);
            label[n] = 0;
        }
    } else {
        if (last)
            return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': '%s' is not a size like 24GiB", spec, size_text);
        if (strlen(rest) >= sizeof label)
            return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': name too long", spec);
        snprintf(label, sizeof label, "%s", rest);
    }
    if (have_size && bytes == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': the size must be more than 0", spec);
    if (!label[0] && !have_size)
        return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': expected [NAME:]SIZE, e.g. 24GiB", spec);
    if (label[0]) {
        const gp_gpu_model *g = gp_gpu_table_find(label);
        if (g) {
            snprintf(dev.model, sizeof dev.model, "%s", g->name);
            if (!have_kind)
                dev.kind = g->kind;
            if (!have_size)
                bytes = (uint64_t)g->memory_gib << 30;
            dev.bandwidth_gbs = g->bandwidth_gbs;
            dev.tflops = g->tflops;
            dev.pcie_gen = g->pcie_gen;
            dev.pcie_width = g->pcie_width;
            if (dev.kind == g->kind)
                snprintf(dev.arch, sizeof dev.arch, "%s", g->arch);
        } else if (!have_size && strchr("+-.0123456789", label[0])) {
            /* A size gone wrong ("-5GiB", "24XB"), not a card's name. */
            return gp_fail(err, GP_ERR_ARG, NULL,
                           "--gpu '%s': '%s' is not a size: give a positive amount with its unit, like 24GiB",
                           spec, label);
        } else if (!have_size) {
            return gp_fail(err, GP_ERR_ARG, NULL,
                           "--gpu '%s': unknown card; give its memory, e.g. '%s:24GiB'", spec, label);
        } else {
            snprintf(dev.model, sizeof dev.model, "%s", label);
        }
    }
    if (dev.kind == GP_DEV_METAL) {
        if (gp_devices_count_kind(d, GP_DEV_METAL))
            return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': llama.cpp uses one Metal device", spec);
        snprintf(dev.name, sizeof dev.name, "Metal");
    } else {
        snprintf(dev.name, sizeof dev.name, "%s%u", gp_device_kind_prefix(dev.kind),
                 gp_devices_count_kind(d, dev.kind));
    }
    dev.total = bytes;
    dev.free = bytes;
    dev.described = true;
    gp_error e = {0};
    if (gp_devices_insert(d, &dev, &e) != GP_OK)
        return gp_fail(err, e.status, NULL, "--gpu '%s': %s", spec, e.message);
    return GP_OK;
}

gp_status gp_devices_add_gpu_spec(gp_devices *d, const char *spec, gp_error *err)
{
    /* "Nx..." repeats the rest N times; a leading count needs the 'x' right
     * after its digits so that "3090" stays a card name. */
    const char *p = spec;
    while (isdigit((unsigned char)*p))
        p++;
    unsigned long count = 1;
    if (p > spec && (*p == 'x' || *p == 'X') && p[1]) {
        count = strtoul(spec, NULL, 10);
        if (count == 0 || count >= GP_MAX_DEVICES)
            return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': the count must be 1 to %d", spec,
                           GP_MAX_DEVICES - 1);
        spec = p + 1;
    }
    for (unsigned long i = 0; i < count; i++) {
        gp_status st = add_one_gpu(d, spec, err);
        if (st != GP_OK)
            return st;
    }
    return GP_OK;
}

