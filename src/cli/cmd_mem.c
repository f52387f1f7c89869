/* ggplace mem MODEL [llama.cpp flags] [--gpu SIZE]... [--json] */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/hw_options.h"
#include "cli/model_source.h"
#include "cli/plan_options.h"
#include "cli/in_use.h"
#include "cli/text_table.h"
#include "emit/extras_json.h"
#include "model/arch.h"
#include "plan/speed.h"
#include "gguf/types.h"
#include "memory/device.h"
#include "memory/mem.h"
#include "util/json.h"
#include "util/units.h"

void gp_help_mem(FILE *f)
{
    fprintf(f,
            "Usage: ggplace mem MODEL [LLAMA.CPP FLAGS] [--gpu [NAME:]SIZE]... [--app server|cli] [--json]\n"
            "\n"
            "Predicts what this exact llama.cpp command allocates on each device: weights,\n"
            "KV cache / recurrent state, and compute buffer, before anything is downloaded\n"
            "or launched. Any llama-server command line can be pasted (-m MODEL works in\n"
            "place of MODEL); flags that do not change memory are accepted and ignored, flags\n"
            "llama-server does not know are an error.\n"
            "\n"
            "Flags that change memory (llama.cpp's spellings and defaults):\n"
            "  -c, --ctx-size N          context (default: the model's training context)\n"
            "  -b, --batch-size N        logical batch (default 2048)\n"
            "  -ub, --ubatch-size N      physical batch (default 512)\n"
            "  -np, --parallel N         slots (default auto: 4, unified cache)\n"
            "  -kvu / -no-kvu            unified KV cache across slots\n"
            "  -fa, --flash-attn on|off|auto\n"
            "  -ctk / -ctv TYPE          cache types: f16, bf16, f32, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1\n"
            "  --swa-full                full-size cache for sliding-window layers\n"
            "  -ngl N|auto|all           layers on GPUs; the output layer counts as one\n"
            "  -ts A,B,...               split of layers between GPUs\n"
            "  -sm none|layer, -mg I     one GPU only / which one\n"
            "  -ot REGEX=BUFFER,...      tensor overrides (first match wins)\n"
            "  --cpu-moe, --n-cpu-moe N  experts (of the first N layers) on the CPU\n"
            "  --n-cpu-ffn N             dense FFN weights of the first N layers on the CPU\n"
            "  -nkvo, --no-kv-offload    KV cache on the CPU\n"
            "\n"
            "What else llama-server loads (each shown as its own rows):\n"
            "  -mm, --mmproj FILE        a vision/audio projector (--no-mmproj-offload, -mmdev DEV)\n"
            "  -mmu URL                  a projector by URL\n"
            "  -md FILE                  a draft model, with --spec-type draft-simple (-ngld,\n"
            "                            -devd, -ctkd/-ctvd, -otd, --spec-draft-n-max)\n"
            "  -hfd REPO                 a draft model from Hugging Face\n"
            "  --spec-type TYPES         speculative decoding (draft-mtp uses the model's NextN\n"
            "                            layers; every type widens the logits reservation)\n"
            "  --lora FILE[,FILE]        LoRA adapters, next to the tensors they adapt\n"
            "\n"
            "Hardware (default: this machine's devices):\n"
            "%s"
            "\n"
            "Output:\n"
            "  --app server|cli          llama-server (default) or llama-cli/llama-bench\n"
            "                            (their larger output reservation)\n"
            "  --json                    {n_ctx, n_ctx_seq, n_batch, n_ubatch, n_seq,\n"
            "                            devices: [{name, model, context, compute, total}],\n"
            "                            total: {model, context, compute}} in bytes\n",
            gp_hw_options_help);
    gp_model_source_help(f);
}

/* "free after" of a device: what is left, "-X" when over, "-" when its
 * memory is unknown. */
static void format_free_after(const gp_device *dev, uint64_t used, char *buf, size_t size)
{
    if (!dev->free) {
        snprintf(buf, size, "-");
        return;
    }
    char v[32];
    gp_format_mib(dev->free >= used ? dev->free - used : used - dev->free, v, sizeof v);
    snprintf(buf, size, "%s%s", dev->free >= used ? "" : "-", v);
}

