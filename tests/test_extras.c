/*
 * What llama-server loads besides the model: draft models (-md), the
 * model's own MTP head (--spec-type draft-mtp), LoRA adapters (--lora) and
 * multimodal projectors (--mmproj), and the main context's larger output
 * reservation under speculative decoding.
 *
 * The expected bytes are llama.cpp v0.5.0's own: llama-server run on sparse
 * stand-ins of these exact headers, every buffer allocation logged (CPU
 * only, and with one or two ggml-rpc-server processes on loopback acting as
 * GPUs, described here as 24105 MiB RPC devices). Rows llama.cpp allocates
 * for the main model alone are covered by test_calib and the accuracy
 * report; here each case checks what the extras add.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "calib.h"
#include "cli_run.h"
#include "extras_builder.h"
#include "gguf_writer.h"
#include "model_builder.h"
#include "model/model.h"

static char dir[256];
static char tiny[512], l8b[512], lfm2[512];
static char dtiny[512], d1b[512], glm[512];
static char lt_r16[512], lt_r64[512], lt_r64_attn[512], lt_r16_embout[512], l8_r16[512], l8_r64[512];
static char mm_gemma[512], mm_llava[512], mm_qwen[512];

#define RPC1 "RPC0[127.0.0.1:50052]"
#define RPC2 "RPC0[127.0.0.1:50053]"

static void path_in(char *buf, const char *name)
{
    snprintf(buf, 512, "%s/%s", dir, name);
}

/* A llama-shaped draft with the main model's vocabulary (q8_0, tied output). */
static void write_draft(const char *out, uint32_t n_layer, uint32_t n_embd, uint32_t n_head, uint32_t n_head_kv,
                        uint32_t n_ff, uint32_t n_vocab)
{
    mb_spec s = {.arch = "llama", .n_layer = n_layer, .n_embd = n_embd, .n_head = n_head, .n_head_kv = n_head_kv,
                 .n_ff = n_ff, .n_vocab = n_vocab, .n_ctx_train = 131072, .weight_type = 8, .tokens = true,
                 .tied_output = true, .name = "draft"};
    gw *w = mb_build(&s);
    assert_true(gw_write(w, out, false));
    gw_free(w);
}

/* glm4moe with three trunk layers and one NextN (MTP) layer. */
static void write_glm(const char *out)
{
    mb_spec s = {.arch = "glm4moe", .n_layer = 4, .n_embd = 1024, .n_head = 8, .n_head_kv = 2, .head_dim = 128,
                 .n_ff = 2816, .n_vocab = 151936, .n_ctx_train = 32768, .n_expert = 8, .n_expert_used = 2,
                 .n_ff_exp = 512, .n_expert_shared = 1, .n_layer_dense_lead = 1, .sigmoid_gating = true,
                 .nextn = 1, .weight_type = 8, .tokens = true};
    gw *w = mb_build(&s);
    assert_true(gw_write(w, out, false));
    gw_free(w);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ggplace-extras-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    calib_model(tiny, sizeof tiny, "llama-tiny");
    calib_model(l8b, sizeof l8b, "llama-3.1-8b");
    calib_model(lfm2, sizeof lfm2, "lfm2-1.2b");
    path_in(dtiny, "dtiny.gguf");
    path_in(d1b, "d1b.gguf");
    path_in(glm, "glm.gguf");
    write_draft(dtiny, 4, 512, 8, 2, 1408, 8000);
    write_draft(d1b, 16, 2048, 32, 8, 8192, 128256);
    write_glm(glm);
    static const char all7[] = "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down";
    path_in(lt_r16, "lt_r16.gguf");
    path_in(lt_r64, "lt_r64.gguf");
    path_in(lt_r64_attn, "lt_r64_attn.gguf");
    path_in(lt_r16_embout, "lt_r16_embout.gguf");
    path_in(l8_r16, "l8_r16.gguf");
    path_in(l8_r64, "l8_r64.gguf");
    bool ok = eb_lora(tiny, lt_r16, 16, 32, 1, all7, false) && eb_lora(tiny, lt_r64, 64, 128, 1, all7, false) &&
              eb_lora(tiny, lt_r64_attn, 64, 128, 1, "attn_q,attn_k,attn_v,attn_output", false) &&
              eb_lora(tiny, lt_r16_embout, 16, 32, 1, "attn_q,output,token_embd", false) &&
              eb_lora(l8b, l8_r16, 16, 32, 1, all7, false) && eb_lora(l8b, l8_r64, 64, 128, 1, all7, false);
    path_in(mm_gemma, "mmproj-gemma3.gguf");
    path_in(mm_llava, "mmproj-llava15.gguf");
    path_in(mm_qwen, "mmproj-qwen25vl.gguf");
    ok = ok && eb_mmproj(EB_GEMMA3, mm_gemma) && eb_mmproj(EB_LLAVA15, mm_llava) && eb_mmproj(EB_QWEN25VL, mm_qwen);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- running mem ------------------------------------------------------------- */

/* `ggplace mem` with the words of `flags` (%s filled from the varargs, each
 * a whole word), parsed. */
static cJSON *mem_json(const char *main_model, const char *flags, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, flags);
    vsnprintf(line, sizeof line, flags, ap);
    va_end(ap);
    const char *argv[96] = {"ggplace", "mem", main_model};
    int argc = 3;
    for (char *save = NULL, *w = strtok_r(line, " ", &save); w && argc < 90; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc++] = "--no-detect";
    argv[argc++] = "--json";
    cli_result *r = cli_run(NULL, argc, argv);
    if (r->rc != 0)
        fail_msg("mem %s: %s", main_model, r->err);
    cJSON *j = cJSON_Parse(r->out);
    assert_non_null(j);
    return j;
}

