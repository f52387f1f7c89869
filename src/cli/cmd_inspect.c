/* ggplace inspect MODEL [--json] [--tensors] */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model_source.h"
#include "util/units.h"

void gp_help_inspect(FILE *f)
{
    fprintf(f,
            "Usage: ggplace inspect MODEL [--json] [--tensors]\n"
            "\n"
            "Shows what a GGUF model contains, read from its header alone (the weights\n"
            "are never read; a header-only file works). For a split model, name any shard\n"
            "(NAME-00001-of-00003.gguf) and every shard is read.\n"
            "\n"
            "  --json      machine-readable output: architecture, name, file_type, n_params,\n"
            "              tensor_count, tensor_bytes, n_layer, n_embd, n_head, n_head_kv,\n"
            "              n_vocab, n_ctx_train, n_expert, n_expert_used, data_present, ...\n"
            "              (per-layer arrays where values vary; integers are exact)\n"
            "  --tensors   list every tensor: name, type, shape, bytes, offset, layer, role\n");
    gp_model_source_help(f);
}

static void print_bytes_line(FILE *f, const char *label, uint64_t bytes)
{
    char buf[32];
    gp_format_bytes(bytes, buf, sizeof buf);
    fprintf(f, "%-22s %s (%llu bytes)\n", label, buf, (unsigned long long)bytes);
}

/* "q4_K 73.6%, q6_K 26.3%, f32 0.1%" by bytes, largest first. */
static void print_quant_mix(FILE *f, const gp_model *m)
{
    const uint64_t total = gp_model_tensor_bytes(m);
    fprintf(f, "%-22s ", "quantization mix");
    for (uint32_t k = 0; k < gp_model_quant_count(m); k++) {
        double pct = total ? 100.0 * (double)gp_model_quant_bytes(m, k) / (double)total : 0;
        fprintf(f, "%s%s %.1f%%", k ? ", " : "", gp_model_quant_type(m, k), pct);
    }
    fprintf(f, "\n");
}

static void print_layer_kinds(FILE *f, const gp_model *m)
{
    /* One letter per layer, in gp_attention's order. */
    static const char letters[] = {'F', 'S', 'M', 'R', 'N'};
    fprintf(f, "%-22s ", "attention per layer");
    for (uint32_t i = 0; i < gp_model_hparam(m, GP_HP_N_LAYER); i++)
        fputc(letters[gp_model_layer_attention(m, i)], f);
    fprintf(f, "  (F full, S sliding window, M latent, R recurrent, N NextN)\n");
}

static void print_human(FILE *f, const gp_model *m)
{
#define HP(which) gp_model_hparam(m, GP_HP_##which)
    const uint32_t n_layer = (uint32_t)HP(N_LAYER);
    fprintf(f, "%-22s %s\n", "model", gp_model_path(m));
    fprintf(f, "%-22s %s%s\n", "architecture", gp_model_architecture(m),
            gp_model_architecture_known(m) ? "" : " (unknown to llama.cpp)");
    if (gp_model_name(m)[0])
        fprintf(f, "%-22s %s\n", "name", gp_model_name(m));
    const char *ftn = gp_model_file_type(m);
    if (ftn)
        fprintf(f, "%-22s %s\n", "file type", ftn);
    print_quant_mix(f, m);
    fprintf(f, "%-22s %.3f B (%llu)\n", "parameters", (double)gp_model_n_params(m) / 1e9,
            (unsigned long long)gp_model_n_params(m));
    print_bytes_line(f, "weights", gp_model_tensor_bytes(m));
    const uint32_t shards = gp_model_shard_count(m);
    fprintf(f, "%-22s %llu in %u shard%s, data %s\n", "tensors",
            (unsigned long long)gp_model_tensor_count(m), shards, shards == 1 ? "" : "s",
            gp_model_data_present(m) ? "present" : "absent (header only)");
    fprintf(f, "%-22s %u", "layers", n_layer);
    if (HP(N_NEXTN))
        fprintf(f, " (%u NextN, not loaded by default)", (unsigned)HP(N_NEXTN));
    fprintf(f, "\n");
    fprintf(f, "%-22s %llu\n", "embedding", (unsigned long long)HP(N_EMBD));
    fprintf(f, "%-22s %u heads, %u KV heads, head dim %u/%u\n", "attention", (unsigned)HP(N_HEAD),
            (unsigned)HP(N_HEAD_KV), (unsigned)HP(HEAD_DIM_K), (unsigned)HP(HEAD_DIM_V));
    if (HP(N_SWA))
        fprintf(f, "%-22s %u tokens%s\n", "sliding window", (unsigned)HP(N_SWA),
                HP(SWA_CHUNKED) ? " (chunked)" : "");
    print_layer_kinds(f, m);
    if (HP(N_EXPERT))
        fprintf(f, "%-22s %u routed (%u used per token), %u shared, FF %u\n", "experts", (unsigned)HP(N_EXPERT),
                (unsigned)HP(N_EXPERT_USED), (unsigned)HP(N_EXPERT_SHARED), (unsigned)HP(N_FF_EXP));
    else
        fprintf(f, "%-22s dense, FF %u\n", "feed-forward", (unsigned)HP(N_FF));
    fprintf(f, "%-22s %llu\n", "vocabulary", (unsigned long long)HP(N_VOCAB));
    fprintf(f, "%-22s %llu\n", "training context", (unsigned long long)HP(N_CTX_TRAIN));
#undef HP

    static const char *const kv_types[] = {"f16", "q8_0", "q4_0"};
    fprintf(f, "%-22s", "KV bytes per token");
    for (size_t i = 0; i < 3; i++) {
        uint64_t b;
        if (gp_model_kv_bytes_per_token(m, kv_types[i], &b, NULL) == GP_OK)
            fprintf(f, " %s %llu%s", kv_types[i], (unsigned long long)b, i < 2 ? "," : "");
        else
            fprintf(f, " %s n/a%s", kv_types[i], i < 2 ? "," : "");
    }
    fprintf(f, "\n");
    uint64_t rs = gp_model_recurrent_bytes_per_seq(m);
    if (rs)
        fprintf(f, "%-22s %llu bytes per sequence (f32)\n", "recurrent state", (unsigned long long)rs);

    /* Per-layer bytes, summarised: min / max and the non-layer tensors. */
    uint64_t lmin = UINT64_MAX, lmax = 0, lsum = 0, emax = 0;
    for (uint32_t i = 0; i < n_layer; i++) {
        uint64_t b = gp_model_layer_bytes(m, i), e = gp_model_layer_expert_bytes(m, i);
        lmin = b < lmin ? b : lmin;
        lmax = b > lmax ? b : lmax;
        lsum += b;
        emax = e > emax ? e : emax;
    }
    char a[32], b[32];
    if (n_layer) {
        gp_format_bytes(lmin, a, sizeof a);
        gp_format_bytes(lmax, b, sizeof b);
        fprintf(f, "%-22s %s .. %s", "bytes per layer", a, b);
        if (emax) {
            gp_format_bytes(emax, a, sizeof a);
            fprintf(f, " (routed experts up to %s)", a);
        }
        fprintf(f, "\n");
    }
    gp_format_bytes(gp_model_tensor_bytes(m) - lsum, a, sizeof a);
    fprintf(f, "%-22s %s (embeddings, output, norms)\n", "outside layers", a);
    for (uint32_t i = 0; i < gp_model_warning_count(m); i++)
        fprintf(f, "warning: %s\n", gp_model_warning_text(m, i));
}

