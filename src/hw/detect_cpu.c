/* The CPU entry: topology from hwloc, memory from /proc/meminfo and the
 * cgroup this process runs in, SIMD extensions from /proc/cpuinfo. */
#include <ctype.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hw/detect_internal.h"
#include "util/units.h"

/* "MemTotal:  24684084 kB" -> bytes. */
static bool meminfo_field(const char *text, const char *key, uint64_t *out)
{
    size_t kl = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, kl) != 0 || line[kl] != ':')
            continue;
        const char *p = line + kl + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        char *end = NULL;
        unsigned long long v = strtoull(p, &end, 10);
        while (*end == ' ')
            end++;
        if (strncmp(end, "kB", 2) != 0 || v > (UINT64_MAX >> 10))
            return false;
        *out = (uint64_t)v << 10;
        return true;
    }
    return false;
}

static void read_meminfo(gp_devices *d, gp_cpu_info *c)
{
    char buf[16384];
    if (!gp_hw_read("/proc/meminfo", buf, sizeof buf)) {
        gp_devices_note(d, "cannot read /proc/meminfo: RAM size unknown");
        return;
    }
    if (!meminfo_field(buf, "MemTotal", &c->ram_total)) {
        gp_devices_note(d, "/proc/meminfo has no readable MemTotal: RAM size unknown");
        c->ram_total = 0;
        return;
    }
    if (!meminfo_field(buf, "MemAvailable", &c->ram_available)) {
        gp_devices_note(d, "/proc/meminfo has no readable MemAvailable: free RAM taken as MemFree");
        if (!meminfo_field(buf, "MemFree", &c->ram_available))
            c->ram_available = 0;
    }
}

/* A cgroup limit: "max" (v2) or a huge page-rounded number (v1) means none. */
static bool read_limit(const char *path, uint64_t *out, bool *malformed)
{
    char buf[64];
    if (!gp_hw_read_line(path, buf, sizeof buf))
        return false;
    if (strcmp(buf, "max") == 0) {
        *out = 0;
        return true;
    }
    uint64_t v;
    if (!gp_hw_read_u64(path, &v)) {
        *malformed = true;
        return false;
    }
    *out = v >= (UINT64_C(1) << 60) ? 0 : v;
    return true;
}

static void read_cgroup(gp_devices *d, gp_cpu_info *c)
{
    char buf[4096];
    if (!gp_hw_read("/proc/self/cgroup", buf, sizeof buf))
        return;
    /* Prefer the v1 memory controller when mounted, else the v2 hierarchy. */
    char v1[1024] = "", v2[1024] = "";
    bool v1_found = false, v2_found = false;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = 0;
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (strlen(path) >= sizeof v1 || path[0] != '/' || strstr(path, ".."))
            continue;
        if (!ctrls[0]) {
            snprintf(v2, sizeof v2, "%s", path);
            v2_found = true;
        } else {
            /* Controllers are comma-separated: look for "memory" as a word. */
            const char *m = strstr(ctrls, "memory");
            if (m && (m == ctrls || m[-1] == ',') && (m[6] == 0 || m[6] == ',')) {
                snprintf(v1, sizeof v1, "%s", path);
                v1_found = true;
            }
        }
    }
    struct stat st;
    char probe[4096];
    const char *base, *limit_file, *usage_file;
    char *path;
    if (v1_found && gp_hw_path("/sys/fs/cgroup/memory", probe, sizeof probe) && stat(probe, &st) == 0) {
        base = "/sys/fs/cgroup/memory";
        limit_file = "memory.limit_in_bytes";
        usage_file = "memory.usage_in_bytes";
        path = v1;
    } else if (v2_found) {
        base = "/sys/fs/cgroup";
        limit_file = "memory.max";
        usage_file = "memory.current";
        path = v2;
    } else {
        return;
    }
    /* The effective limit is the smallest on the way up to the root. Inside a
     * container the path may name the host's view, absent here: then only the
     * root of the hierarchy (the container's own cgroup) counts. */
    uint64_t limit = 0, usage = 0;
    bool have_usage = false, malformed = false;
    for (;;) {
        char f[2048];
        const char *sep = strcmp(path, "/") == 0 ? "" : "/";
        snprintf(f, sizeof f, "%s%s%s%s", base, path, sep, limit_file);
        uint64_t v;
        if (read_limit(f, &v, &malformed) && v && (!limit || v < limit))
            limit = v;
        if (!have_usage) {
            snprintf(f, sizeof f, "%s%s%s%s", base, path, sep, usage_file);
            have_usage = gp_hw_read_u64(f, &usage);
        }
        if (strcmp(path, "/") == 0 || !path[0])
            break;
        char *slash = strrchr(path, '/');
        if (slash == path)
            path[1] = 0;
        else
            *slash = 0;
    }
    if (malformed)
        gp_devices_note(d, "a cgroup memory limit file is not a number: ignored");
    if (limit) {
        c->cgroup_limit = limit;
        c->cgroup_usage = have_usage ? usage : 0;
    }
}