static const cJSON *device(const cJSON *list, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, list) {
        const cJSON *n = cJSON_GetObjectItem(d, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return d;
    }
    return NULL;
}

static uint64_t field(const cJSON *dev, const char *what)
{
    const cJSON *v = dev ? cJSON_GetObjectItem(dev, what) : NULL;
    return cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
}

/* Bytes of one part on one device: who is "main", or an extra kind
 * ("draft", "mtp", "lora": summed over adapters, "mmproj"). */
static uint64_t part(const cJSON *j, const char *who, const char *dev, const char *what)
{
    if (!strcmp(who, "main"))
        return field(device(cJSON_GetObjectItem(j, "devices"), dev), what);
    uint64_t sum = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "extras")) {
        const cJSON *k = cJSON_GetObjectItem(e, "kind");
        if (cJSON_IsString(k) && !strcmp(k->valuestring, who))
            sum += field(device(cJSON_GetObjectItem(e, "devices"), dev), what);
    }
    return sum;
}

typedef struct expect {
    const char *who, *dev, *what;
    uint64_t bytes;
} expect;

static void check(const char *name, const cJSON *j, const expect *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t got = part(j, e[i].who, e[i].dev, e[i].what);
        /* The compute a LoRA adds shows on the main context's buffer. */
        if (!strcmp(e[i].who, "main") && !strcmp(e[i].what, "compute"))
            got += part(j, "lora", e[i].dev, "compute");
        if (got != e[i].bytes)
            fail_msg("%s: %s %s %s: predicted %llu, llama.cpp %llu", name, e[i].who, e[i].dev, e[i].what,
                     (unsigned long long)got, (unsigned long long)e[i].bytes);
    }
}

#define CHECK(name, json, ...)                                                                               \
    do {                                                                                                     \
        static const expect rows_[] = {__VA_ARGS__};                                                         \
        cJSON *j_ = (json);                                                                                  \
        check(name, j_, rows_, sizeof rows_ / sizeof rows_[0]);                                              \
        cJSON_Delete(j_);                                                                                    \
    } while (0)

/* ---- draft models ------------------------------------------------------------ */

