/* ggplace tune MODEL [plan options] [--budget 10m] [--metric decode|prefill|both] [--json] */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "args/llama_args.h"
#include "cli/cli.h"
#include "cli/plan_options.h"
#include "verify/tune.h"
#include "verify/verify.h"

void gp_help_tune(FILE *f)
{
    fprintf(f,
            "Usage: ggplace tune MODEL [PLAN OPTIONS] [--budget TIME] [--metric decode|prefill|both]\n"
            "                    [--baseline \"FLAGS\"] [--llama-dir DIR] [--fresh] [--json]\n"
            "\n"
            "Starts from the plan and searches around it with real llama-bench runs:\n"
            "threads, micro-batch, flash attention, KV type and placement variants (more or\n"
            "fewer experts / FFN matrices on the CPU), only at points the memory model says\n"
            "fit, each repeated until its spread is under 5 %%. Reports the fastest settings\n"
            "next to llama.cpp's defaults (or --baseline), caches every measurement by model\n"
            "header, hardware and llama.cpp version (a second tune reuses them unless\n"
            "--fresh), and calibrates the speed model so later plans predict this machine.\n"
            "\n"
            "  --budget TIME       wall time for the search: 300, 300s, 5m (default 10m)\n"
            "  --metric M          decode (default), prefill or both (geometric mean)\n"
            "  --baseline \"FLAGS\"  your current llama-server flags, measured for comparison\n"
            "  --llama-dir DIR     where llama-bench is (else $GGPLACE_LLAMA_DIR, else PATH)\n"
            "  --fresh             measure again instead of using cached results\n"
            "  --json              {llama_version, baseline: {args, prefill_tps, decode_tps},\n"
            "                      best: {args, prefill_tps, decode_tps, predicted_decode_tps},\n"
            "                      points: [{args, prefill_tps, decode_tps, repeats}]}\n"
            "Plan options and hardware as in ggplace help plan.\n");
}

typedef struct tune_cli {
    gp_tune_opts o;
    const char *baseline;
} tune_cli;

static int tune_extra(gp_cli *cli, gp_plan_cli *pc, int argc, char **argv, int i, void *ctx)
{
    (void)pc;
    tune_cli *t = ctx;
    const char *a = argv[i];
    if (!strcmp(a, "--fresh")) {
        t->o.fresh = true;
        return 1;
    }
    bool valued = !strcmp(a, "--budget") || !strcmp(a, "--metric") || !strcmp(a, "--baseline") ||
                  !strcmp(a, "--llama-dir");
    if (!valued)
        return 0;
    if (i + 1 >= argc) {
        gp_cli_usage_error(cli, "tune: %s needs a value", a);
        return -1;
    }
    const char *v = argv[i + 1];
    if (!strcmp(a, "--budget")) {
        char *end;
        double x = strtod(v, &end);
        double mult = !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : (!*end || !strcmp(end, "s")) ? 1 : -1;
        if (mult < 0 || !(x > 0)) {
            gp_cli_usage_error(cli, "tune: --budget '%s': expected a time like 300, 300s or 5m", v);
            return -1;
        }
        t->o.budget_s = x * mult;
    } else if (!strcmp(a, "--metric")) {
        if (!strcmp(v, "decode")) t->o.metric = GP_TUNE_DECODE;
        else if (!strcmp(v, "prefill")) t->o.metric = GP_TUNE_PREFILL;
        else if (!strcmp(v, "both")) t->o.metric = GP_TUNE_BOTH;
        else {
            gp_cli_usage_error(cli, "tune: --metric '%s': expected decode, prefill or both", v);
            return -1;
        }
    } else if (!strcmp(a, "--baseline")) {
        t->baseline = v;
    } else {
        t->o.llama_dir = v;
    }
    return 2;
}

static void progress(void *ctx, const char *point, double score, double best, double left_s)
{
    FILE *f = ctx;
    if (!f)
        return;
    if (isatty(fileno(f)))
        fprintf(f, "\r\033[K[tune] %.1f t/s (best %.1f), %.0f s left: %.60s", score, best, left_s, point);
    else
        fprintf(f, "tune: %.2f t/s (best %.2f), %.0f s left: %s\n", score, best, left_s, point);
    fflush(f);
}

static cJSON *point_json(const gp_tune_point *p, bool predicted)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(o, "args");
    for (int i = 0; i < p->n_args; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(p->args[i]));
    cJSON_AddNumberToObject(o, "prefill_tps", p->prefill_tps);
    cJSON_AddNumberToObject(o, "decode_tps", p->decode_tps);
    if (predicted)
        cJSON_AddNumberToObject(o, "predicted_decode_tps", p->predicted_decode_tps);
    cJSON_AddNumberToObject(o, "repeats", p->repeats);
    return o;
}

