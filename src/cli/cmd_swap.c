/* ggplace swap CONFIG.yaml | --generate MODEL.gguf...: llama-swap configs */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/hw_options.h"
#include "util/fileio.h"
#include "util/units.h"

void gp_help_swap(FILE *f)
{
    fprintf(f,
            "Usage: ggplace swap CONFIG.yaml [OPTIONS] [HARDWARE]\n"
            "       ggplace swap --generate MODEL.gguf... [OPTIONS] [HARDWARE]\n"
            "\n"
            "Re-plans every llama-server model of a llama-swap config for this hardware:\n"
            "the flags ggplace owns (-c, -np, -kvu, -fa, -ctk, -ctv, -b, -ub, -ngl, -ts, -sm,\n"
            "-mg, -ot, --cpu-moe, --n-cpu-moe, --n-cpu-ffn, -nkvo, -t, --swa-full, --rpc)\n"
            "are replaced in place, removed or added at the end of the cmd; every other\n"
            "byte of the file (comments, key order, macros, ${PORT}, unknown keys) stays as\n"
            "written. Commands that are not llama-server (or a llama.cpp container) are\n"
            "reported and left alone, and so is a model whose owned flags sit in a macro.\n"
            "The config is also checked for what llama-swap ignores silently: unknown keys,\n"
            "duplicate aliases, a model in two groups, legacy groups with routing,\n"
            "proxy: \"\", ttl: 0, missing model files.\n"
            "\n"
            "With --generate, writes a new config for the given GGUF files: one model per\n"
            "file and which models can run together, from each model's footprint at its\n"
            "planned settings (llama-swap does no memory accounting).\n"
            "\n"
            "Rewrite:\n"
            "  --model ID               re-plan only this model (repeatable)\n"
            "  -o, --output FILE        write there and leave CONFIG untouched\n"
            "  --dry-run                print a unified diff, write nothing\n"
            "  --no-backup              do not keep CONFIG.YYYYmmdd-HHMMSS.bak\n"
            "Generate:\n"
            "  --generate               the arguments are GGUF files\n"
            "  --matrix                 routing.router.settings.matrix: the maximal sets of\n"
            "                           models that fit together (default)\n"
            "  --groups routing|legacy  groups of models that fit together instead, under\n"
            "                           routing.router.settings or (legacy) at the top level\n"
            "  --server PATH            the llama-server binary (default llama-server)\n"
            "  -o, --output FILE        write the config there (default: standard output)\n"
            "Planning (every model):\n"
            "  --preset NAME            balanced (default), high_speed, more_context,\n"
            "                           system_safe, ultra_performance, moe_optimized\n"
            "  --ctx N|max              context (default: the preset's)\n"
            "  --parallel N             slots (default 1)\n"
            "  --margin SIZE            memory kept free on each GPU (default: preset)\n"
            "  --ram-margin SIZE        memory kept free in RAM (default: preset)\n"
            "Hardware:\n"
            "%s"
            "\n"
            "Warnings and one line per model go to standard error.\n"
            "Exit status: 0 done (models may be skipped: see the report), 1 the config is\n"
            "not valid YAML or cannot be written (nothing is changed), 2 usage.\n",
            gp_hw_options_help);
}

typedef struct swap_cli {
    gp_hw_options hw;
    gp_plan_request *req;
    const char *out_path;
    bool dry_run, no_backup, generate;
    gp_swap_corun form;
    const char *server;
    const char **files;
    size_t n_files;
    const char **only;
    size_t n_only;
} swap_cli;

static int option(gp_cli *cli, swap_cli *s, const char *name, const char *v)
{
    gp_plan_request *r = s->req;
    if (!strcmp(name, "--preset")) {
        if (gp_plan_request_set_preset(r, v, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "swap: --preset '%s': expected balanced, high_speed, more_context, "
                                           "system_safe, ultra_performance or moe_optimized", v);
    } else if (!strcmp(name, "--ctx")) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (!strcmp(v, "max"))
            gp_plan_request_set_ctx(r, GP_PLAN_CTX_MAX, NULL);
        else if (*end || n < 1 || n > (1ll << 32))
            return gp_cli_usage_error(cli, "swap: --ctx '%s': expected a number of tokens or max", v);
        else
            gp_plan_request_set_ctx(r, n, NULL);
    } else if (!strcmp(name, "--parallel")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 256)
            return gp_cli_usage_error(cli, "swap: --parallel '%s': expected 1 to 256", v);
        gp_plan_request_set_parallel(r, (int32_t)n, NULL);
    } else if (!strcmp(name, "--margin") || !strcmp(name, "--ram-margin")) {
        uint64_t b;
        if (!gp_parse_size(v, &b))
            return gp_cli_usage_error(cli, "swap: %s '%s': expected a size like 1GiB", name, v);
        if (!strcmp(name, "--margin"))
            gp_plan_request_set_margin(r, (int64_t)b, NULL);
        else
            gp_plan_request_set_ram_margin(r, (int64_t)b, NULL);
    } else if (!strcmp(name, "--groups")) {
        if (!strcmp(v, "routing"))
            s->form = GP_SWAP_CORUN_GROUPS;
        else if (!strcmp(v, "legacy"))
            s->form = GP_SWAP_CORUN_GROUPS_LEGACY;
        else
            return gp_cli_usage_error(cli, "swap: --groups '%s': expected routing or legacy", v);
    } else if (!strcmp(name, "--server")) {
        s->server = v;
    } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
        s->out_path = v;
    } else if (!strcmp(name, "--model")) {
        const char **x = realloc(s->only, (s->n_only + 1) * sizeof *x);
        if (!x)
            return GP_EXIT_FAIL;
        s->only = x;
        s->only[s->n_only++] = v;
    } else {
        return -1;
    }
    return 0;
}

