/* ggplace mem MODEL [llama.cpp flags] [--gpu SIZE]... [--json] */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/hw_options.h"
#include "cli/model_source.h"
#include "cli/in_use.h"
#include "cli/text_table.h"
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

/* "free after" of device i: what is left, "-X" when over, "-" when its
 * memory is unknown. */
static void format_free_after(const gp_devices *d, uint32_t i, uint64_t used, char *buf, size_t size)
{
    uint64_t free_ = gp_devices_memory_free(d, i);
    if (!free_) {
        snprintf(buf, size, "-");
        return;
    }
    char v[32];
    gp_format_mib(free_ >= used ? free_ - used : used - free_, v, sizeof v);
    snprintf(buf, size, "%s%s", free_ >= used ? "" : "-", v);
}

/* Bytes by kind: weights, KV/state, compute. */
typedef struct mem_bytes {
    uint64_t model, context, compute;
} mem_bytes;

/* The figures of one row: weights, KV/state, compute, total. */
static void format_row(const mem_bytes *x, char cells[4][32])
{
    gp_format_mib(x->model, cells[0], 32);
    gp_format_mib(x->context, cells[1], 32);
    gp_format_mib(x->compute, cells[2], 32);
    gp_format_mib(x->model + x->context + x->compute, cells[3], 32);
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
        format_free_after(d, i, use, fr, sizeof fr);
        gp_tt_row(&t, (const char *[]){gp_devices_name(d, i), a, b, fr});
    }
    fputc('\n', f);
    gp_tt_print(&t, f);
    gp_cli_print_runtime(f, mem);
}

