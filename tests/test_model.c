/* The model view and cache formulas, one family per test, on built headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gguf/types.h"
#include "memory/kv.h"
#include "model/model.h"
#include "model_builder.h"
#include "test_helpers.h"

#define build tb_build

static uint64_t kv_tok(const gp_model *m, uint32_t t)
{
    uint64_t b = 0;
    assert_true(gp_kv_bytes_per_token(m, -1, t, t, &b));
    return b;
}

static const char *kinds(const gp_model *m, char *buf)
{
    static const char letters[] = {'F', 'S', 'M', 'R'};
    uint32_t i;
    for (i = 0; i < m->hp.n_layer_all; i++)
        buf[i] = m->layers[i].nextn ? 'N' : letters[m->layers[i].kind];
    buf[i] = 0;
    return buf;
}

static void test_dense_gqa(void **state)
{
    (void)state;
    mb_spec s = {.arch = "llama", .n_layer = 4, .n_embd = 256, .n_head = 8, .n_head_kv = 2,
                 .n_ff = 512, .n_vocab = 1000, .tokens = true};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "FFFF");
    assert_int_equal(m->hp.n_vocab, 1000);
    assert_int_equal(m->hp.head_dim_k, 32);
    /* GQA: 2 KV heads x 32 dims, K and V, f16 = 256 bytes per layer per token. */
    assert_int_equal(kv_tok(m, GP_TYPE_F16), 4 * 256);
    assert_int_equal(kv_tok(m, GP_TYPE_Q8_0), 4 * 2 * (64 / 32 * 34));
    assert_int_equal(kv_tok(m, GP_TYPE_Q4_0), 4 * 2 * (64 / 32 * 18));
    assert_int_equal(m->n_warnings, 0);
    gp_model_close(&m);
}

static void test_gemma3_swa(void **state)
{
    (void)state;
    mb_spec s = {.arch = "gemma3", .n_layer = 12, .n_embd = 256, .n_head = 4, .n_head_kv = 2,
                 .head_dim = 64, .n_ff = 512, .n_vocab = 1000, .n_swa = 512};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "SSSSSFSSSSSF");
    assert_int_equal(m->hp.n_swa, 512);
    gp_model_close(&m);
    s.n_swa = 0; /* no window: every layer is full attention */
    m = build(&s);
    assert_string_equal(kinds(m, b), "FFFFFFFFFFFF");
    gp_model_close(&m);
}

static void test_gpt_oss_alternating(void **state)
{
    (void)state;
    mb_spec s = {.arch = "gpt-oss", .n_layer = 6, .n_embd = 256, .n_head = 4, .n_head_kv = 1,
                 .head_dim = 64, .n_vocab = 1000, .n_swa = 128, .n_expert = 8,
                 .n_expert_used = 2, .n_ff_exp = 256};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "SFSFSF");
    assert_true(m->layers[0].has_experts);
    assert_true(m->layers[0].expert_bytes > 0);
    gp_model_close(&m);
}

static void test_mla(void **state)
{
    (void)state;
    mb_spec s = {.arch = "deepseek2", .n_layer = 3, .n_embd = 512, .n_head = 8, .n_head_kv = 1,
                 .head_dim = 64, .n_ff = 1024, .n_vocab = 1000, .kv_lora_rank = 256,
                 .rope_dim = 32, .n_expert = 8, .n_expert_used = 2, .n_ff_exp = 128,
                 .n_expert_shared = 1};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "MMM");
    /* K only: kv_lora_rank + rope dim per token and layer; no V. */
    assert_int_equal(kv_tok(m, GP_TYPE_F16), 3 * (256 + 32) * 2);
    assert_int_equal(gp_kv_v_elems(m, 0), 0);
    gp_model_close(&m);
}

static void test_lfm2_hybrid(void **state)
{
    (void)state;
    static const uint32_t kv[6] = {0, 0, 4, 0, 0, 4};
    mb_spec s = {.arch = "lfm2", .n_layer = 6, .n_embd = 256, .n_head = 8,
                 .head_kv_per_layer = kv, .n_ff = 512, .n_vocab = 1000, .shortconv_l_cache = 3};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "RRFRRF");
    assert_int_equal(kv_tok(m, GP_TYPE_F16), 2 * (4 * 32 * 2 * 2));
    /* Short-conv state: n_embd x (l_cache - 1) f32 per sequence per layer. */
    assert_int_equal(gp_recurrent_seq_bytes(m, 0), 256 * 2 * 4);
    assert_int_equal(gp_recurrent_seq_bytes(m, 2), 0);
    gp_model_close(&m);
}

static void test_mamba(void **state)
{
    (void)state;
    mb_spec s = {.arch = "mamba2", .n_layer = 2, .n_embd = 256, .n_head = 1, .n_head_kv = 0,
                 .n_vocab = 1000, .ssm_d_conv = 4, .ssm_d_inner = 512, .ssm_d_state = 64,
                 .ssm_n_group = 1};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "RR");
    assert_int_equal(kv_tok(m, GP_TYPE_F16), 0);
    uint64_t r = 3 * (512 + 2 * 1 * 64), st = 64 * 512;
    assert_int_equal(gp_recurrent_seq_bytes(m, 1), (r + st) * 4);
    gp_model_close(&m);
}

