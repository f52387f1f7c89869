/*
 * libFuzzer target for the hardware descriptions a user hands us. The
 * input's first byte picks the parser, the rest is its text:
 *   even  a --hw JSON file: read, written back, read again (and the two
 *         readings must agree)
 *   odd   lines, each a --gpu SPEC ("g SPEC"), an --rpc list ("r LIST"),
 *         a size as --ram takes it ("s SIZE") or a CUDA_VISIBLE_DEVICES
 *         value ("v LIST"), applied in order to one device list
 *
 *   build-fuzz/fuzz/fuzz_hw fuzz/findings fuzz/corpus-hw -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "hw/detect.h"
#include "hw/gpu_spec.h"
#include "hw/hw_json.h"
#include "util/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hw_json(const char *text)
{
    gp_devices a, b;
    gp_error err;
    if (gp_devices_from_json(text, "fuzz.json", &a, &err) != GP_OK)
        return;
    char *out = NULL;
    if (gp_devices_to_json(&a, &out, &err) != GP_OK)
        return;
    if (gp_devices_from_json(out, "again.json", &b, &err) != GP_OK || a.n != b.n)
        abort(); /* what we write, we must read back */
    for (uint32_t i = 0; i < a.n; i++)
        if (strcmp(a.dev[i].name, b.dev[i].name) || a.dev[i].total != b.dev[i].total ||
            a.dev[i].free != b.dev[i].free || a.dev[i].kind != b.dev[i].kind)
            abort();
    free(out);
}

static void specs(char *text)
{
    gp_devices d;
    gp_devices_init(&d);
    gp_error err;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strlen(line) < 2 || line[1] != ' ')
            continue;
        const char *arg = line + 2;
        uint64_t bytes;
        switch (line[0]) {
        case 'g':
            gp_devices_add_gpu_spec(&d, arg, &err);
            break;
        case 'r':
            gp_devices_add_llama_rpc(&d, arg, &err);
            break;
        case 's':
            gp_parse_size(arg, &bytes);
            break;
        case 'v':
        {
            const char *uuids[GP_MAX_DEVICES] = {"GPU-1a2b3c", "GPU-1a2bff", "GPU-77", "MIG-9"};
            uint32_t order[GP_MAX_DEVICES];
            gp_hw_visible(&d, "CUDA_VISIBLE_DEVICES", arg, 4, uuids, order);
            break;
        }
        default:
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_env_once();
    if (size < 1 || size > 64 * 1024)
        return 0;
    /* The first byte picks the parser; the rest is its text. */
    char *text = fuzz_text(data + 1, size - 1, 1);
    if (!text)
        return 0;
    if (data[0] % 2 == 0)
        hw_json(text);
    else
        specs(text);
    free(text);
    return 0;
}
