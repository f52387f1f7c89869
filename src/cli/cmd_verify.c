/* ggplace verify MODEL [plan options | llama-server flags] [--json] [--strict]
 * ggplace sparse HEADER.gguf OUT.gguf */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/in_use.h"
#include "cli/plan_options.h"
#include "cli/progress.h"
#include "util/json.h"
#include "util/proc.h"

void gp_help_verify(FILE *f)
{
    fprintf(f,
            "Usage: ggplace verify MODEL [PLAN OPTIONS] [LLAMA.CPP FLAGS] [--llama-dir DIR]\n"
            "                      [--runs N] [--prompt-tokens N] [--predict N] [--strict] [--json]\n"
            "\n"
            "Plans MODEL (or takes the llama-server flags given: -ngl, -ts, -ot, -c, ... are\n"
            "kept), starts llama-server with exactly those flags on a free port of 127.0.0.1,\n"
            "waits for /health, sends N fixed prompts of known length to /completion, stops it,\n"
            "and shows what llama.cpp allocated on each device and how fast it ran, next to\n"
            "the prediction. What else the flags load (--mmproj, -md, --lora) is shown as\n"
            "'+ extras' rows.\n"
            "\n"
            "  --llama-dir DIR     where llama-server is (else $GGPLACE_LLAMA_DIR, else PATH)\n"
            "  --runs N            timed requests (default 3; medians are reported)\n"
            "  --prompt-tokens N   prompt length in tokens (default 512)\n"
            "  --predict N         tokens generated per request (default 64)\n"
            "  --soak N            instead of timed requests, up to N requests that fill every\n"
            "                      slot, its context checkpoints and the prompt cache, while the\n"
            "                      server's resident memory is sampled; its peak is shown beside\n"
            "                      the predicted in-use figure\n"
            "  --soak-seconds S    the soak's time bound (default 600)\n"
            "  --strict            exit 1 when a device uses more than predicted (with --soak:\n"
            "                      a peak over the in-use figure by more than 5 %% or 64 MiB)\n"
            "  --json              {llama_version, argv, devices: [{name, predicted: {model,\n"
            "                      context, compute}, measured: {...}}], timings: {prefill_tps,\n"
            "                      decode_tps, runs}}; with extras also predicted_extras\n"
            "                      and measured_extras per device\n"
            "Plan options, hardware and output options as in ggplace help plan.\n");
}

void gp_help_sparse(FILE *f)
{
    fprintf(f,
            "Usage: ggplace sparse HEADER.gguf OUT.gguf\n"
            "\n"
            "Writes the header of a GGUF followed by a sparse, zero-filled data section of\n"
            "the right size, so llama.cpp can load, verify and benchmark a model's exact\n"
            "shape without its weights (header-only files become runnable). Decode speed on\n"
            "it is realistic; outputs are meaningless, and MoE routing over zero weights\n"
            "picks the same experts every token.\n");
}