static void test_draft_cpu(void **state)
{
    (void)state;
    /* One draft context shared by the slots: the main context's final size,
     * -b/-ub/-fa/-np inherited, f16 cache unless -ctkd/-ctvd. The main
     * context reserves logits for np x (1 + n_max) tokens. */
    CHECK("s1", mem_json(tiny, "-c 4096 -md %s --spec-type draft-simple", dtiny),
          {"main", "CPU", "compute", 29896768}, {"draft", "CPU", "model", 16347136},
          {"draft", "CPU", "context", 8388608}, {"draft", "CPU", "compute", 17051680});
    CHECK("s2", mem_json(tiny, "-c 5000 -np 3 -md %s --spec-type draft-simple", dtiny),
          {"main", "CPU", "context", 44040192}, {"main", "CPU", "compute", 27591360},
          {"draft", "CPU", "context", 11010048}, {"draft", "CPU", "compute", 14721184});
    CHECK("s3", mem_json(tiny, "-c 300 -b 512 -ub 512 -np 1 -md %s --spec-type draft-simple", dtiny),
          {"main", "CPU", "compute", 15367264}, {"draft", "CPU", "context", 1048576},
          {"draft", "CPU", "compute", 13381664});
    CHECK("s5", mem_json(tiny, "-c 4096 -ctkd q8_0 -ctvd q4_0 -md %s --spec-type draft-simple", dtiny),
          {"draft", "CPU", "context", 3407872}, {"draft", "CPU", "compute", 16035872});
    CHECK("s7", mem_json(tiny, "-c 4096 -np 2 --spec-draft-n-max 16 -md %s --spec-type draft-simple", dtiny),
          {"main", "CPU", "compute", 27799712}, {"draft", "CPU", "compute", 14954528});
    CHECK("s11", mem_json(tiny, "-c 4096 -np 8 --spec-draft-n-max 64 -ub 256 -md %s --spec-type draft-simple",
                          dtiny),
          {"main", "CPU", "compute", 13114368}, {"draft", "CPU", "context", 8388608},
          {"draft", "CPU", "compute", 6690848});
    CHECK("d_simple", mem_json(l8b, "-c 4096 -md %s --spec-type draft-simple", d1b),
          {"main", "CPU", "compute", 125841472}, {"draft", "CPU", "model", 1313251328},
          {"draft", "CPU", "context", 134217728}, {"draft", "CPU", "compute", 71315488});
}

static void test_draft_gpus(void **state)
{
    (void)state;
    const char *rpc = "--rpc 127.0.0.1:50052=24105MiB --rpc 127.0.0.1:50053=24105MiB";
    CHECK("r2 -ngld 0", mem_json(tiny, "-c 4096 -ngl 99 -ngld 0 %s -md %s --spec-type draft-simple", rpc, dtiny),
          {"draft", "CPU", "model", 16347136}, {"draft", "CPU", "context", 8388608},
          {"draft", "CPU", "compute", 17051680});
    CHECK("r4 -devd RPC1", mem_json(tiny, "-c 4096 -ngl 99 %s -devd RPC1 -md %s --spec-type draft-simple", rpc, dtiny),
          {"draft", "CPU", "model", 4352000}, {"draft", RPC2, "model", 16347136},
          {"draft", RPC2, "context", 8388608}, {"draft", RPC2, "compute", 16001056},
          {"draft", "CPU", "compute", 6303776});
    CHECK("r5 -devd none", mem_json(tiny, "-c 4096 -ngl 99 %s -devd none -md %s --spec-type draft-simple", rpc, dtiny),
          {"draft", "CPU", "model", 16347136}, {"draft", "CPU", "compute", 17051680});
    CHECK("r9 -nkvo", mem_json(tiny, "-c 4096 -ngl 99 -nkvo %s -md %s --spec-type draft-simple", rpc, dtiny),
          {"draft", RPC1, "model", 8994816}, {"draft", RPC2, "model", 7352320}, {"draft", "CPU", "context", 8388608},
          {"draft", RPC1, "compute", 17041408}, {"draft", RPC2, "compute", 9439232},
          {"draft", "CPU", "compute", 6303776});
    /* -dev: the main model (and so the draft) uses that device only. */
    CHECK("r8 -dev RPC0", mem_json(tiny, "-c 4096 -ngl 99 %s -dev RPC0 -md %s --spec-type draft-simple", rpc, dtiny),
          {"main", RPC1, "model", 60758528}, {"main", RPC1, "context", 33554432}, {"main", RPC1, "compute", 27797568},
          {"main", "CPU", "compute", 8400960}, {"main", RPC2, "model", 0}, {"draft", RPC1, "model", 16347136},
          {"draft", RPC1, "context", 8388608}, {"draft", RPC1, "compute", 16001056},
          {"draft", "CPU", "compute", 6303776});
    CHECK("r11 -sm none -mg 1", mem_json(tiny, "-c 4096 -ngl 99 -sm none -mg 1 %s -md %s --spec-type draft-simple",
                                         rpc, dtiny),
          {"main", RPC2, "compute", 27797568}, {"draft", RPC2, "model", 16347136},
          {"draft", RPC2, "context", 8388608}, {"draft", RPC2, "compute", 16001056});
}

