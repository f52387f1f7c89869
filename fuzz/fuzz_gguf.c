/*
 * libFuzzer target for the GGUF reader and everything built on a header:
 * the measure of a partly read header, the model view, inspect's JSON, the memory model (CPU only, and with two
 * described GPUs and a partial offload), and the extras priced on top of
 * it: the input as a projector, as its own draft model and MTP head, and as
 * a LoRA adapter of itself.
 *
 *   cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DGGPLACE_FUZZ=ON -DGGPLACE_TESTS=OFF
 *   cmake --build build-fuzz --target fuzz_gguf
 *   mkdir -p fuzz/findings && build-fuzz/fuzz/fuzz_gguf fuzz/findings fuzz/corpus -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gguf/gguf.h"
#include "hw/gpu_spec.h"
#include "memory/extras.h"
#include "memory/mem.h"
#include "memory/mmproj.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void estimate(const gp_model *m, int n_gpu, int32_t ngl, int64_t n_ctx)
{
    gp_devices d;
    gp_devices_init(&d);
    for (int i = 0; i < n_gpu; i++)
        gp_devices_add_gpu_spec(&d, "8GiB", NULL);
    gp_run_params p;
    gp_run_params_default(&p, GP_APP_SERVER);
    p.n_gpu_layers = ngl;
    p.n_ctx = n_ctx;
    gp_mem_result r;
    gp_error err;
    if (gp_mem_estimate(m, &p, &d, &r, &err) == GP_OK)
        gp_mem_result_free(&r);
}

/* One extra at a time, so an error in one does not hide the others. */
static void estimate_extras(const gp_model *m, const gp_gguf *g, int n_gpu)
{
    gp_devices d;
    gp_devices_init(&d);
    for (int i = 0; i < n_gpu; i++)
        gp_devices_add_gpu_spec(&d, "8GiB", NULL);
    for (int which = 0; which < 4; which++) {
        gp_extra_files f = {0};
        gp_run_params p;
        gp_run_params_default(&p, GP_APP_SERVER);
        p.n_ctx = 256;
        p.n_gpu_layers = n_gpu ? 2 : GP_NGL_AUTO;
        if (which == 0) {
            f.mmproj = (gp_gguf *)g;
        } else if (which == 1) {
            f.draft = (gp_model *)m;
            snprintf(p.extras.spec_type, sizeof p.extras.spec_type, "draft-simple,ngram-mod");
        } else if (which == 2) {
            f.lora[0] = (gp_gguf *)g;
            f.n_lora = 1;
        } else {
            snprintf(p.extras.spec_type, sizeof p.extras.spec_type, "draft-mtp");
        }
        p.extras.files = which < 3 ? &f : NULL;
        gp_mem_result r;
        gp_error err;
        if (gp_mem_estimate(m, &p, &d, &r, &err) == GP_OK)
            gp_mem_result_free(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t need;
    (void)gp_gguf_header_need(data, size, &need);
    gp_gguf *g = NULL;
    gp_error err;
    if (gp_gguf_open_memory(data, size, "fuzz.gguf", &g, &err) != GP_OK)
        return 0;
    gp_gguf **shards = malloc(sizeof *shards);
    if (!shards) {
        gp_gguf_close(&g);
        return 0;
    }
    gp_mmproj_params mp = {.flash_attn = true, .flash_attn_auto = 1, .image_min_tokens = -1, .image_max_tokens = -1};
    gp_mmproj_mem mm;
    gp_mmproj_estimate(g, "fuzz.gguf", &mp, &mm, &err);
    shards[0] = g;
    gp_model *m = NULL;
    if (gp_model_from_shards("fuzz.gguf", shards, 1, &m, &err) == GP_OK) {
        char *json = NULL;
        if (gp_model_inspect_json(m, true, &json, &err) == GP_OK)
            free(json);
        /* A small context keeps the compute replay quick on absurd shapes. */
        estimate(m, 0, GP_NGL_AUTO, 512);
        estimate(m, 2, 2, 256);
        estimate_extras(m, g, 0);
        estimate_extras(m, g, 2);
        gp_model_close(&m);
    }
    return 0;
}
