/* The public API's devices (include/ggplace.h): described, detected or read
 * from a file, and what is known of each. */
#include "api/api.h"

#include <stdlib.h>

#include "hw/detect.h"
#include "hw/gpu_spec.h"
#include "hw/hw_json.h"
#include "util/error.h"

static gp_status devices_alloc(gp_devices **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the device list");
    *out = malloc(sizeof **out);
    if (!*out)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    gp_devices_init(*out);
    return GP_OK;
}

gp_status gp_devices_new(gp_devices **out, gp_error *err)
{
    gp_status st = devices_alloc(out, err);
    if (st == GP_OK)
        (*out)->dev[0].described = true;
    return st;
}

gp_status gp_devices_new_detected(gp_devices **out, gp_error *err)
{
    gp_status st = devices_alloc(out, err);
    if (st == GP_OK)
        gp_devices_detect(*out);
    return st;
}

gp_status gp_devices_new_from_file(const char *path, gp_devices **out, gp_error *err)
{
    if (!path)
        return gp_fail(err, GP_ERR_ARG, NULL, "no file named");
    gp_status st = devices_alloc(out, err);
    if (st == GP_OK && (st = gp_devices_load_file(path, *out, err)) != GP_OK)
        gp_devices_close(out);
    return st;
}

void gp_devices_close(gp_devices **devices)
{
    if (!devices)
        return;
    free(*devices);
    *devices = NULL;
}

gp_status gp_devices_add_gpu(gp_devices *devices, const char *spec, gp_error *err)
{
    if (!devices || !spec)
        return gp_fail(err, GP_ERR_ARG, NULL, "no device list or GPU description");
    return gp_devices_add_gpu_spec(devices, spec, err);
}

gp_status gp_devices_add_rpc_server(gp_devices *devices, const char *endpoint, uint64_t bytes, gp_error *err)
{
    if (!devices || !endpoint)
        return gp_fail(err, GP_ERR_ARG, NULL, "no device list or RPC server");
    return gp_devices_add_rpc(devices, endpoint, bytes, err);
}

gp_status gp_devices_set_ram(gp_devices *devices, uint64_t bytes, gp_error *err)
{
    if (!devices || bytes == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "RAM: expected a size above 0");
    gp_device *cpu = &devices->dev[0];
    cpu->total = cpu->free = bytes;
    cpu->cpu.ram_total = cpu->cpu.ram_available = bytes;
    cpu->cpu.cgroup_limit = cpu->cpu.cgroup_usage = 0;
    cpu->described = true;
    return GP_OK;
}

gp_status gp_devices_set_cpu_cores(gp_devices *devices, uint32_t cores, gp_error *err)
{
    if (!devices || cores == 0 || cores > 65536)
        return gp_fail(err, GP_ERR_ARG, NULL, "CPU cores: expected 1 to 65536");
    gp_device *cpu = &devices->dev[0];
    cpu->cpu.cores = cores;
    if (cpu->cpu.threads < cores)
        cpu->cpu.threads = cores;
    cpu->described = true;
    return GP_OK;
}

gp_status gp_devices_set_cpu_bandwidth(gp_devices *devices, double gb_per_s, gp_error *err)
{
    if (!devices || !(gb_per_s > 0))
        return gp_fail(err, GP_ERR_ARG, NULL, "CPU bandwidth: expected GB/s above 0");
    devices->dev[0].bandwidth_gbs = gb_per_s;
    return GP_OK;
}

static const gp_device *device_at(const gp_devices *d, uint32_t i)
{
    return d && i < d->n ? &d->dev[i] : NULL;
}

uint32_t gp_devices_count(const gp_devices *devices)
{
    return devices ? devices->n : 0;
}

const char *gp_devices_name(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->name : NULL;
}

const char *gp_devices_kind(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? gp_device_kind_name(dev->kind) : NULL;
}

uint64_t gp_devices_memory_total(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->total : 0;
}

uint64_t gp_devices_memory_free(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->free : 0;
}

double gp_devices_bandwidth(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->bandwidth_gbs : 0;
}

uint32_t gp_devices_note_count(const gp_devices *devices)
{
    return devices ? devices->n_notes : 0;
}

const char *gp_devices_note_text(const gp_devices *devices, uint32_t i)
{
    return devices && i < devices->n_notes ? devices->notes[i] : NULL;
}

gp_status gp_devices_add_note(gp_devices *devices, const char *text, gp_error *err)
{
    if (!devices || !text)
        return gp_fail(err, GP_ERR_ARG, NULL, "no device list or note");
    gp_devices_note(devices, "%s", text);
    return GP_OK;
}

const char *gp_devices_model(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->model : NULL;
}

const char *gp_devices_arch(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->arch : NULL;
}

uint32_t gp_devices_pcie_gen(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->pcie_gen : 0;
}

uint32_t gp_devices_pcie_width(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev ? dev->pcie_width : 0;
}

bool gp_devices_described(const gp_devices *devices, uint32_t i)
{
    const gp_device *dev = device_at(devices, i);
    return dev && dev->described;
}

/* ---- the CPU ------------------------------------------------------------------- */

/* What the CPU entry knows beyond its memory; all zero without a list. */
static const gp_cpu_info *cpu_of(const gp_devices *devices)
{
    static const gp_cpu_info unknown;
    return devices && devices->n ? &devices->dev[0].cpu : &unknown;
}

uint32_t gp_devices_cpu_packages(const gp_devices *devices)
{
    return cpu_of(devices)->packages;
}

uint32_t gp_devices_cpu_cores(const gp_devices *devices)
{
    return cpu_of(devices)->cores;
}

uint32_t gp_devices_cpu_threads(const gp_devices *devices)
{
    return cpu_of(devices)->threads;
}

uint32_t gp_devices_cpu_numa_nodes(const gp_devices *devices)
{
    return cpu_of(devices)->numa_nodes;
}

uint64_t gp_devices_cpu_cache_size(const gp_devices *devices, uint32_t level)
{
    return level < GP_CACHE_LEVELS ? cpu_of(devices)->cache[level].size : 0;
}

uint32_t gp_devices_cpu_cache_count(const gp_devices *devices, uint32_t level)
{
    return level < GP_CACHE_LEVELS ? cpu_of(devices)->cache[level].count : 0;
}

const char *gp_devices_cpu_simd(const gp_devices *devices)
{
    return cpu_of(devices)->simd;
}

uint64_t gp_devices_ram_total(const gp_devices *devices)
{
    return cpu_of(devices)->ram_total;
}

uint64_t gp_devices_ram_available(const gp_devices *devices)
{
    return cpu_of(devices)->ram_available;
}

uint64_t gp_devices_cgroup_limit(const gp_devices *devices)
{
    return cpu_of(devices)->cgroup_limit;
}

uint64_t gp_devices_cgroup_usage(const gp_devices *devices)
{
    return cpu_of(devices)->cgroup_usage;
}

/* ---- as JSON -------------------------------------------------------------------- */

gp_status gp_devices_json(const gp_devices *devices, char **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the JSON");
    *out = NULL;
    if (!devices)
        return gp_fail(err, GP_ERR_ARG, NULL, "no device list");
    return gp_devices_to_json(devices, out, err);
}
