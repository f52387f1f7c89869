/* The GGUF reader: valid files of every value type, and hostile bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gguf/gguf.h"
#include "gguf/types.h"
#include "gguf_writer.h"

/* One type-table row per test row: id, name, block size, bytes per block. */
static void test_type_table(void **state)
{
    (void)state;
    static const struct { uint32_t id; const char *name; uint32_t blck, size; } rows[] = {
        {0, "f32", 1, 4}, {1, "f16", 1, 2}, {2, "q4_0", 32, 18}, {3, "q4_1", 32, 20},
        {6, "q5_0", 32, 22}, {7, "q5_1", 32, 24}, {8, "q8_0", 32, 34}, {9, "q8_1", 32, 36},
        {10, "q2_K", 256, 84}, {11, "q3_K", 256, 110}, {12, "q4_K", 256, 144},
        {13, "q5_K", 256, 176}, {14, "q6_K", 256, 210}, {15, "q8_K", 256, 292},
        {16, "iq2_xxs", 256, 66}, {17, "iq2_xs", 256, 74}, {18, "iq3_xxs", 256, 98},
        {19, "iq1_s", 256, 50}, {20, "iq4_nl", 32, 18}, {21, "iq3_s", 256, 110},
        {22, "iq2_s", 256, 82}, {23, "iq4_xs", 256, 136}, {24, "i8", 1, 1}, {25, "i16", 1, 2},
        {26, "i32", 1, 4}, {27, "i64", 1, 8}, {28, "f64", 1, 8}, {29, "iq1_m", 256, 56},
        {30, "bf16", 1, 2}, {34, "tq1_0", 256, 54}, {35, "tq2_0", 256, 66},
        {39, "mxfp4", 32, 17}, {40, "nvfp4", 64, 36}, {41, "q1_0", 128, 18}, {42, "q2_0", 64, 18},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const gp_type_info *t = gp_type_get(rows[i].id);
        assert_non_null(t);
        assert_string_equal(t->name, rows[i].name);
        assert_int_equal(t->block_size, rows[i].blck);
        assert_int_equal(t->type_size, rows[i].size);
        assert_int_equal(gp_type_from_name(rows[i].name), (int)rows[i].id);
    }
    static const uint32_t retired[] = {4, 5, 31, 32, 33, 36, 37, 38, 43, 1000};
    for (size_t i = 0; i < sizeof retired / sizeof retired[0]; i++)
        assert_null(gp_type_get(retired[i]));
    uint64_t b;
    assert_true(gp_type_row_bytes(GP_TYPE_Q8_0, 4096, &b));
    assert_int_equal(b, 4096 / 32 * 34);
    assert_false(gp_type_row_bytes(GP_TYPE_Q4_K, 100, &b));
}

/* A small file with every value type, nested arrays and three tensors. */
static unsigned char *sample(uint32_t version, bool data, size_t *len)
{
    gw *w = gw_new(version);
    gw_str(w, "general.architecture", "llama");
    gw_u32(w, "llama.block_count", 1);
    gw_i32(w, "test.i32", -5);
    gw_u64(w, "test.u64", 1ull << 40);
    gw_f32(w, "test.f32", 0.5f);
    gw_bool(w, "test.bool", true);
    uint32_t arr[3] = {1, 2, 3};
    gw_arr_u32(w, "test.arr", arr, 3);
    gw_arr_str_n(w, "tokenizer.ggml.tokens", 10);
    gw_arr_nested(w, "test.nested", 3, 2);
    gw_tensor2(w, "token_embd.weight", GP_TYPE_Q8_0, 64, 10);
    gw_tensor2(w, "blk.0.attn_q.weight", GP_TYPE_F16, 64, 64);
    gw_tensor2(w, "output_norm.weight", GP_TYPE_F32, 64, 1);
    unsigned char *p = gw_finish(w, data, len);
    gw_free(w);
    return p;
}

