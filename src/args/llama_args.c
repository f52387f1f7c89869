#include "args/llama_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "util/error.h"

static int cmp_flag(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const gp_llama_flag *)elem)->name);
}

const gp_llama_flag *gp_llama_flag_find(const char *name)
{
    return bsearch(name, gp_llama_flags, gp_llama_flag_count, sizeof gp_llama_flags[0], cmp_flag);
}

static bool is(const char *a, const char *s1, const char *s2, const char *s3)
{
    return (s1 && strcmp(a, s1) == 0) || (s2 && strcmp(a, s2) == 0) || (s3 && strcmp(a, s3) == 0);
}

static gp_status bad_value(gp_error *err, const char *flag, const char *value, const char *want)
{
    return gp_fail(err, GP_ERR_ARG, NULL, "%s: invalid value '%s' (expected %s)", flag, value, want);
}

static bool parse_long(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* llama.cpp's truthy / falsey / auto spellings. */
static int tristate(const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "enabled") || !strcmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "off") || !strcmp(v, "disabled") || !strcmp(v, "false") || !strcmp(v, "0"))
        return 0;
    if (!strcmp(v, "auto"))
        return -1;
    return -2;
}

static gp_status cache_type(const char *flag, const char *v, uint32_t *out, gp_error *err)
{
    /* The cache types llama.cpp accepts for -ctk/-ctv. */
    static const char *allowed[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(v, allowed[i]) == 0) {
            *out = (uint32_t)gp_type_from_name(v);
            return GP_OK;
        }
    return bad_value(err, flag, v, "f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0 or q5_1");
}

static gp_status add_override(gp_run_params *p, const char *pattern, size_t plen, const char *buft,
                              size_t blen, const char *flag, gp_error *err)
{
    if (p->n_overrides >= GP_MAX_OVERRIDES)
        return gp_fail(err, GP_ERR_ARG, NULL, "%s: more than %d tensor overrides", flag, GP_MAX_OVERRIDES);
    gp_override *o = &p->overrides[p->n_overrides];
    if (plen >= sizeof o->pattern || blen >= sizeof o->buft || blen == 0)
        return gp_fail(err, GP_ERR_ARG, NULL, "%s: override too long or without buffer type", flag);
    memcpy(o->pattern, pattern, plen);
    o->pattern[plen] = 0;
    memcpy(o->buft, buft, blen);
    o->buft[blen] = 0;
    p->n_overrides++;
    return GP_OK;
}

/* "re1=B1,re2=B2": split on commas, each at its first '='. */
static gp_status parse_overrides(gp_run_params *p, const char *flag, const char *v, gp_error *err)
{
    const char *s = v;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq)
            return bad_value(err, flag, v, "PATTERN=BUFFER_TYPE[,...]");
        gp_status st = add_override(p, s, (size_t)(eq - s), eq + 1, len - (size_t)(eq - s) - 1, flag, err);
        if (st != GP_OK)
            return st;
        if (!comma)
            return GP_OK;
        s = comma + 1;
    }
}

static gp_status add_block_overrides(gp_run_params *p, long long n, const char *suffix,
                                     const char *flag, gp_error *err)
{
    for (long long i = 0; i < n; i++) {
        char pat[128];
        int len = snprintf(pat, sizeof pat, "blk\\.%lld%s", i, suffix);
        gp_status st = add_override(p, pat, (size_t)len, "CPU", 3, flag, err);
        if (st != GP_OK)
            return st;
    }
    p->user_set_ot = true;
    return GP_OK;
}

static gp_status parse_split(gp_run_params *p, const char *flag, const char *v, gp_error *err)
{
    p->n_tensor_split = 0;
    const char *s = v;
    while (*s) {
        if (*s == ',' || *s == '/') {
            s++;
            continue;
        }
        char *end;
        errno = 0;
        float f = strtof(s, &end);
        if (end == s || errno || f < 0)
            return bad_value(err, flag, v, "fractions like 3,1");
        if (p->n_tensor_split >= GP_MAX_DEVICES - 1)
            return gp_fail(err, GP_ERR_ARG, NULL, "%s: too many values", flag);
        p->tensor_split[p->n_tensor_split++] = f;
        s = end;
        if (*s && *s != ',' && *s != '/')
            return bad_value(err, flag, v, "fractions like 3,1");
    }
    p->user_set_ts = true;
    return GP_OK;
}

