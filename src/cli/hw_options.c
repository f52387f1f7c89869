#include "cli/hw_options.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/units.h"

const char gp_hw_options_help[] =
    "  --gpu SPEC                describe a GPU (repeatable): 24GiB, \"RTX 4090\",\n"
    "                            \"RTX 4090:20GiB\", ROCm:16GiB, Vulkan:8GiB, 2x24GiB,\n"
    "                            \"4xRTX 3090\"; a size without a backend is CUDA0,\n"
    "                            CUDA1, ... in order\n"
    "  --ram SIZE                the machine's RAM (replaces what is detected)\n"
    "  --cpu-cores N             physical CPU cores (replaces what is detected)\n"
    "  --cpu-bandwidth GB/s      the CPU's memory read bandwidth (replaces the measured one;\n"
    "                            GGPLACE_MEMBW too)\n"
    "  --rpc HOST:PORT=SIZE      a llama.cpp RPC server with SIZE memory (repeatable);\n"
    "                            named RPC0[HOST:PORT] (its buffer type),\n"
    "                            listed before local GPUs\n"
    "  --hw FILE                 the machine from `ggplace devices --json` output\n"
    "                            (nothing is detected)\n"
    "  --no-detect               ignore this machine's devices\n";

void gp_hw_options_init(gp_hw_options *o)
{
    memset(o, 0, sizeof *o);
}

/* The value of "--opt VALUE" or "--opt=VALUE"; NULL when argv[*i] is not opt. */
static int take(const char *opt, int argc, char **argv, int *i, const char **value, gp_error *err)
{
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        *i += 1;
    } else if (a[n] == 0) {
        if (*i + 1 >= argc) {
            gp_fail(err, GP_ERR_ARG, NULL, "%s needs a value", opt);
            return -1;
        }
        *value = argv[*i + 1];
        *i += 2;
    } else {
        return 0;
    }
    if (!**value) {
        gp_fail(err, GP_ERR_ARG, NULL, "%s needs a value", opt);
        return -1;
    }
    return 1;
}

static int parse_rpc(const char *v, char *endpoint, size_t cap, uint64_t *size, gp_error *err)
{
    const char *eq = strrchr(v, '=');
    if (!eq || eq == v || (size_t)(eq - v) >= cap) {
        gp_fail(err, GP_ERR_ARG, NULL, "--rpc '%s': expected HOST:PORT=SIZE, e.g. 192.168.1.2:50052=24GiB", v);
        return -1;
    }
    if (!gp_parse_size(eq + 1, size) || *size == 0) {
        gp_fail(err, GP_ERR_ARG, NULL, "--rpc '%s': '%s' is not a size like 24GiB", v, eq + 1);
        return -1;
    }
    memcpy(endpoint, v, (size_t)(eq - v));
    endpoint[eq - v] = 0;
    return 1;
}

/* Whether a --gpu SPEC, or an RPC server ENDPOINT of SIZE bytes, can be
 * added to a device list: tried on an empty one. */
static gp_status check_on_scratch(const char *spec, const char *endpoint, uint64_t size, gp_error *err)
{
    gp_devices *scratch = NULL;
    gp_status st = gp_devices_new(&scratch, err);
    if (st == GP_OK)
        st = spec ? gp_devices_add_gpu(scratch, spec, err) : gp_devices_add_rpc_server(scratch, endpoint, size, err);
    gp_devices_close(&scratch);
    return st;
}

