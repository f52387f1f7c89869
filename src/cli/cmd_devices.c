/* ggplace devices [--json] [hardware options] */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/hw_options.h"
#include "util/units.h"

void gp_help_devices(FILE *f)
{
    fprintf(f,
            "Usage: ggplace devices [--json] [HARDWARE OPTIONS]\n"
            "\n"
            "Shows the devices llama.cpp will see, under the names it uses (CPU, CUDA0,\n"
            "ROCm0, Vulkan0, RPC0[host:port]), with the numbers that decide a plan: memory\n"
            "total and free, memory bandwidth, PCIe link; for the CPU its cores, NUMA nodes,\n"
            "caches, SIMD extensions, RAM and container memory limit. NVIDIA GPUs are read\n"
            "through NVML, AMD GPUs from sysfs, others through Vulkan; each is optional.\n"
            "Other machines can be described with the options below, or saved with --json\n"
            "and loaded anywhere with --hw.\n"
            "\n"
            "Hardware:\n"
            "%s"
            "\n"
            "Output:\n"
            "  --json                    {devices: [{name, kind, model, memory, free,\n"
            "                            described, ...}], notes: [...]}; see docs/devices.md\n",
            gp_hw_options_help);
}

static void size_text(uint64_t v, char *buf, size_t cap)
{
    if (v)
        gp_format_bytes(v, buf, cap);
    else
        snprintf(buf, cap, "-");
}

static void print_table(FILE *f, const gp_devices *d)
{
    fprintf(f, "%-22s %-7s %-30s %11s %11s %10s %-8s %-8s %s\n", "device", "kind", "model", "memory", "free",
            "bandwidth", "PCIe", "arch", "source");
    for (uint32_t i = 0; i < gp_devices_count(d); i++) {
        const char *model = gp_devices_model(d, i), *arch = gp_devices_arch(d, i);
        const uint32_t gen = gp_devices_pcie_gen(d, i), width = gp_devices_pcie_width(d, i);
        char mem[32], fr[32], bw[32] = "-", link[32] = "-";
        size_text(gp_devices_memory_total(d, i), mem, sizeof mem);
        size_text(gp_devices_memory_free(d, i), fr, sizeof fr);
        if (gp_devices_bandwidth(d, i) > 0)
            snprintf(bw, sizeof bw, "%.0f GB/s", gp_devices_bandwidth(d, i));
        if (gen && width)
            snprintf(link, sizeof link, "%u x%u", gen, width);
        else if (gen)
            snprintf(link, sizeof link, "%u", gen);
        fprintf(f, "%-22s %-7s %-30.30s %11s %11s %10s %-8s %-8s %s\n", gp_devices_name(d, i),
                gp_devices_kind(d, i), model[0] ? model : "-", mem, fr, bw, link, arch[0] ? arch : "-",
                gp_devices_described(d, i) ? "described" : "detected");
    }
    const uint32_t packages = gp_devices_cpu_packages(d), numa = gp_devices_cpu_numa_nodes(d);
    fprintf(f, "\nCPU       ");
    if (packages)
        fprintf(f, "%u package%s, ", packages, packages == 1 ? "" : "s");
    fprintf(f, "%u physical cores, %u threads", gp_devices_cpu_cores(d), gp_devices_cpu_threads(d));
    if (numa)
        fprintf(f, ", %u NUMA node%s", numa, numa == 1 ? "" : "s");
    fprintf(f, "\n");
    static const char *levels[GP_CACHE_LEVELS] = {"L1d", "L2", "L3"};
    bool any = false;
    for (uint32_t l = 0; l < GP_CACHE_LEVELS; l++) {
        if (!gp_devices_cpu_cache_size(d, l))
            continue;
        char s[32];
        gp_format_bytes(gp_devices_cpu_cache_size(d, l), s, sizeof s);
        fprintf(f, "%s%s %s x%u", any ? ", " : "caches    ", levels[l], s, gp_devices_cpu_cache_count(d, l));
        any = true;
    }
    if (any)
        fprintf(f, "\n");
    if (gp_devices_cpu_simd(d)[0])
        fprintf(f, "SIMD      %s\n", gp_devices_cpu_simd(d));
    char t[32], a[32];
    size_text(gp_devices_ram_total(d), t, sizeof t);
    size_text(gp_devices_ram_available(d), a, sizeof a);
    fprintf(f, "RAM       %s total, %s available", t, a);
    if (gp_devices_cgroup_limit(d)) {
        char l[32], u[32];
        gp_format_bytes(gp_devices_cgroup_limit(d), l, sizeof l);
        gp_format_bytes(gp_devices_cgroup_usage(d), u, sizeof u);
        fprintf(f, "; cgroup limit %s (%s used)", l, u);
    }
    fprintf(f, "\n");
    for (uint32_t i = 0; i < gp_devices_note_count(d); i++)
        fprintf(f, "note: %s\n", gp_devices_note_text(d, i));
}

int gp_cmd_devices(gp_cli *cli, int argc, char **argv)
{
    bool json = false;
    gp_hw_options hw;
    gp_hw_options_init(&hw);
    gp_error err = {0};
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
            i++;
            continue;
        }
        int r = gp_hw_options_parse(&hw, argc, argv, &i, &err);
        if (r < 0)
            return gp_cli_usage_error(cli, "devices: %s", err.message);
        if (r == 0)
            return gp_cli_usage_error(cli, "devices: unknown option '%s' (see ggplace help devices)", argv[i]);
    }
    gp_devices *devs = NULL;
    gp_status st = gp_hw_options_resolve(&hw, &devs, &err);
    if (st != GP_OK) {
        if (st == GP_ERR_ARG)
            return gp_cli_usage_error(cli, "devices: %s", err.message);
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    int rc = GP_EXIT_OK;
    char *s = NULL;
    if (!json) {
        print_table(cli->out, devs);
    } else if (gp_devices_json(devs, &s, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        rc = GP_EXIT_FAIL;
    } else {
        fprintf(cli->out, "%s\n", s);
    }
    free(s);
    gp_devices_close(&devs);
    return rc;
}
