/* ggplace inspect MODEL [--json] [--tensors] */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model_source.h"
#include "gguf/types.h"
#include "memory/kv.h"
#include "model/model.h"
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
    uint64_t by[GP_TYPE_COUNT] = {0};
    for (uint64_t i = 0; i < m->n_tensors; i++)
        by[m->tensors[i].info->type] += m->tensors[i].info->bytes;
    fprintf(f, "%-22s ", "quantization mix");
    bool first = true;
    for (;;) {
        int best = -1;
        for (int t = 0; t < GP_TYPE_COUNT; t++)
            if (by[t] && (best < 0 || by[t] > by[best]))
                best = t;
        if (best < 0)
            break;
        double pct = m->tensor_bytes ? 100.0 * (double)by[best] / (double)m->tensor_bytes : 0;
        fprintf(f, "%s%s %.1f%%", first ? "" : ", ", gp_type_get((uint32_t)best)->name, pct);
        by[best] = 0;
        first = false;
    }
    fprintf(f, "\n");
}

static void print_layer_kinds(FILE *f, const gp_model *m)
{
    /* One letter per layer: F full, S sliding window, M latent, R recurrent, N NextN. */
    fprintf(f, "%-22s ", "attention per layer");
    for (uint32_t i = 0; i < m->hp.n_layer_all; i++) {
        const gp_layer *l = &m->layers[i];
        static const char letters[] = {'F', 'S', 'M', 'R'};
        fputc(l->nextn ? 'N' : letters[l->kind], f);
    }
    fprintf(f, "  (F full, S sliding window, M latent, R recurrent, N NextN)\n");
}

static void print_human(FILE *f, const gp_model *m)
{
    const gp_hparams *hp = &m->hp;
    fprintf(f, "%-22s %s\n", "model", m->path);
    fprintf(f, "%-22s %s%s\n", "architecture", m->arch, m->arch_known ? "" : " (unknown to llama.cpp)");
    if (m->name[0])
        fprintf(f, "%-22s %s\n", "name", m->name);
    const char *ftn = m->file_type != UINT32_MAX ? gp_file_type_name(m->file_type) : NULL;
    if (ftn)
        fprintf(f, "%-22s %s\n", "file type", ftn);
    print_quant_mix(f, m);
    fprintf(f, "%-22s %.3f B (%llu)\n", "parameters", (double)m->n_params / 1e9,
            (unsigned long long)m->n_params);
    print_bytes_line(f, "weights", m->tensor_bytes);
    fprintf(f, "%-22s %llu in %u shard%s, data %s\n", "tensors",
            (unsigned long long)m->n_tensors, m->n_shards, m->n_shards == 1 ? "" : "s",
            m->data_present ? "present" : "absent (header only)");
    fprintf(f, "%-22s %u", "layers", hp->n_layer_all);
    if (hp->n_nextn)
        fprintf(f, " (%u NextN, not loaded by default)", hp->n_nextn);
    fprintf(f, "\n");
    fprintf(f, "%-22s %llu\n", "embedding", (unsigned long long)hp->n_embd);
    fprintf(f, "%-22s %u heads, %u KV heads, head dim %u/%u\n", "attention",
            hp->n_head, hp->n_head_kv, hp->head_dim_k, hp->head_dim_v);
    if (hp->n_swa)
        fprintf(f, "%-22s %u tokens%s\n", "sliding window", hp->n_swa,
                hp->swa_chunked ? " (chunked)" : "");
    print_layer_kinds(f, m);
    if (hp->n_expert)
        fprintf(f, "%-22s %u routed (%u used per token), %u shared, FF %u\n", "experts",
                hp->n_expert, hp->n_expert_used, hp->n_expert_shared, hp->n_ff_exp);
    else
        fprintf(f, "%-22s dense, FF %u\n", "feed-forward", hp->n_ff);
    fprintf(f, "%-22s %llu\n", "vocabulary", (unsigned long long)hp->n_vocab);
    fprintf(f, "%-22s %llu\n", "training context", (unsigned long long)hp->n_ctx_train);

    static const struct { const char *name; uint32_t type; } kv_types[] = {
        {"f16", GP_TYPE_F16}, {"q8_0", GP_TYPE_Q8_0}, {"q4_0", GP_TYPE_Q4_0},
    };
    fprintf(f, "%-22s", "KV bytes per token");
    for (size_t i = 0; i < 3; i++) {
        uint64_t b;
        if (gp_kv_bytes_per_token(m, -1, kv_types[i].type, kv_types[i].type, &b))
            fprintf(f, " %s %llu%s", kv_types[i].name, (unsigned long long)b, i < 2 ? "," : "");
        else
            fprintf(f, " %s n/a%s", kv_types[i].name, i < 2 ? "," : "");
    }
    fprintf(f, "\n");
    uint64_t rs = 0;
    for (uint32_t il = 0; il < hp->n_layer_all; il++)
        rs += gp_recurrent_seq_bytes(m, il);
    if (rs)
        fprintf(f, "%-22s %llu bytes per sequence (f32)\n", "recurrent state", (unsigned long long)rs);

    /* Per-layer bytes, summarised: min / max and the non-layer tensors. */
    uint64_t lmin = UINT64_MAX, lmax = 0, lsum = 0, emax = 0;
    for (uint32_t i = 0; i < hp->n_layer_all; i++) {
        uint64_t b = m->layers[i].bytes;
        lmin = b < lmin ? b : lmin;
        lmax = b > lmax ? b : lmax;
        lsum += b;
        emax = m->layers[i].expert_bytes > emax ? m->layers[i].expert_bytes : emax;
    }
    char a[32], b[32];
    if (hp->n_layer_all) {
        gp_format_bytes(lmin, a, sizeof a);
        gp_format_bytes(lmax, b, sizeof b);
        fprintf(f, "%-22s %s .. %s", "bytes per layer", a, b);
        if (emax) {
            gp_format_bytes(emax, a, sizeof a);
            fprintf(f, " (routed experts up to %s)", a);
        }
        fprintf(f, "\n");
    }
    gp_format_bytes(m->tensor_bytes - lsum, a, sizeof a);
    fprintf(f, "%-22s %s (embeddings, output, norms)\n", "outside layers", a);
    for (uint32_t i = 0; i < m->n_warnings; i++)
        fprintf(f, "warning: %s\n", m->warnings[i]);
}

static void print_tensors(FILE *f, const gp_model *m)
{
    fprintf(f, "\n%-40s %-8s %-28s %14s %6s %s\n", "tensor", "type", "shape", "bytes", "layer", "role");
    for (uint64_t i = 0; i < m->n_tensors; i++) {
        const gp_tensor *t = &m->tensors[i];
        char shape[64] = "";
        size_t pos = 0;
        for (uint32_t d = 0; d < t->info->n_dims && pos < sizeof shape; d++)
            pos += (size_t)snprintf(shape + pos, sizeof shape - pos, "%s%lld", d ? "x" : "",
                                    (long long)t->info->ne[d]);
        char layer[16] = "-";
        if (t->layer >= 0)
            snprintf(layer, sizeof layer, "%d", t->layer);
        fprintf(f, "%-40s %-8s %-28s %14llu %6s %s\n", t->info->name,
                gp_type_get(t->info->type)->name, shape,
                (unsigned long long)t->info->bytes, layer, gp_role_name(t->role));
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
