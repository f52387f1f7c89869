#include "memory/device.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

void gp_devices_note(gp_devices *d, const char *fmt, ...)
{
    if (d->n_notes >= GP_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->notes[d->n_notes], sizeof d->notes[0], fmt, ap);
    va_end(ap);
    d->n_notes++;
}

bool gp_device_is_gpu(const gp_device *dev)
{
    return dev->kind != GP_DEV_CPU;
}

uint64_t gp_device_weight_alignment(const gp_device *dev)
{
    switch (dev->kind) {
    case GP_DEV_CUDA:
    case GP_DEV_ROCM: return 128;
    case GP_DEV_VULKAN: return 256; /* minStorageBufferOffsetAlignment, at most 256 */
    default: return 32;
    }
}

bool gp_device_op_offload(const gp_device *dev)
{
    return dev->kind == GP_DEV_CUDA || dev->kind == GP_DEV_ROCM || dev->kind == GP_DEV_VULKAN;
}

static const struct {
    gp_device_kind kind;
    const char *key;
    const char *prefix;
} kinds[] = {
    {GP_DEV_CPU, "cpu", "CPU"},       {GP_DEV_CUDA, "cuda", "CUDA"},
    {GP_DEV_ROCM, "rocm", "ROCm"},    {GP_DEV_VULKAN, "vulkan", "Vulkan"},
    {GP_DEV_METAL, "metal", "Metal"}, {GP_DEV_RPC, "rpc", "RPC"},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const char *gp_device_kind_name(gp_device_kind kind)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == kind)
            return kinds[i].key;
    return "unknown";
}

const char *gp_device_kind_prefix(gp_device_kind kind)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == kind)
            return kinds[i].prefix;
    return "";
}

bool gp_device_kind_parse(const char *s, gp_device_kind *out)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcasecmp(s, kinds[i].key) == 0) {
            *out = kinds[i].kind;
            return true;
        }
    return false;
}

uint32_t gp_devices_count_kind(const gp_devices *d, gp_device_kind kind)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->n; i++)
        n += d->dev[i].kind == kind;
    return n;
}

gp_status gp_devices_insert(gp_devices *d, const gp_device *dev, gp_error *err)
{
    if (d->n >= GP_MAX_DEVICES)
        return gp_fail(err, GP_ERR_ARG, NULL, "at most %d devices besides the CPU", GP_MAX_DEVICES - 1);
    if (!dev->name[0])
        return gp_fail(err, GP_ERR_ARG, NULL, "a device needs a name");
    for (uint32_t i = 0; i < d->n; i++)
        if (strcmp(d->dev[i].name, dev->name) == 0)
            return gp_fail(err, GP_ERR_ARG, NULL, "device %s is listed twice", dev->name);
    uint32_t at = d->n;
    if (dev->kind == GP_DEV_RPC) {
        /* llama.cpp adds RPC servers in front of the local GPUs. */
        at = 1;
        while (at < d->n && d->dev[at].kind == GP_DEV_RPC)
            at++;
        memmove(&d->dev[at + 1], &d->dev[at], (d->n - at) * sizeof d->dev[0]);
    }
    d->dev[at] = *dev;
    if (dev->kind == GP_DEV_RPC && !dev->rpc_ordinal)
        d->dev[at].rpc_ordinal = at;   /* RPC devices come first, right after the CPU */
    d->n++;
    return GP_OK;
}