static void test_draft_without_spec_type(void **state)
{
    (void)state;
    /* llama-server v0.5.0 loads it, finds no speculative type, frees it. */
    cJSON *j = mem_json(tiny, "-c 4096 -md %s", dtiny);
    assert_int_equal(part(j, "draft", "CPU", "model"), 0);
    const cJSON *note = cJSON_GetObjectItem(j, "extras_note");
    assert_true(cJSON_IsString(note) && strstr(note->valuestring, "--spec-type draft-simple"));
    cJSON_Delete(j);
}

static void test_speculative_outputs(void **state)
{
    (void)state;
    /* n-gram speculation needs no model but widens the logits reservation. */
    CHECK("s9", mem_json(tiny, "-c 4096 --spec-type ngram-mod"), {"main", "CPU", "compute", 29897760});
    CHECK("o2", mem_json(l8b, "-c 4096 -np 2 -kvu -ub 512 --spec-type ngram-mod"),
          {"main", "CPU", "compute", 125841952});
    /* Drafting types that roll recurrent state back keep 1 + n_max copies. */
    CHECK("f1", mem_json(lfm2, "-c 4096 --spec-type draft-eagle3"), {"main", "CPU", "context", 50331648 + 2621440});
}

static void test_mtp(void **state)
{
    (void)state;
    /* The NextN layer loads (all its tensors) and gets its own
     * cache, typed -ctkd/-ctvd. The compute of the MTP graph is bounded by
     * the main graph's (llama.cpp: 12595232 and 14774304). */
    gp_model *m = NULL;
    assert_int_equal(gp_model_open(glm, &m, NULL), GP_OK);
    uint64_t nextn_bytes = 0;
    for (uint64_t t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].layer == 3)
            nextn_bytes += m->tensors[t].info->bytes;
    gp_model_close(&m);
    cJSON *j = mem_json(glm, "-c 4096 --spec-type draft-mtp");
    assert_int_equal(part(j, "mtp", "CPU", "model"), nextn_bytes);
    assert_int_equal(part(j, "mtp", "CPU", "context"), 4194304);
    assert_true(part(j, "mtp", "CPU", "compute") >= 12595232);
    cJSON_Delete(j);
    j = mem_json(glm, "-c 8192 -np 2 --spec-type draft-mtp -ctkd q8_0 -ctvd q8_0");
    assert_int_equal(part(j, "mtp", "CPU", "context"), 4456448);
    assert_true(part(j, "mtp", "CPU", "compute") >= 14774304);
    cJSON_Delete(j);
}

/* ---- LoRA adapters ----------------------------------------------------------- */

