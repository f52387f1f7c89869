/*
 * libFuzzer target for the GGUF reader and the model view built on it.
 *
 *   cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DGGPLACE_FUZZ=ON -DGGPLACE_TESTS=OFF
 *   cmake --build build-fuzz --target fuzz_gguf
 *   mkdir -p fuzz/findings && build-fuzz/fuzz/fuzz_gguf fuzz/findings fuzz/corpus -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gguf/gguf.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gp_gguf *g = NULL;
    gp_error err;
    if (gp_gguf_open_memory(data, size, "fuzz.gguf", &g, &err) != GP_OK)
        return 0;
    gp_gguf **shards = malloc(sizeof *shards);
    if (!shards) {
        gp_gguf_close(&g);
        return 0;
    }
    shards[0] = g;
    gp_model *m = NULL;
    if (gp_model_from_shards("fuzz.gguf", shards, 1, &m, &err) == GP_OK) {
        char *json = NULL;
        if (gp_model_inspect_json(m, true, &json, &err) == GP_OK)
            free(json);
        gp_model_close(&m);
    }
    return 0;
}