static void print_tensors(FILE *f, const gp_model *m)
{
    fprintf(f, "\n%-40s %-8s %-28s %14s %6s %s\n", "tensor", "type", "shape", "bytes", "layer", "role");
    for (uint64_t i = 0; i < gp_model_tensor_count(m); i++) {
        char shape[64] = "";
        size_t pos = 0;
        for (uint32_t d = 0; d < gp_model_tensor_n_dims(m, i) && pos < sizeof shape; d++)
            pos += (size_t)snprintf(shape + pos, sizeof shape - pos, "%s%lld", d ? "x" : "",
                                    (long long)gp_model_tensor_dim(m, i, d));
        char layer[16] = "-";
        if (gp_model_tensor_layer(m, i) >= 0)
            snprintf(layer, sizeof layer, "%d", (int)gp_model_tensor_layer(m, i));
        fprintf(f, "%-40s %-8s %-28s %14llu %6s %s\n", gp_model_tensor_name(m, i), gp_model_tensor_type(m, i),
                shape, (unsigned long long)gp_model_tensor_size(m, i), layer, gp_model_tensor_role(m, i));
    }
}

int gp_cmd_inspect(gp_cli *cli, int argc, char **argv)
{
    const char *path = NULL;
    bool json = false, tensors = false;
    gp_model_source src;
    gp_model_source_init(&src, NULL, NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* llama-server's spellings for a model that is not a local file */
        const char **slot = !strcmp(a, "-hf") || !strcmp(a, "-hfr") || !strcmp(a, "--hf-repo") ? &src.hf_repo
                            : !strcmp(a, "-hff") || !strcmp(a, "--hf-file")                    ? &src.hf_file
                            : !strcmp(a, "-mu") || !strcmp(a, "--model-url")                   ? &src.model_url
                            : !strcmp(a, "-hft") || !strcmp(a, "--hf-token")                   ? &src.hf_token
                                                                                               : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return gp_cli_usage_error(cli, "inspect: %s needs a value", a);
            *slot = argv[++i];
        } else if (strcmp(a, "--offline") == 0)
            src.offline = true;
        else if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--tensors") == 0)
            tensors = true;
        else if (a[0] == '-' && a[1] != '\0')
            return gp_cli_usage_error(cli, "inspect: unknown option '%s' (see ggplace help inspect)", a);
        else if (path)
            return gp_cli_usage_error(cli, "inspect: only one MODEL may be given");
        else
            path = a;
    }
    src.path = path;
    int src_rc = gp_model_source_check(cli, "inspect", &src);
    if (src_rc)
        return src_rc;

    gp_error err = {0};
    gp_model *m = NULL;
    if (gp_model_source_open(cli, &src, json, &m) != GP_EXIT_OK)
        return GP_EXIT_FAIL;
    int rc = GP_EXIT_OK;
    if (json) {
        char *s = NULL;
        if (gp_model_inspect_json(m, tensors, &s, &err) != GP_OK) {
            gp_cli_error(cli, &err);
            rc = GP_EXIT_FAIL;
        } else {
            fprintf(cli->out, "%s\n", s);
            free(s);
        }
    } else {
        print_human(cli->out, m);
        if (tensors)
            print_tensors(cli->out, m);
    }
    gp_model_close(&m);
    return rc;
}
