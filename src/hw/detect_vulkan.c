/* GPUs of any vendor through the Vulkan loader, loaded at run time. The
 * headers give the types only (VK_NO_PROTOTYPES); every entry point comes
 * from vkGetInstanceProcAddr. Builds without the headers skip Vulkan. */
#include "hw/detect_internal.h"

#ifndef GGPLACE_HAVE_VULKAN

void gp_detect_vulkan(gp_devices *d)
{
    (void)d;
}

#else

#define VK_NO_PROTOTYPES
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "hw/gpu_table.h"

#define LOAD_INSTANCE(var, inst, name)                            \
    do {                                                          \
        PFN_vkVoidFunction f_ = gipa(inst, name);                 \
        memcpy(&var, &f_, sizeof var);                            \
    } while (0)

typedef struct vk_fns {
    PFN_vkEnumeratePhysicalDevices enumerate;
    PFN_vkGetPhysicalDeviceProperties props;
    PFN_vkGetPhysicalDeviceProperties2 props2;
    PFN_vkGetPhysicalDeviceMemoryProperties mem;
    PFN_vkGetPhysicalDeviceMemoryProperties2 mem2;
    PFN_vkEnumerateDeviceExtensionProperties exts;
    PFN_vkDestroyInstance destroy;
} vk_fns;

