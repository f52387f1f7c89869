/* ggplace plan MODEL [plan options] [hardware] [pinned llama.cpp flags] [outputs] */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/hw_options.h"
#include "cli/plan_options.h"
#include "cli/report_cli.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/units.h"

void gp_help_plan(FILE *f)
{
    fprintf(f,
            "Usage: ggplace plan MODEL [OPTIONS] [HARDWARE] [LLAMA.CPP FLAGS TO KEEP]\n"
            "\n"
            "Chooses the llama-server settings that fit this hardware and run fastest:\n"
            "context, KV cache type, flash attention, batch sizes, slots and where every\n"
            "tensor goes (-ngl, -ts, -ot), proven to fit by the memory model applied to\n"
            "exactly the flags it prints. Flags you give (-c, -ngl, -ts, -ot, -ctk, -np,\n"
            "-ub, ...) are kept and the rest is planned around them.\n"
            "\n"
            "Workload:\n"
            "  --ctx N|max              context (default: the preset's; max = largest that fits)\n"
            "  --ctx-per-slot N         context each slot gets (-c = N x slots)\n"
            "  --parallel N             slots (default 1)\n"
            "  --kv f16|q8_0|q4_0|auto  KV cache type (default auto: the preset's choice)\n"
            "  --fa on|off|auto         flash attention (default on)\n"
            "  --app server|cli         llama-server (default) or llama-cli/llama-bench\n"
            "  --preset NAME            balanced (default), high_speed, more_context,\n"
            "                           system_safe, ultra_performance, moe_optimized\n"
            "Safety:\n"
            "  --margin SIZE            memory kept free on each GPU (default 1GiB; preset)\n"
            "  --ram-margin SIZE        memory kept free in RAM (default 2GiB; preset)\n"
            "  --for-load               budget RAM for the load alone, not what the server grows\n"
            "                           into (checkpoints, prompt cache): it may be killed later\n"
            "  --target-vram-usage F    use at most this fraction of each GPU (e.g. 0.8)\n"
            "Hardware (default: this machine's devices):\n%s"
            "Output (default: a summary):\n"
            "  --args                   the flags only, one line\n"
            "  --cmd                    the full llama-server command, shell-quoted\n"
            "  --emit FORMAT            llama-cpp-python: the Llama(...) keyword arguments (what it\n"
            "                           cannot express, such as -ot, is said in comments)\n"
            "  --json                   {args, cmd, ctx, devices: [{name, budget, model, context,\n"
            "                           compute, total}], tensors: [{name, device, bytes}],\n"
            "                           predicted: {decode_tps, prefill_tps}}\n"
            "  --ot-file FILE           write the -ot rules, one PATTERN=BUFFER per line\n"
            "  --analysis-file FILE     write every tensor with its device and bytes (TSV)\n"
            "  --report FILE            write the plan as a self-contained HTML page\n"
            "  --dry-run                print what the files would contain, write nothing\n"
            "  --verbose                also show every tensor's device and the search size\n"
            "  --config FILE            read options from a JSON object (keys as the long\n"
            "                           options without dashes: ctx, parallel, kv, fa, app,\n"
            "                           preset, margin, ram_margin, target_vram_usage, gpu[])\n"
            "\n"
            "Exit status: 0 a plan was printed, 1 nothing fits or the model is unusable, 2 usage.\n",
            gp_hw_options_help);    gp_model_source_help(f);
}

/* Shell-quotes one word for POSIX shells. */
static void shell_quote(gp_strbuf *sb, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("-_./=:,+@%", *p)))
            plain = false;
    if (plain) {
        gp_sb_append(sb, s);
        return;
    }
    gp_sb_append(sb, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            gp_sb_append(sb, "'\\''");
        else
            gp_sb_appendn(sb, p, 1);
    }
    gp_sb_append(sb, "'");
}

static char *render_cmd(const gp_model_source *src, const char *const *args)
{
    gp_strbuf sb = {0};
    const char *model[4];
    int n = gp_model_source_args(src, model);
    gp_sb_append(&sb, "llama-server");
    for (int i = 0; i < n; i++) {
        gp_sb_append(&sb, " ");
        shell_quote(&sb, model[i]);
    }
    for (const char *const *a = args; a && *a; a++) {
        gp_sb_append(&sb, " ");
        shell_quote(&sb, *a);
    }
    return gp_sb_take(&sb);
}

