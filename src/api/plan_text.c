/* The public API's texts of a plan (include/ggplace.h): the summary `plan`
 * prints with its per-layer map, the plan as llama-cpp-python's arguments,
 * the -ot rules and every tensor's device. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "util/units.h"

/* One character per layer and device: C for the CPU, 0-9 for GPUs. */
static char dev_char(int32_t dev)
{
    if (dev < 0)
        return ' ';
    return dev == 0 ? 'C' : (char)('0' + (dev - 1) % 10);
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
static void map_row(gp_strbuf *sb, const char *label, const char *row, uint32_t from, uint32_t to, bool color)
{
    gp_sb_printf(sb, "  %-15s ", label);
    char last = 0;
    for (uint32_t i = from; i < to; i++) {
        if (color && row[i] != last)
            gp_sb_append(sb, map_sgr(row[i]));
        last = row[i];
        gp_sb_appendn(sb, &row[i], 1);
    }
    if (color)
        gp_sb_append(sb, "\033[0m");
    gp_sb_append(sb, "\n");
}

static void layer_map(gp_strbuf *sb, const gp_model *m, const gp_devices *d, const gp_plan *p, bool color,
                      int width)
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
    /* Rows wider than the terminal are cut into chunks of whole tens. */
    uint32_t chunk = n ? n : 1;
    if (width > 0 && (uint32_t)width < n + 18) {
        chunk = (uint32_t)(width > 28 ? (width - 18) / 10 * 10 : 10);
        if (chunk == 0)
            chunk = 10;
    }
    /* The legend names every device a digit stands for. */
    gp_sb_append(sb, "\nplacement per layer (C = CPU");
    if (d->n < 2)
        gp_sb_append(sb, ", 0 = GPU0");
    for (uint32_t i = 1; i < d->n && i <= 10; i++)
        gp_sb_printf(sb, ", %c = %s", dev_char((int32_t)i), d->dev[i].name);
    gp_sb_printf(sb, "%s):\n", d->n > 11 ? ", ..." : "");
    for (uint32_t from = 0; from < n || from == 0; from += chunk) {
        uint32_t to = from + chunk < n ? from + chunk : n;
        if (chunk < n)
            gp_sb_printf(sb, "  layers %u-%u\n", from, to ? to - 1 : 0);
        map_row(sb, "attention + KV", attn, from, to, color);
        map_row(sb, m->hp.n_expert ? "experts / FFN" : "FFN", ffn, from, to, color);
        if (to >= n)
            break;
    }
    char out[2] = {dev_char(pl->output_dev), 0};
    map_row(sb, "output", out, 0, 1, color);
    free(attn);
    free(ffn);
}

