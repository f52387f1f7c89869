/* NVIDIA GPUs through NVML, loaded at run time so that the binary runs on
 * machines without the driver. Only the calls below are used; their
 * signatures follow NVML's public API reference. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/detect_internal.h"
#include "hw/gpu_table.h"

typedef int nvml_return;              /* 0 is success */
typedef struct nvml_device_st *nvml_device;

typedef struct nvml_memory {
    unsigned long long total, free, used;
} nvml_memory;

/* nvmlPciInfo_t as filled by nvmlDeviceGetPciInfo_v3. */
typedef struct nvml_pci_info {
    char bus_id_legacy[16];
    unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
    char bus_id[32];
} nvml_pci_info;

enum { NVML_CLOCK_MEM = 2 };

typedef struct nvml_api {
    nvml_return (*init)(void);
    nvml_return (*shutdown)(void);
    const char *(*error_string)(nvml_return);
    nvml_return (*count)(unsigned int *);
    nvml_return (*handle)(unsigned int, nvml_device *);
    nvml_return (*name)(nvml_device, char *, unsigned int);
    nvml_return (*uuid)(nvml_device, char *, unsigned int);
    nvml_return (*pci)(nvml_device, nvml_pci_info *);
    nvml_return (*memory)(nvml_device, nvml_memory *);
    nvml_return (*bus_width)(nvml_device, unsigned int *);
    nvml_return (*max_clock)(nvml_device, int, unsigned int *);
    nvml_return (*pcie_gen)(nvml_device, unsigned int *);
    nvml_return (*pcie_width)(nvml_device, unsigned int *);
    nvml_return (*cc)(nvml_device, int *, int *);
} nvml_api;

/* POSIX lets dlsym's object pointer stand for a function; copying the bytes
 * says so without the cast ISO C warns about. */
#define LOAD(field, name)                                        \
    do {                                                         \
        void *p_ = dlsym(lib, name);                             \
        memcpy(&api->field, &p_, sizeof api->field);             \
    } while (0)

static bool load(void *lib, nvml_api *api)
{
    memset(api, 0, sizeof *api);
    LOAD(init, "nvmlInit_v2");
    LOAD(shutdown, "nvmlShutdown");
    LOAD(error_string, "nvmlErrorString");
    LOAD(count, "nvmlDeviceGetCount_v2");
    LOAD(handle, "nvmlDeviceGetHandleByIndex_v2");
    LOAD(name, "nvmlDeviceGetName");
    LOAD(uuid, "nvmlDeviceGetUUID");
    LOAD(pci, "nvmlDeviceGetPciInfo_v3");
    LOAD(memory, "nvmlDeviceGetMemoryInfo");
    LOAD(bus_width, "nvmlDeviceGetMemoryBusWidth");
    LOAD(max_clock, "nvmlDeviceGetMaxClockInfo");
    LOAD(pcie_gen, "nvmlDeviceGetMaxPcieLinkGeneration");
    LOAD(pcie_width, "nvmlDeviceGetMaxPcieLinkWidth");
    LOAD(cc, "nvmlDeviceGetCudaComputeCapability");
    return api->init && api->shutdown && api->count && api->handle && api->memory;
}

static const char *why(const nvml_api *api, nvml_return r)
{
    static char buf[32];
    const char *s = api->error_string ? api->error_string(r) : NULL;
    if (s && *s)
        return s;
    snprintf(buf, sizeof buf, "error %d", r);
    return buf;
}

/* "00000000:01:00.0" -> "0000:01:00.0", the form sysfs and Vulkan use. */
static void short_bus_id(const char *in, char *out, size_t cap)
{
    size_t n = strcspn(in, ":");
    if (n == 8 && strncmp(in, "0000", 4) == 0)
        in += 4;
    snprintf(out, cap, "%s", in);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
}

typedef struct nv_card {
    gp_device dev;
    int speed; /* compute capability * 100, for CUDA's default order */
} nv_card;

static void read_card(const nvml_api *api, nvml_device h, nv_card *c)
{
    gp_device *dev = &c->dev;
    memset(c, 0, sizeof *c);
    dev->kind = GP_DEV_CUDA;
    char buf[256];
    if (api->name && api->name(h, buf, sizeof buf) == 0) {
        buf[sizeof buf - 1] = 0;
        snprintf(dev->model, sizeof dev->model, "%.*s", (int)sizeof dev->model - 1, buf);
    }
    if (api->uuid && api->uuid(h, buf, sizeof buf) == 0) {
        buf[sizeof buf - 1] = 0;
        snprintf(dev->uuid, sizeof dev->uuid, "%.*s", (int)sizeof dev->uuid - 1, buf);
    }
    nvml_pci_info pci;
    memset(&pci, 0, sizeof pci);
    if (api->pci && api->pci(h, &pci) == 0) {
        pci.bus_id[sizeof pci.bus_id - 1] = 0;
        short_bus_id(pci.bus_id, dev->pci_bus_id, sizeof dev->pci_bus_id);
    }
    unsigned int width = 0, clock = 0;
    if (api->bus_width && api->max_clock && api->bus_width(h, &width) == 0 &&
        api->max_clock(h, NVML_CLOCK_MEM, &clock) == 0 && width && clock) {
        /* NVML's memory clock is half the data rate: two transfers a cycle. */
        double gbs = (double)clock * 2.0 * (double)width / 8.0 / 1000.0;
        dev->bandwidth_gbs = (double)(long long)(gbs * 10.0 + 0.5) / 10.0;
    }
    unsigned int v;
    if (api->pcie_gen && api->pcie_gen(h, &v) == 0 && v <= 16)
        dev->pcie_gen = v;
    if (api->pcie_width && api->pcie_width(h, &v) == 0 && v <= 64)
        dev->pcie_width = v;
    int major = 0, minor = 0;
    if (api->cc && api->cc(h, &major, &minor) == 0 && major > 0 && major < 100 && minor >= 0 && minor < 100) {
        snprintf(dev->arch, sizeof dev->arch, "%d.%d", major, minor);
        c->speed = major * 100 + minor;
    }
    /* Fill what NVML could not tell from the table of known cards. */
    const gp_gpu_model *g = dev->model[0] ? gp_gpu_table_find(dev->model) : NULL;
    if (g && g->kind == GP_DEV_CUDA) {
        if (!dev->bandwidth_gbs)
            dev->bandwidth_gbs = g->bandwidth_gbs;
        if (!dev->tflops)
            dev->tflops = g->tflops;
        if (!dev->pcie_gen)
            dev->pcie_gen = g->pcie_gen;
        if (!dev->pcie_width)
            dev->pcie_width = g->pcie_width;
        if (!dev->arch[0])
            snprintf(dev->arch, sizeof dev->arch, "%s", g->arch);
    }
}