static int parse(gp_cli *cli, swap_cli *s, int argc, char **argv)
{
    static const char *valued[] = {"--preset", "--ctx", "--parallel", "--margin", "--ram-margin", "--groups",
                                   "--server", "-o", "--output", "--model"};
    bool only_files = false;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (!only_files && a[0] == '-' && a[1]) {
            if (!strcmp(a, "--")) {
                only_files = true;
                i++;
                continue;
            }
            gp_error err = {0};
            int h = gp_hw_options_parse(&s->hw, argc, argv, &i, &err);
            if (h < 0)
                return gp_cli_usage_error(cli, "swap: %s", err.message);
            if (h > 0)
                continue;
            bool handled = false;
            for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !handled; k++) {
                size_t n = strlen(valued[k]);
                if (strncmp(a, valued[k], n) != 0 || (a[n] != 0 && a[n] != '='))
                    continue;
                const char *v = a[n] == '=' ? a + n + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
                if (!v)
                    return gp_cli_usage_error(cli, "swap: %s needs a value", a);
                int rc = option(cli, s, valued[k], v);
                if (rc)
                    return rc;
                i += a[n] == '=' ? 1 : 2;
                handled = true;
            }
            if (handled)
                continue;
            if (!strcmp(a, "--dry-run")) s->dry_run = true;
            else if (!strcmp(a, "--no-backup")) s->no_backup = true;
            else if (!strcmp(a, "--generate")) s->generate = true;
            else if (!strcmp(a, "--matrix")) s->form = GP_SWAP_CORUN_MATRIX;
            else
                return gp_cli_usage_error(cli, "swap: unknown option '%s' (see ggplace help swap)", a);
            i++;
            continue;
        }
        const char **x = realloc(s->files, (s->n_files + 1) * sizeof *x);
        if (!x)
            return GP_EXIT_FAIL;
        s->files = x;
        s->files[s->n_files++] = a;
        i++;
    }
    if (s->n_files == 0)
        return gp_cli_usage_error(cli, s->generate ? "swap: --generate needs GGUF files"
                                                   : "swap: missing CONFIG.yaml (see ggplace help swap)");
    if (!s->generate && s->n_files > 1)
        return gp_cli_usage_error(cli, "swap: one CONFIG at a time ('%s' is extra); GGUF files need --generate",
                                  s->files[1]);
    if (s->generate && s->n_only)
        return gp_cli_usage_error(cli, "swap: --model selects models of an existing config, not with --generate");
    return 0;
}

static void report(gp_cli *cli, const char *label, const gp_swap_config *c)
{
    for (uint32_t i = 0; i < gp_swap_config_warning_count(c); i++) {
        size_t line = gp_swap_config_warning_line(c, i);
        if (line)
            fprintf(cli->err, "ggplace: %s:%zu:%zu: warning: %s\n", label, line, gp_swap_config_warning_column(c, i),
                    gp_swap_config_warning_text(c, i));
        else
            fprintf(cli->err, "ggplace: %s: warning: %s\n", label, gp_swap_config_warning_text(c, i));
    }
    for (uint32_t i = 0; i < gp_swap_config_model_count(c); i++) {
        gp_swap_outcome_kind outcome = gp_swap_config_model_outcome(c, i);
        const char *id = gp_swap_config_model_id(c, i), *args = gp_swap_config_model_args(c, i),
                   *note = gp_swap_config_model_note(c, i);
        size_t line = gp_swap_config_model_line(c, i);
        const char *what = outcome == GP_SWAP_MODEL_CHANGED ? "re-planned" :
                           outcome == GP_SWAP_MODEL_UNCHANGED ? "unchanged" : "skipped";
        if (line)
            fprintf(cli->err, "%s:%zu: %s: %s", label, line, id, what);
        else
            fprintf(cli->err, "%s: %s: %s", label, id, what);
        if (args && outcome != GP_SWAP_MODEL_SKIPPED)
            fprintf(cli->err, ": %s", args);
        if (note[0])
            fprintf(cli->err, "%s%s", outcome == GP_SWAP_MODEL_SKIPPED ? ": " : " (", note);
        fprintf(cli->err, "%s\n", note[0] && outcome != GP_SWAP_MODEL_SKIPPED ? ")" : "");
    }
}

