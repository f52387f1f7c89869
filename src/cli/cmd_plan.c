/* ggplace plan MODEL [plan options] [hardware] [pinned llama.cpp flags] [outputs] */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/hw_options.h"
#include "cli/in_use.h"
#include "cli/plan_options.h"
#include "cli/report_cli.h"
#include "gguf/types.h"
#include "plan/plan.h"
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

static char *render_ot(const gp_plan *p)
{
    gp_strbuf sb = {0};
    for (uint32_t i = 0; i < p->params.n_overrides; i++)
        gp_sb_printf(&sb, "%s=%s\n", p->params.overrides[i].pattern, p->params.overrides[i].buft);
    return gp_sb_take(&sb);
}

static char *render_analysis(const gp_model *m, const gp_devices *d, const gp_plan *p)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "tensor\tdevice\tbytes\ttype\tlayer\trole\n");
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        int32_t dev = p->mem.placement.tensor_dev[t];
        const gp_tensor *ten = &m->tensors[t];
        gp_sb_printf(&sb, "%s\t%s\t%llu\t%s\t%d\t%s\n", ten->info->name,
                     dev >= 0 ? d->dev[dev].name : "(not loaded)",
                     (unsigned long long)ten->info->bytes, gp_type_get(ten->info->type)->name,
                     ten->layer, gp_role_name(ten->role));
    }
    return gp_sb_take(&sb);
}

/* One character per layer and device: C for the CPU, 0-9 for GPUs. */
static char dev_char(int32_t dev)
{
    if (dev < 0)
        return ' ';
    return dev == 0 ? 'C' : (char)('0' + (dev - 1) % 10);
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

static const char *map_sgr(char c)
{
    static const char *gpu[] = {"\033[32m", "\033[36m", "\033[35m", "\033[34m", "\033[31m"};
    if (c == 'C')
        return "\033[33m";
    if (c >= '0' && c <= '9')
        return gpu[(c - '0') % 5];
    return "\033[0m";
}

/* One row of the map, layers [from, to), coloured device by device. */
static void map_row(FILE *f, const char *label, const char *row, uint32_t from, uint32_t to, bool color)
{
    fprintf(f, "  %-15s ", label);
    char last = 0;
    for (uint32_t i = from; i < to; i++) {
        if (color && row[i] != last)
            fputs(map_sgr(row[i]), f);
        last = row[i];
        fputc(row[i], f);
    }
    if (color)
        fputs("\033[0m", f);
    fputc('\n', f);
}

static void print_map(FILE *f, const gp_model *m, const gp_devices *d, const gp_plan *p)
{
    uint32_t n = m->hp.n_layer;
    const gp_placement *pl = &p->mem.placement;
    char *attn = calloc(n + 1, 1), *ffn = calloc(n + 1, 1);
    if (!attn || !ffn) {
        free(attn);
        free(ffn);
        return;
    }
    for (uint32_t il = 0; il < n; il++) {
        attn[il] = dev_char(pl->kv_dev[il]);
        ffn[il] = dev_char(pl->layer_dev[il]);
    }
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const gp_tensor *ten = &m->tensors[t];
        if (ten->layer < 0 || (uint32_t)ten->layer >= n || pl->tensor_dev[t] < 0)
            continue;
        bool ffnish = gp_role_is_expert(ten->role) || ten->role == GP_ROLE_FFN_UP ||
                      ten->role == GP_ROLE_FFN_DOWN || ten->role == GP_ROLE_FFN_GATE ||
                      ten->role == GP_ROLE_FFN_GATE_UP || ten->role == GP_ROLE_SHEXP;
        if (ffnish && pl->tensor_dev[t] != pl->layer_dev[ten->layer])
            ffn[ten->layer] = dev_char(pl->tensor_dev[t]);
    }
    bool color = map_color(f);
    int width = map_width(f);
    /* Rows wider than the terminal are cut into chunks of whole tens. */
    uint32_t chunk = n ? n : 1;
    if (width > 0 && (uint32_t)width < n + 18) {
        chunk = (uint32_t)(width > 28 ? (width - 18) / 10 * 10 : 10);
        if (chunk == 0)
            chunk = 10;
    }
    /* The legend names every device a digit stands for. */
    fprintf(f, "\nplacement per layer (C = CPU");
    if (d->n < 2)
        fprintf(f, ", 0 = GPU0");
    for (uint32_t i = 1; i < d->n && i <= 10; i++)
        fprintf(f, ", %c = %s", dev_char((int32_t)i), d->dev[i].name);
    fprintf(f, "%s):\n", d->n > 11 ? ", ..." : "");
    for (uint32_t from = 0; from < n || from == 0; from += chunk) {
        uint32_t to = from + chunk < n ? from + chunk : n;
        if (chunk < n)
            fprintf(f, "  layers %u-%u\n", from, to ? to - 1 : 0);
        map_row(f, "attention + KV", attn, from, to, color);
        map_row(f, m->hp.n_expert ? "experts / FFN" : "FFN", ffn, from, to, color);
        if (to >= n)
            break;
    }
    char out[2] = {dev_char(pl->output_dev), 0};
    map_row(f, "output", out, 0, 1, color);
    free(attn);
    free(ffn);
}

