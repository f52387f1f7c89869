/*
 * libFuzzer target for the command lines `ggplace mem` accepts: the input
 * is a llama-server command line, one argument per line (as a user pastes
 * it, with ggplace's hardware options mixed in), run through the whole
 * `mem` command in process after the shipped model, offline and on
 * described hardware only. Run it from the repository root:
 *
 *   build-fuzz/fuzz/fuzz_args fuzz/findings fuzz/corpus-args -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_env_once();
    if (size > 8192)
        return 0;
    char *text = fuzz_text(data, size, 1);
    if (!text)
        return 0;
    char *argv[MAX_ARGS + 6];
    int argc = 0;
    argv[argc++] = "ggplace";
    argv[argc++] = "mem";
    argv[argc++] = "examples/llama-3.1-8b.gguf";
    for (char *a = text; a && argc < MAX_ARGS + 3;) {
        char *nl = strchr(a, '\n');
        if (nl)
            *nl = 0;
        argv[argc++] = a;
        a = nl ? nl + 1 : NULL;
    }
    argv[argc++] = "--no-detect";
    argv[argc++] = "--offline";
    argv[argc] = NULL;
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    gp_cli_main(argc, argv, sink, sink);
    free(text);
    return 0;
}