static void test_qwen3next_interval(void **state)
{
    (void)state;
    mb_spec s = {.arch = "qwen3next", .n_layer = 8, .n_embd = 256, .n_head = 4, .n_head_kv = 2,
                 .head_dim = 64, .n_vocab = 1000, .n_expert = 4, .n_expert_used = 2,
                 .n_ff_exp = 128, .ssm_d_conv = 4, .ssm_d_inner = 256, .ssm_d_state = 64,
                 .ssm_n_group = 2, .full_attention_interval = 4};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "RRRFRRRF");
    gp_model_close(&m);
}

static void test_nextn_not_loaded(void **state)
{
    (void)state;
    mb_spec s = {.arch = "glm4moe", .n_layer = 4, .n_embd = 256, .n_head = 4, .n_head_kv = 2,
                 .n_vocab = 1000, .n_expert = 4, .n_expert_used = 2, .n_ff_exp = 128, .nextn = 1};
    gp_model *m = build(&s);
    char b[64];
    assert_string_equal(kinds(m, b), "FFFN");
    assert_int_equal(m->hp.n_layer, 3);
    assert_int_equal(kv_tok(m, GP_TYPE_F16), 3 * (2 * 64 * 2 * 2));
    gp_model_close(&m);
}

static void test_unknown_arch(void **state)
{
    (void)state;
    mb_spec s = {.arch = "brand-new-arch", .n_layer = 2, .n_embd = 128, .n_head = 4,
                 .n_head_kv = 4, .n_ff = 256, .n_vocab = 500};
    gp_model *m = build(&s);
    assert_false(m->arch_known);
    assert_int_equal(m->n_warnings, 1);
    assert_non_null(strstr(m->warnings[0], "brand-new-arch"));
    assert_int_equal(kv_tok(m, GP_TYPE_F16), 2 * 128 * 2 * 2);
    gp_model_close(&m);
}

/* More layers than llama.cpp has room for: refused, as llama.cpp refuses
 * it, instead of planned at length (a fuzzed header had 32770). */
static void test_too_many_layers(void **state)
{
    (void)state;
    mb_spec s = {.arch = "llama", .n_layer = GP_MAX_LAYERS + 1, .n_embd = 64, .n_head = 4,
                 .n_head_kv = 4, .n_ff = 128, .n_vocab = 100};
    char err[256] = "";
    assert_null(mb_model(&s, err, sizeof err));
    assert_non_null(strstr(err, "llama.block_count is 513, more than the 512 layers llama.cpp can load"));
    s.n_layer = GP_MAX_LAYERS;
    gp_model *m = build(&s);
    assert_int_equal(m->hp.n_layer, GP_MAX_LAYERS);
    gp_model_close(&m);
}

static void test_quantized_kv_needs_whole_blocks(void **state)
{
    (void)state;
    /* head_dim 40 x 1 KV head: 40 elements is not a whole q8_0 block. */
    mb_spec s = {.arch = "llama", .n_layer = 1, .n_embd = 160, .n_head = 4, .n_head_kv = 1,
                 .n_ff = 256, .n_vocab = 100};
    gp_model *m = build(&s);
    uint64_t b;
    assert_false(gp_kv_bytes_per_token(m, -1, GP_TYPE_Q8_0, GP_TYPE_Q8_0, &b));
    assert_true(gp_kv_bytes_per_token(m, -1, GP_TYPE_F16, GP_TYPE_F16, &b));
    gp_model_close(&m);
}

static void test_roles(void **state)
{
    (void)state;
    static const struct { const char *name; int32_t layer; gp_role role; } rows[] = {
        {"token_embd.weight", -1, GP_ROLE_TOKEN_EMBD},
        {"output.weight", -1, GP_ROLE_OUTPUT},
        {"output_norm.weight", -1, GP_ROLE_NORM},
        {"blk.12.ffn_up_exps.weight", 12, GP_ROLE_EXP_UP},
        {"blk.3.ffn_down_shexp.weight", 3, GP_ROLE_SHEXP},
        {"blk.0.attn_kv_a_mqa.weight", 0, GP_ROLE_ATTN_MLA},
        {"blk.7.attn_q.bias", 7, GP_ROLE_ATTN_Q},
        {"blk.1.ffn_gate_inp.weight", 1, GP_ROLE_ROUTER},
        {"blk.2.shortconv.in_proj.weight", 2, GP_ROLE_SHORTCONV},
        {"blk.2.ssm_conv1d.weight", 2, GP_ROLE_SSM},
        {"blk.9.post_ffw_norm.weight", 9, GP_ROLE_NORM},
        {"blk.x.attn_q.weight", -1, GP_ROLE_OTHER},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int32_t l;
        gp_role r;
        gp_classify_tensor(rows[i].name, &l, &r);
        assert_int_equal(l, rows[i].layer);
        assert_int_equal(r, rows[i].role);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_gqa),
        cmocka_unit_test(test_gemma3_swa),
        cmocka_unit_test(test_gpt_oss_alternating),
        cmocka_unit_test(test_mla),
        cmocka_unit_test(test_lfm2_hybrid),
        cmocka_unit_test(test_mamba),
        cmocka_unit_test(test_qwen3next_interval),
        cmocka_unit_test(test_nextn_not_loaded),
        cmocka_unit_test(test_unknown_arch),
        cmocka_unit_test(test_too_many_layers),
        cmocka_unit_test(test_quantized_kv_needs_whole_blocks),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