static void read_simd(gp_devices *d, gp_cpu_info *c, char *model, size_t model_cap, uint32_t *n_proc)
{
    static char buf[1 << 20];
    if (!gp_hw_read("/proc/cpuinfo", buf, sizeof buf)) {
        gp_devices_note(d, "cannot read /proc/cpuinfo: SIMD extensions unknown");
        return;
    }
    /* The extensions llama.cpp's CPU backend has kernels for. */
    static const char *wanted[] = {
        "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "f16c", "fma", "avx2", "avx_vnni",
        "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8",
        "amx_bf16", "asimd", "asimdhp", "asimddp", "i8mm", "sve", "sve2", "bf16", "neon",
    };
    const char *flags = NULL;
    uint32_t procs = 0;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (strncmp(line, "processor", 9) == 0 && (line[9] == ' ' || line[9] == '\t' || line[9] == ':'))
            procs++;
        char *colon = strchr(line, ':');
        if (colon && !flags && (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0))
            flags = colon + 1;
        if (colon && !model[0] && strncmp(line, "model name", 10) == 0) {
            const char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            snprintf(model, model_cap, "%s", v);
        }
        line = nl ? nl + 1 : NULL;
    }
    *n_proc = procs;
    if (!flags)
        return;
    size_t o = 0;
    for (size_t w = 0; w < sizeof wanted / sizeof wanted[0]; w++) {
        /* Linux calls SSE3 "pni" (Prescott New Instructions) on x86. */
        const char *flag = strcmp(wanted[w], "sse3") == 0 && !strstr(flags, " sse3") ? "pni" : wanted[w];
        size_t wl = strlen(flag);
        for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += wl) {
            bool start = p == flags || p[-1] == ' ' || p[-1] == '\t';
            bool end = p[wl] == 0 || p[wl] == ' ' || p[wl] == '\t';
            if (start && end) {
                int n = snprintf(c->simd + o, sizeof c->simd - o, "%s%s", o ? " " : "", wanted[w]);
                if (n > 0 && (size_t)n < sizeof c->simd - o)
                    o += (size_t)n;
                break;
            }
        }
    }
}

static void read_hwloc(gp_devices *d, gp_cpu_info *c, char *model, size_t model_cap)
{
    const char *root = gp_hw_sysroot();
    char xml[4096] = "";
    if (root[0]) {
        struct stat st;
        if (!gp_hw_path("/hwloc.xml", xml, sizeof xml) || stat(xml, &st) != 0) {
            gp_devices_note(d, "no hwloc.xml under GGPLACE_SYSROOT: CPU topology unknown");
            return;
        }
    }
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0) {
        gp_devices_note(d, "hwloc could not start: CPU topology unknown");
        return;
    }
    if (xml[0] && hwloc_topology_set_xml(topo, xml) != 0) {
        gp_devices_note(d, "hwloc cannot use %s: CPU topology unknown", xml);
        hwloc_topology_destroy(topo);
        return;
    }
    if (hwloc_topology_load(topo) != 0) {
        gp_devices_note(d, "hwloc could not read the CPU topology%s%s", xml[0] ? " from " : "", xml);
        hwloc_topology_destroy(topo);
        return;
    }
    int v;
    if ((v = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE)) > 0)
        c->packages = (uint32_t)v;
    if ((v = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE)) > 0)
        c->cores = (uint32_t)v;
    if ((v = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU)) > 0)
        c->threads = (uint32_t)v;
    if ((v = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE)) > 0)
        c->numa_nodes = (uint32_t)v;
    static const hwloc_obj_type_t levels[GP_CACHE_LEVELS] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE};
    for (int l = 0; l < GP_CACHE_LEVELS; l++) {
        int n = hwloc_get_nbobjs_by_type(topo, levels[l]);
        hwloc_obj_t o = n > 0 ? hwloc_get_obj_by_type(topo, levels[l], 0) : NULL;
        if (o && o->attr) {
            c->cache[l].size = o->attr->cache.size;
            c->cache[l].count = (uint32_t)n;
        }
    }
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *name = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (name && *name)
        snprintf(model, model_cap, "%s", name);
    hwloc_topology_destroy(topo);
}

void gp_detect_cpu(gp_devices *d)
{
    gp_device *cpu = &d->dev[0];
    gp_cpu_info *c = &cpu->cpu;
    read_meminfo(d, c);
    read_cgroup(d, c);
    char hw_model[128] = "", info_model[128] = "";
    read_hwloc(d, c, hw_model, sizeof hw_model);
    uint32_t n_proc = 0;
    read_simd(d, c, info_model, sizeof info_model, &n_proc);
    snprintf(cpu->model, sizeof cpu->model, "%s", hw_model[0] ? hw_model : info_model);
    if (!c->threads && n_proc) {
        /* Without a topology, /proc/cpuinfo still counts the threads. */
        c->threads = n_proc;
        gp_devices_note(d, "physical core count unknown: %u hardware threads", n_proc);
    }
    cpu->total = c->ram_total;
    cpu->free = c->ram_available;
    if (c->cgroup_limit) {
        uint64_t room = c->cgroup_limit > c->cgroup_usage ? c->cgroup_limit - c->cgroup_usage : 0;
        if (!cpu->total || c->cgroup_limit < cpu->total) {
            char lim[32], tot[32];
            gp_format_bytes(c->cgroup_limit, lim, sizeof lim);
            gp_format_bytes(c->ram_total, tot, sizeof tot);
            gp_devices_note(d, "this process's cgroup limits memory to %s (the machine has %s)", lim, tot);
            cpu->total = c->cgroup_limit;
        }
        if (!cpu->free || room < cpu->free)
            cpu->free = room;
    }
}