static char *render_args(const char *const *args)
{
    gp_strbuf sb = {0};
    for (const char *const *a = args; a && *a; a++) {
        if (a != args)
            gp_sb_append(&sb, " ");
        shell_quote(&sb, *a);
    }
    return gp_sb_take(&sb);
}

/* Colour only on a terminal, and never when NO_COLOR is set (no-color.org). */
static bool map_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    int fd = fileno(f);
    return fd >= 0 && isatty(fd);
}

/* The terminal's width: $COLUMNS, else the terminal's own; 0 when the
 * output is not a terminal (pipes and files get one unwrapped row). */
static int map_width(FILE *f)
{
    const char *c = getenv("COLUMNS");
    if (c && *c) {
        char *end;
        long v = strtol(c, &end, 10);
        if (!*end && v >= 20 && v <= 10000)
            return (int)v;
    }
    int fd = fileno(f);
    struct winsize ws;
    if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 0;
}

static int write_or_show(gp_cli *cli, const char *path, const char *data, bool dry_run, const char *what)
{
    if (dry_run) {
        fprintf(cli->out, "--- %s (%s, not written) ---\n%s", what, path, data);
        return GP_EXIT_OK;
    }
    gp_error err;
    if (gp_write_file_atomic(path, data, strlen(data), true, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    return GP_EXIT_OK;
}

/* The plan's outputs, once parsed and planned. */
static int plan_with(gp_cli *cli, gp_plan_cli *pc)
{
    gp_model *m = NULL;
    if (gp_model_source_open(cli, &pc->src, pc->json, &m) != GP_EXIT_OK)
        return GP_EXIT_FAIL;
    gp_plan_result *res = NULL;
    int prc = gp_plan_cli_plan(cli, pc, m, &res);
    if (prc != GP_EXIT_OK) {
        gp_model_close(&m);
        return prc;
    }
    /* The plan's flags, then what else the command loads, as given. */
    const char *const *args = gp_plan_result_args(res);
    char *cmd = render_cmd(&pc->src, args);
    int rc = GP_EXIT_OK;
    if (pc->json) {
        char *s = NULL;
        gp_plan_json(res, m, cmd, &s, NULL);
        fprintf(cli->out, "%s\n", s ? s : "{}");
        free(s);
    } else if (pc->args) {
        char *s = render_args(args);
        fprintf(cli->out, "%s\n", s ? s : "");
        free(s);
    } else if (pc->cmd_line) {
        fprintf(cli->out, "%s\n", cmd);
    } else {
        char *s = NULL;
        if (pc->emit)
            gp_plan_llama_cpp_python(res, m, pc->path, &s, NULL);
        else
            gp_plan_summary(res, m, cmd, pc->verbose, map_color(cli->out), map_width(cli->out), &s, NULL);
        fputs(s ? s : "", cli->out);
        free(s);
    }
    if (pc->ot_file) {
        char *s = NULL;
        gp_plan_overrides_text(res, &s, NULL);
        rc = write_or_show(cli, pc->ot_file, s ? s : "", pc->dry_run, "-ot rules");
        free(s);
    }
    if (rc == GP_EXIT_OK && pc->analysis_file) {
        char *s = NULL;
        gp_plan_tensors_tsv(res, m, &s, NULL);
        rc = write_or_show(cli, pc->analysis_file, s ? s : "", pc->dry_run, "tensor placement");
        free(s);
    }
    if (rc == GP_EXIT_OK && pc->report_file) {
        /* The page is drawn from the very JSON --json prints. */
        char *s = NULL;
        gp_plan_json(res, m, cmd, &s, NULL);
        rc = s ? gp_cli_write_report(cli, s, strlen(s), pc->path, pc->report_file, pc->dry_run) : GP_EXIT_FAIL;
        free(s);
    }
    free(cmd);
    gp_plan_result_close(&res);
    gp_model_close(&m);
    return rc;
}

int gp_cmd_plan(gp_cli *cli, int argc, char **argv)
{
    gp_plan_cli pc;
    int rc = gp_plan_cli_parse(cli, "plan", argc, argv, &pc, NULL, NULL);
    if (!rc)
        rc = plan_with(cli, &pc);
    gp_plan_cli_close(&pc);
    return rc;
}