static void summary(gp_strbuf *sb, const gp_plan_result *res, const gp_model *m, const char *cmd, bool verbose,
                    bool color, int width)
{
    const gp_devices *d = &res->devs;
    const gp_plan *p = &res->plan;
    gp_sb_printf(sb, "model      %s (%s, %s)\n", m->path, m->arch, m->name);
    gp_sb_printf(sb, "command    %s\n\n", cmd);
    int w0 = 12;
    for (uint32_t i = 0; i < d->n; i++)
        if ((int)strlen(d->dev[i].name) > w0)
            w0 = (int)strlen(d->dev[i].name);
    gp_sb_printf(sb, "%-*s %11s %11s %11s %11s %11s %11s %11s\n", w0, "device", "budget", "weights", "KV/state",
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
        gp_sb_printf(sb, "%-*s %11s %11s %11s %11s %11s %11s %11s\n", w0, d->dev[i].name, b, w, k, c, t, u, fr);
    }
    for (uint32_t k = 0; k < p->mem.extras.n; k++) {
        const gp_extra_mem *e = &p->mem.extras.item[k];
        gp_sb_printf(sb, "%s %s %s:", k ? "," : "\nincludes", gp_extra_kind_name(e->kind), e->name);
        for (uint32_t i = 0, shown = 0; i < d->n; i++) {
            uint64_t b = e->model[i] + e->context[i] + e->compute[i];
            char t[32];
            gp_format_bytes(b, t, sizeof t);
            if (b)
                gp_sb_printf(sb, "%s %s on %s", shown++ ? " +" : "", t, d->dev[i].name);
        }
        if (k + 1 == p->mem.extras.n)
            gp_sb_append(sb, "\n");
    }
    if (p->mem.extras.note[0])
        gp_sb_printf(sb, "note: %s\n", p->mem.extras.note);
    gp_sb_append(sb, "\n");
    gp_api_mem_runtime_lines(sb, &res->mem);
    gp_sb_printf(sb, "\npredicted  decode %.1f t/s, prefill %.0f t/s (speed model; see README)\n",
                 p->speed.decode_tps, p->speed.prefill_tps);
    for (uint32_t i = 0; i < res->mem.n_notes; i++)
        gp_sb_printf(sb, "assumed    %s\n", res->mem.notes[i]);
    gp_sb_append(sb, "\nwhy:\n");
    for (uint32_t i = 0; i < p->n_why; i++)
        gp_sb_printf(sb, "  - %s\n", p->why[i]);
    layer_map(sb, m, d, p, color, width);
    for (uint32_t i = 0; i < m->n_warnings; i++)
        gp_sb_printf(sb, "warning: %s\n", m->warnings[i]);
    if (verbose) {
        gp_sb_printf(sb, "\nsearch: %u configurations evaluated\n", p->n_evaluated);
        for (uint64_t t = 0; t < m->n_tensors; t++) {
            int32_t dev = p->mem.placement.tensor_dev[t];
            gp_sb_printf(sb, "  %-40s %-8s %llu\n", m->tensors[t].info->name, dev >= 0 ? d->dev[dev].name : "-",
                         (unsigned long long)m->tensors[t].info->bytes);
        }
    }
}

/* s as a Python string's contents: quotes and backslashes escaped. */
static void py_string(gp_strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            gp_sb_append(sb, "\\");
        gp_sb_appendn(sb, s, 1);
    }
}

/* The plan as llama-cpp-python's Llama(...) keyword arguments. Names follow
 * llama_cpp.Llama.__init__; what it cannot express is said, not dropped. */
static void llama_cpp_python(gp_strbuf *sb, const gp_model *m, const gp_plan *p, const char *path)
{
    const gp_run_params *r = &p->params;
    const gp_ctx_shape *c = &p->mem.ctx;
    gp_sb_append(sb, "from llama_cpp import Llama\n\nllm = Llama(\n    model_path=\"");
    py_string(sb, path);
    gp_sb_append(sb, "\",\n");
    gp_sb_printf(sb, "    n_ctx=%llu,\n", (unsigned long long)c->n_ctx_req);
    gp_sb_printf(sb, "    n_batch=%u,\n    n_ubatch=%u,\n", c->n_batch, c->n_ubatch);
    uint32_t ngl = p->mem.placement.n_gpu_layers;
    gp_sb_printf(sb, "    n_gpu_layers=%d,\n", ngl >= m->hp.n_layer_all + 1 ? -1 : (int)ngl);
    if (r->n_tensor_split) {
        gp_sb_append(sb, "    tensor_split=[");
        for (uint32_t i = 0; i < r->n_tensor_split; i++)
            gp_sb_printf(sb, "%s%g", i ? ", " : "", (double)r->tensor_split[i]);
        gp_sb_append(sb, "],\n");
    }
    gp_sb_printf(sb, "    flash_attn=%s,\n", c->flash_attn ? "True" : "False");
    gp_sb_printf(sb, "    type_k=%u,  # ggml type %s\n    type_v=%u,  # ggml type %s\n", r->type_k,
                 gp_type_get(r->type_k)->name, r->type_v, gp_type_get(r->type_v)->name);
    gp_sb_printf(sb, "    offload_kqv=%s,\n", r->no_kv_offload ? "False" : "True");
    if (p->threads)
        gp_sb_printf(sb, "    n_threads=%u,\n", p->threads);
    const gp_load_extras *x = &r->extras;
    if (x->n_lora) {
        gp_sb_append(sb, "    lora_path=\"");
        py_string(sb, x->lora[0]);
        gp_sb_append(sb, "\",\n");
    }
    gp_sb_append(sb, ")\n");
    if (x->n_lora > 1)
        gp_sb_printf(sb, "\n# Not expressible: Llama() takes one LoRA adapter (lora_path); this command loads %u.\n",
                     x->n_lora);
    if (x->files && x->files->mmproj)
        gp_sb_printf(sb, "\n# The projector (%s) is not a Llama() argument: llama-cpp-python loads it\n"
                         "# through the chat handler of the model's family (clip_model_path=...).\n",
                     x->files->mmproj_name);
    if (x->files && x->files->draft)
        gp_sb_printf(sb, "\n# Not expressible: Llama(draft_model=...) takes prompt-lookup drafting, not a\n"
                         "# draft GGUF (%s); run it with llama-server (ggplace plan --cmd).\n",
                     x->files->draft_name);
    if (r->n_overrides) {
        gp_sb_append(sb, "\n# Not expressible in llama-cpp-python: its Llama() has no tensor-override\n"
                         "# parameter, and this plan needs these (-ot) to fit:\n");
        for (uint32_t i = 0; i < r->n_overrides; i++)
            gp_sb_printf(sb, "#   %s=%s\n", r->overrides[i].pattern, r->overrides[i].buft);
        gp_sb_append(sb, "# Run it with llama-server instead (ggplace plan --cmd), or plan whole\n"
                         "# layers only by pinning -ngl.\n");
    }
    if (c->n_seq > 1)
        gp_sb_printf(sb, "# llama-cpp-python serves one sequence; the plan's %u slots do not apply.\n", c->n_seq);
}