static void print_args(FILE *f, const gp_tune_point *p)
{
    if (p->n_args == 0)
        fprintf(f, "(llama.cpp defaults)");
    for (int i = 0; i < p->n_args; i++)
        fprintf(f, "%s%s", i ? " " : "", p->args[i]);
}

int gp_cmd_tune(gp_cli *cli, int argc, char **argv)
{
    tune_cli tc;
    memset(&tc, 0, sizeof tc);
    gp_tune_opts_default(&tc.o);
    gp_plan_cli pc;
    int rc = gp_plan_cli_parse(cli, "tune", argc, argv, &pc, tune_extra, &tc);
    if (rc)
        return rc;
    /* The baseline flags, split on spaces (no shell). */
    char *baseline_buf = tc.baseline ? strdup(tc.baseline) : NULL;
    char *base_args[64];
    int nb = 0;
    for (char *save = NULL, *w = baseline_buf ? strtok_r(baseline_buf, " \t", &save) : NULL; w && nb < 63;
         w = strtok_r(NULL, " \t", &save))
        base_args[nb++] = w;
    base_args[nb] = NULL;
    gp_run_params check;
    gp_run_params_default(&check, GP_APP_SERVER);
    gp_error err = {0};
    for (int i = 0; i < nb;)
        if (gp_llama_args_apply(&check, nb, base_args, &i, &err) != GP_OK) {
            free(baseline_buf);
            return gp_cli_usage_error(cli, "tune: --baseline: %s", err.message);
        }
    gp_model *m = NULL;
    if (gp_model_open(pc.path, &m, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        free(baseline_buf);
        return GP_EXIT_FAIL;
    }
    if (!m->data_present) {
        fprintf(cli->err, "ggplace: %s: header only; make a runnable stand-in with ggplace sparse\n", pc.path);
        gp_model_close(&m);
        free(baseline_buf);
        return GP_EXIT_FAIL;
    }
    if (!pc.json) {
        tc.o.progress = progress;
        tc.o.progress_ctx = cli->err;
    }
    gp_tune_result r;
    if (gp_tune_run(m, pc.path, &pc.devs, &pc.req, nb ? base_args : NULL, &tc.o, &r, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        gp_tune_result_free(&r);
        gp_model_close(&m);
        free(baseline_buf);
        return GP_EXIT_FAIL;
    }
    if (!pc.json && isatty(fileno(cli->err)))
        fprintf(cli->err, "\n");
    if (pc.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "llama_version", r.version);
        cJSON_AddItemToObject(root, "baseline", point_json(&r.baseline, false));
        cJSON_AddItemToObject(root, "best", point_json(&r.best, true));
        cJSON *pts = cJSON_AddArrayToObject(root, "points");
        for (int i = 0; i < r.n_points; i++)
            cJSON_AddItemToArray(pts, point_json(&r.points[i], false));
        cJSON *cal = cJSON_AddObjectToObject(root, "calibration");
        cJSON_AddNumberToObject(cal, "decode", r.calibration_decode);
        cJSON_AddNumberToObject(cal, "prefill", r.calibration_prefill);
        char *s = cJSON_Print(root);
        fprintf(cli->out, "%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(root);
    } else {
        fprintf(cli->out, "llama.cpp  %s\n\n", r.version[0] ? r.version : "version unknown");
        fprintf(cli->out, "%-10s %12s %12s  flags\n", "", "prefill t/s", "decode t/s");
        fprintf(cli->out, "%-10s %12.1f %12.1f  ", "baseline", r.baseline.prefill_tps, r.baseline.decode_tps);
        print_args(cli->out, &r.baseline);
        fprintf(cli->out, "\n%-10s %12.1f %12.1f  ", "tuned", r.best.prefill_tps, r.best.decode_tps);
        print_args(cli->out, &r.best);
        int cached = 0;
        for (int i = 0; i < r.n_points; i++)
            cached += r.points[i].cached;
        fprintf(cli->out, "\n\n%d points measured (%d from the cache); the speed model predicted %.1f t/s for "
                          "the tuned flags; calibration for this machine: decode x%.2f, prefill x%.2f\n",
                r.n_points, cached, r.best.predicted_decode_tps, r.calibration_decode, r.calibration_prefill);
        if (r.baseline.decode_tps > 0)
            fprintf(cli->out, "decode %+.1f %% against the baseline\n",
                    100.0 * (r.best.decode_tps / r.baseline.decode_tps - 1));
    }
    gp_tune_result_free(&r);
    gp_model_close(&m);
    free(baseline_buf);
    return GP_EXIT_OK;
}
