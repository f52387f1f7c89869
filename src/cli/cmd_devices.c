/* ggplace devices [--json] [hardware options] */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/hw_options.h"
#include "hw/hw_json.h"
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
    for (uint32_t i = 0; i < d->n; i++) {
        const gp_device *x = &d->dev[i];
        char mem[32], fr[32], bw[32] = "-", link[32] = "-";
        size_text(x->total, mem, sizeof mem);
        size_text(x->free, fr, sizeof fr);
        if (x->bandwidth_gbs > 0)
            snprintf(bw, sizeof bw, "%.0f GB/s", x->bandwidth_gbs);
        if (x->pcie_gen && x->pcie_width)
            snprintf(link, sizeof link, "%u x%u", x->pcie_gen, x->pcie_width);
        else if (x->pcie_gen)
            snprintf(link, sizeof link, "%u", x->pcie_gen);
        fprintf(f, "%-22s %-7s %-30.30s %11s %11s %10s %-8s %-8s %s\n", x->name, gp_device_kind_name(x->kind),
                x->model[0] ? x->model : "-", mem, fr, bw, link, x->arch[0] ? x->arch : "-",
                x->described ? "described" : "detected");
    }
    const gp_cpu_info *c = &d->dev[0].cpu;
    fprintf(f, "\nCPU       ");
    if (c->packages)
        fprintf(f, "%u package%s, ", c->packages, c->packages == 1 ? "" : "s");
    fprintf(f, "%u physical cores, %u threads", c->cores, c->threads);
    if (c->numa_nodes)
        fprintf(f, ", %u NUMA node%s", c->numa_nodes, c->numa_nodes == 1 ? "" : "s");
    fprintf(f, "\n");
    static const char *levels[GP_CACHE_LEVELS] = {"L1d", "L2", "L3"};
    bool any = false;
    for (int l = 0; l < GP_CACHE_LEVELS; l++) {
        if (!c->cache[l].size)
            continue;
        char s[32];
        gp_format_bytes(c->cache[l].size, s, sizeof s);
        fprintf(f, "%s%s %s x%u", any ? ", " : "caches    ", levels[l], s, c->cache[l].count);
        any = true;
    }
    if (any)
        fprintf(f, "\n");
    if (c->simd[0])
        fprintf(f, "SIMD      %s\n", c->simd);
    char t[32], a[32];
    size_text(c->ram_total, t, sizeof t);
    size_text(c->ram_available, a, sizeof a);
    fprintf(f, "RAM       %s total, %s available", t, a);
    if (c->cgroup_limit) {
        char l[32], u[32];
        gp_format_bytes(c->cgroup_limit, l, sizeof l);
        gp_format_bytes(c->cgroup_usage, u, sizeof u);
        fprintf(f, "; cgroup limit %s (%s used)", l, u);
    }
    fprintf(f, "\n");
    for (uint32_t i = 0; i < d->n_notes; i++)
        fprintf(f, "note: %s\n", d->notes[i]);
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
    gp_devices devs;
    gp_status st = gp_hw_options_resolve(&hw, &devs, &err);
    if (st != GP_OK) {
        if (st == GP_ERR_ARG)
            return gp_cli_usage_error(cli, "devices: %s", err.message);
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    if (!json) {
        print_table(cli->out, &devs);
        return GP_EXIT_OK;
    }
    char *s = NULL;
    if (gp_devices_to_json(&devs, &s, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    fprintf(cli->out, "%s\n", s);
    free(s);
    return GP_EXIT_OK;
}
