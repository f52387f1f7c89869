#include "hw/device.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/units.h"

void gp_devices_init(gp_devices *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dev[0].name, sizeof d->dev[0].name, "CPU");
    d->dev[0].kind = GP_DEV_CPU;
    d->n = 1;
}

bool gp_device_is_gpu(const gp_device *dev)
{
    return dev->kind != GP_DEV_CPU;
}

bool gp_device_op_offload(const gp_device *dev)
{
    return dev->kind == GP_DEV_CUDA || dev->kind == GP_DEV_ROCM || dev->kind == GP_DEV_VULKAN;
}

static const struct { const char *prefix; gp_device_kind kind; } backends[] = {
    {"CUDA", GP_DEV_CUDA}, {"ROCm", GP_DEV_ROCM}, {"Vulkan", GP_DEV_VULKAN},
    {"Metal", GP_DEV_METAL},
};

static uint32_t count_kind(const gp_devices *d, gp_device_kind kind)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->n; i++)
        n += d->dev[i].kind == kind;
    return n;
}

gp_status gp_devices_add_gpu_spec(gp_devices *d, const char *spec, gp_error *err)
{
    if (d->n >= GP_MAX_DEVICES)
        return gp_fail(err, GP_ERR_ARG, NULL, "--gpu: at most %d devices", GP_MAX_DEVICES - 1);
    const char *size = spec;
    const char *colon = strrchr(spec, ':');
    gp_device_kind kind = GP_DEV_CUDA;
    char label[64] = "";
    if (colon) {
        size_t n = (size_t)(colon - spec);
        if (n == 0 || n >= sizeof label)
            return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': expected [NAME:]SIZE, e.g. 24GiB", spec);
        memcpy(label, spec, n);
        label[n] = 0;
        size = colon + 1;
        for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
            size_t pl = strlen(backends[i].prefix);
            if (strncasecmp(label, backends[i].prefix, pl) == 0) {
                kind = backends[i].kind;
                break;
            }
        }
    }
    uint64_t bytes;
    if (!gp_parse_size(size, &bytes) || bytes == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "--gpu '%s': '%s' is not a size like 24GiB", spec, size);
    gp_device *dev = &d->dev[d->n];
    memset(dev, 0, sizeof *dev);
    dev->kind = kind;
    const char *prefix = "CUDA";
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (backends[i].kind == kind)
            prefix = backends[i].prefix;
    if (kind == GP_DEV_METAL)
        snprintf(dev->name, sizeof dev->name, "Metal");
    else
        snprintf(dev->name, sizeof dev->name, "%s%u", prefix, count_kind(d, kind));
    /* A label that is not a backend name is the card's model. */
    bool label_is_backend = false;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strncasecmp(label, backends[i].prefix, strlen(backends[i].prefix)) == 0)
            label_is_backend = true;
    if (label[0] && !label_is_backend)
        snprintf(dev->model, sizeof dev->model, "%s", label);
    dev->total = bytes;
    dev->free = bytes;
    dev->described = true;
    d->n++;
    return GP_OK;
}

int gp_devices_find_buft(const gp_devices *d, const char *buft)
{
    if (strcmp(buft, "CPU") == 0 || strstr(buft, "_Host") || strcmp(buft, "CPU_REPACK") == 0 ||
        strcmp(buft, "CPU_Mapped") == 0)
        return 0;
    for (uint32_t i = 0; i < d->n; i++)
        if (strcmp(d->dev[i].name, buft) == 0)
            return (int)i;
    return -1;
}
