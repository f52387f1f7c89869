/*
 * libFuzzer target for `swap --generate`: the input is a model file (a GGUF
 * header); a config is generated for it twice over, under two names, so
 * that co-residence is decided (two models that must share the devices),
 * in the form the input's size picks (matrix, groups, legacy groups), and
 * the result is checked as a config. An input that is no model fails at
 * its header, before any planning, which keeps the target fast.
 *
 *   build-fuzz/fuzz/fuzz_swap_generate fuzz/findings fuzz/corpus -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "swap/swap.h"
#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_env_once();
    static char path[2][64];
    for (int i = 0; i < 2; i++) {
        if (!path[i][0])
            snprintf(path[i], sizeof path[i], "/tmp/ggplace-fuzz-%d-%c.gguf", (int)getpid(), 'a' + i);
        FILE *f = fopen(path[i], "wb");
        if (!f)
            return 0;
        size_t w = fwrite(data, 1, size, f);
        fclose(f);
        if (w != size)
            return 0;
    }
    const char *paths[] = {path[0], path[1]};
    gp_devices d;
    fuzz_devices(&d);
    gp_swap_gen_options o = {.devices = &d, .form = (gp_swap_corun_form)(size % 3)};
    gp_plan_request_default(&o.request);
    gp_swap_result r;
    gp_error err;
    if (gp_swap_generate(paths, 2, &o, &r, &err) == GP_OK) {
        gp_swap_result checked = {0};
        if (gp_swap_check("generated.yaml", r.text, r.len, &checked, &err) == GP_OK)
            gp_swap_result_free(&checked);
        gp_swap_result_free(&r);
    }
    return 0;
}
