/* ggplace verify MODEL [plan options | llama-server flags] [--json] [--strict]
 * ggplace sparse HEADER.gguf OUT.gguf */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/in_use.h"
#include "util/proc.h"
#include "cli/plan_options.h"
#include "cli/progress.h"
#include "emit/sparse.h"
#include "plan/speed.h"
#include "util/json.h"
#include "verify/soak.h"
#include "verify/verify.h"

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
    if (gp_write_sparse(m, argv[2], &err) != GP_OK) {
        gp_cli_error(cli, &err);
        rc = GP_EXIT_FAIL;
    }
    gp_model_close(&m);
    return rc;
}

typedef struct verify_opts {
    gp_verify_opts v;
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
        num = &o->v.runs;
    else if (!strcmp(a, "--prompt-tokens"))
        num = &o->v.n_prompt;
    else if (!strcmp(a, "--predict"))
        num = &o->v.n_predict;
    else if (!strcmp(a, "--llama-dir")) {
        if (i + 1 >= argc) {
            gp_cli_usage_error(cli, "verify: --llama-dir needs a directory");
            return -1;
        }
        o->v.llama_dir = argv[i + 1];
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

static void add_bytes(cJSON *o, const char *key, const gp_mem_device *x)
{
    cJSON *p = cJSON_AddObjectToObject(o, key);
    gp_json_add_u64(p, "model", x->model);
    gp_json_add_u64(p, "context", x->context);
    gp_json_add_u64(p, "compute", x->compute);
}

/* llama.cpp logs MiB with two decimals: bytes are rounded to that. */
static void add_mib(cJSON *o, const char *key, double model, double context, double compute)
{
    const double MiB = 1024.0 * 1024.0;
    gp_mem_device x = {(uint64_t)(model * MiB + 0.5), (uint64_t)(context * MiB + 0.5),
                       (uint64_t)(compute * MiB + 0.5)};
    add_bytes(o, key, &x);
}

/* verify --soak: the server driven to its in-use bounds, its peak resident
   memory beside the prediction. */
static int run_soak(gp_cli *cli, gp_plan_cli *pc, const verify_opts *vo, const gp_model *m, const gp_plan *plan,
                    char **args)
{
    const gp_runtime_mem *rt = &plan->mem.runtime;
    gp_soak_opts so;
    memset(&so, 0, sizeof so);
    so.server = vo->v;
    so.server.n_vocab = m->hp.n_vocab > UINT32_MAX ? UINT32_MAX : (uint32_t)m->hp.n_vocab;
    so.max_requests = vo->soak;
    so.max_seconds = vo->soak_seconds > 0 ? vo->soak_seconds : 600;
    so.slots = plan->mem.ctx.n_seq;
    so.ctx_per_slot = plan->mem.ctx.n_ctx_seq;
    so.ctx_checkpoints = rt->checkpoint_bytes ? plan->params.ctx_checkpoints : 0;
    so.cache_bytes = rt->item[GP_RUNTIME_PROMPT_CACHE];
    so.slot_state_bytes = rt->slot_state_bytes;
    gp_progress prog;
    gp_progress_begin(&prog, cli->err, pc->json, "starting llama-server", 0);
    so.server.progress = on_progress;
    so.server.progress_ctx = &prog;
    gp_soak_result r;
    gp_error err = {0};
    gp_proc_trap_signals();
    gp_status st = gp_verify_soak(pc->path, args, &pc->devs, &so, &r, &err);
    gp_progress_end(&prog);
    gp_proc_untrap_signals();
    if (st != GP_OK) {
        gp_cli_error(cli, &err);
        if (r.server.log_tail[0])
            fprintf(cli->err, "--- end of llama-server's log ---\n%s\n", r.server.log_tail);
        return GP_EXIT_FAIL;
    }
    const double MiB = 1024.0 * 1024.0;
    uint64_t predicted = gp_mem_in_use(&plan->mem, 0);
    double diff = (double)r.peak - (double)predicted;
    double tol = (double)predicted * 0.05 > 64 * MiB ? (double)predicted * 0.05 : 64 * MiB;
    bool over = diff > tol;
    if (pc->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "llama_version", r.server.version);
        cJSON *so_j = cJSON_AddObjectToObject(root, "soak");
        cJSON_AddNumberToObject(so_j, "requests", r.requests);
        cJSON_AddNumberToObject(so_j, "seconds", r.seconds);
        cJSON_AddNumberToObject(so_j, "samples", r.samples);
        gp_json_add_u64(so_j, "peak", r.peak);
        gp_json_add_u64(so_j, "peak_anonymous", r.peak_anon);
        gp_json_add_u64(so_j, "peak_model_file", r.peak_mapped);
        gp_json_add_u64(so_j, "after_load", r.load);
        gp_json_add_u64(so_j, "predicted_in_use", predicted);
        gp_json_add_u64(so_j, "predicted_at_load", gp_mem_on_device(&plan->mem, 0));
        gp_cli_json_runtime(so_j, &plan->mem, 0);
        char *s = cJSON_Print(root);
        fprintf(cli->out, "%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(root);
    } else {
        fprintf(cli->out, "llama.cpp  %s (%s)\n", r.server.version[0] ? r.server.version : "version unknown",
                r.server.server_path);
        fprintf(cli->out, "soak       %d requests in %.1f s, %d samples of its memory\n", r.requests, r.seconds,
                r.samples);
        fprintf(cli->out, "resident   peak %.2f MiB (anonymous %.2f + model file %.2f); %.2f MiB after load\n",
                (double)r.peak / MiB, (double)r.peak_anon / MiB, (double)r.peak_mapped / MiB, (double)r.load / MiB);
        fprintf(cli->out, "predicted  in use %.2f MiB on %s (%.2f MiB at load)\n", (double)predicted / MiB,
                pc->devs.dev[0].name, (double)gp_mem_on_device(&plan->mem, 0) / MiB);
        fprintf(cli->out, "difference %+.2f MiB (%+.1f %%)\n", diff / MiB, predicted ? 100.0 * diff / (double)predicted : 0);
        fputc('\n', cli->out);
        gp_cli_print_runtime(cli->out, &pc->devs, &plan->mem);
        if (over)
            fprintf(cli->out, "warning: the peak passed the in-use prediction by more than 5 %% or 64 MiB\n");
    }
    return over && vo->strict ? GP_EXIT_FAIL : GP_EXIT_OK;
}

int gp_cmd_verify(gp_cli *cli, int argc, char **argv)
{
    verify_opts vo = {0};
    gp_verify_opts_default(&vo.v);
    gp_plan_cli pc;
    int rc = gp_plan_cli_parse(cli, "verify", argc, argv, &pc, verify_extra, &vo);
    if (rc)
        return rc;
    gp_error err = {0};
    gp_model *m = NULL;
    if ((rc = gp_plan_cli_open_runnable(cli, "verify", &pc, &m)) != GP_EXIT_OK)
        return rc;
    gp_extra_files extras;
    gp_plan plan;
    if ((rc = gp_plan_cli_plan(cli, &pc, m, &extras, &plan)) != GP_EXIT_OK) {
        gp_model_close(&m);
        return rc;
    }
    char **planned = gp_plan_args(m, &pc.devs, &plan);
    /* The plan's flags, then the memory-neutral ones given (--jinja,
     * --load-mode none, ...), so llama-server runs as asked. */
    size_t n_planned = 0;
    while (planned[n_planned])
        n_planned++;
    char **args = calloc(n_planned + pc.req.pinned.n_extra + 1, sizeof *args);
    if (!args) {
        gp_plan_args_free(planned);
        gp_plan_free(&plan);
        gp_extra_files_close(&extras);
        gp_model_close(&m);
        return GP_EXIT_FAIL;
    }
    memcpy(args, planned, n_planned * sizeof *args);
    for (uint32_t k = 0; k < pc.req.pinned.n_extra; k++)
        args[n_planned + k] = (char *)pc.req.pinned.extra[k];
    gp_proc_trap_signals();
    vo.v.n_vocab = m->hp.n_vocab > UINT32_MAX ? UINT32_MAX : (uint32_t)m->hp.n_vocab;
    if (vo.soak > 0) {
        rc = run_soak(cli, &pc, &vo, m, &plan, args);
        goto done;
    }
    gp_verify_result r;
    gp_progress prog;
    gp_progress_begin(&prog, cli->err, pc.json, "starting llama-server", 0);
    vo.v.progress = on_progress;
    vo.v.progress_ctx = &prog;
    gp_status st = gp_verify_run(pc.path, args, &pc.devs, &vo.v, &r, &err);
    gp_progress_end(&prog);
    gp_proc_untrap_signals();
    if (st != GP_OK) {
        gp_cli_error(cli, &err);
        if (r.log_tail[0])
            fprintf(cli->err, "--- end of llama-server's log ---\n%s\n", r.log_tail);
        rc = GP_EXIT_FAIL;
        goto done;
    }
    /* The speeds to expect from these requests: prefill over a cache that
     * fills from empty, decode after the prompt (the plan's own figures
     * assume half the context, a long session). */
    gp_speed at_prompt, at_decode;
    gp_speed_predict_at(m, &plan.params, &pc.devs, &plan.mem, vo.v.n_prompt / 2.0, &at_prompt);
    gp_speed_predict_at(m, &plan.params, &pc.devs, &plan.mem, vo.v.n_prompt + vo.v.n_predict / 2.0, &at_decode);
    double want_prefill = at_prompt.prefill_tps, want_decode = at_decode.decode_tps;
    double cal_decode, cal_prefill;
    if (gp_plan_request_scales(&pc.req, m, &cal_decode, &cal_prefill)) {
        want_prefill *= cal_prefill;
        want_decode *= cal_decode;
    }
    bool over = false;
    const double MiB = 1024.0 * 1024.0;
    bool any_extra = plan.mem.extras.n > 0;
    for (uint32_t i = 0; i < pc.devs.n; i++) {
        double pred = (double)gp_mem_on_device(&plan.mem, i) / MiB;
        double got = r.measured.model_mib[i] + r.measured.context_mib[i] + r.measured.compute_mib[i] +
                     r.measured.extra_model_mib[i] + r.measured.extra_context_mib[i] +
                     r.measured.extra_compute_mib[i];
        if (got > pred + 0.01)
            over = true;
        any_extra = any_extra || r.measured.extra_model_mib[i] > 0 || r.measured.extra_compute_mib[i] > 0;
    }
    if (pc.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "llama_version", r.version);
        cJSON *av = cJSON_AddArrayToObject(root, "argv");
        cJSON_AddItemToArray(av, cJSON_CreateString(r.server_path));
        cJSON_AddItemToArray(av, cJSON_CreateString("-m"));
        cJSON_AddItemToArray(av, cJSON_CreateString(pc.path));
        for (char **a = args; *a; a++)
            cJSON_AddItemToArray(av, cJSON_CreateString(*a));
        cJSON *devs = cJSON_AddArrayToObject(root, "devices");
        for (uint32_t i = 0; i < pc.devs.n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", pc.devs.dev[i].name);
            add_bytes(o, "predicted", &plan.mem.dev[i]);
            add_mib(o, "measured", r.measured.model_mib[i], r.measured.context_mib[i], r.measured.compute_mib[i]);
            if (any_extra) {
                /* What else the server loaded (projector, draft, adapters). */
                add_bytes(o, "predicted_extras", &plan.mem.extra[i]);
                add_mib(o, "measured_extras", r.measured.extra_model_mib[i], r.measured.extra_context_mib[i],
                        r.measured.extra_compute_mib[i]);
            }
            cJSON_AddItemToArray(devs, o);
        }
        cJSON *t = cJSON_AddObjectToObject(root, "timings");
        cJSON_AddNumberToObject(t, "prefill_tps", r.prefill_tps);
        cJSON_AddNumberToObject(t, "decode_tps", r.decode_tps);
        cJSON_AddNumberToObject(t, "runs", r.runs);
        cJSON *pr = cJSON_AddObjectToObject(root, "predicted_speed");
        cJSON_AddNumberToObject(pr, "prefill_tps", want_prefill);
        cJSON_AddNumberToObject(pr, "decode_tps", want_decode);
        cJSON_AddBoolToObject(root, "sparse_model", looks_sparse(pc.path));
        /* The mmap'd file range llama.cpp lists for the CPU, kept apart from the weights. */
        gp_json_add_u64(root, "cpu_mapped", (uint64_t)(r.measured.mapped_mib * MiB + 0.5));
        char *s = cJSON_Print(root);
        fprintf(cli->out, "%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(root);
    } else {
        fprintf(cli->out, "llama.cpp  %s (%s)\n", r.version[0] ? r.version : "version unknown", r.server_path);
        fprintf(cli->out, "\n%-24s %20s %20s %20s\n", "device (MiB)", "weights pred/meas", "KV pred/meas",
                "compute pred/meas");
        for (uint32_t i = 0; i < pc.devs.n; i++)
            fprintf(cli->out, "%-24s %9.2f/%-10.2f %9.2f/%-10.2f %9.2f/%-10.2f\n", pc.devs.dev[i].name,
                    (double)plan.mem.dev[i].model / MiB, r.measured.model_mib[i],
                    (double)plan.mem.dev[i].context / MiB, r.measured.context_mib[i],
                    (double)plan.mem.dev[i].compute / MiB, r.measured.compute_mib[i]);
        for (uint32_t i = 0; any_extra && i < pc.devs.n; i++) {
            char label[96];
            snprintf(label, sizeof label, "+ extras on %.60s", pc.devs.dev[i].name);
            fprintf(cli->out, "%-24s %9.2f/%-10.2f %9.2f/%-10.2f %9.2f/%-10.2f\n", label,
                    (double)plan.mem.extra[i].model / MiB, r.measured.extra_model_mib[i],
                    (double)plan.mem.extra[i].context / MiB, r.measured.extra_context_mib[i],
                    (double)plan.mem.extra[i].compute / MiB, r.measured.extra_compute_mib[i]);
        }
        fprintf(cli->out, "\nspeed      prefill %.1f t/s (predicted %.1f), decode %.1f t/s (predicted %.1f), median of %d\n",
                r.prefill_tps, want_prefill, r.decode_tps, want_decode, r.runs);
        if (r.measured.mapped_mib > 0)
            fprintf(cli->out, "note: the CPU's weights were memory-mapped: llama.cpp lists the mapped file range "
                              "(CPU_Mapped, %.2f MiB) apart from what it copied (CPU, CPU_REPACK, shown above); "
                              "add --load-mode none for a byte-exact comparison of the CPU's weights\n",
                    r.measured.mapped_mib);
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
    free(args);
    gp_plan_args_free(planned);
    gp_plan_free(&plan);
    gp_extra_files_close(&extras);
    gp_model_close(&m);
    return rc;
}
