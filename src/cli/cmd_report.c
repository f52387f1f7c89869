/* ggplace report PLAN.json [-o FILE.html] */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report_cli.h"
#include "util/fileio.h"

/* A saved plan is a few hundred kilobytes; this bounds a wrong file. */
#define MAX_PLAN_JSON ((size_t)64 << 20)

void gp_help_report(FILE *f)
{
    fprintf(f,
            "Usage: ggplace report PLAN.json [-o FILE.html] [--dry-run]\n"
            "\n"
            "Draws a plan saved with `ggplace plan ... --json > PLAN.json` as one HTML page\n"
            "that opens from disk and loads nothing: memory per device (weights, KV cache,\n"
            "compute, margin, free), which device holds each layer's tensors, memory\n"
            "against context for each KV cache type with the budget, the alternatives the\n"
            "planner weighed with their predicted speed, and the command with a copy\n"
            "button. PLAN.json may be - (standard input). `ggplace plan --report FILE`\n"
            "writes the same page directly.\n"
            "\n"
            "  -o, --output FILE   write the page to FILE, replaced atomically (no backup;\n"
            "                      default: standard output)\n"
            "  --dry-run           say what would be written, write nothing\n");
}

int gp_cli_write_report(gp_cli *cli, const char *json, size_t len, const char *source,
                        const char *path, bool dry_run)
{
    gp_error err = {0};
    char *html = NULL;
    if (gp_plan_report_html(json, len, source, &html, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    /* Replaced without a backup: a page is regenerated from its plan, never edited. */
    int rc = GP_EXIT_OK;
    size_t n = strlen(html);
    if (!path || !strcmp(path, "-")) {
        if (dry_run)
            fprintf(cli->out, "--- HTML report (standard output, %zu bytes, not written) ---\n", n);
        else
            fwrite(html, 1, n, cli->out);
    } else if (dry_run) {
        fprintf(cli->out, "--- HTML report (%s, %zu bytes, not written) ---\n", path, n);
    } else if (gp_write_file_atomic(path, html, n, false, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        rc = GP_EXIT_FAIL;
    }
    free(html);
    return rc;
}

static int read_stdin(gp_cli *cli, char **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap >= MAX_PLAN_JSON) {
                free(buf);
                fprintf(cli->err, "ggplace: -: larger than %zu bytes\n", MAX_PLAN_JSON);
                return GP_EXIT_FAIL;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    if (!buf) {
        fprintf(cli->err, "ggplace: -: out of memory\n");
        return GP_EXIT_FAIL;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return GP_EXIT_OK;
}

int gp_cmd_report(gp_cli *cli, int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    bool dry_run = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc)
                return gp_cli_usage_error(cli, "report: %s needs a file name", a);
            out = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strcmp(a, "--dry-run")) {
            dry_run = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return gp_cli_usage_error(cli, "report: unknown option '%s' (see ggplace help report)", a);
        } else if (in) {
            return gp_cli_usage_error(cli, "report: unexpected argument '%s' (only one PLAN.json)", a);
        } else {
            in = a;
        }
    }
    if (!in)
        return gp_cli_usage_error(cli, "report: missing PLAN.json (see ggplace help report)");
    if (out && !*out)
        return gp_cli_usage_error(cli, "report: -o needs a file name");
    char *text = NULL;
    size_t len = 0;
    if (!strcmp(in, "-")) {
        int rc = read_stdin(cli, &text, &len);
        if (rc)
            return rc;
    } else {
        gp_error err = {0};
        if (gp_read_file(in, MAX_PLAN_JSON, &text, &len, &err) != GP_OK) {
            gp_cli_error(cli, &err);
            return GP_EXIT_FAIL;
        }
    }
    int rc = gp_cli_write_report(cli, text, len, in, out, dry_run);
    free(text);
    return rc;
}