static void print_table(FILE *f, const gp_model *m, const gp_devices *d, const gp_mem *mem)
{
    uint32_t n_seq = gp_mem_n_seq(mem), n_dev = gp_mem_device_count(mem);
    fprintf(f, "model      %s (%s)\n", gp_model_path(m), gp_model_architecture(m));
    fprintf(f, "context    n_ctx %llu (%llu per sequence), %u sequence%s%s, batch %u/%u, flash attention %s\n",
            (unsigned long long)gp_mem_n_ctx(mem), (unsigned long long)gp_mem_n_ctx_seq(mem), n_seq,
            n_seq == 1 ? "" : "s", n_seq > 1 ? (gp_mem_kv_unified(mem) ? " (unified)" : " (split)") : "",
            gp_mem_n_batch(mem), gp_mem_n_ubatch(mem), gp_mem_flash_attn(mem) ? "on" : "off");
    fprintf(f, "predicted  decode %.1f t/s, prefill %.0f t/s (speed model%s; see README)\n",
            gp_mem_calibrated_decode_tps(mem), gp_mem_calibrated_prefill_tps(mem),
            gp_mem_calibrated(mem) ? ", calibrated by ggplace tune" : "");
    for (uint32_t i = 0; i < gp_mem_assumption_count(mem); i++)
        fprintf(f, "assumed    %s\n", gp_mem_assumption_text(mem, i));
    static gp_text_table t, with;
    gp_tt_init(&t, 6, 12);
    gp_tt_row(&t, (const char *[]){"device", "weights", "KV/state", "compute", "total", "free after"});
    mem_bytes sum = {0};
    for (uint32_t i = 0; i < n_dev; i++) {
        /* the main model's: the extras are rows of their own below */
        mem_bytes x = {gp_mem_model_bytes(mem, i) - gp_mem_extras_model_bytes(mem, i),
                       gp_mem_context_bytes(mem, i) - gp_mem_extras_context_bytes(mem, i),
                       gp_mem_compute_bytes(mem, i) - gp_mem_extras_compute_bytes(mem, i)};
        char v[4][32], fr[40];
        format_row(&x, v);
        format_free_after(d, i, x.model + x.context + x.compute, fr, sizeof fr);
        gp_tt_row(&t, (const char *[]){gp_devices_name(d, i), v[0], v[1], v[2], v[3], fr});
        sum.model += x.model;
        sum.context += x.context;
        sum.compute += x.compute;
    }
    /* What else the server loads, a block of rows each. */
    for (uint32_t k = 0; k < gp_mem_extras_count(mem); k++) {
        gp_tt_line(&t, "%s %s%s", gp_mem_extra_kind(mem, k), gp_mem_extra_file(mem, k),
                   gp_mem_extra_estimated(mem, k) ? " (compute: an upper bound)" : "");
        for (uint32_t i = 0; i < n_dev; i++) {
            mem_bytes x = {gp_mem_extra_model_bytes(mem, k, i), gp_mem_extra_context_bytes(mem, k, i),
                           gp_mem_extra_compute_bytes(mem, k, i)};
            if (!(x.model + x.context + x.compute))
                continue;
            char v[4][32], name[72];
            format_row(&x, v);
            snprintf(name, sizeof name, "  %s", gp_devices_name(d, i));
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
    if (gp_mem_extras_count(mem)) {
        gp_tt_init(&with, 3, 12);
        gp_tt_row(&with, (const char *[]){"with extras", "total", "free after"});
        for (uint32_t i = 0; i < n_dev; i++) {
            uint64_t all = gp_mem_total_at_load(mem, i);
            char tt[32], fr[40];
            gp_format_mib(all, tt, sizeof tt);
            format_free_after(d, i, all, fr, sizeof fr);
            gp_tt_row(&with, (const char *[]){gp_devices_name(d, i), tt, fr});
        }
        fputc('\n', f);
        gp_tt_print(&with, f);
    }
    if (gp_mem_extras_note(mem)[0])
        fprintf(f, "note: %s\n", gp_mem_extras_note(mem));
    print_in_use(f, d, mem);
}

/* Warnings go to stderr, in the table's mode and the JSON's alike. */
static void print_warnings(FILE *f, const gp_model *m, const gp_devices *d, const gp_mem *mem)
{
    for (uint32_t i = 0; i < gp_mem_device_count(mem); i++) {
        uint64_t need = gp_mem_total_at_load(mem, i), free_ = gp_devices_memory_free(d, i);
        if (!free_ || need <= free_)
            continue;
        char over[32], have[32];
        gp_format_mib(need - free_, over, sizeof over);
        gp_format_mib(free_, have, sizeof have);
        fprintf(f, "warning: %s needs %s more than its %s %s\n", gp_devices_name(d, i), over, have,
                i == 0 ? "of available RAM" : "free");
    }
    uint64_t use = gp_mem_total_in_use(mem, 0), load = gp_mem_total_at_load(mem, 0);
    uint64_t ram = gp_devices_memory_free(d, 0);
    if (ram && load <= ram && use > ram) {
        char over[32], have[32];
        gp_format_mib(use - ram, over, sizeof over);
        gp_format_mib(ram, have, sizeof have);
        fprintf(f, "warning: %s fits at load, but in use needs %s more than its %s of available RAM "
                   "(lower --cache-ram or --ctx-checkpoints)\n", gp_devices_name(d, 0), over, have);
    }
    for (uint32_t i = 0; i < gp_model_warning_count(m); i++)
        fprintf(f, "warning: %s\n", gp_model_warning_text(m, i));
    /* an unknown architecture's own warning already says it is a bound */
    if (gp_mem_compute_estimated(mem))
        fprintf(f, "warning: no graph model for %s: compute buffers are a coarse estimate (errs high)\n",
                gp_model_architecture(m));
    else if (!gp_mem_compute_checked(mem) && gp_model_architecture_known(m))
        fprintf(f, "warning: %s's compute graph is not yet checked against llama.cpp: compute buffers are an "
                   "upper bound (the nearest family's graph, raised)\n", gp_model_architecture(m));
}

/* The model read, the estimate of cmd on devs and its output. */
static int mem_on(gp_cli *cli, gp_model_source *src, gp_command *cmd, const gp_devices *devs, bool json)
{
    gp_error err = {0};
    gp_model *m = NULL;
    if (gp_model_source_open(cli, src, json, &m) != GP_EXIT_OK)
        return GP_EXIT_FAIL;
    /* Opened here rather than by the estimate: with progress, and the
     * projector -hf picked. */
    if (gp_model_source_open_extras(cli, src, cmd, json) != GP_EXIT_OK) {
        gp_model_close(&m);
        return GP_EXIT_FAIL;
    }
    gp_mem *mem = NULL;
    int rc = GP_EXIT_OK;
    if (gp_mem_estimate_cmd(m, cmd, devs, &mem, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        rc = err.status == GP_ERR_ARG ? GP_EXIT_USAGE : GP_EXIT_FAIL;
    } else {
        if (json) {
            char *s = NULL;
            if (gp_mem_json(mem, &s, NULL) == GP_OK)
                fprintf(cli->out, "%s\n", s);
            else
                rc = GP_EXIT_FAIL;
            free(s);
        } else {
            print_table(cli->out, m, devs, mem);
        }
        print_warnings(cli->err, m, devs, mem);
        gp_mem_close(&mem);
    }
    gp_model_close(&m);
    return rc;
}

/* After --app: the rest of the command line applied to cmd (llama.cpp's
 * flags through the library), then the estimate and its output. */
static int mem_with(gp_cli *cli, int argc, char **argv, gp_command *cmd)
{
    const char *path = NULL;
    bool json = false;
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

    gp_devices *devs = NULL;
    if (gp_hw_options_resolve(&hw, &devs, &err) != GP_OK) {
        if (err.status == GP_ERR_ARG)
            return gp_cli_usage_error(cli, "mem: %s", err.message);
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    /* Servers named by llama.cpp's own --rpc that no hardware option
     * described: devices of unknown size (the estimate adds them too; here
     * a bad one is a usage error before the model is read). */
    if (gp_command_add_rpc_servers(cmd, devs, &err) != GP_OK) {
        gp_devices_close(&devs);
        return gp_cli_usage_error(cli, "mem: %s", err.message);
    }
    int rc = mem_on(cli, &src, cmd, devs, json);
    gp_devices_close(&devs);
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