static void test_lora(void **state)
{
    (void)state;
    const char *rpc = "--rpc 127.0.0.1:50052=24105MiB";
    const char *rpc2 = "--rpc 127.0.0.1:50052=24105MiB --rpc 127.0.0.1:50053=24105MiB";
    /* Pairs live with the tensor they adapt, 32-byte aligned; the CPU graph
     * does not change. */
    CHECK("l1", mem_json(tiny, "-c 4096 --lora %s", lt_r16), {"lora", "CPU", "model", 4653056},
          {"main", "CPU", "compute", 29896736});
    CHECK("l5", mem_json(tiny, "-c 4096 --lora %s", lt_r16_embout), {"lora", "CPU", "model", 1101824});
    CHECK("L1", mem_json(l8b, "-c 4096 --lora %s", l8_r16), {"lora", "CPU", "model", 83886080});
    /* Partial offload: the ffn_down pair of the last CPU layer is copied
     * into the GPU's compute buffer. */
    CHECK("P1", mem_json(l8b, "-c 4096 -ngl 8 %s --lora %s", rpc, l8_r64), {"lora", "CPU", "model", 262144000},
          {"lora", RPC1, "model", 73400320}, {"main", RPC1, "compute", 111421472},
          {"main", "CPU", "compute", 125841440});
    CHECK("q3", mem_json(tiny, "-c 4096 -ngl 5 -ub 512 %s --lora %s", rpc, lt_r16), {"lora", RPC1, "model", 2326528},
          {"lora", "CPU", "model", 2326528}, {"main", RPC1, "compute", 25823264});
    CHECK("q7 attention only", mem_json(tiny, "-c 4096 -ngl 5 -ub 512 %s --lora %s", rpc, lt_r64_attn),
          {"main", RPC1, "compute", 25700384});
    CHECK("q9 two adapters", mem_json(tiny, "-c 4096 -ngl 5 -ub 512 %s --lora %s --lora %s", rpc, lt_r16, lt_r64),
          {"lora", RPC1, "model", 11632640}, {"main", RPC1, "compute", 26314784});
    CHECK("p4 -ot", mem_json(tiny, "-c 4096 -ngl 99 -ot blk\\.[0-3]\\.ffn_.*=CPU %s --lora %s", rpc, lt_r64),
          {"lora", RPC1, "model", 12713984}, {"lora", "CPU", "model", 5898240}, {"main", RPC1, "compute", 28289056});
    CHECK("p5 token_embd", mem_json(tiny, "-c 4096 -ngl 99 %s --lora %s", rpc, lt_r16_embout),
          {"lora", RPC1, "model", 813056}, {"lora", "CPU", "model", 288768}, {"main", RPC1, "compute", 28088352});
    CHECK("m2 two GPUs", mem_json(tiny, "-c 4096 -ngl 5 %s --lora %s", rpc2, lt_r64), {"lora", RPC1, "model", 6979584},
          {"lora", RPC2, "model", 2326528}, {"lora", "CPU", "model", 9306112}, {"main", RPC1, "compute", 26191872},
          {"main", RPC2, "compute", 12724256});
}

static void test_bad_extras(void **state)
{
    (void)state;
    const char *argv1[] = {"ggplace", "mem", tiny, "--lora", tiny, "--no-detect"};
    cli_result *r = cli_run(NULL, 6, argv1);
    assert_int_equal(r->rc, 1);
    assert_non_null(strstr(r->err, "not a LoRA adapter"));
    const char *argv2[] = {"ggplace", "mem", tiny, "--mmproj", tiny, "--no-detect"};
    r = cli_run(NULL, 6, argv2);
    assert_int_equal(r->rc, 1);
    assert_non_null(strstr(r->err, "not a multimodal projector"));
    const char *argv3[] = {"ggplace", "mem", tiny, "--lora", l8_r16, "--no-detect"};
    r = cli_run(NULL, 6, argv3);
    assert_int_equal(r->rc, 1);
    assert_non_null(strstr(r->err, "which the model does not have"));
    const char *argv4[] = {"ggplace", "mem", tiny, "--draft-max", "8", "--no-detect"};
    r = cli_run(NULL, 6, argv4);
    assert_int_equal(r->rc, 2);
    assert_non_null(strstr(r->err, "--spec-draft-n-max"));
    const char *argv5[] = {"ggplace", "mem", tiny, "--spec-type", "draft-magic", "--no-detect"};
    r = cli_run(NULL, 6, argv5);
    assert_int_not_equal(r->rc, 0);
    assert_non_null(strstr(r->err, "draft-magic"));
    const char *argv8[] = {"ggplace", "mem", tiny, "--lora-scaled", lt_r16, "--no-detect"};
    r = cli_run(NULL, 6, argv8);
    assert_int_equal(r->rc, 2);
    assert_non_null(strstr(r->err, "FILE:SCALE"));
    /* A projector cut short: one line naming it. */
    char cut[600];
    path_in(cut, "mmproj-cut.gguf");
    FILE *in = fopen(mm_llava, "rb"), *out = fopen(cut, "wb");
    assert_true(in && out);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, n / 2, out);
    fclose(in);
    fclose(out);
    const char *argv9[] = {"ggplace", "mem", tiny, "--mmproj", cut, "--no-detect"};
    r = cli_run(NULL, 6, argv9);
    assert_int_equal(r->rc, 1);
    assert_non_null(strstr(r->err, cut));
    assert_non_null(strchr(r->err, '\n'));
    assert_int_equal(strchr(r->err, '\n')[1], '\0');
    const char *argv7[] = {"ggplace", "mem", tiny, "-dev", "CUDA7", "--gpu", "8GiB", "--no-detect"};
    r = cli_run(NULL, 8, argv7);
    assert_int_not_equal(r->rc, 0);
    assert_non_null(strstr(r->err, "no device named CUDA7"));
    const char *argv6[] = {"ggplace", "mem", tiny, "-md", "/nonexistent/draft.gguf", "--spec-type", "draft-simple",
                           "--no-detect"};
    r = cli_run(NULL, 8, argv6);
    assert_int_equal(r->rc, 1);
    assert_non_null(strstr(r->err, "/nonexistent/draft.gguf"));
}