int gp_hw_options_parse(gp_hw_options *o, int argc, char **argv, int *i, gp_error *err)
{
    const char *v = NULL;
    int r;
    if (strcmp(argv[*i], "--no-detect") == 0) {
        o->no_detect = true;
        *i += 1;
        return 1;
    }
    if ((r = take("--gpu", argc, argv, i, &v, err)) != 0) {
        if (r < 0)
            return r;
        if (o->n_gpus >= GP_HW_MAX_SPECS) {
            gp_fail(err, GP_ERR_ARG, NULL, "--gpu: at most %d", GP_HW_MAX_SPECS);
            return -1;
        }
        /* Check the spec now, so the error names it before anything is detected. */
        if (check_on_scratch(v, NULL, 0, err) != GP_OK)
            return -1;
        o->gpus[o->n_gpus++] = v;
        return 1;
    }
    /* llama.cpp's own "--rpc HOST:PORT,HOST:PORT" (no sizes) is a llama.cpp
     * flag, left to the caller; "--rpc HOST:PORT=SIZE" describes a device. */
    if (strcmp(argv[*i], "--rpc") == 0 && *i + 1 < argc && !strchr(argv[*i + 1], '='))
        return 0;
    if ((r = take("--rpc", argc, argv, i, &v, err)) != 0) {
        if (r < 0)
            return r;
        char ep[64];
        uint64_t size;
        if (parse_rpc(v, ep, sizeof ep, &size, err) < 0)
            return -1;
        if (check_on_scratch(NULL, ep, size, err) != GP_OK)
            return -1;
        for (uint32_t k = 0; k < o->n_rpcs; k++) {
            char other[64];
            uint64_t s2;
            if (parse_rpc(o->rpcs[k], other, sizeof other, &s2, NULL) > 0 && strcmp(other, ep) == 0) {
                gp_fail(err, GP_ERR_ARG, NULL, "--rpc: %s is given twice", ep);
                return -1;
            }
        }
        if (o->n_rpcs >= GP_HW_MAX_SPECS) {
            gp_fail(err, GP_ERR_ARG, NULL, "--rpc: at most %d", GP_HW_MAX_SPECS);
            return -1;
        }
        o->rpcs[o->n_rpcs++] = v;
        return 1;
    }
    if ((r = take("--ram", argc, argv, i, &v, err)) != 0) {
        if (r < 0)
            return r;
        uint64_t size;
        if (!gp_parse_size(v, &size) || size == 0) {
            gp_fail(err, GP_ERR_ARG, NULL, "--ram '%s': not a size like 64GiB", v);
            return -1;
        }
        if (o->ram && o->ram != size) {
            gp_fail(err, GP_ERR_ARG, NULL, "--ram is given twice with different sizes");
            return -1;
        }
        o->ram = size;
        return 1;
    }
    if ((r = take("--cpu-cores", argc, argv, i, &v, err)) != 0) {
        if (r < 0)
            return r;
        char *end = NULL;
        unsigned long n = isdigit((unsigned char)v[0]) ? strtoul(v, &end, 10) : 0;
        if (!end || *end || n == 0 || n > 65536) {
            gp_fail(err, GP_ERR_ARG, NULL, "--cpu-cores '%s': expected a number of cores", v);
            return -1;
        }
        if (o->cpu_cores && o->cpu_cores != n) {
            gp_fail(err, GP_ERR_ARG, NULL, "--cpu-cores is given twice with different numbers");
            return -1;
        }
        o->cpu_cores = (uint32_t)n;
        return 1;
    }
    if ((r = take("--cpu-bandwidth", argc, argv, i, &v, err)) != 0) {
        if (r < 0)
            return r;
        char *end = NULL;
        double gbs = isdigit((unsigned char)v[0]) ? strtod(v, &end) : 0;
        if (!end || *end || !(gbs > 0) || gbs > 1e5) {
            gp_fail(err, GP_ERR_ARG, NULL, "--cpu-bandwidth '%s': expected GB/s, like 80", v);
            return -1;
        }
        o->cpu_bandwidth = gbs;
        return 1;
    }
    if ((r = take("--hw", argc, argv, i, &v, err)) != 0) {
        if (r < 0)
            return r;
        if (o->hw_file && strcmp(o->hw_file, v) != 0) {
            gp_fail(err, GP_ERR_ARG, NULL, "--hw is given twice: one machine at a time");
            return -1;
        }
        o->hw_file = v;
        return 1;
    }
    return 0;
}

/* What the options say over the machine read or detected: --ram, the CPU's
 * bandwidth and cores, then the --rpc servers and --gpu cards. Parsing
 * checked the values, so only a full device list fails here. */
static gp_status apply_options(const gp_hw_options *o, gp_devices *d, gp_error *err)
{
    gp_status st = GP_OK;
    if (o->ram && (st = gp_devices_set_ram(d, o->ram, err)) != GP_OK)
        return st;
    /* The CPU's bandwidth: --cpu-bandwidth, else GGPLACE_MEMBW wherever
       detection did not read it (--no-detect, a --hw file without it). */
    const char *env = getenv("GGPLACE_MEMBW");
    if (o->cpu_bandwidth > 0)
        st = gp_devices_set_cpu_bandwidth(d, o->cpu_bandwidth, err);
    else if (gp_devices_bandwidth(d, 0) <= 0 && env && strtod(env, NULL) > 0)
        st = gp_devices_set_cpu_bandwidth(d, strtod(env, NULL), err);
    if (st != GP_OK)
        return st;
    if (o->cpu_cores && (st = gp_devices_set_cpu_cores(d, o->cpu_cores, err)) != GP_OK)
        return st;
    for (uint32_t k = 0; k < o->n_rpcs; k++) {
        char ep[64];
        uint64_t size;
        if (parse_rpc(o->rpcs[k], ep, sizeof ep, &size, err) < 0)
            return GP_ERR_ARG;
        if ((st = gp_devices_add_rpc_server(d, ep, size, err)) != GP_OK)
            return st;
    }
    for (uint32_t k = 0; k < o->n_gpus; k++)
        if ((st = gp_devices_add_gpu(d, o->gpus[k], err)) != GP_OK)
            return st;
    return GP_OK;
}

gp_status gp_hw_options_resolve(const gp_hw_options *o, gp_devices **out, gp_error *err)
{
    gp_devices *d = NULL;
    gp_status st;
    *out = NULL;
    if (o->hw_file) {
        st = gp_devices_new_from_file(o->hw_file, &d, err);
    } else if (o->no_detect) {
        st = gp_devices_new(&d, err);
        if (st == GP_OK && !o->ram)
            st = gp_devices_add_note(d, "RAM size unknown: give --ram", err);
    } else {
        st = gp_devices_new_detected(&d, err);
    }
    if (st == GP_OK && (st = apply_options(o, d, err)) == GP_OK)
        *out = d;
    else
        gp_devices_close(&d);
    return st;
}
