#include "cli/options_table.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- value lists -------------------------------------------------------------- */

const char *const gp_preset_values[] = {"balanced", "high_speed", "more_context", "system_safe",
                                        "ultra_performance", "moe_optimized", NULL};
static const char *const kv_values[] = {"f16", "q8_0", "q4_0", "auto", NULL};
static const char *const fa_values[] = {"on", "off", "auto", NULL};
static const char *const app_values[] = {"server", "cli", NULL};
static const char *const ctx_values[] = {"max", NULL};
static const char *const cache_types[] = {"f16", "bf16", "f32", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1", NULL};
static const char *const ngl_values[] = {"auto", "all", NULL};
static const char *const sm_values[] = {"none", "layer", NULL};
static const char *const metric_values[] = {"decode", "prefill", "both", NULL};
static const char *const groups_values[] = {"routing", "legacy", NULL};

/* ---- groups shared by several commands ---------------------------------------------- */

static const gp_option hardware_opts[] = {
    {"--gpu", NULL, GP_ARG_STRING, "SPEC", NULL, NULL, true,
     "describe a GPU: 24GiB, \"RTX 4090\", \"RTX 4090:20GiB\", ROCm:16GiB, Vulkan:8GiB, 2x24GiB"},
    {"--ram", NULL, GP_ARG_SIZE, "SIZE", NULL, NULL, false, "the machine's RAM (replaces what is detected)"},
    {"--cpu-cores", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "physical CPU cores (replaces what is detected)"},
    {"--cpu-bandwidth", NULL, GP_ARG_NUMBER, "GB/s", NULL, NULL, false,
     "the CPU's memory read bandwidth (replaces the measured one; GGPLACE_MEMBW too)"},
    {"--rpc", NULL, GP_ARG_STRING, "HOST:PORT=SIZE", NULL, NULL, true,
     "a llama.cpp RPC server with SIZE memory, named RPC0[HOST:PORT]"},
    {"--hw", NULL, GP_ARG_FILE, "FILE", NULL, "*.json", false,
     "the machine from `ggplace devices --json` output (nothing is detected)"},
    {"--no-detect", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "ignore this machine's devices"},
};
static const gp_option_group hardware = {"Hardware", hardware_opts, N(hardware_opts)};

static const gp_option workload_opts[] = {
    {"--ctx", NULL, GP_ARG_NUMBER, "N|max", ctx_values, NULL, false,
     "context (default: the preset's; max = the largest that fits)"},
    {"--ctx-per-slot", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "context each slot gets (-c = N x slots)"},
    {"--parallel", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "slots (default 1)"},
    {"--kv", NULL, GP_ARG_CHOICE, "TYPE", kv_values, NULL, false, "KV cache type (default auto: the preset's choice)"},
    {"--fa", NULL, GP_ARG_CHOICE, "MODE", fa_values, NULL, false, "flash attention (default on)"},
    {"--app", NULL, GP_ARG_CHOICE, "APP", app_values, NULL, false, "llama-server (default) or llama-cli/llama-bench"},
    {"--preset", NULL, GP_ARG_CHOICE, "NAME", gp_preset_values, NULL, false, "what to optimise (default balanced)"},
};
static const gp_option_group workload = {"Workload", workload_opts, N(workload_opts)};

static const gp_option safety_opts[] = {
    {"--margin", NULL, GP_ARG_SIZE, "SIZE", NULL, NULL, false, "memory kept free on each GPU (default 1GiB; preset)"},
    {"--ram-margin", NULL, GP_ARG_SIZE, "SIZE", NULL, NULL, false, "memory kept free in RAM (default 2GiB; preset)"},
    {"--for-load", NULL, GP_ARG_NONE, NULL, NULL, NULL, false,
     "budget RAM for the load alone, not what the server grows into (it may be killed later)"},
    {"--target-vram-usage", NULL, GP_ARG_FRACTION, "F", NULL, NULL, false,
     "use at most this fraction of each GPU (e.g. 0.8)"},
};
static const gp_option_group safety = {"Safety", safety_opts, N(safety_opts)};

static const char *const emit_values[] = {"llama-cpp-python", NULL};

static const gp_option plan_output_opts[] = {
    {"--args", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "the flags only, one line"},
    {"--cmd", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "the full llama-server command, shell-quoted"},
    {"--emit", NULL, GP_ARG_CHOICE, "FORMAT", emit_values, NULL, false,
     "another front end's spelling: llama-cpp-python's Llama(...) arguments"},
    {"--json", NULL, GP_ARG_NONE, NULL, NULL, NULL, false,
     "the plan as JSON: args, cmd, devices, tensors, layers, predicted speed, alternatives"},
    {"--ot-file", NULL, GP_ARG_FILE, "FILE", NULL, NULL, false, "write the -ot rules, one PATTERN=BUFFER per line"},
    {"--analysis-file", NULL, GP_ARG_FILE, "FILE", NULL, NULL, false,
     "write every tensor with its device and bytes (TSV)"},
    {"--report", NULL, GP_ARG_FILE, "FILE", NULL, "*.html", false, "write the plan as a self-contained HTML page"},
    {"--dry-run", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "print what the files would contain, write nothing"},
    {"--verbose", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "also show every tensor's device and the search size"},
    {"--config", NULL, GP_ARG_FILE, "FILE", NULL, "*.json", false,
     "read options from a JSON object (keys as the long options without dashes)"},
};
static const gp_option_group plan_output = {"Output", plan_output_opts, N(plan_output_opts)};

static const gp_option json_only_opts[] = {
    {"--json", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "machine-readable output"},
};
static const gp_option_group json_only = {"Output", json_only_opts, N(json_only_opts)};

/* ---- one command each -------------------------------------------------------------- */

static const gp_option inspect_opts[] = {
    {"--json", NULL, GP_ARG_NONE, NULL, NULL, NULL, false,
     "machine-readable output (integers exact; per-layer arrays where values vary)"},
    {"--tensors", NULL, GP_ARG_NONE, NULL, NULL, NULL, false,
     "list every tensor: name, type, shape, bytes, offset, layer, role"},
};
static const gp_option_group inspect = {"Options", inspect_opts, N(inspect_opts)};

static const gp_option model_source_opts[] = {
    {"--hf-repo", "-hf", GP_ARG_STRING, "OWNER/REPO[:QUANT]", NULL, NULL, false,
     "the Hugging Face file llama-server -hf would load (header read over HTTP ranges)"},
    {"--hf-file", "-hff", GP_ARG_STRING, "FILE", NULL, NULL, false, "that file of the -hf repository"},
    {"--model-url", "-mu", GP_ARG_STRING, "URL", NULL, NULL, false, "a GGUF by URL (MODEL may also be a URL)"},
    {"--hf-token", "-hft", GP_ARG_STRING, "TOKEN", NULL, NULL, false,
     "token for gated repositories (default: $HF_TOKEN, else ~/.cache/huggingface/token)"},
    {"--offline", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "only headers cached by an earlier run"},
};
static const gp_option_group model_source = {"Model by URL or from Hugging Face", model_source_opts,
                                             N(model_source_opts)};

static const gp_option mem_flags_opts[] = {
    {"--ctx-size", "-c", GP_ARG_NUMBER, "N", NULL, NULL, false, "context (default: the model's training context)"},
    {"--batch-size", "-b", GP_ARG_NUMBER, "N", NULL, NULL, false, "logical batch (default 2048)"},
    {"--ubatch-size", "-ub", GP_ARG_NUMBER, "N", NULL, NULL, false, "physical batch (default 512)"},
    {"--parallel", "-np", GP_ARG_NUMBER, "N", NULL, NULL, false, "slots (default auto: 4, unified cache)"},
    {"-kvu", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "unified KV cache across slots"},
    {"-no-kvu", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "one KV cache per slot"},
    {"--flash-attn", "-fa", GP_ARG_CHOICE, "MODE", fa_values, NULL, false, "flash attention"},
    {"-ctk", NULL, GP_ARG_CHOICE, "TYPE", cache_types, NULL, false, "K cache type"},
    {"-ctv", NULL, GP_ARG_CHOICE, "TYPE", cache_types, NULL, false, "V cache type"},
    {"--swa-full", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "full-size cache for sliding-window layers"},
    {"-ngl", NULL, GP_ARG_NUMBER, "N|auto|all", ngl_values, NULL, false,
     "layers on GPUs; the output layer counts as one"},
    {"-ts", NULL, GP_ARG_STRING, "A,B,...", NULL, NULL, false, "split of layers between GPUs"},
    {"-sm", NULL, GP_ARG_CHOICE, "MODE", sm_values, NULL, false, "none: one GPU only; layer: split by layers"},
    {"-mg", NULL, GP_ARG_NUMBER, "I", NULL, NULL, false, "the GPU used with -sm none"},
    {"-ot", NULL, GP_ARG_STRING, "REGEX=BUFFER,...", NULL, NULL, true, "tensor overrides (first match wins)"},
    {"--cpu-moe", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "every layer's experts on the CPU"},
    {"--n-cpu-moe", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "experts of the first N layers on the CPU"},
    {"--n-cpu-ffn", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "dense FFN weights of the first N layers on the CPU"},
    {"--no-kv-offload", "-nkvo", GP_ARG_NONE, NULL, NULL, NULL, false, "KV cache on the CPU"},
};
static const gp_option_group mem_flags = {"Flags that change memory", mem_flags_opts, N(mem_flags_opts)};

static const char *const spec_values[] = {"draft-simple", "draft-mtp", "draft-eagle3", "ngram-mod", "ngram-simple",
                                          "ngram-cache", NULL};
static const gp_option mem_extras_opts[] = {
    {"--mmproj", "-mm", GP_ARG_FILE, "FILE", NULL, "*.gguf", false,
     "a vision/audio projector (--no-mmproj-offload, -mmdev DEV)"},
    {"-mmu", NULL, GP_ARG_STRING, "URL", NULL, NULL, false, "a projector by URL"},
    {"-md", NULL, GP_ARG_FILE, "FILE", NULL, "*.gguf", false,
     "a draft model, with --spec-type draft-simple (-ngld, -devd, -ctkd/-ctvd, -otd, --spec-draft-n-max)"},
    {"-hfd", NULL, GP_ARG_STRING, "REPO", NULL, NULL, false, "a draft model from Hugging Face"},
    {"--spec-type", NULL, GP_ARG_CHOICE, "TYPES", spec_values, NULL, true,
     "speculative decoding (draft-mtp uses the model's NextN layers; every type widens the logits reservation)"},
    {"--lora", NULL, GP_ARG_FILE, "FILE[,FILE]", NULL, "*.gguf", true, "LoRA adapters, next to the tensors they adapt"},
};
static const gp_option_group mem_extras = {"What else llama-server loads", mem_extras_opts, N(mem_extras_opts)};

static const gp_option mem_output_opts[] = {
    {"--app", NULL, GP_ARG_CHOICE, "APP", app_values, NULL, false,
     "llama-server (default) or llama-cli/llama-bench (their larger output reservation)"},
    {"--json", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "per-device bytes as JSON"},
};
static const gp_option_group mem_output = {"Output", mem_output_opts, N(mem_output_opts)};

static const gp_option verify_opts[] = {
    {"--llama-dir", NULL, GP_ARG_DIR, "DIR", NULL, NULL, false,
     "where llama-server is (else $GGPLACE_LLAMA_DIR, else PATH)"},
    {"--runs", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "timed requests (default 3; medians are reported)"},
    {"--prompt-tokens", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "prompt length in tokens (default 512)"},
    {"--predict", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "tokens generated per request (default 64)"},
    {"--soak", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false,
     "up to N requests filling slots, checkpoints and the prompt cache; peak resident memory vs in use"},
    {"--soak-seconds", NULL, GP_ARG_NUMBER, "S", NULL, NULL, false, "the soak's time bound (default 600)"},
    {"--strict", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "exit 1 when a device uses more than predicted"},
    {"--json", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "predicted and measured memory and speed as JSON"},
};
static const gp_option_group verify = {"Options", verify_opts, N(verify_opts)};

static const gp_option tune_opts[] = {
    {"--budget", NULL, GP_ARG_STRING, "TIME", NULL, NULL, false, "wall time for the search: 300, 300s, 5m (default 10m)"},
    {"--metric", NULL, GP_ARG_CHOICE, "M", metric_values, NULL, false, "decode (default), prefill or both"},
    {"--baseline", NULL, GP_ARG_STRING, "\"FLAGS\"", NULL, NULL, false,
     "your current llama-server flags (or a whole llama-swap cmd), measured for comparison"},
    {"--llama-dir", NULL, GP_ARG_DIR, "DIR", NULL, NULL, false,
     "where llama-bench is (else $GGPLACE_LLAMA_DIR, else PATH)"},
    {"--prompt-tokens", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "prompt length of each measurement (default 512)"},
    {"--gen-tokens", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "tokens generated by each measurement (default 64)"},
    {"--fresh", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "measure again instead of using cached results"},
    {"--json", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "baseline, best and every point measured as JSON"},
};
static const gp_option_group tune = {"Options", tune_opts, N(tune_opts)};

static const gp_option swap_rewrite_opts[] = {
    {"--model", NULL, GP_ARG_STRING, "ID", NULL, NULL, true, "re-plan only this model"},
    {"--output", "-o", GP_ARG_FILE, "FILE", NULL, "*.yaml", false,
     "write there and leave CONFIG untouched (--generate: default standard output)"},
    {"--dry-run", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "print a unified diff, write nothing"},
    {"--no-backup", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "do not keep CONFIG.YYYYmmdd-HHMMSS.bak"},
};
static const gp_option_group swap_rewrite = {"Rewrite", swap_rewrite_opts, N(swap_rewrite_opts)};

static const gp_option swap_generate_opts[] = {
    {"--generate", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "the arguments are GGUF files: write a new config"},
    {"--matrix", NULL, GP_ARG_NONE, NULL, NULL, NULL, false,
     "routing.router.settings.matrix: the maximal sets of models that fit together (default)"},
    {"--groups", NULL, GP_ARG_CHOICE, "KIND", groups_values, NULL, false,
     "groups of models that fit together instead (routing or legacy)"},
    {"--server", NULL, GP_ARG_FILE, "PATH", NULL, NULL, false, "the llama-server binary (default llama-server)"},
};
static const gp_option_group swap_generate = {"Generate", swap_generate_opts, N(swap_generate_opts)};

static const gp_option swap_planning_opts[] = {
    {"--preset", NULL, GP_ARG_CHOICE, "NAME", gp_preset_values, NULL, false, "what to optimise (default balanced)"},
    {"--ctx", NULL, GP_ARG_NUMBER, "N|max", ctx_values, NULL, false, "context (default: the preset's)"},
    {"--parallel", NULL, GP_ARG_NUMBER, "N", NULL, NULL, false, "slots (default 1)"},
    {"--margin", NULL, GP_ARG_SIZE, "SIZE", NULL, NULL, false, "memory kept free on each GPU (default: preset)"},
    {"--ram-margin", NULL, GP_ARG_SIZE, "SIZE", NULL, NULL, false, "memory kept free in RAM (default: preset)"},
};
static const gp_option_group swap_planning = {"Planning (every model)", swap_planning_opts, N(swap_planning_opts)};

static const gp_option report_opts[] = {
    {"--output", "-o", GP_ARG_FILE, "FILE", NULL, "*.html", false,
     "write the page to FILE, atomically (default: standard output)"},
    {"--dry-run", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "say what would be written, write nothing"},
};
static const gp_option_group report = {"Options", report_opts, N(report_opts)};

static const gp_option global_opts[] = {
    {"--help", "-h", GP_ARG_NONE, NULL, NULL, NULL, false, "show help (of a command, after its name)"},
    {"--version", NULL, GP_ARG_NONE, NULL, NULL, NULL, false, "print the version"},
};
const gp_option_group gp_global_options = {"Options", global_opts, N(global_opts)};

/* ---- the commands --------------------------------------------------------------- */

static const gp_option_group *const inspect_groups[] = {&inspect, &model_source, NULL};
static const gp_option_group *const devices_groups[] = {&hardware, &json_only, NULL};
static const gp_option_group *const mem_groups[] = {&mem_flags, &mem_extras, &hardware, &mem_output, &model_source,
                                                     NULL};
static const gp_option_group *const plan_groups[] = {&workload, &safety, &hardware, &plan_output, &model_source, NULL};
static const gp_option_group *const verify_groups[] = {&verify, NULL};
static const gp_option_group *const tune_groups[] = {&tune, NULL};
static const gp_option_group *const sparse_groups[] = {NULL};
static const gp_option_group *const swap_groups[] = {&swap_rewrite, &swap_generate, &swap_planning, &hardware, NULL};
static const gp_option_group *const report_groups[] = {&report, NULL};
static const gp_option_group *const help_groups[] = {NULL};

const gp_command_doc gp_command_docs[] = {
    {"inspect", "MODEL [--json] [--tensors]", "show what a GGUF model contains, from its header alone", "*.gguf",
     inspect_groups, NULL,
     "Shows what a GGUF model contains, read from its header alone (the weights are never read; a "
     "header-only file works): architecture, quantization mix, parameters, layers, experts, attention kind "
     "per layer, KV bytes per token. For a split model, name any shard and every shard is read."},
    {"devices", "[--json] [HARDWARE OPTIONS]", "show the devices llama.cpp will see, or describe another machine",
     NULL, devices_groups, NULL,
     "Shows the devices llama.cpp will see, under the names it uses (CPU, CUDA0, ROCm0, Vulkan0, "
     "RPC0[host:port]), with memory, bandwidth and PCIe link; other machines can be described with the "
     "hardware options or loaded from saved --json output with --hw."},
    {"mem", "MODEL [LLAMA.CPP FLAGS] [HARDWARE OPTIONS] [--app server|cli] [--json]",
     "predict what a llama.cpp command allocates on each device", "*.gguf", mem_groups, NULL,
     "Predicts what this exact llama.cpp command allocates on each device: weights, KV cache or recurrent "
     "state, and compute buffer. Any llama-server command line can be pasted; flags that do not change "
     "memory are accepted and ignored, flags llama-server does not know are an error."},
    {"plan", "MODEL [OPTIONS] [HARDWARE OPTIONS] [LLAMA.CPP FLAGS TO KEEP]",
     "choose the fastest llama-server settings that fit", "*.gguf", plan_groups, NULL,
     "Chooses the llama-server settings that fit this hardware and run fastest: context, KV cache type, "
     "flash attention, batch sizes, slots and where every tensor goes (-ngl, -ts, -ot), proven to fit by "
     "the memory model applied to exactly the flags it prints. Flags given (-c, -ngl, -ts, -ot, -ctk, "
     "-np, -ub, ...) are kept and the rest is planned around them."},
    {"verify", "MODEL [PLAN OPTIONS] [LLAMA.CPP FLAGS] [OPTIONS]",
     "run the plan in llama-server: real memory and speed next to the prediction", "*.gguf", verify_groups,
     "plan",
     "Plans MODEL (or takes the llama-server flags given), starts llama-server with exactly those flags on "
     "a free port of 127.0.0.1, sends fixed prompts of known length, stops it, and shows what llama.cpp "
     "allocated on each device and how fast it ran, next to the prediction."},
    {"tune", "MODEL [PLAN OPTIONS] [OPTIONS]",
     "search the fastest settings with real llama-bench runs and calibrate the speed model", "*.gguf",
     tune_groups, "plan",
     "Starts from the plan and searches around it with real llama-bench runs, only at points the memory "
     "model says fit; reports the fastest settings next to llama.cpp's defaults, caches every measurement "
     "and calibrates the speed model for later plans."},
    {"sparse", "HEADER.gguf OUT.gguf",
     "write a runnable stand-in of a model: its header and a sparse zero data section", "*.gguf",
     sparse_groups, NULL,
     "Writes the header of a GGUF followed by a sparse, zero-filled data section of the right size, so "
     "llama.cpp can load, verify and benchmark a model's exact shape without its weights."},
    {"swap", "CONFIG.yaml [OPTIONS] [HARDWARE OPTIONS] | --generate MODEL.gguf... [OPTIONS]",
     "re-plan a llama-swap config in place, or write one with models that fit together", "*.yaml *.yml *.gguf",
     swap_groups, NULL,
     "Re-plans every llama-server model of a llama-swap config for this hardware, replacing only the flags "
     "ggplace owns and keeping every other byte of the file; with --generate, writes a new config for the "
     "given GGUF files with the models that can run together."},
    {"report", "PLAN.json [-o FILE.html] [--dry-run]", "draw a saved plan (--json) as a self-contained HTML page",
     "*.json", report_groups, NULL,
     "Draws a plan saved with ggplace plan --json as one HTML page that opens from disk and loads nothing: "
     "memory per device, which device holds each layer's tensors, memory against context for each KV cache "
     "type, the alternatives weighed and the command. PLAN.json may be - (standard input)."},
    {"help", "[COMMAND]", "show help for a command (ggplace help CMD)", NULL, help_groups, NULL,
     "Shows the help of one command, or the list of commands."},
};
const size_t gp_n_command_docs = N(gp_command_docs);

const gp_command_doc *gp_command_doc_find(const char *name)
{
    for (size_t i = 0; i < gp_n_command_docs; i++)
        if (strcmp(gp_command_docs[i].name, name) == 0)
            return &gp_command_docs[i];
    return NULL;
}
