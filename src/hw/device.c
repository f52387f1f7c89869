#include "hw/device.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw/gpu_table.h"
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
    d->n++;
    return GP_OK;
}

/* "CUDA", "cuda", "CUDA1" (the index is ignored: names follow order). */
static bool backend_label(const char *s, size_t len, gp_device_kind *kind)
{
    for (size_t i = 1; i < N_KINDS; i++) {
        if (kinds[i].kind == GP_DEV_RPC)
            continue;
        size_t pl = strlen(kinds[i].prefix);
        if (len < pl || strncasecmp(s, kinds[i].prefix, pl) != 0)
            continue;
        size_t j = pl;
        while (j < len && isdigit((unsigned char)s[j]))
            j++;
        if (j == len) {
            *kind = kinds[i].kind;
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
            char alias[32];
            snprintf(alias, sizeof alias, "RPC%u", rpc++);
            if (!strcmp(alias, name))
                return i;
        }
    }
    return 0;
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