static int write_out(gp_cli *cli, const char *path, const char *data, size_t len, bool backup)
{
    gp_error err = {0};
    if (gp_write_file_atomic(path, data, len, backup, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    return GP_EXIT_OK;
}

static void on_generate_progress(void *ctx, size_t done, size_t total, const char *path)
{
    gp_progress *p = ctx;
    char label[96];
    const char *base = strrchr(path, '/');
    snprintf(label, sizeof label, "planning %s", base ? base + 1 : path);
    gp_progress_label(p, label);
    (void)total;
    gp_progress_update(p, done);
}

/* The request every model is planned with; NULL after a one-line error. */
static gp_swap_request *swap_request(gp_cli *cli, const swap_cli *s, const gp_devices *devs)
{
    gp_error err = {0};
    gp_swap_request *q = NULL;
    gp_status st = gp_swap_request_new(devs, s->req, &q, &err);
    for (size_t k = 0; st == GP_OK && k < s->n_only; k++)
        st = gp_swap_request_add_model(q, s->only[k], &err);
    if (st == GP_OK)
        st = gp_swap_request_set_corun(q, s->form, &err);
    if (st == GP_OK)
        st = gp_swap_request_set_server(q, s->server, &err);
    if (st != GP_OK) {
        gp_cli_error(cli, &err);
        gp_swap_request_close(&q);
    }
    return q;
}

static int run_generate(gp_cli *cli, swap_cli *s, gp_swap_request *q)
{
    gp_progress prog;
    gp_progress_begin(&prog, cli->err, false, "planning", s->n_files);
    gp_swap_request_set_progress(q, on_generate_progress, &prog, NULL);
    gp_swap_config *c = NULL;
    gp_error err = {0};
    gp_status gst = gp_swap_config_generate(q, s->files, s->n_files, &c, &err);
    gp_progress_end(&prog);
    if (gst != GP_OK) {
        gp_cli_error(cli, &err);
        return err.status == GP_ERR_ARG ? GP_EXIT_USAGE : GP_EXIT_FAIL;
    }
    report(cli, "generate", c);
    int rc = GP_EXIT_OK;
    size_t len;
    const char *text = gp_swap_config_text(c, &len);
    if (!s->out_path || s->dry_run)
        fwrite(text, 1, len, cli->out);
    else
        rc = write_out(cli, s->out_path, text, len, !s->no_backup);
    gp_swap_config_close(&c);
    return rc;
}

static int run_rewrite(gp_cli *cli, swap_cli *s, const gp_swap_request *q)
{
    const char *path = s->files[0];
    char *text = NULL;
    size_t len = 0;
    gp_error err = {0};
    if (gp_read_file(path, (size_t)16 << 20, &text, &len, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    gp_swap_config *c = NULL;
    gp_status st = gp_swap_config_rewrite(q, path, text, len, &c, &err);
    free(text);
    if (st != GP_OK) {
        if (err.status == GP_ERR_ARG)
            return gp_cli_usage_error(cli, "swap: %s: %s", err.file, err.message);
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    report(cli, path, c);
    int rc = GP_EXIT_OK;
    const char *dest = s->out_path ? s->out_path : path;
    size_t out_len;
    const char *out = gp_swap_config_text(c, &out_len);
    if (s->dry_run) {
        char planned[1100];
        snprintf(planned, sizeof planned, "%s (planned)", dest);
        char *d = NULL;
        if (gp_swap_config_diff(c, path, planned, &d, NULL) == GP_OK)
            fputs(d, cli->out);
        free(d);
    } else if (!gp_swap_config_changed(c) && !s->out_path) {
        fprintf(cli->err, "%s: no changes, not written\n", path);
    } else {
        rc = write_out(cli, dest, out, out_len, !s->no_backup);
        if (rc == GP_EXIT_OK)
            fprintf(cli->err, "%s: written\n", dest);
    }
    gp_swap_config_close(&c);
    return rc;
}

int gp_cmd_swap(gp_cli *cli, int argc, char **argv)
{
    swap_cli s;
    memset(&s, 0, sizeof s);
    gp_hw_options_init(&s.hw);
    if (gp_plan_request_new(&s.req, NULL) != GP_OK)
        return GP_EXIT_FAIL;
    int rc = parse(cli, &s, argc, argv);
    if (rc == 0) {
        gp_devices *devs = NULL;
        gp_error err = {0};
        gp_status st = gp_hw_options_resolve(&s.hw, &devs, &err);
        if (st != GP_OK) {
            if (st == GP_ERR_ARG)
                rc = gp_cli_usage_error(cli, "swap: %s", err.message);
            else {
                gp_cli_error(cli, &err);
                rc = GP_EXIT_FAIL;
            }
        } else {
            gp_swap_request *q = swap_request(cli, &s, devs);
            if (!q)
                rc = GP_EXIT_FAIL;
            else
                rc = s.generate ? run_generate(cli, &s, q) : run_rewrite(cli, &s, q);
            gp_swap_request_close(&q);
        }
        gp_devices_close(&devs);
    }
    gp_plan_request_close(&s.req);
    free(s.files);
    free(s.only);
    return rc;
}