/* The plan as llama-cpp-python's Llama(...) keyword arguments. Names follow
 * llama_cpp.Llama.__init__; what it cannot express is said, not dropped. */
static void print_llama_cpp_python(FILE *f, const gp_model *m, const gp_plan *p, const char *path)
{
    const gp_run_params *r = &p->params;
    const gp_ctx_shape *c = &p->mem.ctx;
    fprintf(f, "from llama_cpp import Llama\n\nllm = Llama(\n    model_path=\"");
    for (const char *s = path; *s; s++)
        fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    fprintf(f, "\",\n");
    fprintf(f, "    n_ctx=%llu,\n", (unsigned long long)c->n_ctx_req);
    fprintf(f, "    n_batch=%u,\n    n_ubatch=%u,\n", c->n_batch, c->n_ubatch);
    uint32_t ngl = p->mem.placement.n_gpu_layers;
    fprintf(f, "    n_gpu_layers=%d,\n", ngl >= m->hp.n_layer_all + 1 ? -1 : (int)ngl);
    if (r->n_tensor_split) {
        fprintf(f, "    tensor_split=[");
        for (uint32_t i = 0; i < r->n_tensor_split; i++)
            fprintf(f, "%s%g", i ? ", " : "", (double)r->tensor_split[i]);
        fprintf(f, "],\n");
    }
    fprintf(f, "    flash_attn=%s,\n", c->flash_attn ? "True" : "False");
    fprintf(f, "    type_k=%u,  # ggml type %s\n    type_v=%u,  # ggml type %s\n", r->type_k,
            gp_type_get(r->type_k)->name, r->type_v, gp_type_get(r->type_v)->name);
    fprintf(f, "    offload_kqv=%s,\n", r->no_kv_offload ? "False" : "True");
    if (p->threads)
        fprintf(f, "    n_threads=%u,\n", p->threads);
    const gp_load_extras *x = &r->extras;
    if (x->n_lora) {
        fprintf(f, "    lora_path=\"");
        for (const char *s = x->lora[0]; *s; s++)
            fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
        fprintf(f, "\",\n");
    }
    fprintf(f, ")\n");
    if (x->n_lora > 1)
        fprintf(f, "\n# Not expressible: Llama() takes one LoRA adapter (lora_path); this command loads %u.\n",
                x->n_lora);
    if (x->files && x->files->mmproj)
        fprintf(f, "\n# The projector (%s) is not a Llama() argument: llama-cpp-python loads it\n"
                   "# through the chat handler of the model's family (clip_model_path=...).\n",
                x->files->mmproj_name);
    if (x->files && x->files->draft)
        fprintf(f, "\n# Not expressible: Llama(draft_model=...) takes prompt-lookup drafting, not a\n"
                   "# draft GGUF (%s); run it with llama-server (ggplace plan --cmd).\n",
                x->files->draft_name);
    if (r->n_overrides) {
        fprintf(f, "\n# Not expressible in llama-cpp-python: its Llama() has no tensor-override\n"
                   "# parameter, and this plan needs these (-ot) to fit:\n");
        for (uint32_t i = 0; i < r->n_overrides; i++)
            fprintf(f, "#   %s=%s\n", r->overrides[i].pattern, r->overrides[i].buft);
        fprintf(f, "# Run it with llama-server instead (ggplace plan --cmd), or plan whole\n"
                   "# layers only by pinning -ngl.\n");
    }
    if (c->n_seq > 1)
        fprintf(f, "# llama-cpp-python serves one sequence; the plan's %u slots do not apply.\n", c->n_seq);
}