/* The figures of one row: weights, KV/state, compute, total. */
static void format_row(const gp_mem_device *x, char cells[4][32])
{
    gp_format_mib(x->model, cells[0], 32);
    gp_format_mib(x->context, cells[1], 32);
    gp_format_mib(x->compute, cells[2], 32);
    gp_format_mib(gp_mem_device_total(x), cells[3], 32);
}

/* How fast the command runs, by the same speed model (and calibration) as
 * `plan`: mem of a plan's arguments predicts exactly the plan's figures. */
typedef struct mem_speed {
    gp_speed speed;
    bool calibrated;
} mem_speed;

static void predict(const gp_model *m, const gp_command *cmd, const gp_devices *d, const gp_mem *mem,
                    mem_speed *out)
{
    out->speed = mem->speed;
    gp_plan_request cal;
    gp_plan_request_default(&cal);
    cal.app = cmd->p.app;
    gp_plan_request_use_calibration(&cal, d, NULL);
    out->calibrated = gp_plan_request_calibrate(&cal, m, &out->speed);
}

/* At load and in use, per device, then what the host grows into. */
static void print_in_use(FILE *f, const gp_devices *d, const gp_mem *mem)
{
    static gp_text_table t;
    gp_tt_init(&t, 4, 12);
    gp_tt_row(&t, (const char *[]){"in use", "at load", "in use", "free after"});
    for (uint32_t i = 0; i < gp_mem_device_count(mem); i++) {
        uint64_t load = gp_mem_total_at_load(mem, i), use = gp_mem_total_in_use(mem, i);
        char a[32], b[32], fr[40];
        gp_format_mib(load, a, sizeof a);
        gp_format_mib(use, b, sizeof b);
        format_free_after(&d->dev[i], use, fr, sizeof fr);
        gp_tt_row(&t, (const char *[]){d->dev[i].name, a, b, fr});
    }
    fputc('\n', f);
    gp_tt_print(&t, f);
    gp_cli_print_runtime(f, mem);
}

static void print_table(FILE *f, const gp_model *m, const gp_devices *d, const gp_mem *mem,
                        const mem_speed *sp)
{
    const gp_mem_result *r = mem->r;
    const gp_ctx_shape *c = &r->ctx;
    fprintf(f, "model      %s (%s)\n", m->path, m->arch);
    fprintf(f, "context    n_ctx %llu (%llu per sequence), %u sequence%s%s, batch %u/%u, flash attention %s\n",
            (unsigned long long)c->n_ctx, (unsigned long long)c->n_ctx_seq, c->n_seq,
            c->n_seq == 1 ? "" : "s", c->n_seq > 1 ? (c->kv_unified ? " (unified)" : " (split)") : "",
            c->n_batch, c->n_ubatch, c->flash_attn ? "on" : "off");
    fprintf(f, "predicted  decode %.1f t/s, prefill %.0f t/s (speed model%s; see README)\n", sp->speed.decode_tps,
            sp->speed.prefill_tps, sp->calibrated ? ", calibrated by ggplace tune" : "");
    char notes[2 * GP_MAX_DEVICES][GP_SPEED_NOTE];
    uint32_t n_notes = gp_speed_assumptions(d, notes, 2 * GP_MAX_DEVICES);
    for (uint32_t i = 0; i < n_notes; i++)
        fprintf(f, "assumed    %s\n", notes[i]);
    static gp_text_table t, with;
    gp_tt_init(&t, 6, 12);
    gp_tt_row(&t, (const char *[]){"device", "weights", "KV/state", "compute", "total", "free after"});
    gp_mem_device sum = {0};
    for (uint32_t i = 0; i < r->n_devices; i++) {
        const gp_mem_device *x = &r->dev[i];
        char v[4][32], fr[40];
        format_row(x, v);
        format_free_after(&d->dev[i], gp_mem_device_total(x), fr, sizeof fr);
        gp_tt_row(&t, (const char *[]){d->dev[i].name, v[0], v[1], v[2], v[3], fr});
        sum.model += x->model;
        sum.context += x->context;
        sum.compute += x->compute;
    }
    /* What else the server loads, a block of rows each. */
    for (uint32_t k = 0; k < r->extras.n; k++) {
        const gp_extra_mem *e = &r->extras.item[k];
        gp_tt_line(&t, "%s %s%s", gp_extra_kind_name(e->kind), e->name,
                   e->estimated ? " (compute: an upper bound)" : "");
        for (uint32_t i = 0; i < r->n_devices; i++) {
            gp_mem_device x = {e->model[i], e->context[i], e->compute[i]};
            if (!gp_mem_device_total(&x))
                continue;
            char v[4][32], name[72];
            format_row(&x, v);
            snprintf(name, sizeof name, "  %s", d->dev[i].name);
            gp_tt_row(&t, (const char *[]){name, v[0], v[1], v[2], v[3], ""});
            sum.model += x.model;
            sum.context += x.context;
            sum.compute += x.compute;
        }
    }
    char v[4][32];
    format_row(&sum, v);
    gp_tt_row(&t, (const char *[]){"total", v[0], v[1], v[2], v[3], ""});
    fputc('\n', f);
    gp_tt_print(&t, f);
    if (r->extras.n) {
        gp_tt_init(&with, 3, 12);
        gp_tt_row(&with, (const char *[]){"with extras", "total", "free after"});
        for (uint32_t i = 0; i < r->n_devices; i++) {
            uint64_t all = gp_mem_total_at_load(mem, i);
            char tt[32], fr[40];
            gp_format_mib(all, tt, sizeof tt);
            format_free_after(&d->dev[i], all, fr, sizeof fr);
            gp_tt_row(&with, (const char *[]){d->dev[i].name, tt, fr});
        }
        fputc('\n', f);
        gp_tt_print(&with, f);
    }
    if (r->extras.note[0])
        fprintf(f, "note: %s\n", r->extras.note);
    print_in_use(f, d, mem);
}