static bool has_ext(const vk_fns *f, VkPhysicalDevice pd, const char *name)
{
    uint32_t n = 0;
    if (!f->exts || f->exts(pd, NULL, &n, NULL) != VK_SUCCESS || n == 0 || n > 4096)
        return false;
    VkExtensionProperties *e = calloc(n, sizeof *e);
    if (!e)
        return false;
    bool found = false;
    if (f->exts(pd, NULL, &n, e) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(e[i].extensionName, name) == 0;
    free(e);
    return found;
}

static bool is_software(const VkPhysicalDeviceProperties *p)
{
    return p->deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU || strstr(p->deviceName, "llvmpipe") ||
           strstr(p->deviceName, "lavapipe") || strstr(p->deviceName, "SwiftShader");
}

/* Memory the way llama.cpp's Vulkan backend reports it: the device-local
 * heap, free = budget - usage when VK_EXT_memory_budget is there. */
static void read_memory(const vk_fns *f, VkPhysicalDevice pd, bool budget, gp_device *dev)
{
    VkPhysicalDeviceMemoryBudgetPropertiesEXT b;
    memset(&b, 0, sizeof b);
    b.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
    VkPhysicalDeviceMemoryProperties2 m2;
    memset(&m2, 0, sizeof m2);
    m2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
    m2.pNext = budget ? &b : NULL;
    const VkPhysicalDeviceMemoryProperties *mp = &m2.memoryProperties;
    if (f->mem2)
        f->mem2(pd, &m2);
    else
        f->mem(pd, &m2.memoryProperties);
    uint32_t best = UINT32_MAX;
    for (uint32_t h = 0; h < mp->memoryHeapCount && h < VK_MAX_MEMORY_HEAPS; h++)
        if ((mp->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            (best == UINT32_MAX || mp->memoryHeaps[h].size > mp->memoryHeaps[best].size))
            best = h;
    if (best == UINT32_MAX)
        return;
    dev->total = mp->memoryHeaps[best].size;
    dev->free = dev->total;
    if (budget && f->mem2 && b.heapBudget[best] && b.heapBudget[best] >= b.heapUsage[best])
        dev->free = b.heapBudget[best] - b.heapUsage[best];
    if (dev->free > dev->total)
        dev->free = dev->total;
}

static void read_pci(const vk_fns *f, VkPhysicalDevice pd, gp_device *dev)
{
    if (!f->props2 || !has_ext(f, pd, VK_EXT_PCI_BUS_INFO_EXTENSION_NAME))
        return;
    VkPhysicalDevicePCIBusInfoPropertiesEXT pci;
    memset(&pci, 0, sizeof pci);
    pci.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT;
    VkPhysicalDeviceProperties2 p2;
    memset(&p2, 0, sizeof p2);
    p2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    p2.pNext = &pci;
    f->props2(pd, &p2);
    snprintf(dev->pci_bus_id, sizeof dev->pci_bus_id, "%04x:%02x:%02x.%x", pci.pciDomain & 0xffff,
             pci.pciBus & 0xff, pci.pciDevice & 0x1f, pci.pciFunction & 0x7);
}

/* Whether a GPU of this vendor is already listed through CUDA or ROCm. */
static bool covered(const gp_devices *d, uint32_t vendor, const char *bus_id)
{
    for (uint32_t i = 1; i < d->n; i++) {
        const gp_device *x = &d->dev[i];
        if (x->described || (x->kind != GP_DEV_CUDA && x->kind != GP_DEV_ROCM))
            continue;
        if (bus_id[0] && x->pci_bus_id[0])
            if (strcmp(bus_id, x->pci_bus_id) == 0)
                return true;
        if (!bus_id[0] && ((vendor == 0x10de && x->kind == GP_DEV_CUDA) ||
                           (vendor == 0x1002 && x->kind == GP_DEV_ROCM)))
            return true;
    }
    return false;
}

void gp_detect_vulkan(gp_devices *d)
{
    const char *override = gp_hw_lib_override("GGPLACE_VULKAN_LIB");
    if (override && !*override)
        return;
    void *lib = dlopen(override ? override : "libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        if (override)
            gp_devices_note(d, "Vulkan: cannot load %s", override);
        return;
    }
    PFN_vkGetInstanceProcAddr gipa = NULL;
    void *p = dlsym(lib, "vkGetInstanceProcAddr");
    memcpy(&gipa, &p, sizeof gipa);
    PFN_vkCreateInstance create = NULL;
    PFN_vkEnumerateInstanceVersion version = NULL;
    if (gipa) {
        LOAD_INSTANCE(create, NULL, "vkCreateInstance");
        LOAD_INSTANCE(version, NULL, "vkEnumerateInstanceVersion");
    }
    if (!create) {
        gp_devices_note(d, "Vulkan: the loader lacks vkCreateInstance: Vulkan GPUs not detected");
        dlclose(lib);
        return;
    }
    uint32_t api = VK_API_VERSION_1_0;
    if (version && version(&api) != VK_SUCCESS)
        api = VK_API_VERSION_1_0;
    bool v11 = api >= VK_API_VERSION_1_1;
    VkApplicationInfo app;
    memset(&app, 0, sizeof app);
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "ggplace";
    app.apiVersion = v11 ? VK_API_VERSION_1_1 : VK_API_VERSION_1_0;
    VkInstanceCreateInfo ci;
    memset(&ci, 0, sizeof ci);
    ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    ci.pApplicationInfo = &app;
    VkInstance inst = VK_NULL_HANDLE;
    VkResult r = create(&ci, NULL, &inst);
    if (r != VK_SUCCESS) {
        /* No driver at all is VK_ERROR_INCOMPATIBLE_DRIVER: the usual GPU-less case. */
        if (r != VK_ERROR_INCOMPATIBLE_DRIVER)
            gp_devices_note(d, "Vulkan: vkCreateInstance failed (%d): Vulkan GPUs not detected", (int)r);
        return;
    }
    vk_fns f;
    memset(&f, 0, sizeof f);
    LOAD_INSTANCE(f.enumerate, inst, "vkEnumeratePhysicalDevices");
    LOAD_INSTANCE(f.props, inst, "vkGetPhysicalDeviceProperties");
    LOAD_INSTANCE(f.mem, inst, "vkGetPhysicalDeviceMemoryProperties");
    LOAD_INSTANCE(f.exts, inst, "vkEnumerateDeviceExtensionProperties");
    LOAD_INSTANCE(f.destroy, inst, "vkDestroyInstance");
    if (v11) {
        LOAD_INSTANCE(f.props2, inst, "vkGetPhysicalDeviceProperties2");
        LOAD_INSTANCE(f.mem2, inst, "vkGetPhysicalDeviceMemoryProperties2");
    }
    uint32_t n = 0;
    VkPhysicalDevice pds[GP_MAX_DEVICES];
    if (f.enumerate && f.props && f.mem) {
        n = GP_MAX_DEVICES;
        r = f.enumerate(inst, &n, pds);
        if (r != VK_SUCCESS && r != VK_INCOMPLETE)
            n = 0;
    } else {
        gp_devices_note(d, "Vulkan: the loader lacks device queries: Vulkan GPUs not detected");
    }

    /* Which physical devices llama.cpp uses: those GGML_VK_VISIBLE_DEVICES
     * lists, else every discrete GPU, else the first other GPU. */
    VkPhysicalDeviceProperties props[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < n; i++)
        f.props(pds[i], &props[i]);
    uint32_t pick[GP_MAX_DEVICES], n_pick = 0;
    const char *visible = getenv("GGML_VK_VISIBLE_DEVICES");
    if (visible) {
        n_pick = gp_hw_visible(d, "GGML_VK_VISIBLE_DEVICES", visible, n, NULL, pick);
    } else {
        for (uint32_t i = 0; i < n; i++)
            if (props[i].deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU && !is_software(&props[i]))
                pick[n_pick++] = i;
        for (uint32_t i = 0; i < n && n_pick == 0; i++)
            if (!is_software(&props[i]))
                pick[n_pick++] = i;
    }
    for (uint32_t i = 0; i < n; i++)
        if (is_software(&props[i]))
            gp_devices_note(d, "Vulkan: '%s' is a software rasterizer, not a GPU: left out", props[i].deviceName);

    uint32_t index = 0; /* llama.cpp numbers the devices it uses, software ones included */
    for (uint32_t k = 0; k < n_pick; k++) {
        const VkPhysicalDeviceProperties *pp = &props[pick[k]];
        uint32_t my_index = index++;
        if (is_software(pp))
            continue;
        gp_device dev;
        memset(&dev, 0, sizeof dev);
        dev.kind = GP_DEV_VULKAN;
        snprintf(dev.model, sizeof dev.model, "%.*s", (int)sizeof dev.model - 1, pp->deviceName);
        read_pci(&f, pds[pick[k]], &dev);
        if (covered(d, pp->vendorID, dev.pci_bus_id)) {
            gp_devices_note(d, "Vulkan: '%s' is also listed through %s: shown once", pp->deviceName,
                            pp->vendorID == 0x10de ? "CUDA" : "ROCm");
            continue;
        }
        read_memory(&f, pds[pick[k]], v11 && has_ext(&f, pds[pick[k]], VK_EXT_MEMORY_BUDGET_EXTENSION_NAME), &dev);
        if (!dev.total) {
            gp_devices_note(d, "Vulkan: '%s' has no device-local memory: left out", pp->deviceName);
            continue;
        }
        const gp_gpu_model *g = gp_gpu_table_find(dev.model);
        if (g) {
            dev.bandwidth_gbs = g->bandwidth_gbs;
            dev.tflops = g->tflops;
            dev.pcie_gen = g->pcie_gen;
            dev.pcie_width = g->pcie_width;
        }
        snprintf(dev.name, sizeof dev.name, "Vulkan%u", my_index);
        gp_error err = {0};
        if (gp_devices_insert(d, &dev, &err) != GP_OK)
            gp_devices_note(d, "Vulkan: %s left out: %s", dev.model, err.message);
    }
    if (f.destroy)
        f.destroy(inst, NULL);
    /* The loader stays loaded: drivers it pulled in (Mesa's among them) may
     * have registered exit handlers that must still be there at exit. */
}

#endif
