/*
 * A stand-in for libnvidia-ml.so.1 reporting two known cards, so detection
 * can be tested without a GPU. STUB_NVML_MODE picks a failure to simulate:
 *   (unset)    two cards, PCI order: RTX 3090 at 01:00.0, RTX 4090 at 41:00.0
 *   init_fail  nvmlInit_v2 fails (no driver loaded)
 *   count_fail the device count fails
 *   mem_fail   the second card's memory query fails
 *   garbage    the second card reports more free memory than it has
 *   bare       only init, count, handles and memory work (no name, no PCIe...)
 */
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct stub_card {
    const char *name, *uuid, *bus_id;
    unsigned long long total, free;
    unsigned int bus_width, mem_clock, pcie_gen, pcie_width;
    int cc_major, cc_minor;
} stub_card;

static const stub_card cards[2] = {
    {"NVIDIA GeForce RTX 3090", "GPU-3090aaaa-0000-1111-2222-333344445555", "00000000:01:00.0",
     25769803776ULL, 25125126144ULL, 384, 9751, 4, 16, 8, 6},
    {"NVIDIA GeForce RTX 4090", "GPU-4090bbbb-6666-7777-8888-999900001111", "00000000:41:00.0",
     25757220864ULL, 25314721792ULL, 384, 10501, 4, 8, 8, 9},
};

typedef struct memory { unsigned long long total, free, used; } memory;
typedef struct pci_info {
    char bus_id_legacy[16];
    unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
    char bus_id[32];
} pci_info;

static int mode(const char *m)
{
    const char *v = getenv("STUB_NVML_MODE");
    return v && strcmp(v, m) == 0;
}

static const stub_card *card(void *h)
{
    return h == &cards[0] || h == &cards[1] ? h : NULL;
}

static int copy(char *out, unsigned int len, const char *s)
{
    if (strlen(s) + 1 > len)
        return 7; /* insufficient size */
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

EXPORT int nvmlInit_v2(void) { return mode("init_fail") ? 9 : 0; }
EXPORT int nvmlShutdown(void) { return 0; }
EXPORT const char *nvmlErrorString(int r)
{
    return r == 9 ? "Driver Not Loaded" : r == 999 ? "Unknown Error" : "stub error";
}
EXPORT int nvmlDeviceGetCount_v2(unsigned int *n)
{
    if (mode("count_fail"))
        return 999;
    *n = 2;
    return 0;
}
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
    if (i >= 2)
        return 2;
    *h = (void *)&cards[i];
    return 0;
}
EXPORT int nvmlDeviceGetMemoryInfo(void *h, memory *m)
{
    const stub_card *c = card(h);
    if (!c || (mode("mem_fail") && c == &cards[1]))
        return 999;
    m->total = c->total;
    m->free = mode("garbage") && c == &cards[1] ? c->total * 2 : c->free;
    m->used = m->total - c->free;
    return 0;
}
EXPORT int nvmlDeviceGetName(void *h, char *out, unsigned int len)
{
    return mode("bare") || !card(h) ? 999 : copy(out, len, card(h)->name);
}
EXPORT int nvmlDeviceGetUUID(void *h, char *out, unsigned int len)
{
    return mode("bare") || !card(h) ? 999 : copy(out, len, card(h)->uuid);
}
EXPORT int nvmlDeviceGetPciInfo_v3(void *h, pci_info *p)
{
    if (mode("bare") || !card(h))
        return 999;
    memset(p, 0, sizeof *p);
    copy(p->bus_id, sizeof p->bus_id, card(h)->bus_id);
    return 0;
}
EXPORT int nvmlDeviceGetMemoryBusWidth(void *h, unsigned int *v)
{
    if (mode("bare") || !card(h))
        return 999;
    *v = card(h)->bus_width;
    return 0;
}
EXPORT int nvmlDeviceGetMaxClockInfo(void *h, int type, unsigned int *v)
{
    if (mode("bare") || !card(h) || type != 2)
        return 999;
    *v = card(h)->mem_clock;
    return 0;
}
EXPORT int nvmlDeviceGetMaxPcieLinkGeneration(void *h, unsigned int *v)
{
    if (mode("bare") || !card(h))
        return 999;
    *v = card(h)->pcie_gen;
    return 0;
}
EXPORT int nvmlDeviceGetMaxPcieLinkWidth(void *h, unsigned int *v)
{
    if (mode("bare") || !card(h))
        return 999;
    *v = card(h)->pcie_width;
    return 0;
}
EXPORT int nvmlDeviceGetCudaComputeCapability(void *h, int *major, int *minor)
{
    if (mode("bare") || !card(h))
        return 999;
    *major = card(h)->cc_major;
    *minor = card(h)->cc_minor;
    return 0;
}