static void overrides(gp_strbuf *sb, const gp_plan *p)
{
    for (uint32_t i = 0; i < p->params.n_overrides; i++)
        gp_sb_printf(sb, "%s=%s\n", p->params.overrides[i].pattern, p->params.overrides[i].buft);
}

static void tensors_tsv(gp_strbuf *sb, const gp_model *m, const gp_devices *d, const gp_plan *p)
{
    gp_sb_append(sb, "tensor\tdevice\tbytes\ttype\tlayer\trole\n");
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        int32_t dev = p->mem.placement.tensor_dev[t];
        const gp_tensor *ten = &m->tensors[t];
        gp_sb_printf(sb, "%s\t%s\t%llu\t%s\t%d\t%s\n", ten->info->name, dev >= 0 ? d->dev[dev].name : "(not loaded)",
                     (unsigned long long)ten->info->bytes, gp_type_get(ten->info->type)->name, ten->layer,
                     gp_role_name(ten->role));
    }
}

gp_status gp_plan_summary(const gp_plan_result *plan, const gp_model *model, const char *cmd, bool verbose,
                          bool color, int width, char **out, gp_error *err)
{
    gp_status st = gp_api_text_begin(out, plan && model ? plan : NULL, "plan or no model", err);
    if (st != GP_OK)
        return st;
    gp_strbuf sb = {0};
    summary(&sb, plan, model, cmd ? cmd : "", verbose, color, width);
    return gp_api_text_take(&sb, out, err);
}

gp_status gp_plan_llama_cpp_python(const gp_plan_result *plan, const gp_model *model, const char *model_path,
                                   char **out, gp_error *err)
{
    gp_status st = gp_api_text_begin(out, plan && model ? plan : NULL, "plan or no model", err);
    if (st != GP_OK)
        return st;
    gp_strbuf sb = {0};
    llama_cpp_python(&sb, model, &plan->plan, model_path ? model_path : model->path);
    return gp_api_text_take(&sb, out, err);
}

gp_status gp_plan_overrides_text(const gp_plan_result *plan, char **out, gp_error *err)
{
    gp_status st = gp_api_text_begin(out, plan, "plan", err);
    if (st != GP_OK)
        return st;
    gp_strbuf sb = {0};
    overrides(&sb, &plan->plan);
    return gp_api_text_take(&sb, out, err);
}

gp_status gp_plan_tensors_tsv(const gp_plan_result *plan, const gp_model *model, char **out, gp_error *err)
{
    gp_status st = gp_api_text_begin(out, plan && model ? plan : NULL, "plan or no model", err);
    if (st != GP_OK)
        return st;
    gp_strbuf sb = {0};
    tensors_tsv(&sb, model, &plan->devs, &plan->plan);
    return gp_api_text_take(&sb, out, err);
}