static void test_valid(void **state)
{
    (void)state;
    for (uint32_t version = 2; version <= 3; version++) {
        size_t len;
        unsigned char *p = sample(version, true, &len);
        gp_gguf *g = NULL;
        gp_error err = {0};
        assert_int_equal(gp_gguf_open_memory(p, len, "mem", &g, &err), GP_OK);
        assert_int_equal(gp_gguf_version(g), version);
        assert_int_equal(gp_gguf_tensor_count(g), 3);
        assert_true(gp_gguf_data_present(g));
        assert_string_equal(gp_gguf_get_str(g, "general.architecture"), "llama");
        const gp_gguf_kv *kv = gp_gguf_find(g, "test.i32");
        assert_int_equal(kv->v.i, -5);
        uint64_t u;
        assert_true(gp_gguf_get_uint(g, "test.u64", &u));
        assert_int_equal(u, 1ull << 40);
        assert_false(gp_gguf_get_uint(g, "test.i32", &u));
        double f;
        assert_true(gp_gguf_get_float(g, "test.f32", &f));
        assert_true(f == 0.5);
        kv = gp_gguf_find(g, "test.arr");
        assert_true(gp_gguf_arr_uint(g, kv, 2, &u));
        assert_int_equal(u, 3);
        assert_false(gp_gguf_arr_uint(g, kv, 3, &u));
        assert_int_equal(gp_gguf_find(g, "tokenizer.ggml.tokens")->arr_count, 10);
        assert_int_equal(g->tensors[0].bytes, 10 * 2 * 34);
        assert_int_equal(g->tensors[1].offset, 704); /* 680 padded to 32 */
        gp_gguf_close(&g);
        assert_null(g);
        free(p);
    }
}

static void test_header_only(void **state)
{
    (void)state;
    size_t len;
    unsigned char *p = sample(3, false, &len);
    gp_gguf *g = NULL;
    assert_int_equal(gp_gguf_open_memory(p, len, "mem", &g, NULL), GP_OK);
    assert_false(gp_gguf_data_present(g));
    gp_gguf_close(&g);
    free(p);
}

/* Every prefix of a valid file: an error before the header ends, never a crash. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    size_t len;
    unsigned char *p = sample(3, true, &len);
    gp_gguf *g = NULL;
    assert_int_equal(gp_gguf_open_memory(p, len, "mem", &g, NULL), GP_OK);
    size_t header = (size_t)g->header_size, data_off = (size_t)g->data_offset;
    gp_gguf_close(&g);
    for (size_t n = 0; n < len; n++) {
        gp_error err = {0};
        gp_status st = gp_gguf_open_memory(p, n, "cut.gguf", &g, &err);
        if (n < header || n > data_off) {
            assert_int_not_equal(st, GP_OK);
            assert_string_equal(err.file, "cut.gguf");
            assert_null(strchr(err.message, '\n'));
            assert_null(g);
        } else {
            assert_int_equal(st, GP_OK); /* the header alone is a valid header-only file */
            assert_false(gp_gguf_data_present(g));
            gp_gguf_close(&g);
        }
    }
    free(p);
}

/* Random flips of header bytes: any status, but no crash, leak or hang. */
static void test_flipped_bytes(void **state)
{
    (void)state;
    size_t len;
    unsigned char *p = sample(3, false, &len);
    unsigned char *q = malloc(len);
    uint64_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(q, p, len);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(seed >> 33) % len;
            q[at] ^= (unsigned char)(1u << ((seed >> 20) & 7));
            if (iter % 7 == 0)
                q[at] = 0xff;
        }
        gp_gguf *g = NULL;
        if (gp_gguf_open_memory(q, len, "flip", &g, NULL) == GP_OK)
            gp_gguf_close(&g);
    }
    free(q);
    free(p);
}

static gp_status parse_writer(gw *w, gp_error *err)
{
    size_t len;
    unsigned char *p = gw_finish(w, false, &len);
    gw_free(w);
    gp_gguf *g = NULL;
    gp_status st = gp_gguf_open_memory(p, len, "bad.gguf", &g, err);
    gp_gguf_close(&g);
    free(p);
    return st;
}

static void expect_error(gp_status st, const gp_error *err, const char *needle)
{
    assert_int_not_equal(st, GP_OK);
    if (!strstr(err->message, needle))
        fail_msg("message '%s' lacks '%s'", err->message, needle);
}

