#include "hw/gpu_table.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Public specifications: nominal memory, peak memory bandwidth, host link,
 * and dense FP16 matrix throughput (tensor / matrix cores, no sparsity;
 * Pascal: the INT8 dot-product rate llama.cpp's kernels use there), TFLOPS. */
static const gp_gpu_model table[] = {
    /* NVIDIA GeForce */
    {"RTX 3060", "3060|rtx306012gb", GP_DEV_CUDA, 12, 360, 4, 16, "8.6", 51.2},
    {"RTX 3070", "3070", GP_DEV_CUDA, 8, 448, 4, 16, "8.6", 81.3},
    {"RTX 3080", "3080|rtx308010gb", GP_DEV_CUDA, 10, 760, 4, 16, "8.6", 119.0},
    {"RTX 3090", "3090", GP_DEV_CUDA, 24, 936, 4, 16, "8.6", 142.0},
    {"RTX 3090 Ti", "3090ti", GP_DEV_CUDA, 24, 1008, 4, 16, "8.6", 160.0},
    {"RTX 4060 Ti", "4060ti|rtx4060ti16gb", GP_DEV_CUDA, 16, 288, 4, 8, "8.9", 88.3},
    {"RTX 4070", "4070", GP_DEV_CUDA, 12, 504, 4, 16, "8.9", 116.8},
    {"RTX 4070 Ti SUPER", "4070tisuper", GP_DEV_CUDA, 16, 672, 4, 16, "8.9", 176.4},
    {"RTX 4080", "4080", GP_DEV_CUDA, 16, 716.8, 4, 16, "8.9", 194.9},
    {"RTX 4090", "4090", GP_DEV_CUDA, 24, 1008, 4, 16, "8.9", 330.3},
    {"RTX 5060 Ti", "5060ti|rtx5060ti16gb", GP_DEV_CUDA, 16, 448, 5, 8, "12.0", 94.8},
    {"RTX 5070", "5070", GP_DEV_CUDA, 12, 672, 5, 16, "12.0", 123.5},
    {"RTX 5080", "5080", GP_DEV_CUDA, 16, 960, 5, 16, "12.0", 225.1},
    {"RTX 5090", "5090", GP_DEV_CUDA, 32, 1792, 5, 16, "12.0", 419.0},
    /* NVIDIA workstation and data centre */
    {"Quadro P4000", "quadrop4000|p4000", GP_DEV_CUDA, 8, 243, 3, 16, "6.1", 21.1},
    {"Quadro RTX 4000", "quadrortx4000", GP_DEV_CUDA, 8, 416, 3, 16, "7.5", 57.0},
    {"Quadro RTX 8000", "quadrortx8000|quadrortx6000", GP_DEV_CUDA, 48, 672, 3, 16, "7.5", 130.5},
    {"RTX A4000", "a4000", GP_DEV_CUDA, 16, 448, 4, 16, "8.6", 76.7},
    {"RTX A5000", "a5000", GP_DEV_CUDA, 24, 768, 4, 16, "8.6", 111.1},
    {"RTX A6000", "a6000", GP_DEV_CUDA, 48, 768, 4, 16, "8.6", 154.8},
    {"RTX 4000 Ada", "rtx4000adageneration|4000ada", GP_DEV_CUDA, 20, 360, 4, 16, "8.9", 106.9},
    {"RTX 6000 Ada", "rtx6000adageneration|6000ada", GP_DEV_CUDA, 48, 960, 4, 16, "8.9", 364.2},
    {"RTX PRO 6000 Blackwell", "rtxpro6000|rtxpro6000blackwellworkstationedition", GP_DEV_CUDA, 96, 1792, 5, 16, "12.0", 503.8},
    {"P40", "teslap40", GP_DEV_CUDA, 24, 346, 3, 16, "6.1", 47.0},
    {"P100", "teslap100|p100pcie16gb", GP_DEV_CUDA, 16, 732, 3, 16, "6.0", 18.7},
    {"T4", "teslat4", GP_DEV_CUDA, 16, 320, 3, 16, "7.5", 65.0},
    {"V100", "v100|v100sxm232gb|v100pcie32gb|v10032gb", GP_DEV_CUDA, 32, 900, 3, 16, "7.0", 125.0},
    {"A10", "a10", GP_DEV_CUDA, 24, 600, 4, 16, "8.6", 125.0},
    {"L4", "l4", GP_DEV_CUDA, 24, 300, 4, 16, "8.9", 121.0},
    {"A40", "a40", GP_DEV_CUDA, 48, 696, 4, 16, "8.6", 149.7},
    {"L40", "l40", GP_DEV_CUDA, 48, 864, 4, 16, "8.9", 181.0},
    {"L40S", "l40s", GP_DEV_CUDA, 48, 864, 4, 16, "8.9", 362.1},
    {"A100 40GB", "a100|a100pcie40gb|a100sxm440gb", GP_DEV_CUDA, 40, 1555, 4, 16, "8.0", 312.0},
    {"A100 80GB", "a10080gbpcie|a100pcie80gb", GP_DEV_CUDA, 80, 1935, 4, 16, "8.0", 312.0},
    {"A100 SXM 80GB", "a100sxm480gb|a100sxm80gb", GP_DEV_CUDA, 80, 2039, 4, 16, "8.0", 312.0},
    {"H100 PCIe", "h100|h100pcie80gb", GP_DEV_CUDA, 80, 2039, 5, 16, "9.0", 756.0},
    {"H100 SXM", "h10080gbhbm3|h100sxm580gb|h100sxm", GP_DEV_CUDA, 80, 3352, 5, 16, "9.0", 989.0},
    {"H200", "h200|h200nvl|h200sxm", GP_DEV_CUDA, 141, 4800, 5, 16, "9.0", 989.0},
    {"B200", "b200", GP_DEV_CUDA, 180, 8000, 5, 16, "10.0", 2250.0},
    /* AMD */
    {"RX 6800 XT", "6800xt", GP_DEV_ROCM, 16, 512, 4, 16, "gfx1030", 41.5},
    {"RX 6900 XT", "6900xt", GP_DEV_ROCM, 16, 512, 4, 16, "gfx1030", 46.1},
    {"RX 7800 XT", "7800xt", GP_DEV_ROCM, 16, 624, 4, 16, "gfx1101", 74.6},
    {"RX 7900 XT", "7900xt", GP_DEV_ROCM, 20, 800, 4, 16, "gfx1100", 103.0},
    {"RX 7900 XTX", "7900xtx", GP_DEV_ROCM, 24, 960, 4, 16, "gfx1100", 122.8},
    {"RX 9070 XT", "9070xt", GP_DEV_ROCM, 16, 644.6, 5, 16, "gfx1201", 195.0},
    {"PRO W7900", "w7900|radeonprow7900", GP_DEV_ROCM, 48, 864, 4, 16, "gfx1100", 122.6},
    {"MI100", "mi100|instinctmi100", GP_DEV_ROCM, 32, 1228.8, 4, 16, "gfx908", 184.6},
    {"MI210", "mi210|instinctmi210", GP_DEV_ROCM, 64, 1638.4, 4, 16, "gfx90a", 181.0},
    {"MI250X", "mi250x|instinctmi250x", GP_DEV_ROCM, 128, 3276.8, 4, 16, "gfx90a", 383.0},
    {"MI300X", "mi300x|instinctmi300x", GP_DEV_ROCM, 192, 5300, 5, 16, "gfx942", 1307.4},
    {"MI325X", "mi325x|instinctmi325x", GP_DEV_ROCM, 256, 6000, 5, 16, "gfx942", 1307.4},
    /* Intel (llama.cpp reaches them through Vulkan) */
    {"Arc A770", "a770|arca77016gb", GP_DEV_VULKAN, 16, 560, 4, 16, "", 138.0},
    {"Arc B580", "b580", GP_DEV_VULKAN, 12, 456, 4, 8, "", 116.0},
    /* Apple silicon (Metal; unified memory: the size is the machine's) */
    {"M1 Max", "m1max|applem1max", GP_DEV_METAL, 64, 400, 0, 0, "", 10.6},
    {"M1 Ultra", "m1ultra|applem1ultra", GP_DEV_METAL, 128, 800, 0, 0, "", 21.2},
    {"M2 Max", "m2max|applem2max", GP_DEV_METAL, 96, 400, 0, 0, "", 13.6},
    {"M2 Ultra", "m2ultra|applem2ultra", GP_DEV_METAL, 192, 800, 0, 0, "", 27.2},
    {"M3 Max", "m3max|applem3max", GP_DEV_METAL, 128, 400, 0, 0, "", 16.4},
    {"M4 Pro", "m4pro|applem4pro", GP_DEV_METAL, 64, 273, 0, 0, "", 9.2},
    {"M4 Max", "m4max|applem4max", GP_DEV_METAL, 128, 546, 0, 0, "", 18.4},
};

static bool vendor_word(const char *w, size_t n)
{
    static const char *words[] = {"nvidia", "geforce", "amd", "ati", "radeon", "tesla",
                                  "intel", "instinct", "graphics", "(tm)", "(r)"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
            return true;
    return false;
}

/* Lower-case letters and digits only, vendor words dropped. */
static void normalize(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    while (*s) {
        while (*s && (isspace((unsigned char)*s) || *s == '-' || *s == '_'))
            s++;
        const char *w = s;
        while (*s && !isspace((unsigned char)*s) && *s != '-' && *s != '_')
            s++;
        if (s == w || vendor_word(w, (size_t)(s - w)))
            continue;
        for (const char *c = w; c < s; c++)
            if (isalnum((unsigned char)*c) && o + 1 < cap)
                out[o++] = (char)tolower((unsigned char)*c);
    }
    out[o] = 0;
}

static bool alias_match(const char *aliases, const char *key)
{
    size_t n = strlen(key);
    for (const char *a = aliases; *a;) {
        const char *bar = strchr(a, '|');
        size_t len = bar ? (size_t)(bar - a) : strlen(a);
        if (len == n && strncmp(a, key, n) == 0)
            return true;
        a += len + (bar ? 1 : 0);
    }
    return false;
}

const gp_gpu_model *gp_gpu_table_find(const char *name)
{
    char key[128], n[128];
    normalize(name, key, sizeof key);
    if (!key[0])
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        normalize(table[i].name, n, sizeof n);
        if (strcmp(n, key) == 0 || alias_match(table[i].aliases, key))
            return &table[i];
    }
    return NULL;
}

const gp_gpu_model *gp_gpu_table(size_t *count)
{
    *count = sizeof table / sizeof table[0];
    return table;
}
