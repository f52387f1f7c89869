/*
 * libFuzzer target for the llama-swap config path: the input is a config.
 * It is checked (the warnings), every llama-server cmd is split as
 * llama-swap splits it (quoting, continuations, macros, ${env.*}) and
 * re-planned, the edits are spliced byte for byte and re-parsed, and the
 * diff is drawn; the input is also split as one cmd on its own. Models a
 * cmd downloads are read offline; model paths are relative to the current
 * directory, so run it from the repository root, where the seeds name
 * examples/llama-3.1-8b.gguf:
 *
 *   build-fuzz/fuzz/fuzz_swap fuzz/findings fuzz/corpus-swap -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swap/swap.h"
#include "fuzz_env.h"
#include "source/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fixed_env(const char *name)
{
    return !strcmp(name, "HOME") ? "/home/u" : !strcmp(name, "MODELS") ? "examples" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_env_once();
    if (size > 64 * 1024)
        return 0;
    char *text = fuzz_text(data, size, 1);
    if (!text)
        return 0;

    gp_swap_macro macros[] = {{"server", "llama-server"}, {"models", "examples"}, {"m", "${models}/x.gguf"}};
    gp_swap_argv av;
    gp_error err;
    if (gp_swap_split(text, size, macros, 3, 5800, fixed_env, &av, &err) == GP_OK)
        gp_swap_argv_free(&av);

    gp_swap_result checked = {0};
    if (gp_swap_check("fuzz.yaml", text, size, &checked, &err) == GP_OK)
        gp_swap_result_free(&checked);

    gp_devices d;
    fuzz_devices(&d);
    gp_remote_opts remote = {.offline = true};
    gp_swap_options o = {.devices = &d, .getenv_fn = fixed_env, .remote = &remote};
    gp_plan_request_default(&o.request);
    gp_swap_result r;
    if (gp_swap_rewrite("fuzz.yaml", text, size, &o, &r, &err) == GP_OK) {
        char *diff = gp_swap_diff(text, size, r.text, r.len, "a", "b");
        free(diff);
        gp_swap_result_free(&r);
    }
    free(text);
    return 0;
}
