/* AMD GPUs from the amdgpu driver's sysfs files, the numbers ROCm itself
 * reports, without loading any ROCm library. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw/detect_internal.h"
#include "hw/gpu_table.h"

typedef struct amd_card {
    unsigned int index; /* N of /sys/class/drm/cardN */
    gp_device dev;
} amd_card;

static int by_index(const void *a, const void *b)
{
    const amd_card *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* "16.0 GT/s PCIe" -> 4. */
static uint32_t pcie_gen_of(const char *speed)
{
    double gts = strtod(speed, NULL);
    static const struct { double gts; uint32_t gen; } gens[] = {
        {2.5, 1}, {5.0, 2}, {8.0, 3}, {16.0, 4}, {32.0, 5}, {64.0, 6}};
    for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++)
        if (gts > gens[i].gts - 0.1 && gts < gens[i].gts + 0.1)
            return gens[i].gen;
    return 0;
}

/* KFD's gfx_target_version 110000 -> "gfx1100", 90010 -> "gfx90a". */
static void gfx_name(uint64_t v, char *out, size_t cap)
{
    unsigned major = (unsigned)(v / 10000), minor = (unsigned)(v / 100 % 100), step = (unsigned)(v % 100);
    if (major == 0 || major > 99 || minor > 15 || step > 15)
        return;
    snprintf(out, cap, "gfx%u%x%x", major, minor, step);
}

/* The gfx target of the KFD node whose DRM render minor is `minor`. */
static void kfd_arch(unsigned minor, char *out, size_t cap)
{
    char dir[4096];
    if (!gp_hw_path("/sys/class/kfd/kfd/topology/nodes", dir, sizeof dir))
        return;
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]) || strlen(e->d_name) > 8)
            continue;
        char path[320], buf[4096];
        snprintf(path, sizeof path, "/sys/class/kfd/kfd/topology/nodes/%s/properties", e->d_name);
        if (!gp_hw_read(path, buf, sizeof buf))
            continue;
        long long rminor = -1;
        unsigned long long gfx = 0;
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, "drm_render_minor ", 17) == 0)
                rminor = strtoll(line + 17, NULL, 10);
            else if (strncmp(line, "gfx_target_version ", 19) == 0)
                gfx = strtoull(line + 19, NULL, 10);
        }
        if (rminor == (long long)minor && gfx) {
            gfx_name(gfx, out, cap);
            break;
        }
    }
    closedir(dp);
}

/* The render node (renderD128 -> 128) of a card, or -1. */
static long render_minor(const char *card)
{
    char dir[4096], rel[256];
    snprintf(rel, sizeof rel, "/sys/class/drm/%s/device/drm", card);
    if (!gp_hw_path(rel, dir, sizeof dir))
        return -1;
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    long minor = -1;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL)
        if (strncmp(e->d_name, "renderD", 7) == 0 && isdigit((unsigned char)e->d_name[7]))
            minor = strtol(e->d_name + 7, NULL, 10);
    closedir(dp);
    return minor;
}