static void test_hostile(void **state)
{
    (void)state;
    gp_error err;
    gp_gguf *g = NULL;

    expect_error(gp_gguf_open_memory("", 0, "e", &g, &err), &err, "empty");
    expect_error(gp_gguf_open_memory("GGML\3\0\0\0", 8, "m", &g, &err), &err, "magic");
    expect_error(gp_gguf_open_memory("GGUF\1\0\0\0", 8, "v1", &g, &err), &err, "version 1");
    expect_error(gp_gguf_open_memory("GGUF\0\0\0\3", 8, "be", &g, &err), &err, "big-endian");

    /* Absurd counts are refused before any allocation. */
    unsigned char hdr[24] = "GGUF\3\0\0\0";
    memset(hdr + 8, 0xff, 8);
    memset(hdr + 16, 0, 8);
    expect_error(gp_gguf_open_memory(hdr, sizeof hdr, "n", &g, &err), &err, "tensors cannot fit");
    memset(hdr + 8, 0, 8);
    memset(hdr + 16, 0x7f, 8);
    expect_error(gp_gguf_open_memory(hdr, sizeof hdr, "n", &g, &err), &err, "keys cannot fit");

    gw *w = gw_new(3);
    int64_t ne[1] = {32};
    gw_tensor(w, "t", 4, 1, ne); /* retired type id */
    expect_error(parse_writer(w, &err), &err, "unknown ggml type id 4");

    w = gw_new(3);
    gw_tensor(w, "t", 99, 1, ne);
    expect_error(parse_writer(w, &err), &err, "unknown ggml type id 99");

    w = gw_new(3);
    int64_t odd[1] = {33};
    gw_tensor(w, "t", GP_TYPE_Q8_0, 1, odd);
    expect_error(parse_writer(w, &err), &err, "block size");

    w = gw_new(3);
    int64_t five[5] = {1, 1, 1, 1, 1};
    gw_tensor(w, "t", GP_TYPE_F32, 5, five);
    expect_error(parse_writer(w, &err), &err, "dimensions");

    w = gw_new(3);
    int64_t huge[2] = {INT64_MAX / 2, 4};
    gw_tensor(w, "t", GP_TYPE_F32, 2, huge);
    expect_error(parse_writer(w, &err), &err, "impossible shape");

    w = gw_new(3);
    gw_tensor(w, "t", GP_TYPE_F32, 1, ne);
    gw_tensor(w, "t", GP_TYPE_F32, 1, ne);
    expect_error(parse_writer(w, &err), &err, "duplicate tensor name");

    w = gw_new(3);
    gw_u32(w, "k", 1);
    gw_u32(w, "k", 2);
    expect_error(parse_writer(w, &err), &err, "duplicate key");

    w = gw_new(3);
    gw_u32(w, "general.alignment", 48);
    expect_error(parse_writer(w, &err), &err, "power of two");

    w = gw_new(3);
    gw_tensor(w, "a_name_that_is_far_too_long_for_llama_cpp_to_accept_as_a_tensor_name", GP_TYPE_F32, 1, ne);
    expect_error(parse_writer(w, &err), &err, "name is");
}

static void test_nested_depth(void **state)
{
    (void)state;
    /* An array nested 64 levels deep: refused, no deep recursion. */
    unsigned char buf[4096];
    size_t n = 0;
    memcpy(buf, "GGUF\3\0\0\0", 8);
    n = 8;
    memset(buf + n, 0, 8); n += 8;          /* tensors */
    buf[n] = 1; memset(buf + n + 1, 0, 7); n += 8; /* one key */
    buf[n] = 1; memset(buf + n + 1, 0, 7); n += 8; buf[n++] = 'k';
    buf[n] = 9; memset(buf + n + 1, 0, 3); n += 4;
    for (int d = 0; d < 64; d++) {
        buf[n] = 9; memset(buf + n + 1, 0, 3); n += 4;
        buf[n] = 1; memset(buf + n + 1, 0, 7); n += 8;
    }
    memset(buf + n, 0, 12); n += 12;
    gp_gguf *g = NULL;
    gp_error err;
    expect_error(gp_gguf_open_memory(buf, n, "deep", &g, &err), &err, "nested deeper");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_table),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_nested_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