gp_status gp_llama_args_apply(gp_run_params *p, int argc, char *const *argv, int *i, gp_error *err)
{
    const char *a = argv[*i];
    const gp_llama_flag *f = gp_llama_flag_find(a);
    if (!f)
        return gp_fail(err, GP_ERR_ARG, NULL, "unknown flag '%s' (llama-server does not accept it)", a);
    const char *v = NULL;
    if (f->takes_value) {
        if (*i + 1 >= argc)
            return gp_fail(err, GP_ERR_ARG, NULL, "%s needs a value", a);
        v = argv[*i + 1];
    }
    *i += f->takes_value ? 2 : 1;
    long long n;

    if (is(a, "-c", "--ctx-size", NULL)) {
        if (!parse_long(v, 0, 1ll << 32, &n))
            return bad_value(err, a, v, "a context size");
        p->n_ctx = n;
        p->user_set_ctx = true;
    } else if (is(a, "-b", "--batch-size", NULL)) {
        if (!parse_long(v, 1, 1 << 24, &n))
            return bad_value(err, a, v, "a positive batch size");
        p->n_batch = (uint32_t)n;
        p->user_set_b = true;
    } else if (is(a, "-ub", "--ubatch-size", NULL)) {
        if (!parse_long(v, 1, 1 << 24, &n))
            return bad_value(err, a, v, "a positive micro-batch size");
        p->n_ubatch = (uint32_t)n;
        p->user_set_ub = true;
    } else if (is(a, "-np", "--parallel", NULL)) {
        if (!parse_long(v, -1, 256, &n))
            return bad_value(err, a, v, "a number of slots, or -1 for auto");
        p->n_parallel = (int32_t)n;
        p->user_set_np = true;
    } else if (is(a, "-kvu", "--kv-unified", NULL)) {
        p->kv_unified = 1;
        p->user_set_kvu = true;
    } else if (is(a, "-no-kvu", "--no-kv-unified", NULL)) {
        p->kv_unified = 0;
        p->user_set_kvu = true;
    } else if (is(a, "-fa", "--flash-attn", NULL)) {
        int t = tristate(v);
        if (t == -2)
            return bad_value(err, a, v, "on, off or auto");
        p->flash_attn = t == 1 ? GP_FA_ON : t == 0 ? GP_FA_OFF : GP_FA_AUTO;
        p->user_set_fa = true;
    } else if (is(a, "-ctk", "--cache-type-k", NULL)) {
        p->user_set_ctk = true;
        return cache_type(a, v, &p->type_k, err);
    } else if (is(a, "-ctv", "--cache-type-v", NULL)) {
        p->user_set_ctv = true;
        return cache_type(a, v, &p->type_v, err);
    } else if (is(a, "--swa-full", NULL, NULL)) {
        p->swa_full = true;
    } else if (is(a, "-ngl", "--gpu-layers", "--n-gpu-layers")) {
        if (strcmp(v, "auto") == 0)
            p->n_gpu_layers = GP_NGL_AUTO;
        else if (strcmp(v, "all") == 0)
            p->n_gpu_layers = GP_NGL_ALL;
        else if (parse_long(v, -2, 1 << 20, &n))
            p->n_gpu_layers = n == -1 ? GP_NGL_AUTO : n < -1 ? GP_NGL_ALL : (int32_t)n;
        else
            return bad_value(err, a, v, "a number of layers, auto or all");
        p->user_set_ngl = true;
    } else if (is(a, "-ts", "--tensor-split", NULL)) {
        return parse_split(p, a, v, err);
    } else if (is(a, "-sm", "--split-mode", NULL)) {
        if (!strcmp(v, "none")) p->split_mode = GP_SPLIT_NONE;
        else if (!strcmp(v, "layer")) p->split_mode = GP_SPLIT_LAYER;
        else if (!strcmp(v, "row")) p->split_mode = GP_SPLIT_ROW;
        else if (!strcmp(v, "tensor")) p->split_mode = GP_SPLIT_TENSOR;
        else return bad_value(err, a, v, "none, layer, row or tensor");
        p->user_set_sm = true;
    } else if (is(a, "-mg", "--main-gpu", NULL)) {
        if (!parse_long(v, 0, GP_MAX_DEVICES, &n))
            return bad_value(err, a, v, "a GPU index");
        p->main_gpu = (int32_t)n;
    } else if (is(a, "-ot", "--override-tensor", NULL)) {
        p->user_set_ot = true;
        return parse_overrides(p, a, v, err);
    } else if (is(a, "-cmoe", "--cpu-moe", NULL)) {
        p->user_set_ot = true;
        static const char exps[] = "\\.ffn_(up|down|gate|gate_up)_(ch|)exps";
        return add_override(p, exps, sizeof exps - 1, "CPU", 3, a, err);
    } else if (is(a, "-ncmoe", "--n-cpu-moe", NULL)) {
        if (!parse_long(v, 0, 100000, &n))
            return bad_value(err, a, v, "a number of layers");
        return add_block_overrides(p, n, "\\.ffn_(up|down|gate|gate_up)_(ch|)exps", a, err);
    } else if (is(a, "-ncffn", "--n-cpu-ffn", NULL)) {
        if (!parse_long(v, 0, 100000, &n))
            return bad_value(err, a, v, "a number of layers");
        return add_block_overrides(p, n, "\\.ffn_(up|down|gate)\\.", a, err);
    } else if (is(a, "-nkvo", "--no-kv-offload", NULL)) {
        p->no_kv_offload = true;
    } else if (is(a, "-kvo", "--kv-offload", NULL)) {
        p->no_kv_offload = false;
    } else if (is(a, "--rpc", NULL, NULL)) {
        if (strlen(v) >= sizeof p->rpc)
            return bad_value(err, a, v, "a shorter list of HOST:PORT");
        snprintf(p->rpc, sizeof p->rpc, "%s", v);
    } else if (is(a, "-m", "--model", NULL)) {
        snprintf(p->model_path, sizeof p->model_path, "%s", v);
    } else if (is(a, "-hf", "-hfr", "--hf-repo")) {
        if (strlen(v) >= sizeof p->hf_repo)
            return bad_value(err, a, v, "OWNER/REPO[:QUANT]");
        snprintf(p->hf_repo, sizeof p->hf_repo, "%s", v);
    } else if (is(a, "-hff", "--hf-file", NULL)) {
        if (strlen(v) >= sizeof p->hf_file)
            return bad_value(err, a, v, "a shorter file name");
        snprintf(p->hf_file, sizeof p->hf_file, "%s", v);
    } else if (is(a, "-mu", "--model-url", NULL)) {
        if (strlen(v) >= sizeof p->model_url)
            return bad_value(err, a, v, "a shorter URL");
        snprintf(p->model_url, sizeof p->model_url, "%s", v);
    } else if (is(a, "-hft", "--hf-token", NULL)) {
        if (strlen(v) >= sizeof p->hf_token)
            return bad_value(err, a, v, "a shorter token");
        snprintf(p->hf_token, sizeof p->hf_token, "%s", v);
    } else if (is(a, "--offline", NULL, NULL)) {
        p->offline = true;
    } else if (f->takes_value && (!v || !*v)) {
        return gp_fail(err, GP_ERR_ARG, NULL, "%s needs a value", a);
    } else if (!is(a, "--port", "--host", NULL) && p->n_extra + 2 <= sizeof p->extra / sizeof p->extra[0]) {
        /* Valid and memory-neutral: kept for the commands that run llama.cpp
         * (which choose their own host and port). */
        p->extra[p->n_extra++] = a;
        if (v)
            p->extra[p->n_extra++] = v;
    }
    return GP_OK;
}