static bool read_card(gp_devices *d, const char *card, gp_device *dev)
{
    char path[256], buf[256];
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/vendor", card);
    if (!gp_hw_read_line(path, buf, sizeof buf) || strcasecmp(buf, "0x1002") != 0)
        return false;
    uint64_t total = 0, used = 0;
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/mem_info_vram_total", card);
    if (!gp_hw_read_u64(path, &total) || total == 0) {
        gp_devices_note(d, "AMD %s: mem_info_vram_total missing or not a number: left out", card);
        return false;
    }
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/mem_info_vram_used", card);
    if (!gp_hw_read_u64(path, &used) || used > total) {
        gp_devices_note(d, "AMD %s: mem_info_vram_used unreadable: free memory taken as all of it", card);
        used = 0;
    }
    memset(dev, 0, sizeof *dev);
    dev->kind = GP_DEV_ROCM;
    dev->total = total;
    dev->free = total - used;
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/product_name", card);
    if (gp_hw_read_line(path, buf, sizeof buf))
        snprintf(dev->model, sizeof dev->model, "%.*s", (int)sizeof dev->model - 1, buf);
    else {
        char id[32] = "";
        snprintf(path, sizeof path, "/sys/class/drm/%s/device/device", card);
        gp_hw_read_line(path, id, sizeof id);
        snprintf(dev->model, sizeof dev->model, "AMD GPU %s", id[0] ? id : "(unknown id)");
    }
    char uevent[2048];
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/uevent", card);
    if (gp_hw_read(path, uevent, sizeof uevent)) {
        const char *slot = strstr(uevent, "PCI_SLOT_NAME=");
        if (slot) {
            slot += 14;
            size_t n = strcspn(slot, "\n");
            if (n < sizeof dev->pci_bus_id)
                snprintf(dev->pci_bus_id, sizeof dev->pci_bus_id, "%.*s", (int)n, slot);
        }
    }
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/max_link_speed", card);
    if (gp_hw_read_line(path, buf, sizeof buf))
        dev->pcie_gen = pcie_gen_of(buf);
    uint64_t width;
    snprintf(path, sizeof path, "/sys/class/drm/%s/device/max_link_width", card);
    if (gp_hw_read_u64(path, &width) && width <= 64)
        dev->pcie_width = (uint32_t)width;
    long minor = render_minor(card);
    if (minor >= 0)
        kfd_arch((unsigned)minor, dev->arch, sizeof dev->arch);
    const gp_gpu_model *g = gp_gpu_table_find(dev->model);
    if (g && g->kind == GP_DEV_ROCM) {
        dev->bandwidth_gbs = g->bandwidth_gbs;
        dev->tflops = g->tflops;
        if (!dev->arch[0])
            snprintf(dev->arch, sizeof dev->arch, "%s", g->arch);
    }
    return true;
}

void gp_detect_amd(gp_devices *d)
{
    char dir[4096];
    if (!gp_hw_path("/sys/class/drm", dir, sizeof dir))
        return;
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    amd_card cards[GP_MAX_DEVICES];
    uint32_t n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL && n < GP_MAX_DEVICES) {
        /* cardN only: connectors (card0-DP-1) and render nodes are not GPUs. */
        const char *s = e->d_name;
        if (strncmp(s, "card", 4) != 0 || !s[4] || strlen(s) > 12)
            continue;
        bool digits = true;
        for (const char *p = s + 4; *p; p++)
            digits = digits && isdigit((unsigned char)*p);
        if (!digits)
            continue;
        if (read_card(d, s, &cards[n].dev)) {
            cards[n].index = (unsigned)strtoul(s + 4, NULL, 10);
            n++;
        }
    }
    closedir(dp);
    qsort(cards, n, sizeof cards[0], by_index);

    /* ROCr filters first, then HIP (which also honours CUDA_VISIBLE_DEVICES)
     * picks among what is left. */
    uint32_t order[GP_MAX_DEVICES], shown = n;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    const char *rocr = getenv("ROCR_VISIBLE_DEVICES");
    if (rocr) {
        uint32_t o[GP_MAX_DEVICES];
        shown = gp_hw_visible(d, "ROCR_VISIBLE_DEVICES", rocr, n, NULL, o);
        memcpy(order, o, shown * sizeof o[0]);
    }
    const char *hipvar = getenv("HIP_VISIBLE_DEVICES") ? "HIP_VISIBLE_DEVICES" : "CUDA_VISIBLE_DEVICES";
    const char *hip = getenv(hipvar);
    if (hip && n) {
        uint32_t o[GP_MAX_DEVICES];
        uint32_t k = gp_hw_visible(d, hipvar, hip, shown, NULL, o);
        uint32_t next[GP_MAX_DEVICES];
        for (uint32_t i = 0; i < k; i++)
            next[i] = order[o[i]];
        memcpy(order, next, k * sizeof next[0]);
        shown = k;
    }
    if (shown < n)
        gp_devices_note(d, "%s hides %u of %u AMD GPUs", rocr && !hip ? "ROCR_VISIBLE_DEVICES" : hipvar,
                        n - shown, n);
    for (uint32_t i = 0; i < shown; i++) {
        gp_device *dev = &cards[order[i]].dev;
        snprintf(dev->name, sizeof dev->name, "ROCm%u", gp_devices_count_kind(d, GP_DEV_ROCM));
        gp_error err = {0};
        if (gp_devices_insert(d, dev, &err) != GP_OK)
            gp_devices_note(d, "AMD %s left out: %s", dev->model, err.message);
    }
}