int gp_cmd_sparse(gp_cli *cli, int argc, char **argv)
{
    if (argc != 3)
        return gp_cli_usage_error(cli, "sparse: expected HEADER.gguf OUT.gguf (see ggplace help sparse)");
    gp_error err = {0};
    gp_model *m = NULL;
    if (gp_model_open(argv[1], &m, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    int rc = GP_EXIT_OK;
    if (gp_model_write_sparse(m, argv[2], &err) != GP_OK) {
        gp_cli_error(cli, &err);
        rc = GP_EXIT_FAIL;
    }
    gp_model_close(&m);
    return rc;
}

typedef struct verify_opts {
    const char *llama_dir;
    int runs, n_prompt, n_predict; /* 0: the library's defaults */
    bool strict;
    int soak;          /* --soak N: requests of a soak instead of the timed runs (0: none) */
    int soak_seconds;  /* --soak-seconds S: its time bound */
} verify_opts;

static int verify_extra(gp_cli *cli, gp_plan_cli *pc, int argc, char **argv, int i, void *ctx)
{
    (void)pc;
    verify_opts *o = ctx;
    const char *a = argv[i];
    if (!strcmp(a, "--strict")) {
        o->strict = true;
        return 1;
    }
    int *num = NULL;
    if (!strcmp(a, "--soak"))
        num = &o->soak;
    else if (!strcmp(a, "--soak-seconds"))
        num = &o->soak_seconds;
    else if (!strcmp(a, "--runs"))
        num = &o->runs;
    else if (!strcmp(a, "--prompt-tokens"))
        num = &o->n_prompt;
    else if (!strcmp(a, "--predict"))
        num = &o->n_predict;
    else if (!strcmp(a, "--llama-dir")) {
        if (i + 1 >= argc) {
            gp_cli_usage_error(cli, "verify: --llama-dir needs a directory");
            return -1;
        }
        o->llama_dir = argv[i + 1];
        return 2;
    } else
        return 0;
    char *end;
    long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
    if (i + 1 >= argc || *end || v < 1 || v > 100000) {
        gp_cli_usage_error(cli, "verify: %s needs a positive number", a);
        return -1;
    }
    *num = (int)v;
    return 2;
}

/* A file whose data section takes almost no disk is a sparse stand-in. */
static bool looks_sparse(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > (1 << 20) && (off_t)sb.st_blocks * 512 < sb.st_size / 4;
}

static void on_progress(void *ctx, const char *stage, int done, int total)
{
    gp_progress *p = ctx;
    if (strcmp(p->label, stage) != 0 || p->total != (uint64_t)total) {
        p->total = total > 0 ? (uint64_t)total : 0;
        gp_progress_label(p, stage);
    }
    gp_progress_update(p, done > 0 ? (uint64_t)done : 0);
}

static void add_bytes(cJSON *o, const char *key, uint64_t model, uint64_t context, uint64_t compute)
{
    cJSON *p = cJSON_AddObjectToObject(o, key);
    gp_json_add_u64(p, "model", model);
    gp_json_add_u64(p, "context", context);
    gp_json_add_u64(p, "compute", compute);
}

/* llama.cpp logs MiB with two decimals: bytes are rounded to that. */
static void add_mib(cJSON *o, const char *key, double model, double context, double compute)
{
    const double MiB = 1024.0 * 1024.0;
    add_bytes(o, key, (uint64_t)(model * MiB + 0.5), (uint64_t)(context * MiB + 0.5), (uint64_t)(compute * MiB + 0.5));
}

/* The plan's own bytes on device i by kind, without what else it loads. */
static uint64_t own_model(const gp_mem *mem, uint32_t i)
{
    return gp_mem_model_bytes(mem, i) - gp_mem_extras_model_bytes(mem, i);
}

static uint64_t own_context(const gp_mem *mem, uint32_t i)
{
    return gp_mem_context_bytes(mem, i) - gp_mem_extras_context_bytes(mem, i);
}

static uint64_t own_compute(const gp_mem *mem, uint32_t i)
{
    return gp_mem_compute_bytes(mem, i) - gp_mem_extras_compute_bytes(mem, i);
}

/* Prints why a run failed: the error, then the end of llama-server's log. */
static void run_failed(gp_cli *cli, const gp_error *err, const char *log_tail)
{
    gp_cli_error(cli, err);
    if (log_tail && log_tail[0])
        fprintf(cli->err, "--- end of llama-server's log ---\n%s\n", log_tail);
}

/* verify --soak: the server driven to its in-use bounds, its peak resident
   memory beside the prediction. */
static int run_soak(gp_cli *cli, gp_plan_cli *pc, const verify_opts *vo, const gp_model *m,
                    const gp_plan_result *res, gp_run_options *ro)
{
    gp_run_options_set_soak(ro, vo->soak, vo->soak_seconds > 0 ? vo->soak_seconds : 600, NULL);
    gp_progress prog;
    gp_progress_begin(&prog, cli->err, pc->json, "starting llama-server", 0);
    gp_run_options_set_progress(ro, on_progress, &prog, NULL);
    gp_soak_report *r = NULL;
    gp_error err = {0};
    gp_proc_trap_signals();
    gp_status st = gp_soak_plan(m, res, ro, &r, &err);
    gp_progress_end(&prog);
    gp_proc_untrap_signals();
    if (st != GP_OK) {
        run_failed(cli, &err, gp_soak_report_log_tail(r));
        gp_soak_report_close(&r);
        return GP_EXIT_FAIL;
    }
    const gp_mem *mem = gp_plan_result_mem(res);
    const double MiB = 1024.0 * 1024.0;
    uint64_t predicted = gp_mem_total_in_use(mem, 0), at_load = gp_mem_total_at_load(mem, 0);
    uint64_t peak = gp_soak_report_peak(r);
    double diff = (double)peak - (double)predicted;
    double tol = (double)predicted * 0.05 > 64 * MiB ? (double)predicted * 0.05 : 64 * MiB;
    bool over = diff > tol;
    if (pc->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "llama_version", gp_soak_report_version(r));
        cJSON *so_j = cJSON_AddObjectToObject(root, "soak");
        cJSON_AddNumberToObject(so_j, "requests", gp_soak_report_requests(r));
        cJSON_AddNumberToObject(so_j, "seconds", gp_soak_report_seconds(r));
        cJSON_AddNumberToObject(so_j, "samples", gp_soak_report_samples(r));
        gp_json_add_u64(so_j, "peak", peak);
        gp_json_add_u64(so_j, "peak_anonymous", gp_soak_report_peak_anonymous(r));
        gp_json_add_u64(so_j, "peak_model_file", gp_soak_report_peak_mapped(r));
        gp_json_add_u64(so_j, "after_load", gp_soak_report_after_load(r));
        gp_json_add_u64(so_j, "predicted_in_use", predicted);
        gp_json_add_u64(so_j, "predicted_at_load", at_load);
        gp_cli_json_runtime(so_j, mem, 0);
        char *s = cJSON_Print(root);
        fprintf(cli->out, "%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(root);
    } else {
        const char *version = gp_soak_report_version(r);
        fprintf(cli->out, "llama.cpp  %s (%s)\n", version[0] ? version : "version unknown",
                gp_soak_report_server(r));
        fprintf(cli->out, "soak       %d requests in %.1f s, %d samples of its memory\n", gp_soak_report_requests(r),
                gp_soak_report_seconds(r), gp_soak_report_samples(r));
        fprintf(cli->out, "resident   peak %.2f MiB (anonymous %.2f + model file %.2f); %.2f MiB after load\n",
                (double)peak / MiB, (double)gp_soak_report_peak_anonymous(r) / MiB,
                (double)gp_soak_report_peak_mapped(r) / MiB, (double)gp_soak_report_after_load(r) / MiB);
        fprintf(cli->out, "predicted  in use %.2f MiB on %s (%.2f MiB at load)\n", (double)predicted / MiB,
                gp_devices_name(gp_plan_result_devices(res), 0), (double)at_load / MiB);
        fprintf(cli->out, "difference %+.2f MiB (%+.1f %%)\n", diff / MiB, predicted ? 100.0 * diff / (double)predicted : 0);
        fputc('\n', cli->out);
        gp_cli_print_runtime(cli->out, mem);
        if (over)
            fprintf(cli->out, "warning: the peak passed the in-use prediction by more than 5 %% or 64 MiB\n");
    }
    gp_soak_report_close(&r);
    return over && vo->strict ? GP_EXIT_FAIL : GP_EXIT_OK;
}

/* The options of the run, from the command line; NULL when out of memory. */
static gp_run_options *run_options(const verify_opts *vo, const gp_plan_cli *pc)
{
    gp_run_options *ro = NULL;
    if (gp_run_options_new(&ro, NULL) != GP_OK)
        return NULL;
    gp_status st = gp_run_options_set_llama_dir(ro, vo->llama_dir, NULL);
    if (st == GP_OK)
        st = gp_run_options_set_model_path(ro, pc->path, NULL);
    if (st == GP_OK && vo->runs)
        st = gp_run_options_set_runs(ro, vo->runs, NULL);
    if (st == GP_OK && vo->n_prompt)
        st = gp_run_options_set_prompt_tokens(ro, vo->n_prompt, NULL);
    if (st == GP_OK && vo->n_predict)
        st = gp_run_options_set_predict(ro, vo->n_predict, NULL);
    if (st != GP_OK)
        gp_run_options_close(&ro);
    return ro;
}

/* The verify, once parsed. */
static int verify_with(gp_cli *cli, gp_plan_cli *pcp, verify_opts *vop)
{
    gp_plan_cli pc = *pcp;
    verify_opts vo = *vop;
    gp_error err = {0};
    gp_model *m = NULL;
    int rc;
    if ((rc = gp_plan_cli_open_runnable(cli, "verify", &pc, &m)) != GP_EXIT_OK)
        return rc;
    gp_plan_result *res = NULL;
    if ((rc = gp_plan_cli_plan(cli, &pc, m, &res)) != GP_EXIT_OK) {
        gp_model_close(&m);
        return rc;
    }
    gp_run_options *ro = run_options(&vo, &pc);
    gp_verify_report *r = NULL;
    if (!ro) {
        rc = GP_EXIT_FAIL;
        goto done;
    }
    if (vo.soak > 0) {
        rc = run_soak(cli, &pc, &vo, m, res, ro);
        goto done;
    }
    gp_progress prog;
    gp_progress_begin(&prog, cli->err, pc.json, "starting llama-server", 0);
    gp_run_options_set_progress(ro, on_progress, &prog, NULL);
    gp_proc_trap_signals();
    gp_status st = gp_verify_plan(m, res, ro, &r, &err);
    gp_progress_end(&prog);
    gp_proc_untrap_signals();
    if (st != GP_OK) {
        run_failed(cli, &err, gp_verify_report_log_tail(r));
        rc = GP_EXIT_FAIL;
        goto done;
    }
    double want_prefill = gp_verify_report_predicted_prefill_tps(r),
           want_decode = gp_verify_report_predicted_decode_tps(r);
    const gp_devices *devs = gp_plan_result_devices(res);
    const gp_mem *mem = gp_plan_result_mem(res);
    const uint32_t n_dev = gp_devices_count(devs);
    bool over = false;
    const double MiB = 1024.0 * 1024.0;
    bool any_extra = gp_mem_extras_count(mem) > 0;
    for (uint32_t i = 0; i < n_dev; i++) {
        double pred = (double)gp_mem_total_at_load(mem, i) / MiB;
        double got = gp_verify_report_model_mib(r, i) + gp_verify_report_context_mib(r, i) +
                     gp_verify_report_compute_mib(r, i) + gp_verify_report_extras_model_mib(r, i) +
                     gp_verify_report_extras_context_mib(r, i) + gp_verify_report_extras_compute_mib(r, i);
        if (got > pred + 0.01)
            over = true;
        any_extra = any_extra || gp_verify_report_extras_model_mib(r, i) > 0 ||
                    gp_verify_report_extras_compute_mib(r, i) > 0;
    }
    if (pc.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "llama_version", gp_verify_report_version(r));
        cJSON *av = cJSON_AddArrayToObject(root, "argv");
        cJSON_AddItemToArray(av, cJSON_CreateString(gp_verify_report_server(r)));
        cJSON_AddItemToArray(av, cJSON_CreateString("-m"));
        cJSON_AddItemToArray(av, cJSON_CreateString(pc.path));
        for (uint32_t k = 0; k < gp_verify_report_arg_count(r); k++)
            cJSON_AddItemToArray(av, cJSON_CreateString(gp_verify_report_arg(r, k)));
        cJSON *dj = cJSON_AddArrayToObject(root, "devices");
        for (uint32_t i = 0; i < n_dev; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", gp_devices_name(devs, i));
            add_bytes(o, "predicted", own_model(mem, i), own_context(mem, i), own_compute(mem, i));
            add_mib(o, "measured", gp_verify_report_model_mib(r, i), gp_verify_report_context_mib(r, i),
                    gp_verify_report_compute_mib(r, i));
            if (any_extra) {
                /* What else the server loaded (projector, draft, adapters). */
                add_bytes(o, "predicted_extras", gp_mem_extras_model_bytes(mem, i),
                          gp_mem_extras_context_bytes(mem, i), gp_mem_extras_compute_bytes(mem, i));
                add_mib(o, "measured_extras", gp_verify_report_extras_model_mib(r, i),
                        gp_verify_report_extras_context_mib(r, i), gp_verify_report_extras_compute_mib(r, i));
            }
            cJSON_AddItemToArray(dj, o);
        }
        cJSON *t = cJSON_AddObjectToObject(root, "timings");
        cJSON_AddNumberToObject(t, "prefill_tps", gp_verify_report_prefill_tps(r));
        cJSON_AddNumberToObject(t, "decode_tps", gp_verify_report_decode_tps(r));
        cJSON_AddNumberToObject(t, "runs", gp_verify_report_runs(r));
        cJSON *pr = cJSON_AddObjectToObject(root, "predicted_speed");
        cJSON_AddNumberToObject(pr, "prefill_tps", want_prefill);
        cJSON_AddNumberToObject(pr, "decode_tps", want_decode);
        cJSON_AddBoolToObject(root, "sparse_model", looks_sparse(pc.path));
        /* The mmap'd file range llama.cpp lists for the CPU, kept apart from the weights. */
        gp_json_add_u64(root, "cpu_mapped", (uint64_t)(gp_verify_report_mapped_mib(r) * MiB + 0.5));
        char *s = cJSON_Print(root);
        fprintf(cli->out, "%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(root);
    } else {
        const char *version = gp_verify_report_version(r);
        fprintf(cli->out, "llama.cpp  %s (%s)\n", version[0] ? version : "version unknown", gp_verify_report_server(r));
        fprintf(cli->out, "\n%-24s %20s %20s %20s\n", "device (MiB)", "weights pred/meas", "KV pred/meas",
                "compute pred/meas");
        for (uint32_t i = 0; i < n_dev; i++)
            fprintf(cli->out, "%-24s %9.2f/%-10.2f %9.2f/%-10.2f %9.2f/%-10.2f\n", gp_devices_name(devs, i),
                    (double)own_model(mem, i) / MiB, gp_verify_report_model_mib(r, i),
                    (double)own_context(mem, i) / MiB, gp_verify_report_context_mib(r, i),
                    (double)own_compute(mem, i) / MiB, gp_verify_report_compute_mib(r, i));
        for (uint32_t i = 0; any_extra && i < n_dev; i++) {
            char label[96];
            snprintf(label, sizeof label, "+ extras on %.60s", gp_devices_name(devs, i));
            fprintf(cli->out, "%-24s %9.2f/%-10.2f %9.2f/%-10.2f %9.2f/%-10.2f\n", label,
                    (double)gp_mem_extras_model_bytes(mem, i) / MiB, gp_verify_report_extras_model_mib(r, i),
                    (double)gp_mem_extras_context_bytes(mem, i) / MiB, gp_verify_report_extras_context_mib(r, i),
                    (double)gp_mem_extras_compute_bytes(mem, i) / MiB, gp_verify_report_extras_compute_mib(r, i));
        }
        fprintf(cli->out, "\nspeed      prefill %.1f t/s (predicted %.1f), decode %.1f t/s (predicted %.1f), median of %d\n",
                gp_verify_report_prefill_tps(r), want_prefill, gp_verify_report_decode_tps(r), want_decode,
                gp_verify_report_runs(r));
        if (gp_verify_report_mapped_mib(r) > 0)
            fprintf(cli->out, "note: the CPU's weights were memory-mapped: llama.cpp lists the mapped file range "
                              "(CPU_Mapped, %.2f MiB) apart from what it copied (CPU, CPU_REPACK, shown above); "
                              "add --load-mode none for a byte-exact comparison of the CPU's weights\n",
                    gp_verify_report_mapped_mib(r));
        if (looks_sparse(pc.path))
            fprintf(cli->out, "note: %s is a sparse stand-in: decode speed is realistic, outputs are "
                              "meaningless, and MoE routing over zero weights picks the same experts every token\n",
                    pc.path);
        if (over)
            fprintf(cli->out, "warning: a device used more than predicted\n");
    }
    if (over && vo.strict)
        rc = GP_EXIT_FAIL;
done:
    gp_verify_report_close(&r);
    gp_run_options_close(&ro);
    gp_plan_result_close(&res);
    gp_model_close(&m);
    return rc;
}

int gp_cmd_verify(gp_cli *cli, int argc, char **argv)
{
    verify_opts vo = {0};
    gp_plan_cli pc;
    int rc = gp_plan_cli_parse(cli, "verify", argc, argv, &pc, verify_extra, &vo);
    if (!rc)
        rc = verify_with(cli, &pc, &vo);
    gp_plan_cli_close(&pc);
    return rc;
}
