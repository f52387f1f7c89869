/* inspect against llama.cpp's own figures for the calibration models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calib.h"

#include <cjson/cJSON.h>

#include "ggplace.h"
#include "util/fileio.h"

static char *read_all(const char *path)
{
    char *text = NULL;
    size_t n;
    return gp_read_file(path, (size_t)1 << 30, &text, &n, NULL) == GP_OK ? text : NULL;
}

static void test_models_match_oracle(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/models.json", calib_dir());
    char *text = read_all(path);
    if (!text) {
        print_message("calibration set not found at %s (set GGPLACE_CALIB_DIR); skipped\n", calib_dir());
        skip();
    }
    cJSON *models = cJSON_Parse(text);
    free(text);
    assert_non_null(models);
    int checked = 0;
    cJSON *m;
    cJSON_ArrayForEach(m, models) {
        const char *name = cJSON_GetObjectItem(m, "model")->valuestring;
        snprintf(path, sizeof path, "%s/models/%s.gguf", calib_dir(), name);
        gp_model *model = NULL;
        gp_error err = {0};
        if (gp_model_open(path, &model, &err) != GP_OK)
            fail_msg("%s: %s", err.file, err.message);
        char *js = NULL;
        assert_int_equal(gp_model_inspect_json(model, false, &js, &err), GP_OK);
        cJSON *got = cJSON_Parse(js);
        free(js);
        static const char *keys[] = {"tensor_count", "tensor_bytes", "n_params", "n_vocab",
                                     "n_embd", "n_layer", "n_ctx_train"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            double want = cJSON_GetObjectItem(m, keys[i])->valuedouble;
            double have = cJSON_GetObjectItem(got, keys[i])->valuedouble;
            if (want != have)
                fail_msg("%s %s: %.0f, llama.cpp says %.0f", name, keys[i], have, want);
        }
        cJSON *ne = cJSON_GetObjectItem(m, "n_expert");
        assert_int_equal(cJSON_GetObjectItem(got, "n_expert")->valuedouble, ne ? ne->valuedouble : 0);
        assert_string_equal(cJSON_GetObjectItem(got, "architecture")->valuestring,
                            cJSON_GetObjectItem(m, "arch")->valuestring);
        double kv_want = cJSON_GetObjectItem(m, "kv_f16_bytes_per_token_full")->valuedouble +
                         cJSON_GetObjectItem(m, "kv_f16_bytes_per_token_swa")->valuedouble;
        cJSON *kv = cJSON_GetObjectItem(got, "kv_bytes_per_token");
        assert_int_equal(cJSON_GetObjectItem(kv, "f16")->valuedouble, kv_want);
        assert_int_equal(cJSON_GetObjectItem(got, "recurrent_bytes_per_seq")->valuedouble,
                         cJSON_GetObjectItem(m, "recurrent_f32_bytes_per_seq")->valuedouble);
        cJSON *attn = cJSON_GetObjectItem(got, "attention");
        assert_int_equal(cJSON_GetObjectItem(attn, "swa")->valuedouble,
                         cJSON_GetObjectItem(m, "kv_layers_swa")->valuedouble);
        assert_int_equal(cJSON_GetObjectItem(attn, "recurrent")->valuedouble,
                         cJSON_GetObjectItem(m, "recurrent_layers")->valuedouble);
        cJSON_Delete(got);
        gp_model_close(&model);
        checked++;
    }
    cJSON_Delete(models);
    assert_true(checked >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_match_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