/* Warnings go to stderr, in the table's mode and the JSON's alike. */
static void print_warnings(FILE *f, const gp_model *m, const gp_devices *d, const gp_mem *mem)
{
    const gp_mem_result *r = mem->r;
    bool known_arch; /* an unknown one's own warning already says it is a bound */
    gp_arch_lookup(m->arch, &known_arch);
    for (uint32_t i = 0; i < gp_mem_device_count(mem); i++) {
        uint64_t need = gp_mem_total_at_load(mem, i);
        if (!d->dev[i].free || need <= d->dev[i].free)
            continue;
        char over[32], have[32];
        gp_format_mib(need - d->dev[i].free, over, sizeof over);
        gp_format_mib(d->dev[i].free, have, sizeof have);
        fprintf(f, "warning: %s needs %s more than its %s %s\n", d->dev[i].name, over, have,
                d->dev[i].kind == GP_DEV_CPU ? "of available RAM" : "free");
    }
    uint64_t use = gp_mem_total_in_use(mem, 0), load = gp_mem_total_at_load(mem, 0);
    if (d->dev[0].free && load <= d->dev[0].free && use > d->dev[0].free) {
        char over[32], have[32];
        gp_format_mib(use - d->dev[0].free, over, sizeof over);
        gp_format_mib(d->dev[0].free, have, sizeof have);
        fprintf(f, "warning: %s fits at load, but in use needs %s more than its %s of available RAM "
                   "(lower --cache-ram or --ctx-checkpoints)\n", d->dev[0].name, over, have);
    }
    for (uint32_t i = 0; i < m->n_warnings; i++)
        fprintf(f, "warning: %s\n", m->warnings[i]);
    if (r->compute_estimated)
        fprintf(f, "warning: no graph model for %s: compute buffers are a coarse estimate (errs high)\n", m->arch);
    else if (!r->compute_checked && known_arch)
        fprintf(f, "warning: %s's compute graph is not yet checked against llama.cpp: compute buffers are an "
                   "upper bound (the nearest family's graph, raised)\n", m->arch);
}