static void print_summary(FILE *f, const gp_model *m, const gp_devices *d, const gp_plan *p, const gp_mem *mem,
                          const char *cmd, bool verbose)
{
    fprintf(f, "model      %s (%s, %s)\n", m->path, m->arch, m->name);
    fprintf(f, "command    %s\n\n", cmd);
    int w0 = 12;
    for (uint32_t i = 0; i < d->n; i++)
        if ((int)strlen(d->dev[i].name) > w0)
            w0 = (int)strlen(d->dev[i].name);
    fprintf(f, "%-*s %11s %11s %11s %11s %11s %11s %11s\n", w0, "device", "budget", "weights", "KV/state",
            "compute", "at load", "in use", "free after");
    for (uint32_t i = 0; i < d->n; i++) {
        /* The device's whole load: the model and what else the server loads. */
        const gp_mem_device all = gp_mem_with_extras(&p->mem, i), *x = &all;
        char b[32] = "-", w[32], k[32], c[32], t[32], fr[32] = "-";
        if (p->budget[i] != UINT64_MAX)
            gp_format_bytes(p->budget[i], b, sizeof b);
        gp_format_bytes(x->model, w, sizeof w);
        gp_format_bytes(x->context, k, sizeof k);
        gp_format_bytes(x->compute, c, sizeof c);
        uint64_t total = gp_mem_device_total(x);
        char u[32];
        gp_format_bytes(total, t, sizeof t);
        gp_format_bytes(gp_mem_in_use(&p->mem, i), u, sizeof u);
        /* what the budget holds: the in-use peak (mapped file pages aside,
           the kernel reclaims them), or the load alone with --for-load */
        if (p->budget[i] != UINT64_MAX && p->budget[i] >= p->need[i])
            gp_format_bytes(p->budget[i] - p->need[i], fr, sizeof fr);
        fprintf(f, "%-*s %11s %11s %11s %11s %11s %11s %11s\n", w0, d->dev[i].name, b, w, k, c, t, u, fr);
    }
    for (uint32_t k = 0; k < p->mem.extras.n; k++) {
        const gp_extra_mem *e = &p->mem.extras.item[k];
        fprintf(f, "%s %s %s:", k ? "," : "\nincludes", gp_extra_kind_name(e->kind), e->name);
        for (uint32_t i = 0, shown = 0; i < d->n; i++) {
            uint64_t b = e->model[i] + e->context[i] + e->compute[i];
            char t[32];
            gp_format_bytes(b, t, sizeof t);
            if (b)
                fprintf(f, "%s %s on %s", shown++ ? " +" : "", t, d->dev[i].name);
        }
        if (k + 1 == p->mem.extras.n)
            fprintf(f, "\n");
    }
    if (p->mem.extras.note[0])
        fprintf(f, "note: %s\n", p->mem.extras.note);
    fputc('\n', f);
    gp_cli_print_runtime(f, mem);
    fprintf(f, "\npredicted  decode %.1f t/s, prefill %.0f t/s (speed model; see README)\n",
            p->speed.decode_tps, p->speed.prefill_tps);
    char notes[2 * GP_MAX_DEVICES][GP_SPEED_NOTE];
    uint32_t n_notes = gp_speed_assumptions(d, notes, 2 * GP_MAX_DEVICES);
    for (uint32_t i = 0; i < n_notes; i++)
        fprintf(f, "assumed    %s\n", notes[i]);
    fprintf(f, "\nwhy:\n");
    for (uint32_t i = 0; i < p->n_why; i++)
        fprintf(f, "  - %s\n", p->why[i]);
    print_map(f, m, d, p);
    for (uint32_t i = 0; i < m->n_warnings; i++)
        fprintf(f, "warning: %s\n", m->warnings[i]);
    if (verbose) {
        fprintf(f, "\nsearch: %u configurations evaluated\n", p->n_evaluated);
        for (uint64_t t = 0; t < m->n_tensors; t++) {
            int32_t dev = p->mem.placement.tensor_dev[t];
            fprintf(f, "  %-40s %-8s %llu\n", m->tensors[t].info->name,
                    dev >= 0 ? d->dev[dev].name : "-", (unsigned long long)m->tensors[t].info->bytes);
        }
    }
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
    const gp_devices *devs = gp_plan_result_devices(res);
    const gp_plan *plan = &res->plan;
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
    } else if (pc->emit) {
        print_llama_cpp_python(cli->out, m, plan, pc->path);
    } else {
        print_summary(cli->out, m, devs, plan, gp_plan_result_mem(res), cmd, pc->verbose);
    }
    if (pc->ot_file) {
        char *s = render_ot(plan);
        rc = write_or_show(cli, pc->ot_file, s ? s : "", pc->dry_run, "-ot rules");
        free(s);
    }
    if (rc == GP_EXIT_OK && pc->analysis_file) {
        char *s = render_analysis(m, devs, plan);
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