/* ---- plans leave room ---------------------------------------------------------- */

static void test_plan_leaves_room(void **state)
{
    (void)state;
    /* The plan fits the main model and the draft in the GPU's budget, and
     * its command keeps the draft flags. */
    const char *argv[] = {"ggplace", "plan", l8b, "-md", d1b, "--spec-type", "draft-simple", "--gpu", "8GiB",
                          "--no-detect", "--ctx", "8192", "--json"};
    cli_result *r = cli_run(NULL, 13, argv);
    assert_int_equal(r->rc, 0);
    cJSON *j = cJSON_Parse(r->out);
    assert_non_null(j);
    const cJSON *cmd = cJSON_GetObjectItem(j, "cmd");
    assert_true(cJSON_IsString(cmd) && strstr(cmd->valuestring, "--spec-type draft-simple"));
    const cJSON *gpu = device(cJSON_GetObjectItem(j, "devices"), "CUDA0");
    assert_non_null(gpu);
    uint64_t total = field(gpu, "total"), budget = field(gpu, "budget");
    assert_true(total <= budget);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "extras")) == 1);
    /* Without the draft the same GPU would hold less. */
    const char *argv2[] = {"ggplace", "plan", l8b, "--gpu", "8GiB", "--no-detect", "--ctx", "8192", "--json"};
    r = cli_run(NULL, 9, argv2);
    cJSON *k = cJSON_Parse(r->out);
    assert_true(field(device(cJSON_GetObjectItem(k, "devices"), "CUDA0"), "total") + 1000000000ull < total);
    cJSON_Delete(j);
    cJSON_Delete(k);
}

/* ---- projectors ---------------------------------------------------------------- */