static char *render_json(const gp_devices *d, const gp_mem *mem, const mem_speed *sp)
{
    const gp_mem_result *r = mem->r;
    cJSON *root = cJSON_CreateObject();
    const gp_ctx_shape *c = &r->ctx;
    gp_json_add_u64(root, "n_ctx", c->n_ctx);
    gp_json_add_u64(root, "n_ctx_seq", c->n_ctx_seq);
    gp_json_add_u64(root, "n_batch", c->n_batch);
    gp_json_add_u64(root, "n_ubatch", c->n_ubatch);
    gp_json_add_u64(root, "n_seq", c->n_seq);
    cJSON_AddBoolToObject(root, "kv_unified", c->kv_unified);
    cJSON_AddBoolToObject(root, "flash_attn", c->flash_attn);
    cJSON *devs = cJSON_AddArrayToObject(root, "devices");
    gp_mem_device sum = {0};
    for (uint32_t i = 0; i < r->n_devices; i++) {
        const gp_mem_device *x = &r->dev[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->dev[i].name);
        gp_json_add_u64(o, "model", x->model);
        gp_json_add_u64(o, "context", x->context);
        gp_json_add_u64(o, "compute", x->compute);
        gp_json_add_u64(o, "total", gp_mem_device_total(x));
        gp_json_add_u64(o, "in_use", gp_mem_total_in_use(mem, i));
        gp_cli_json_runtime(o, mem, i);
        if (d->dev[i].total)
            gp_json_add_u64(o, "memory", d->dev[i].total);
        if (d->dev[i].free)
            gp_json_add_u64(o, "free", d->dev[i].free);
        cJSON_AddItemToArray(devs, o);
        sum.model += x->model;
        sum.context += x->context;
        sum.compute += x->compute;
    }
    cJSON *tot = cJSON_AddObjectToObject(root, "total");
    gp_json_add_u64(tot, "model", sum.model);
    gp_json_add_u64(tot, "context", sum.context);
    gp_json_add_u64(tot, "compute", sum.compute);
    uint64_t in_use = 0;
    for (uint32_t i = 0; i < r->n_devices; i++)
        in_use += gp_mem_total_in_use(mem, i);
    gp_json_add_u64(tot, "in_use", in_use);
    gp_cli_json_runtime(tot, mem, 0);
    gp_json_add_u64(root, "host_output", r->host_output);
    cJSON_AddBoolToObject(root, "compute_estimated", r->compute_estimated);
    cJSON_AddBoolToObject(root, "compute_checked", r->compute_checked);
    cJSON_AddBoolToObject(root, "compute_bound", r->compute_bound);
    cJSON *pr = cJSON_AddObjectToObject(root, "predicted");
    /* rounded as plan --json rounds them, so that the two compare equal */
    cJSON_AddNumberToObject(pr, "decode_tps", (double)(long long)(sp->speed.decode_tps * 100) / 100);
    cJSON_AddNumberToObject(pr, "prefill_tps", (double)(long long)(sp->speed.prefill_tps * 100) / 100);
    cJSON_AddBoolToObject(pr, "calibrated", sp->calibrated);
    char notes[2 * GP_MAX_DEVICES][GP_SPEED_NOTE];
    uint32_t n_notes = gp_speed_assumptions(d, notes, 2 * GP_MAX_DEVICES);
    cJSON *as = cJSON_AddArrayToObject(pr, "assumed");
    for (uint32_t i = 0; i < n_notes; i++)
        cJSON_AddItemToArray(as, cJSON_CreateString(notes[i]));
    if (r->extras.n || r->extras.note[0]) {
        /* What else the server loads; devices[] above is the main model. */
        cJSON_AddItemToObject(root, "extras", gp_extras_json(&r->extras, d));
        cJSON *all = cJSON_AddArrayToObject(root, "devices_with_extras");
        for (uint32_t i = 0; i < r->n_devices; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", d->dev[i].name);
            gp_json_add_u64(x, "total", gp_mem_total_at_load(mem, i));
            cJSON_AddItemToArray(all, x);
        }
        if (r->extras.note[0])
            cJSON_AddStringToObject(root, "extras_note", r->extras.note);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

/* After --app: the rest of the command line applied to cmd (llama.cpp's
 * flags through the library), then the estimate and its output. */
static int mem_with(gp_cli *cli, int argc, char **argv, gp_command *cmd)
{
    const char *path = NULL;
    bool json = false;
    gp_devices devs;
    gp_hw_options hw;
    gp_hw_options_init(&hw);
    gp_error err = {0};
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = true;
            i++;
        } else if (strcmp(a, "--app") == 0) {
            i += 2;
        } else if (a[0] == '-' && (gp_hw_options_parse(&hw, argc, argv, &i, &err) != 0)) {
            if (err.status != GP_OK)
                return gp_cli_usage_error(cli, "mem: %s", err.message);
        } else if (a[0] == '-' && a[1] != '\0') {
            if (gp_command_apply(cmd, argc, (const char *const *)argv, &i, &err) != GP_OK)
                return gp_cli_usage_error(cli, "mem: %s", err.message);
        } else {
            if (path)
                return gp_cli_usage_error(cli, "mem: unexpected argument '%s' (only one MODEL)", a);
            path = a;
            i++;
        }
    }
    gp_model_source src;
    gp_model_source_init(&src, path, cmd);
    int src_rc = gp_model_source_check(cli, "mem", &src);
    if (src_rc)
        return src_rc;

    gp_devices *resolved = NULL;
    if (gp_hw_options_resolve(&hw, &resolved, &err) != GP_OK) {
        if (err.status == GP_ERR_ARG)
            return gp_cli_usage_error(cli, "mem: %s", err.message);
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    devs = *resolved;
    gp_devices_close(&resolved);
    /* Servers named by llama.cpp's own --rpc that no hardware option
     * described: devices of unknown size (the estimate adds them too; here
     * a bad one is a usage error before the model is read). */
    if (gp_devices_add_llama_rpc(&devs, cmd->p.rpc, &err) != GP_OK)
        return gp_cli_usage_error(cli, "mem: %s", err.message);
    gp_model *m = NULL;
    if (gp_model_source_open(cli, &src, json, &m) != GP_EXIT_OK)
        return GP_EXIT_FAIL;
    /* Opened here rather than by the estimate: with progress, and the
     * projector -hf picked. */
    if (gp_model_source_open_extras(cli, &src, cmd, json) != GP_EXIT_OK) {
        gp_model_close(&m);
        return GP_EXIT_FAIL;
    }
    gp_mem *mem = NULL;
    int rc = GP_EXIT_OK;
    if (gp_mem_estimate_cmd(m, cmd, &devs, &mem, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        rc = err.status == GP_ERR_ARG ? GP_EXIT_USAGE : GP_EXIT_FAIL;
    } else {
        mem_speed sp;
        predict(m, cmd, &devs, mem, &sp);
        if (json) {
            char *s = render_json(&devs, mem, &sp);
            if (s) {
                fprintf(cli->out, "%s\n", s);
                free(s);
            } else {
                rc = GP_EXIT_FAIL;
            }
        } else {
            print_table(cli->out, m, &devs, mem, &sp);
        }
        print_warnings(cli->err, m, &devs, mem);
        gp_mem_close(&mem);
    }
    gp_model_close(&m);
    return rc;
}

int gp_cmd_mem(gp_cli *cli, int argc, char **argv)
{
    gp_app app = GP_APP_SERVER;
    /* ggplace's own options first (they may appear anywhere), then the app
     * is known and llama.cpp's flags can be applied with its defaults. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--app") == 0) {
            if (i + 1 >= argc)
                return gp_cli_usage_error(cli, "mem: --app needs server or cli");
            if (strcmp(argv[i + 1], "server") == 0)
                app = GP_APP_SERVER;
            else if (strcmp(argv[i + 1], "cli") == 0)
                app = GP_APP_CLI;
            else
                return gp_cli_usage_error(cli, "mem: --app '%s': expected server or cli", argv[i + 1]);
        }
    }
    gp_error err = {0};
    gp_command *cmd = NULL;
    if (gp_command_new(app, &cmd, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    int rc = mem_with(cli, argc, argv, cmd);
    gp_command_close(&cmd);
    return rc;
}
