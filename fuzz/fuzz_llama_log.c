/*
 * libFuzzer target for llama.cpp's load log as `verify` reads it: the
 * buffer lines, attributed to the CPU, two CUDA devices and an RPC server.
 *
 *   build-fuzz/fuzz/fuzz_llama_log fuzz/findings fuzz/corpus-log -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "verify/llama_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_env_once();
    char *text = fuzz_text(data, size, 1);
    if (!text)
        return 0;
    gp_devices d;
    fuzz_devices(&d);
    gp_devices_add_rpc(&d, "127.0.0.1:50052", 8ull << 30, NULL);
    gp_llama_buffers b;
    gp_llama_log_parse(text, &d, &b);
    free(text);
    return 0;
}