static void test_mmproj(void **state)
{
    (void)state;
    char gemma[512], qwen[512];
    calib_model(gemma, sizeof gemma, "gemma-3-4b");
    calib_model(qwen, sizeof qwen, "qwen3-8b");
    const char *rpc = "--rpc 127.0.0.1:50317=24105MiB";
#define RPC0 "RPC0[127.0.0.1:50317]"
    /* Weights in one buffer, compute for one warm-up image (flash attention
     * when the device runs it, as -fa auto resolves). */
    CHECK("gemma3 cpu", mem_json(gemma, "-c 4096 --mmproj %s", mm_gemma), {"mmproj", "CPU", "model", 851226048},
          {"mmproj", "CPU", "compute", 127139840});
    /* The model's own buffers do not change. */
    cJSON *with = mem_json(gemma, "-c 4096 --mmproj %s", mm_gemma), *without = mem_json(gemma, "-c 4096");
    for (const char *const *w = (const char *const[]){"model", "context", "compute", NULL}; *w; w++)
        assert_int_equal(part(with, "main", "CPU", *w), part(without, "main", "CPU", *w));
    cJSON_Delete(with);
    cJSON_Delete(without);
    CHECK("gemma3 -fa off", mem_json(gemma, "-c 4096 -fa off --mmproj %s", mm_gemma),
          {"mmproj", "CPU", "compute", 1186988032});
    CHECK("qwen2.5-vl cpu", mem_json(qwen, "-c 4096 --mmproj %s", mm_qwen), {"mmproj", "CPU", "model", 1359377408},
          {"mmproj", "CPU", "compute", 739025728});
    CHECK("qwen2.5-vl -fa off", mem_json(qwen, "-c 4096 -fa off --mmproj %s", mm_qwen),
          {"mmproj", "CPU", "compute", 5108210240ull});
    CHECK("llava cpu", mem_json(l8b, "-c 4096 --mmproj %s", mm_llava), {"mmproj", "CPU", "model", 624412672},
          {"mmproj", "CPU", "compute", 22593056});
    /* On the first GPU, with the graph inputs in a CPU buffer; -ngl does not
     * move it; --no-mmproj-offload and -mmdev none keep it on the CPU. */
    CHECK("gemma3 gpu", mem_json(gemma, "-c 4096 %s --mmproj %s", rpc, mm_gemma), {"mmproj", RPC0, "model", 851226048},
          {"mmproj", RPC0, "compute", 127139840}, {"mmproj", "CPU", "compute", 9633792});
    CHECK("qwen gpu", mem_json(qwen, "-c 4096 -ngl 0 %s --mmproj %s", rpc, mm_qwen),
          {"mmproj", RPC0, "model", 1359377408}, {"mmproj", "CPU", "compute", 306616896});
    CHECK("llava gpu -fa off", mem_json(l8b, "-c 4096 -fa off %s --mmproj %s", rpc, mm_llava),
          {"mmproj", RPC0, "compute", 34479712}, {"mmproj", "CPU", "compute", 1359392});
    CHECK("no offload", mem_json(gemma, "-c 4096 %s --no-mmproj-offload --mmproj %s", rpc, mm_gemma),
          {"mmproj", "CPU", "model", 851226048}, {"mmproj", RPC0, "model", 0}, {"mmproj", "CPU", "compute", 127139840});
    CHECK("-mmdev none", mem_json(gemma, "-c 4096 %s -mmdev none --mmproj %s", rpc, mm_gemma),
          {"mmproj", "CPU", "model", 851226048});
    CHECK("-mmdev RPC0", mem_json(gemma, "-c 4096 %s -mmdev RPC0 --mmproj %s", rpc, mm_gemma),
          {"mmproj", RPC0, "model", 851226048});
#undef RPC0
}

/* ---- llama-swap ---------------------------------------------------------------- */

static void test_swap_counts_extras(void **state)
{
    (void)state;
    char cfg[600];
    path_in(cfg, "swap.yaml");
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "models:\n"
            "  plain:\n"
            "    cmd: llama-server --port ${PORT} -m %s -c 8192\n"
            "  spec:\n"
            "    cmd: llama-server --port ${PORT} -m %s -md %s --spec-type draft-simple -c 8192\n",
            l8b, l8b, d1b);
    fclose(f);
    const char *argv[] = {"ggplace", "swap", cfg, "--dry-run", "--gpu", "7GiB", "--no-detect", "--ctx", "8192"};
    cli_result *r = cli_run(NULL, 9, argv);
    assert_int_equal(r->rc, 0);
    /* The same model with a draft beside it must leave room for it, and
     * its draft flags stay as written. */
    const char *plain = strstr(r->err, "plain: re-planned:"), *spec = strstr(r->err, "spec: re-planned:");
    if (!plain || !spec)
        fail_msg("%s", r->err);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(plain, "\n"), plain);
    assert_null(strstr(line, "-ot"));
    snprintf(line, sizeof line, "%.*s", (int)strcspn(spec, "\n"), spec);
    assert_non_null(strstr(line, "-ot"));
    assert_non_null(strstr(r->out, "-md "));
    assert_non_null(strstr(r->out, "--spec-type draft-simple -c 8192 -np 1"));
}