void gp_detect_nvml(gp_devices *d)
{
    const char *override = gp_hw_lib_override("GGPLACE_NVML_LIB");
    if (override && !*override)
        return;
    void *lib = dlopen(override ? override : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        /* No NVIDIA driver is the common case, not worth a note. */
        if (override)
            gp_devices_note(d, "NVML: cannot load %s", override);
        return;
    }
    nvml_api api;
    if (!load(lib, &api)) {
        gp_devices_note(d, "NVML: the library lacks the functions needed: NVIDIA GPUs not detected");
        dlclose(lib);
        return;
    }
    nvml_return r = api.init();
    if (r != 0) {
        gp_devices_note(d, "NVML: initialization failed (%s): NVIDIA GPUs not detected", why(&api, r));
        dlclose(lib);
        return;
    }
    unsigned int n = 0;
    r = api.count(&n);
    if (r != 0) {
        gp_devices_note(d, "NVML: cannot count GPUs (%s)", why(&api, r));
        n = 0;
    }
    if (n > GP_MAX_DEVICES)
        n = GP_MAX_DEVICES;
    nv_card *cards = calloc(n ? n : 1, sizeof *cards);
    uint32_t found = 0;
    for (unsigned int i = 0; cards && i < n; i++) {
        nvml_device h = NULL;
        nvml_memory mem;
        memset(&mem, 0, sizeof mem);
        if ((r = api.handle(i, &h)) != 0) {
            gp_devices_note(d, "NVML: GPU %u: %s: left out", i, why(&api, r));
            continue;
        }
        read_card(&api, h, &cards[found]);
        if ((r = api.memory(h, &mem)) != 0 || mem.total == 0 || mem.free > mem.total) {
            gp_devices_note(d, "NVML: GPU %u (%s): memory unknown (%s): left out", i,
                            cards[found].dev.model[0] ? cards[found].dev.model : "?",
                            r ? why(&api, r) : "implausible values");
            continue;
        }
        cards[found].dev.total = mem.total;
        cards[found].dev.free = mem.free;
        found++;
    }
    api.shutdown();
    dlclose(lib);
    if (!cards) {
        gp_devices_note(d, "NVML: out of memory");
        return;
    }

    /* NVML lists cards by PCI bus; CUDA puts the fastest first unless told
     * CUDA_DEVICE_ORDER=PCI_BUS_ID. Compute capability stands in for "fastest";
     * equal cards keep their bus order. */
    const char *order_env = getenv("CUDA_DEVICE_ORDER");
    bool pci_order = order_env && strcmp(order_env, "PCI_BUS_ID") == 0;
    if (!pci_order) {
        bool mixed = false;
        for (uint32_t i = 1; i < found; i++) {
            if (strcmp(cards[i].dev.model, cards[0].dev.model) != 0)
                mixed = true;
            nv_card x = cards[i];
            uint32_t j = i;
            while (j > 0 && cards[j - 1].speed < x.speed) {
                cards[j] = cards[j - 1];
                j--;
            }
            cards[j] = x;
        }
        if (mixed)
            gp_devices_note(d, "CUDA orders unlike GPUs fastest first by its own measure; the order shown "
                            "is a guess: set CUDA_DEVICE_ORDER=PCI_BUS_ID to make it certain");
    }
    uint32_t order[GP_MAX_DEVICES];
    uint32_t shown = found;
    for (uint32_t i = 0; i < found; i++)
        order[i] = i;
    const char *visible = getenv("CUDA_VISIBLE_DEVICES");
    if (visible) {
        const char *uuids[GP_MAX_DEVICES];
        for (uint32_t i = 0; i < found; i++)
            uuids[i] = cards[i].dev.uuid;
        shown = gp_hw_visible(d, "CUDA_VISIBLE_DEVICES", visible, found, uuids, order);
        if (shown < found && found > 0)
            gp_devices_note(d, "CUDA_VISIBLE_DEVICES hides %u of %u NVIDIA GPUs", found - shown, found);
    }
    for (uint32_t i = 0; i < shown; i++) {
        gp_device *dev = &cards[order[i]].dev;
        snprintf(dev->name, sizeof dev->name, "CUDA%u", gp_devices_count_kind(d, GP_DEV_CUDA));
        gp_error e = {0};
        if (gp_devices_insert(d, dev, &e) != GP_OK)
            gp_devices_note(d, "NVML: %s left out: %s", dev->model, e.message);
    }
    free(cards);
}