gp_status gp_devices_add_rpc(gp_devices *d, const char *endpoint, uint64_t size, gp_error *err)
{
    const char *colon = strrchr(endpoint, ':');
    if (!colon || colon == endpoint || !colon[1])
        return gp_fail(err, GP_ERR_ARG, NULL, "--rpc '%s': expected HOST:PORT", endpoint);
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port == 0 || port > 65535 || !isdigit((unsigned char)colon[1]))
        return gp_fail(err, GP_ERR_ARG, NULL, "--rpc '%s': '%s' is not a port", endpoint, colon + 1);
    gp_device dev;
    memset(&dev, 0, sizeof dev);
    dev.kind = GP_DEV_RPC;
    if (strlen(endpoint) + 10 > sizeof dev.name)
        return gp_fail(err, GP_ERR_ARG, NULL, "--rpc '%s': host name too long", endpoint);
    /* llama.cpp v0.5.0 names an RPC server's buffer types RPC<i>[HOST:PORT],
     * i the device's index on that server; a server described here has one
     * device (a --hw file can list RPC1[...] and further ones). */
    snprintf(dev.name, sizeof dev.name, "RPC0[%s]", endpoint);
    dev.total = size;
    dev.free = size;
    dev.described = true;
    gp_error e = {0};
    if (gp_devices_insert(d, &dev, &e) != GP_OK)
        return gp_fail(err, e.status, NULL, "--rpc '%s': %s", endpoint, e.message);
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
    /* "RPC[HOST:PORT]" is read as the server's first device. */
    if (strncmp(buft, "RPC[", 4) == 0) {
        char alias[80];
        snprintf(alias, sizeof alias, "RPC0%s", buft + 3);
        for (uint32_t i = 0; i < d->n; i++)
            if (strcmp(d->dev[i].name, alias) == 0)
                return (int)i;
    }
    return -1;
}

gp_status gp_devices_add_llama_rpc(gp_devices *d, const char *list, gp_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    for (char *save = NULL, *ep = strtok_r(buf, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
        char name[160];
        snprintf(name, sizeof name, "RPC0[%s]", ep);
        if (gp_devices_find_buft(d, name) >= 0)
            continue;
        gp_status st = gp_devices_add_rpc(d, ep, 0, err);
        if (st != GP_OK)
            return st;
    }
    return GP_OK;
}

uint32_t gp_devices_find_llama(const gp_devices *d, const char *name)
{
    uint32_t rpc = 0;
    for (uint32_t i = 1; i < d->n; i++) {
        if (!strcmp(d->dev[i].name, name))
            return i;
        if (d->dev[i].kind == GP_DEV_RPC) {
            /* llama.cpp's device name, RPC0, RPC1... in the order the
               servers were given, whatever list this is */
            char alias[32];
            snprintf(alias, sizeof alias, "RPC%u", d->dev[i].rpc_ordinal ? d->dev[i].rpc_ordinal - 1 : rpc);
            rpc++;
            if (!strcmp(alias, name))
                return i;
        }
    }
    return 0;
}

void gp_devices_llama_name(const gp_devices *d, uint32_t i, char *out, size_t size)
{
    const gp_device *dev = &d->dev[i];
    if (dev->kind != GP_DEV_RPC) {
        snprintf(out, size, "%s", dev->name);
        return;
    }
    uint32_t rpc = 0;
    for (uint32_t k = 1; k < i; k++)
        rpc += d->dev[k].kind == GP_DEV_RPC;
    snprintf(out, size, "RPC%u", dev->rpc_ordinal ? dev->rpc_ordinal - 1 : rpc);
}

gp_status gp_devices_select(const gp_devices *d, const char *list, gp_devices *sub, uint32_t *map, gp_error *err)
{
    *sub = *d;
    sub->n = 1;
    map[0] = 0;
    if (!strcmp(list, "none"))
        return GP_OK;
    for (const char *s = list; *s;) {
        size_t len = strcspn(s, ",");
        char name[96];
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), s);
        uint32_t i = gp_devices_find_llama(d, name);
        if (!i)
            return gp_fail(err, GP_ERR_ARG, NULL, "-dev %s: no device named %s", list, name);
        for (uint32_t k = 1; k < sub->n; k++)
            if (map[k] == i)
                return gp_fail(err, GP_ERR_ARG, NULL, "-dev %s: %s is listed twice", list, name);
        map[sub->n] = i;
        sub->dev[sub->n++] = d->dev[i];
        s += len;
        if (*s == ',')
            s++;
    }
    return GP_OK;
}