static void test_swap_honours_dev(void **state)
{
    (void)state;
    char cfg[600];
    path_in(cfg, "swap-dev.yaml");
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f, "models:\n  one:\n    cmd: llama-server --port ${PORT} -m %s -dev CUDA1 -c 8192\n", l8b);
    fclose(f);
    /* Only the 8 GiB card is the model's: 32k of context needs a q8_0 cache
     * there, where both cards together would not. */
    const char *argv[] = {"ggplace", "swap", cfg, "--dry-run", "--gpu", "24GiB", "--gpu", "8GiB", "--no-detect",
                          "--ctx", "32768"};
    cli_result *r = cli_run(NULL, 11, argv);
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "-dev CUDA1 -c 32768 -np 1 -fa on -ctk q8_0"));
    assert_null(strstr(r->out, "-ts "));
}

static void test_swap_cuda_visible_devices(void **state)
{
    (void)state;
    char cfg[600], q30[512];
    calib_model(q30, sizeof q30, "qwen3-30b-a3b");
    path_in(cfg, "swap-cvd.yaml");
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "models:\n"
            "  listed:\n"
            "    cmd: llama-server --port ${PORT} -m %s -c 8192\n"
            "    env:\n"
            "      - CUDA_VISIBLE_DEVICES=1\n"
            "  wrapped:\n"
            "    cmd: env CUDA_VISIBLE_DEVICES=1 llama-server --port ${PORT} -m %s -c 8192\n"
            "  both:\n"
            "    cmd: llama-server --port ${PORT} -m %s -c 8192\n",
            q30, q30, q30);
    fclose(f);
    /* A process that sees only the 12 GiB card (as its CUDA0) spills experts;
     * one that sees both splits the layers. */
    const char *argv[] = {"ggplace", "swap", cfg, "--dry-run", "--gpu", "24GiB", "--gpu", "12GiB", "--no-detect",
                          "--ctx", "8192"};
    cli_result *r = cli_run(NULL, 11, argv);
    assert_int_equal(r->rc, 0);
    char line[2048];
    const char *ids[] = {"listed: re-planned:", "wrapped: re-planned:", "both: re-planned:"};
    for (int k = 0; k < 3; k++) {
        const char *at = strstr(r->err, ids[k]);
        if (!at)
            fail_msg("%s", r->err);
        snprintf(line, sizeof line, "%.*s", (int)strcspn(at, "\n"), at);
        if (k < 2) {
            assert_non_null(strstr(line, "_exps"));
            assert_null(strstr(line, "-ts "));
        } else {
            assert_non_null(strstr(line, "-ts "));
        }
    }
}

static void test_swap_generate_pairs_projector(void **state)
{
    (void)state;
    char gemma[512];
    calib_model(gemma, sizeof gemma, "gemma-3-4b");
    const char *argv[] = {"ggplace", "swap", "--generate", gemma, mm_gemma, "--gpu", "24GiB", "--no-detect"};
    cli_result *r = cli_run(NULL, 8, argv);
    if (r->rc != 0)
        fail_msg("%s", r->err);
    /* One model, with its projector; the projector is not a model. */
    assert_non_null(strstr(r->out, "--mmproj "));
    assert_non_null(strstr(r->out, "mmproj-gemma3.gguf"));
    assert_null(strstr(r->out, "\"mmproj-gemma3\":"));
}

int main(void)
{
    if (!calib_present())
        return CALIB_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft_cpu),
        cmocka_unit_test(test_draft_gpus),
        cmocka_unit_test(test_draft_without_spec_type),
        cmocka_unit_test(test_speculative_outputs),
        cmocka_unit_test(test_mtp),
        cmocka_unit_test(test_lora),
        cmocka_unit_test(test_bad_extras),
        cmocka_unit_test(test_mmproj),
        cmocka_unit_test(test_plan_leaves_room),
        cmocka_unit_test(test_swap_counts_extras),
        cmocka_unit_test(test_swap_honours_dev),
        cmocka_unit_test(test_swap_cuda_visible_devices),
        cmocka_unit_test(test_swap_generate_pairs_projector),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
