/*
 * ggplace: what llama.cpp will allocate for a GGUF model, and where.
 *
 * Public API of libggplace. Every function returns a gp_status; on failure
 * the optional gp_error is filled with the file concerned and a one-line
 * reason. The library never prints and never exits.
 *
 * Ownership: objects returned through an out-pointer belong to the caller
 * and are released with the matching *_close(), which also clears the
 * caller's pointer. Strings returned by accessors are owned by the object
 * they came from and live as long as it does. Every handle is opaque.
 *
 * Planning a model: open it (gp_model_open), describe or detect the
 * machine (gp_devices), optionally give the llama.cpp flags to keep
 * (gp_command), then ask for the memory of that command (gp_mem_estimate_cmd)
 * or for the fastest flags that fit (gp_plan_create). examples/plan.c does
 * the latter in about 80 lines.
 */
#ifndef GGPLACE_H
#define GGPLACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GP_API __attribute__((visibility("default")))
#else
#define GP_API
#endif

/* Status codes. Values are stable and never reused. */
typedef enum gp_status {
    GP_OK = 0,
    GP_ERR_IO = 1,          /* a file could not be opened or read */
    GP_ERR_FORMAT = 2,      /* the bytes are not a valid GGUF */
    GP_ERR_TRUNCATED = 3,   /* the file ends before its header does */
    GP_ERR_UNSUPPORTED = 4, /* valid but unknown: version, tensor type */
    GP_ERR_NOMEM = 5,       /* an allocation failed */
    GP_ERR_ARG = 6,         /* a caller's argument is invalid */
    GP_ERR_MISSING = 7,     /* a required key or tensor is absent */
    GP_ERR_CONFIG = 8,      /* a combination llama.cpp would refuse */
} gp_status;

#define GP_ERROR_TEXT 512

/* What went wrong, for one line of output: "FILE: MESSAGE". */
typedef struct gp_error {
    gp_status status;
    char file[GP_ERROR_TEXT];
    char message[GP_ERROR_TEXT];
} gp_error;

/* A short, static description of a status code. */
GP_API const char *gp_strerror(gp_status status);

/* The library version, "X.Y.Z". */
GP_API const char *gp_version(void);

/* ---- GGUF files ---------------------------------------------------------- */

typedef struct gp_gguf gp_gguf;

/* Opens and validates a GGUF header (versions 2 and 3). Only the header and
 * tensor infos are read; a file without its data section is accepted. */
GP_API gp_status gp_gguf_open(const char *path, gp_gguf **out, gp_error *err);

/* The same over bytes in memory; `label` names them in errors. The bytes are
 * copied, so the caller may free them afterwards. */
GP_API gp_status gp_gguf_open_memory(const void *data, size_t size,
                                     const char *label, gp_gguf **out,
                                     gp_error *err);

GP_API void gp_gguf_close(gp_gguf **gguf);

GP_API uint32_t gp_gguf_version(const gp_gguf *gguf);
GP_API uint64_t gp_gguf_tensor_count(const gp_gguf *gguf);
GP_API uint64_t gp_gguf_kv_count(const gp_gguf *gguf);
/* True when the file holds the whole data section, false for a header only. */
GP_API bool gp_gguf_data_present(const gp_gguf *gguf);

/* ---- Models: one GGUF, or every shard of a split one ---------------------- */

typedef struct gp_model gp_model;

/* Opens a model file. A shard name like NAME-00001-of-00003.gguf opens every
 * shard and presents them as one model. An http(s):// URL reads the header
 * (of every shard) over HTTP ranges, through the header cache. */
GP_API gp_status gp_model_open(const char *path, gp_model **out, gp_error *err);
GP_API void gp_model_close(gp_model **model);

GP_API const char *gp_model_architecture(const gp_model *model);
GP_API uint64_t gp_model_tensor_bytes(const gp_model *model);
GP_API uint64_t gp_model_n_params(const gp_model *model);

/* The model as `ggplace inspect --json` prints it; with_tensors adds every
 * tensor. Returns a NUL-terminated string the caller frees with free(). */
GP_API gp_status gp_model_inspect_json(const gp_model *model, bool with_tensors,
                                       char **out, gp_error *err);
/* Writes the model's header followed by a sparse, zero-filled data section
 * of the right size to `path`, so llama.cpp can load, verify and benchmark
 * its exact shape without its weights (`ggplace sparse`). */
GP_API gp_status gp_model_write_sparse(const gp_model *model, const char *path, gp_error *err);

/* The path or URL the model was opened from (the first shard's). */
GP_API const char *gp_model_path(const gp_model *model);
/* True when llama.cpp knows the architecture (ggplace's table has it). */
GP_API bool gp_model_architecture_known(const gp_model *model);
/* general.name; "" when absent. */
GP_API const char *gp_model_name(const gp_model *model);
/* general.file_type by llama.cpp's name ("Q4_K_M"); NULL when absent or
 * unknown. */
GP_API const char *gp_model_file_type(const gp_model *model);
GP_API uint64_t gp_model_tensor_count(const gp_model *model);
GP_API uint32_t gp_model_shard_count(const gp_model *model);
/* True when every shard holds its data section, false for headers only. */
GP_API bool gp_model_data_present(const gp_model *model);
/* What the header left unclear or ggplace assumed, one sentence each. */
GP_API uint32_t gp_model_warning_count(const gp_model *model);
GP_API const char *gp_model_warning_text(const gp_model *model, uint32_t i);

/* Hyper-parameters, as llama.cpp reads them (layer 0's where they vary by
 * layer). Values are stable and never reused. */
typedef enum gp_hparam {
    GP_HP_N_LAYER = 0,      /* blocks, NextN layers included */
    GP_HP_N_NEXTN = 1,      /* multi-token-prediction layers, not loaded by default */
    GP_HP_N_EMBD = 2,
    GP_HP_N_HEAD = 3,
    GP_HP_N_HEAD_KV = 4,
    GP_HP_HEAD_DIM_K = 5,   /* per head, as the KV cache stores it */
    GP_HP_HEAD_DIM_V = 6,
    GP_HP_N_SWA = 7,        /* the sliding window in tokens; 0: none */
    GP_HP_SWA_CHUNKED = 8,  /* 1 when the window is llama4-style chunks */
    GP_HP_N_FF = 9,
    GP_HP_N_EXPERT = 10,    /* routed experts; 0: a dense model */
    GP_HP_N_EXPERT_USED = 11,
    GP_HP_N_EXPERT_SHARED = 12,
    GP_HP_N_FF_EXP = 13,
    GP_HP_N_VOCAB = 14,
    GP_HP_N_CTX_TRAIN = 15,
} gp_hparam;

/* The hyper-parameter's value; 0 when the model has none or `which` is
 * unknown. */
GP_API uint64_t gp_model_hparam(const gp_model *model, gp_hparam which);

/* How layer il attends, which decides its cache. */
typedef enum gp_attention {
    GP_ATTENTION_FULL = 0,      /* KV for the whole context */
    GP_ATTENTION_SLIDING = 1,   /* KV for the window only */
    GP_ATTENTION_LATENT = 2,    /* multi-head latent: compressed K, no V */
    GP_ATTENTION_RECURRENT = 3, /* a fixed-size state per sequence */
    GP_ATTENTION_NEXTN = 4,     /* a NextN layer, not loaded by default */
} gp_attention;

/* Layers are indexed 0 .. gp_model_hparam(model, GP_HP_N_LAYER) - 1; out of
 * range, GP_ATTENTION_FULL and 0 bytes. */
GP_API gp_attention gp_model_layer_attention(const gp_model *model, uint32_t il);
/* Bytes of layer il's weights, and of those its routed experts. */
GP_API uint64_t gp_model_layer_bytes(const gp_model *model, uint32_t il);
GP_API uint64_t gp_model_layer_expert_bytes(const gp_model *model, uint32_t il);

/* Bytes of KV cache one token takes over all layers, K and V stored as
 * `type` ("f16", "q8_0", "q4_0", ... ggml's names). GP_ERR_ARG for an
 * unknown type, GP_ERR_UNSUPPORTED when a layer's rows are not whole blocks
 * of that type (llama.cpp cannot store them so). */
GP_API gp_status gp_model_kv_bytes_per_token(const gp_model *model, const char *type, uint64_t *out,
                                             gp_error *err);
/* Bytes of recurrent state one sequence takes over all layers (F32); 0
 * without recurrent layers. */
GP_API uint64_t gp_model_recurrent_bytes_per_seq(const gp_model *model);

/* The ggml types the weights are stored in, largest share first (equal
 * shares in ggml's type order): type k's name ("q4_K") and its bytes; NULL
 * and 0 when k is out of range. */
GP_API uint32_t gp_model_quant_count(const gp_model *model);
GP_API const char *gp_model_quant_type(const gp_model *model, uint32_t k);
GP_API uint64_t gp_model_quant_bytes(const gp_model *model, uint32_t k);

/* Tensor i, 0 .. gp_model_tensor_count() - 1, in shard order: its name, its
 * ggml type's name, its dimensions (gp_model_tensor_dim: 0 past the last),
 * its bytes, its block (-1 for tensors outside the blocks) and its role
 * ("attn_q", "experts_up", ...). Out of range: NULL, 0 and -1. */
GP_API const char *gp_model_tensor_name(const gp_model *model, uint64_t i);
GP_API const char *gp_model_tensor_type(const gp_model *model, uint64_t i);
GP_API uint32_t gp_model_tensor_n_dims(const gp_model *model, uint64_t i);
GP_API int64_t gp_model_tensor_dim(const gp_model *model, uint64_t i, uint32_t d);
GP_API uint64_t gp_model_tensor_size(const gp_model *model, uint64_t i);
GP_API int32_t gp_model_tensor_layer(const gp_model *model, uint64_t i);
GP_API const char *gp_model_tensor_role(const gp_model *model, uint64_t i);

/* ---- Models from elsewhere: URLs and Hugging Face ------------------------- */

/* How a model that is not a local file is read: only its header, over
 * HTTP ranges, through the header cache ($XDG_CACHE_HOME/ggplace/headers). */
typedef struct gp_open_options gp_open_options;

/* Told while a header arrives: `done` of `total` bytes of `url` (total 0
 * when unknown). */
typedef void (*gp_open_progress_fn)(void *ctx, const char *url, uint64_t done, uint64_t total);

/* Defaults: online, no token given, the endpoint of the environment, no
 * progress. */
GP_API gp_status gp_open_options_new(gp_open_options **out, gp_error *err);
GP_API void gp_open_options_close(gp_open_options **o);
/* Only headers cached by an earlier read; nothing is fetched. */
GP_API gp_status gp_open_options_set_offline(gp_open_options *o, bool offline, gp_error *err);
/* The token to send (llama.cpp's -hft), to every address read. Without one
 * (NULL), $HF_TOKEN is sent, else the stored Hugging Face token
 * ($HF_TOKEN_PATH, $HF_HOME/token, ~/.cache/huggingface/token), and that
 * one only to the Hugging Face endpoint. */
GP_API gp_status gp_open_options_set_token(gp_open_options *o, const char *token, gp_error *err);
/* The Hugging Face endpoint (NULL: $MODEL_ENDPOINT, $HF_ENDPOINT, else
 * https://huggingface.co/). */
GP_API gp_status gp_open_options_set_endpoint(gp_open_options *o, const char *url, gp_error *err);
GP_API gp_status gp_open_options_set_progress(gp_open_options *o, gp_open_progress_fn fn, void *ctx,
                                              gp_error *err);

/* True when s is an http:// or https:// URL. */
GP_API bool gp_path_is_url(const char *s);
/* GP_OK when ref is a Hugging Face reference llama.cpp's -hf takes,
 * OWNER/REPO[:QUANT]; GP_ERR_ARG otherwise. */
GP_API gp_status gp_hf_ref_check(const char *ref, gp_error *err);

/* Opens the model at an http(s) URL (a shard address reads every shard). o
 * may be NULL (the defaults). */
GP_API gp_status gp_model_open_url(const char *url, const gp_open_options *o, gp_model **out, gp_error *err);
/* Opens the model llama-server -hf REF [-hff FILE] would load (REF is
 * OWNER/REPO[:QUANT]; the quant defaults to Q4_K_M, then Q8_0, then the
 * first GGUF; file may be NULL). When projector is not NULL it receives the
 * URL of the projector llama-server loads with it ("" when none), to free()
 * (NULL on failure). */
GP_API gp_status gp_model_open_hf(const char *ref, const char *file, const gp_open_options *o,
                                  gp_model **out, char **projector, gp_error *err);

/* ---- Devices: the machine to plan for ------------------------------------- */

/* Device 0 is always the CPU (its memory is the RAM); GPUs and llama.cpp RPC
 * servers follow in llama.cpp's order: RPC servers, then CUDA, ROCm, Vulkan,
 * Metal. Devices are indexed 0 .. gp_devices_count() - 1. */
typedef struct gp_devices gp_devices;

/* The CPU alone, its RAM unknown until gp_devices_set_ram(); nothing is
 * detected, so the result depends only on what the caller adds. */
GP_API gp_status gp_devices_new(gp_devices **out, gp_error *err);
/* This machine: the CPU (RAM, cores, caches, bandwidth) and the GPUs that
 * NVML, Vulkan and sysfs report. What could not be detected is a note
 * (gp_devices_note_text), never an error. */
GP_API gp_status gp_devices_new_detected(gp_devices **out, gp_error *err);
/* A machine as `ggplace devices --json` wrote it. */
GP_API gp_status gp_devices_new_from_file(const char *path, gp_devices **out, gp_error *err);
GP_API void gp_devices_close(gp_devices **devices);

/* Adds GPUs described by SPEC: "24GiB" (a CUDA device of that size: CUDA0,
 * CUDA1... in order), a card from the built-in table ("RTX 4090", "MI300X"),
 * "RTX 4090:20GiB", a backend first ("ROCm:16GiB", "Vulkan:8GiB"), or N
 * identical cards ("2x24GiB", "4xRTX 3090"). */
GP_API gp_status gp_devices_add_gpu(gp_devices *devices, const char *spec, gp_error *err);
/* Adds a llama.cpp RPC server "HOST:PORT" holding `bytes`, named
 * RPC0[HOST:PORT], after the RPC servers already listed. */
GP_API gp_status gp_devices_add_rpc_server(gp_devices *devices, const char *endpoint, uint64_t bytes,
                                           gp_error *err);
/* The machine's RAM (all of it available), replacing what was detected. */
GP_API gp_status gp_devices_set_ram(gp_devices *devices, uint64_t bytes, gp_error *err);
/* Physical CPU cores (1 to 65536), replacing what was detected. */
GP_API gp_status gp_devices_set_cpu_cores(gp_devices *devices, uint32_t cores, gp_error *err);
/* The CPU's memory read bandwidth in GB/s (10^9 bytes/s). */
GP_API gp_status gp_devices_set_cpu_bandwidth(gp_devices *devices, double gb_per_s, gp_error *err);

GP_API uint32_t gp_devices_count(const gp_devices *devices);
/* llama.cpp's name of device i ("CPU", "CUDA0", "RPC0[host:port]"), the one
 * -ot and -dev take; NULL when i is out of range. */
GP_API const char *gp_devices_name(const gp_devices *devices, uint32_t i);
/* "cpu", "cuda", "rocm", "vulkan", "metal" or "rpc"; NULL when out of range. */
GP_API const char *gp_devices_kind(const gp_devices *devices, uint32_t i);
/* Bytes of memory, and bytes free now (or assumed free); 0 when unknown. */
GP_API uint64_t gp_devices_memory_total(const gp_devices *devices, uint32_t i);
GP_API uint64_t gp_devices_memory_free(const gp_devices *devices, uint32_t i);
/* Memory bandwidth in GB/s; 0 when unknown (the speed model then assumes one). */
GP_API double gp_devices_bandwidth(const gp_devices *devices, uint32_t i);
/* What detection could not do or left out, one sentence each. */
GP_API uint32_t gp_devices_note_count(const gp_devices *devices);
GP_API const char *gp_devices_note_text(const gp_devices *devices, uint32_t i);
/* Adds such a sentence (what the caller knows is missing, e.g. "RAM size
 * unknown: give --ram"); the list keeps 16 notes of up to 239 bytes and
 * drops the rest. */
GP_API gp_status gp_devices_add_note(gp_devices *devices, const char *text, gp_error *err);

/* The card's marketing name ("NVIDIA GeForce RTX 4090"); "" when unknown,
 * NULL when i is out of range. */
GP_API const char *gp_devices_model(const gp_devices *devices, uint32_t i);
/* The GPU's architecture: CUDA compute capability ("8.9") or AMD's "gfx1100";
 * "" when unknown and for the CPU, NULL when i is out of range. */
GP_API const char *gp_devices_arch(const gp_devices *devices, uint32_t i);
/* The PCIe link: its generation (1 to 6) and lanes; 0 when unknown, not
 * PCIe, or i is out of range. */
GP_API uint32_t gp_devices_pcie_gen(const gp_devices *devices, uint32_t i);
GP_API uint32_t gp_devices_pcie_width(const gp_devices *devices, uint32_t i);
/* True when device i was described (by the caller or a file) rather than
 * detected on this machine. */
GP_API bool gp_devices_described(const gp_devices *devices, uint32_t i);

/* The CPU (device 0) beyond its memory; 0 or "" when unknown. Packages
 * (sockets), the physical cores and hardware threads this process may use,
 * and NUMA nodes. */
GP_API uint32_t gp_devices_cpu_packages(const gp_devices *devices);
GP_API uint32_t gp_devices_cpu_cores(const gp_devices *devices);
GP_API uint32_t gp_devices_cpu_threads(const gp_devices *devices);
GP_API uint32_t gp_devices_cpu_numa_nodes(const gp_devices *devices);
/* Cache levels, as hwloc reports them. */
enum { GP_CACHE_L1D = 0, GP_CACHE_L2, GP_CACHE_L3, GP_CACHE_LEVELS };
/* The bytes of one instance of a cache level (GP_CACHE_L1D ...), and how many
 * instances the machine has (an L3 per package or per CCD, an L2 per core). */
GP_API uint64_t gp_devices_cpu_cache_size(const gp_devices *devices, uint32_t level);
GP_API uint32_t gp_devices_cpu_cache_count(const gp_devices *devices, uint32_t level);
/* The ISA extensions llama.cpp's CPU backend uses, space-separated
 * ("avx2 fma f16c ..."); "" when unknown. */
GP_API const char *gp_devices_cpu_simd(const gp_devices *devices);
/* The machine's RAM (MemTotal) and what is available (MemAvailable); the
 * memory limit of this process's cgroup (0: none) and what the cgroup
 * already uses. The CPU's gp_devices_memory_total() is the RAM within that
 * limit. */
GP_API uint64_t gp_devices_ram_total(const gp_devices *devices);
GP_API uint64_t gp_devices_ram_available(const gp_devices *devices);
GP_API uint64_t gp_devices_cgroup_limit(const gp_devices *devices);
GP_API uint64_t gp_devices_cgroup_usage(const gp_devices *devices);

/* The devices and notes as `ggplace devices --json` prints them, the text
 * gp_devices_new_from_file() reads back (schema: docs/devices.md). Returns a
 * NUL-terminated string the caller frees with free(). */
GP_API gp_status gp_devices_json(const gp_devices *devices, char **out, gp_error *err);

/* ---- Commands: llama.cpp's flags ------------------------------------------ */

/* Which program runs the command: llama-server reserves outputs for its
 * slots, llama-cli and llama-bench for a whole batch. */
typedef enum gp_app {
    GP_APP_SERVER = 0,
    GP_APP_CLI = 1,
} gp_app;

/* A llama.cpp command line as llama-server reads it: every flag it knows is
 * accepted, the ones that change memory are applied, an unknown flag is
 * GP_ERR_ARG. The command keeps copies of the strings it needs. */
typedef struct gp_command gp_command;

/* llama.cpp's defaults, no flag given. */
GP_API gp_status gp_command_new(gp_app app, gp_command **out, gp_error *err);
/* The flags argv[0] .. argv[argc - 1] (no program name), e.g.
 * {"-c", "8192", "-ngl", "99", "-ctk", "q8_0"}. */
GP_API gp_status gp_command_parse(int argc, const char *const *argv, gp_app app, gp_command **out,
                                  gp_error *err);
/* Applies the flag at argv[*i] (and its value) and advances *i past them,
 * for callers that mix llama.cpp's flags with their own. */
GP_API gp_status gp_command_apply(gp_command *cmd, int argc, const char *const *argv, int *i,
                                  gp_error *err);
GP_API void gp_command_close(gp_command **cmd);
/* The devices the command runs on: `devices` with the servers of
 * llama.cpp's own --rpc added (of unknown size) and, with -dev, those
 * named alone, in llama.cpp's order. GP_ERR_ARG for a bad --rpc or -dev. */
GP_API gp_status gp_command_devices(const gp_command *cmd, const gp_devices *devices, gp_devices **out,
                                    gp_error *err);
/* Adds the servers the command's --rpc names to `devices`, each of unknown
 * size, after the RPC servers listed (a server already listed is kept as
 * it is). GP_ERR_ARG for a bad --rpc. */
GP_API gp_status gp_command_add_rpc_servers(const gp_command *cmd, gp_devices *devices, gp_error *err);
/* The model the command names with -m; NULL when none. */
GP_API const char *gp_command_model_path(const gp_command *cmd);
/* Where else the command says the model comes from: -hf OWNER/REPO[:QUANT],
 * -hff FILE, -mu URL, and the token -hft gives; NULL when not given. */
GP_API const char *gp_command_hf_repo(const gp_command *cmd);
GP_API const char *gp_command_hf_file(const gp_command *cmd);
GP_API const char *gp_command_model_url(const gp_command *cmd);
GP_API const char *gp_command_hf_token(const gp_command *cmd);
/* True when the command has --offline. */
GP_API bool gp_command_offline(const gp_command *cmd);
/* Opens what the command loads besides the model (--mmproj, or `projector`
 * when it names none: the one -hf picked, may be NULL; -md or -hfd; --lora)
 * and keeps them in the command for gp_mem_estimate_cmd() and
 * gp_plan_create(). A stored token goes only with files all of which come
 * from the Hugging Face endpoint; else the token o gives, if any. o may be
 * NULL (the defaults). */
GP_API gp_status gp_command_open_extras(gp_command *cmd, const char *projector, const gp_open_options *o,
                                        gp_error *err);

/* ---- Memory: what one command allocates on each device -------------------- */

typedef struct gp_mem gp_mem;

/* What llama.cpp allocates for `model` run with `cmd` (NULL: no flags) on
 * `devices`: weights, KV cache / recurrent state and compute buffer per
 * device, and what the server grows into after load. What the command loads
 * besides the model (--mmproj, -md, --lora) is opened and counted. */
GP_API gp_status gp_mem_estimate_cmd(const gp_model *model, const gp_command *cmd,
                                     const gp_devices *devices, gp_mem **out, gp_error *err);
GP_API void gp_mem_close(gp_mem **mem);

/* The devices the figures are for: those given, with llama.cpp's own --rpc
 * servers added (of unknown size) when the command names any. */
GP_API uint32_t gp_mem_device_count(const gp_mem *mem);
GP_API const char *gp_mem_device_name(const gp_mem *mem, uint32_t i);
/* Bytes on device i by kind, what the command loads besides the model
 * included; 0 when i is out of range. */
GP_API uint64_t gp_mem_model_bytes(const gp_mem *mem, uint32_t i);
GP_API uint64_t gp_mem_context_bytes(const gp_mem *mem, uint32_t i);
GP_API uint64_t gp_mem_compute_bytes(const gp_mem *mem, uint32_t i);
/* Everything device i holds once loaded: the sum of the three above. */
GP_API uint64_t gp_mem_total_at_load(const gp_mem *mem, uint32_t i);
/* Device i's steady-state peak: at load, and on the CPU the logits buffer and
 * what llama-server grows into (its own memory, mapped file pages, context
 * checkpoints, the prompt cache). */
GP_API uint64_t gp_mem_total_in_use(const gp_mem *mem, uint32_t i);
/* The context as llama.cpp settles it: cells in all, and sequences (slots). */
GP_API uint64_t gp_mem_n_ctx(const gp_mem *mem);
GP_API uint32_t gp_mem_n_seq(const gp_mem *mem);
/* Predicted tokens per second by the speed model (see README): uncalibrated
 * for an estimate of a command; for a plan's memory (gp_plan_result_mem),
 * the plan's own speeds, calibrated as the plan is. */
GP_API double gp_mem_decode_tps(const gp_mem *mem);
GP_API double gp_mem_prefill_tps(const gp_mem *mem);
/* How many files the command loads besides the model (projector, draft,
 * adapters); 0 when none. */
GP_API uint32_t gp_mem_extras_count(const gp_mem *mem);
/* The share of device i's bytes by kind that those files take (already in
 * gp_mem_model_bytes() and the others); 0 when none or i is out of range. */
GP_API uint64_t gp_mem_extras_model_bytes(const gp_mem *mem, uint32_t i);
GP_API uint64_t gp_mem_extras_context_bytes(const gp_mem *mem, uint32_t i);
GP_API uint64_t gp_mem_extras_compute_bytes(const gp_mem *mem, uint32_t i);
/* The logits buffer llama-server keeps in RAM for its slots. */
GP_API uint64_t gp_mem_logits_bytes(const gp_mem *mem);
/* What llama-server grows into in RAM after load, item k of
 * gp_mem_runtime_count() in a fixed order: its name as JSON spells it
 * ("process", "mapped_file", "checkpoints", "prompt_cache"), its bytes (0
 * when the command has none), and why it has that size and which flag
 * shrinks it (one line). NULL and 0 out of range. */
GP_API uint32_t gp_mem_runtime_count(const gp_mem *mem);
GP_API const char *gp_mem_runtime_name(const gp_mem *mem, uint32_t k);
GP_API uint64_t gp_mem_runtime_bytes(const gp_mem *mem, uint32_t k);
GP_API const char *gp_mem_runtime_why(const gp_mem *mem, uint32_t k);

/* The context's shape: cells one sequence can use, the logical and physical
 * batch, whether the slots share one cache, whether flash attention is on. */
GP_API uint64_t gp_mem_n_ctx_seq(const gp_mem *mem);
GP_API uint32_t gp_mem_n_batch(const gp_mem *mem);
GP_API uint32_t gp_mem_n_ubatch(const gp_mem *mem);
GP_API bool gp_mem_kv_unified(const gp_mem *mem);
GP_API bool gp_mem_flash_attn(const gp_mem *mem);
/* True when no graph model of the architecture exists (compute buffers are
 * a coarse estimate, high), and when its graph is checked against
 * llama.cpp (otherwise the nearest family's, raised: an upper bound). */
GP_API bool gp_mem_compute_estimated(const gp_mem *mem);
GP_API bool gp_mem_compute_checked(const gp_mem *mem);
/* The predicted speeds scaled by the calibration `ggplace tune` saved for
 * these devices, as a plan scales them (equal to gp_mem_decode_tps() and
 * gp_mem_prefill_tps() when none is saved), and whether one was; for a
 * plan's memory, the plan's speeds. */
GP_API bool gp_mem_calibrated(const gp_mem *mem);
GP_API double gp_mem_calibrated_decode_tps(const gp_mem *mem);
GP_API double gp_mem_calibrated_prefill_tps(const gp_mem *mem);
/* What the speed model assumed of a device it knows too little of, one
 * sentence each ("CUDA0: 500 GB/s, ..."); NULL out of range. */
GP_API uint32_t gp_mem_assumption_count(const gp_mem *mem);
GP_API const char *gp_mem_assumption_text(const gp_mem *mem, uint32_t k);
/* Extra k of gp_mem_extras_count(), in load order: its kind ("mmproj",
 * "draft", "mtp", "lora"), its file's base name, whether its compute buffer
 * is a coarse upper bound, and its bytes on device i by kind. NULL, false
 * and 0 out of range. */
GP_API const char *gp_mem_extra_kind(const gp_mem *mem, uint32_t k);
GP_API const char *gp_mem_extra_file(const gp_mem *mem, uint32_t k);
GP_API bool gp_mem_extra_estimated(const gp_mem *mem, uint32_t k);
GP_API uint64_t gp_mem_extra_model_bytes(const gp_mem *mem, uint32_t k, uint32_t i);
GP_API uint64_t gp_mem_extra_context_bytes(const gp_mem *mem, uint32_t k, uint32_t i);
GP_API uint64_t gp_mem_extra_compute_bytes(const gp_mem *mem, uint32_t k, uint32_t i);
/* Something the command gives that llama-server will not load as given
 * (one sentence); "" when none. */
GP_API const char *gp_mem_extras_note(const gp_mem *mem);
/* What the host grows into as `ggplace mem` prints it: a heading and one
 * line per item with its MiB and why ("" when nothing). Returns a
 * NUL-terminated string the caller frees with free(). */
GP_API gp_status gp_mem_runtime_text(const gp_mem *mem, char **out, gp_error *err);
/* The estimate as `ggplace mem --json` prints it: the context, each
 * device's bytes by kind, at load and in use, what the host grows into,
 * the predicted (calibrated) speeds and what they assume, what else the
 * command loads. Returns a NUL-terminated string the caller frees with
 * free(). */
GP_API gp_status gp_mem_json(const gp_mem *mem, char **out, gp_error *err);

/* ---- Plans: the fastest flags that fit ------------------------------------ */

/* What to plan for. Defaults: the balanced preset and its context, one slot,
 * KV type and flash attention chosen by the preset, llama-server, 1 GiB kept
 * free per GPU and 2 GiB of RAM (the preset's margins). */
typedef struct gp_plan_request gp_plan_request;

#define GP_PLAN_CTX_DEFAULT (-1) /* the preset's context */
#define GP_PLAN_CTX_MAX 0        /* the largest context that fits */

GP_API gp_status gp_plan_request_new(gp_plan_request **out, gp_error *err);
GP_API void gp_plan_request_close(gp_plan_request **req);
/* Tokens of context (1 to 2^32), or GP_PLAN_CTX_DEFAULT / GP_PLAN_CTX_MAX. */
GP_API gp_status gp_plan_request_set_ctx(gp_plan_request *req, int64_t ctx, gp_error *err);
/* Tokens each slot holds (the context is this times the slots); 0: not asked. */
GP_API gp_status gp_plan_request_set_ctx_per_slot(gp_plan_request *req, int64_t tokens, gp_error *err);
/* Slots, 1 to 256. */
GP_API gp_status gp_plan_request_set_parallel(gp_plan_request *req, int32_t slots, gp_error *err);
/* "balanced", "high_speed", "more_context", "system_safe",
 * "ultra_performance" or "moe_optimized". */
GP_API gp_status gp_plan_request_set_preset(gp_plan_request *req, const char *name, gp_error *err);
/* KV cache type: "f16", "q8_0", "q4_0" or "auto" (the preset's choice). */
GP_API gp_status gp_plan_request_set_kv(gp_plan_request *req, const char *type, gp_error *err);
/* Flash attention: "on", "off" or "auto". */
GP_API gp_status gp_plan_request_set_flash_attn(gp_plan_request *req, const char *mode, gp_error *err);
GP_API gp_status gp_plan_request_set_app(gp_plan_request *req, gp_app app, gp_error *err);
/* Bytes kept free on each GPU, and in RAM; -1: the preset's. */
GP_API gp_status gp_plan_request_set_margin(gp_plan_request *req, int64_t bytes, gp_error *err);
GP_API gp_status gp_plan_request_set_ram_margin(gp_plan_request *req, int64_t bytes, gp_error *err);
/* At most this fraction (0, 1] of each GPU's memory; 0: no such limit. */
GP_API gp_status gp_plan_request_set_target_vram(gp_plan_request *req, double fraction, gp_error *err);
/* Budget RAM for the load alone, not what the server grows into in use. */
GP_API gp_status gp_plan_request_set_for_load(gp_plan_request *req, bool for_load, gp_error *err);
/* Scales the predicted speeds by the calibration `ggplace tune` saved for
 * these devices (one for dense models, one for MoE; llama-server's own
 * when it was measured and the request is for it); none saved, nothing
 * changes. Set the app first. */
GP_API gp_status gp_plan_request_use_calibration(gp_plan_request *req, const gp_devices *devices, gp_error *err);

typedef struct gp_plan_result gp_plan_result;

/* Plans `model` on `devices`: the flags of `cmd` (NULL: none) are kept and
 * the rest is chosen, fastest first among what fits every device's budget.
 * GP_ERR_CONFIG when nothing fits. -dev in the command plans on those
 * devices only; --rpc adds its servers. */
GP_API gp_status gp_plan_create(const gp_model *model, const gp_command *cmd, const gp_devices *devices,
                                const gp_plan_request *req, gp_plan_result **out, gp_error *err);
GP_API void gp_plan_result_close(gp_plan_result **plan);

/* llama-server's arguments without the model (-m is the caller's), as a
 * NULL-terminated list, e.g. {"-c", "131072", "-np", "1", ..., NULL}. */
GP_API const char *const *gp_plan_result_args(const gp_plan_result *plan);
GP_API size_t gp_plan_result_arg_count(const gp_plan_result *plan);
/* Predicted tokens per second by the speed model, uncalibrated. */
GP_API double gp_plan_result_decode_tps(const gp_plan_result *plan);
GP_API double gp_plan_result_prefill_tps(const gp_plan_result *plan);
/* Why these flags, one sentence each. */
GP_API uint32_t gp_plan_result_why_count(const gp_plan_result *plan);
GP_API const char *gp_plan_result_why(const gp_plan_result *plan, uint32_t i);
/* The devices planned on (after -dev and --rpc), and the memory of exactly
 * the plan's flags on them; both owned by the plan. */
GP_API const gp_devices *gp_plan_result_devices(const gp_plan_result *plan);
GP_API const gp_mem *gp_plan_result_mem(const gp_plan_result *plan);
/* Bytes device i may use (its memory less the margin); UINT64_MAX when its
 * memory is unknown, 0 when i is out of range. */
GP_API uint64_t gp_plan_result_budget(const gp_plan_result *plan, uint32_t i);

/* The plan of `model` as `ggplace plan --json` prints it (the text
 * gp_plan_report_html() draws): the arguments, `cmd` as the command line
 * shown (NULL: ""), the context, each device's budget and memory, every
 * tensor's device, the predicted speeds and what they assume, the why
 * lines, each layer's devices, memory against context, the alternatives
 * weighed. `model` is the one planned. Returns a NUL-terminated string the
 * caller frees with free(). */
GP_API gp_status gp_plan_json(const gp_plan_result *plan, const gp_model *model, const char *cmd, char **out,
                              gp_error *err);

/* The plan of `model` as `ggplace plan` prints it: the model, `cmd` as the
 * command line shown (NULL: ""), each device's budget, bytes by kind, at
 * load and in use and what is left, what else the command loads, what the
 * host grows into, the predicted speeds and what they assume, the why
 * lines, a map of which device holds each layer's attention and FFN and the
 * output, the model's warnings; with verbose, the configurations the search
 * evaluated and every tensor's device. The map is coloured with ANSI
 * escapes when color is set, and cut into chunks of whole tens of layers
 * to fit `width` columns (0: one unwrapped row). Returns a NUL-terminated
 * string the caller frees with free(). */
GP_API gp_status gp_plan_summary(const gp_plan_result *plan, const gp_model *model, const char *cmd, bool verbose,
                                 bool color, int width, char **out, gp_error *err);
/* The plan as llama-cpp-python's `Llama(...)` keyword arguments (a Python
 * snippet, `plan --emit llama-cpp-python`), loading `model_path` (NULL:
 * gp_model_path()); what Llama() cannot express (-ot rules, a draft model,
 * a projector, more than one adapter, slots) is said in comments. Returns a
 * NUL-terminated string the caller frees with free(). */
GP_API gp_status gp_plan_llama_cpp_python(const gp_plan_result *plan, const gp_model *model,
                                          const char *model_path, char **out, gp_error *err);
/* The plan's tensor overrides, one PATTERN=BUFFER line each as -ot takes
 * them (`plan --ot-file`); "" when none. Returns a NUL-terminated string
 * the caller frees with free(). */
GP_API gp_status gp_plan_overrides_text(const gp_plan_result *plan, char **out, gp_error *err);
/* Every tensor of `model` with its device, as tab-separated values with a
 * header line: tensor, device ("(not loaded)" when none), bytes, type,
 * layer, role (`plan --analysis-file`). Returns a NUL-terminated string
 * the caller frees with free(). */
GP_API gp_status gp_plan_tensors_tsv(const gp_plan_result *plan, const gp_model *model, char **out,
                                     gp_error *err);

/* ---- Reports: a plan as one HTML page ------------------------------------- */

/* Renders a plan as `ggplace plan --json` prints it (plan_json, len bytes;
 * no NUL needed) into one self-contained HTML page: memory per device, which
 * device holds each layer, memory against context per KV type, the
 * alternatives weighed, the command. The page loads nothing from anywhere.
 * `source` names the text in errors (NULL: none). GP_ERR_FORMAT when the
 * text is not such a plan. Returns a NUL-terminated string the caller frees
 * with free(). */
GP_API gp_status gp_plan_report_html(const char *plan_json, size_t len, const char *source, char **out,
                                     gp_error *err);

/* ---- Runs: llama.cpp started with a plan, and measured -------------------- */

/* How llama-server and llama-bench are run, for gp_verify_plan(),
 * gp_soak_plan() and gp_tune_plan(). They are started with exactly the
 * given flags on a free port of 127.0.0.1 and stopped on every path; a
 * caller that may be interrupted traps the stop signals first. */
typedef struct gp_run_options gp_run_options;

/* Told what is being waited for (`done` of `total`; total 0 when unknown)
 * while llama-server starts and answers. */
typedef void (*gp_run_progress_fn)(void *ctx, const char *stage, int done, int total);
/* Told after every point tune measures: its flags, its score, the best
 * score so far and the seconds left of the budget. */
typedef void (*gp_tune_progress_fn)(void *ctx, const char *point, double score, double best, double left_s);

/* What tune maximises. Values are stable. */
typedef enum gp_tune_goal {
    GP_TUNE_GOAL_DECODE = 0,
    GP_TUNE_GOAL_PREFILL = 1,
    GP_TUNE_GOAL_BOTH = 2, /* the geometric mean */
} gp_tune_goal;

/* Defaults: the tools from $GGPLACE_LLAMA_DIR, then PATH; 3 timed requests
 * of 512 prompt tokens generating 64; no soak; a 10-minute tune for decode
 * speed from llama.cpp's defaults, reusing cached measurements. */
GP_API gp_status gp_run_options_new(gp_run_options **out, gp_error *err);
GP_API void gp_run_options_close(gp_run_options **o);
/* Where llama-server and llama-bench are (NULL: the default). */
GP_API gp_status gp_run_options_set_llama_dir(gp_run_options *o, const char *dir, gp_error *err);
/* The model file llama.cpp is given with -m (NULL: gp_model_path()). */
GP_API gp_status gp_run_options_set_model_path(gp_run_options *o, const char *path, gp_error *err);
/* Timed requests of gp_verify_plan(), 1 to 100000. */
GP_API gp_status gp_run_options_set_runs(gp_run_options *o, int runs, gp_error *err);
/* Prompt tokens of each request or measurement, and tokens generated by
 * each; 1 to 100000. */
GP_API gp_status gp_run_options_set_prompt_tokens(gp_run_options *o, int tokens, gp_error *err);
GP_API gp_status gp_run_options_set_predict(gp_run_options *o, int tokens, gp_error *err);
/* gp_soak_plan() stops after this many requests (1 to 100000), or after
 * this many seconds (1 to 100000; default 600). */
GP_API gp_status gp_run_options_set_soak(gp_run_options *o, int requests, int seconds, gp_error *err);
/* tune: the wall time of the search in seconds (> 0), what it maximises,
 * whether to measure again instead of using cached measurements. */
GP_API gp_status gp_run_options_set_tune_budget(gp_run_options *o, double seconds, gp_error *err);
GP_API gp_status gp_run_options_set_tune_goal(gp_run_options *o, gp_tune_goal goal, gp_error *err);
GP_API gp_status gp_run_options_set_fresh(gp_run_options *o, bool fresh, gp_error *err);
/* tune's baseline, measured first: llama-server flags, or a whole command
 * as a llama-swap cmd holds it (split as llama-swap splits it; the
 * program, -m, --port and --host are left out). NULL: llama.cpp's
 * defaults. GP_ERR_ARG when the text does not split or llama.cpp would
 * refuse a flag. */
GP_API gp_status gp_run_options_set_baseline(gp_run_options *o, const char *flags, gp_error *err);
/* Who hears of progress (NULL: nobody). */
GP_API gp_status gp_run_options_set_progress(gp_run_options *o, gp_run_progress_fn fn, void *ctx, gp_error *err);
GP_API gp_status gp_run_options_set_tune_progress(gp_run_options *o, gp_tune_progress_fn fn, void *ctx,
                                                  gp_error *err);

/* What llama-server allocated and how fast it ran, next to the plan. */
typedef struct gp_verify_report gp_verify_report;

/* Runs llama-server on `model` with the plan's flags and the other flags
 * its command kept (--jinja, ...), sends the timed requests and stops it.
 * When llama-server was started, *out is set even on failure: its
 * gp_verify_report_log_tail() holds the end of llama-server's log. */
GP_API gp_status gp_verify_plan(const gp_model *model, const gp_plan_result *plan, const gp_run_options *o,
                                gp_verify_report **out, gp_error *err);
GP_API void gp_verify_report_close(gp_verify_report **r);

/* llama-server's version line ("" when unknown), its path, and the end of
 * its log (what it said before failing). */
GP_API const char *gp_verify_report_version(const gp_verify_report *r);
GP_API const char *gp_verify_report_server(const gp_verify_report *r);
GP_API const char *gp_verify_report_log_tail(const gp_verify_report *r);
/* The arguments llama-server got after "-m MODEL", k of count. */
GP_API uint32_t gp_verify_report_arg_count(const gp_verify_report *r);
GP_API const char *gp_verify_report_arg(const gp_verify_report *r, uint32_t k);
/* What llama.cpp logged for device i of the plan's devices, in MiB: the
 * model's weights, KV cache and compute buffer, and apart from them those of
 * what else it loaded; 0 out of range. */
GP_API double gp_verify_report_model_mib(const gp_verify_report *r, uint32_t i);
GP_API double gp_verify_report_context_mib(const gp_verify_report *r, uint32_t i);
GP_API double gp_verify_report_compute_mib(const gp_verify_report *r, uint32_t i);
GP_API double gp_verify_report_extras_model_mib(const gp_verify_report *r, uint32_t i);
GP_API double gp_verify_report_extras_context_mib(const gp_verify_report *r, uint32_t i);
GP_API double gp_verify_report_extras_compute_mib(const gp_verify_report *r, uint32_t i);
/* The memory-mapped file range llama.cpp lists for the CPU (CPU_Mapped),
 * apart from the weights it copied; 0 when none. */
GP_API double gp_verify_report_mapped_mib(const gp_verify_report *r);
/* Measured speeds (medians over the requests), and how many requests. */
GP_API double gp_verify_report_prefill_tps(const gp_verify_report *r);
GP_API double gp_verify_report_decode_tps(const gp_verify_report *r);
GP_API int gp_verify_report_runs(const gp_verify_report *r);
/* The speeds the model predicts for these requests (prefill over a cache
 * filling from empty, decode after the prompt), calibrated when tune
 * measured this machine. */
GP_API double gp_verify_report_predicted_prefill_tps(const gp_verify_report *r);
GP_API double gp_verify_report_predicted_decode_tps(const gp_verify_report *r);

/* The resident memory of llama-server driven to the bounds of what it
 * grows into after load. */
typedef struct gp_soak_report gp_soak_report;

/* Runs llama-server on `model` with the plan's flags (as gp_verify_plan())
 * and sends requests that fill every slot, its context checkpoints and the
 * prompt cache, sampling the server's resident memory, until the soak's
 * requests or seconds run out (GP_ERR_ARG before gp_run_options_set_soak()).
 * *out is set as by gp_verify_plan(). */
GP_API gp_status gp_soak_plan(const gp_model *model, const gp_plan_result *plan, const gp_run_options *o,
                              gp_soak_report **out, gp_error *err);
GP_API void gp_soak_report_close(gp_soak_report **r);
GP_API const char *gp_soak_report_version(const gp_soak_report *r);
GP_API const char *gp_soak_report_server(const gp_soak_report *r);
GP_API const char *gp_soak_report_log_tail(const gp_soak_report *r);
/* Requests sent, seconds taken, memory samples read. */
GP_API int gp_soak_report_requests(const gp_soak_report *r);
GP_API double gp_soak_report_seconds(const gp_soak_report *r);
GP_API int gp_soak_report_samples(const gp_soak_report *r);
/* Bytes resident at the largest sample: in all, anonymous, and pages of
 * the mapped model file; and in all right after load. */
GP_API uint64_t gp_soak_report_peak(const gp_soak_report *r);
GP_API uint64_t gp_soak_report_peak_anonymous(const gp_soak_report *r);
GP_API uint64_t gp_soak_report_peak_mapped(const gp_soak_report *r);
GP_API uint64_t gp_soak_report_after_load(const gp_soak_report *r);

/* The fastest flags measured around a plan, and what they gave. */
typedef struct gp_tune_report gp_tune_report;

#define GP_TUNE_POINT_BASELINE (-1) /* the point accessors' index of the baseline */
#define GP_TUNE_POINT_BEST (-2)     /* ... and of the best point */

/* Searches around the plan for `model` on `devices` (those the command runs
 * on: gp_command_devices()) with `req` and the flags of `cmd` kept (NULL:
 * none) with real llama-bench runs:
 * threads, micro-batch, flash attention, KV type and placement variants,
 * only at points the memory model says fit, each repeated until its spread
 * is under 5 %. Measurements are cached by model header, hardware and
 * llama.cpp version; the best point calibrates later plans on this machine
 * and runs once through llama-server. */
GP_API gp_status gp_tune_plan(const gp_model *model, const gp_command *cmd, const gp_devices *devices,
                              const gp_plan_request *req, const gp_run_options *o, gp_tune_report **out,
                              gp_error *err);
GP_API void gp_tune_report_close(gp_tune_report **r);
/* llama-bench's version line ("" when unknown). */
GP_API const char *gp_tune_report_version(const gp_tune_report *r);
/* Points measured, in order; a point is 0 .. count - 1, GP_TUNE_POINT_BASELINE
 * or GP_TUNE_POINT_BEST. Its flags (llama-server's spelling, arg k of
 * arg_count), measured speeds, the decode speed predicted for it, the runs
 * it took and whether it came from the cache. Out of range: 0, NULL, false. */
GP_API int gp_tune_report_point_count(const gp_tune_report *r);
GP_API uint32_t gp_tune_report_point_arg_count(const gp_tune_report *r, int point);
GP_API const char *gp_tune_report_point_arg(const gp_tune_report *r, int point, uint32_t k);
GP_API double gp_tune_report_point_prefill_tps(const gp_tune_report *r, int point);
GP_API double gp_tune_report_point_decode_tps(const gp_tune_report *r, int point);
GP_API double gp_tune_report_point_predicted_decode_tps(const gp_tune_report *r, int point);
GP_API int gp_tune_report_point_repeats(const gp_tune_report *r, int point);
GP_API bool gp_tune_report_point_cached(const gp_tune_report *r, int point);
/* The search's path: step k of count is the point of the plan (k = 0) and
 * of each point that became the best, in order; -1 out of range. */
GP_API int gp_tune_report_step_count(const gp_tune_report *r);
GP_API int gp_tune_report_step(const gp_tune_report *r, int k);
/* The calibration saved: measured over predicted decode and prefill at the
 * best point (llama-bench), and decode under llama-server (0 when it could
 * not run); llama-server's own speeds with the best flags (0: not run). */
GP_API double gp_tune_report_calibration_decode(const gp_tune_report *r);
GP_API double gp_tune_report_calibration_prefill(const gp_tune_report *r);
GP_API double gp_tune_report_calibration_server_decode(const gp_tune_report *r);
GP_API double gp_tune_report_server_prefill_tps(const gp_tune_report *r);
GP_API double gp_tune_report_server_decode_tps(const gp_tune_report *r);

/* ---- llama-swap configs --------------------------------------------------- */

/* How configs are re-planned or written: the machine and the plan request
 * every model is planned with (copied), the models to re-plan, the form of
 * the co-residence a new config gets, the server binary it names, and who
 * hears of each model planned. */
typedef struct gp_swap_request gp_swap_request;

/* Where a new config says which models can run together. Values are stable. */
typedef enum gp_swap_corun {
    GP_SWAP_CORUN_MATRIX = 0,        /* routing.router.settings.matrix: the maximal sets (default) */
    GP_SWAP_CORUN_GROUPS = 1,        /* routing.router.settings.groups */
    GP_SWAP_CORUN_GROUPS_LEGACY = 2, /* top-level groups (older llama-swap) */
} gp_swap_corun;

/* Told before each model of a new config is read and planned: `done` of
 * `total` models are, `path` is next. */
typedef void (*gp_swap_progress_fn)(void *ctx, size_t done, size_t total, const char *path);

/* Every model planned on `devices` with `req` (NULL: the defaults); both
 * are copied, so the caller may close them afterwards. */
GP_API gp_status gp_swap_request_new(const gp_devices *devices, const gp_plan_request *req,
                                     gp_swap_request **out, gp_error *err);
GP_API void gp_swap_request_close(gp_swap_request **req);
/* Re-plans the model with this id of a config (repeatable); when none is
 * added, every model. */
GP_API gp_status gp_swap_request_add_model(gp_swap_request *req, const char *id, gp_error *err);
GP_API gp_status gp_swap_request_set_corun(gp_swap_request *req, gp_swap_corun form, gp_error *err);
/* The llama-server binary a new config's commands run (NULL: "llama-server"). */
GP_API gp_status gp_swap_request_set_server(gp_swap_request *req, const char *path, gp_error *err);
/* fn (NULL: none) hears of each model of a new config planned. */
GP_API gp_status gp_swap_request_set_progress(gp_swap_request *req, gp_swap_progress_fn fn, void *ctx,
                                              gp_error *err);

/* A llama-swap config as ggplace re-planned, wrote or checked it: its text,
 * the warnings about it and each model's outcome. */
typedef struct gp_swap_config gp_swap_config;

/* Re-plans the llama-server models of the config text[0..len) (YAML, as
 * written): the flags ggplace owns are replaced, removed or added, every
 * other byte stays. `label` names the file in errors and warnings; relative
 * model paths are relative to the current directory. Invalid YAML is
 * GP_ERR_FORMAT, its place in err->file ("LABEL:LINE:COLUMN"), as is a top
 * level that is not a mapping; GP_ERR_ARG for a request that
 * cannot be planned. A model that is not llama-server, is missing or does
 * not fit is skipped with a note; mistakes llama-swap accepts silently are
 * warnings. */
GP_API gp_status gp_swap_config_rewrite(const gp_swap_request *req, const char *label, const char *text,
                                        size_t len, gp_swap_config **out, gp_error *err);
/* A new config for the GGUF files paths[0..n): one model per file with its
 * planned flags, and which models can run together by their footprints.
 * Files that cannot be opened or planned are skipped models. */
GP_API gp_status gp_swap_config_generate(const gp_swap_request *req, const char *const *paths, size_t n,
                                         gp_swap_config **out, gp_error *err);
/* Only the warnings about the config text[0..len); its text stays as given
 * and it has no models. */
GP_API gp_status gp_swap_config_check(const char *label, const char *text, size_t len, gp_swap_config **out,
                                      gp_error *err);
GP_API void gp_swap_config_close(gp_swap_config **cfg);

/* The config's text (NUL-terminated), and its length through len when not
 * NULL; NULL for no config. */
GP_API const char *gp_swap_config_text(const gp_swap_config *cfg, size_t *len);
/* True when the text differs from the config given (always for a new one). */
GP_API bool gp_swap_config_changed(const gp_swap_config *cfg);
/* A unified diff (3 lines of context) from the config given (empty for a
 * new one) to the text, its sides named label_a and label_b; "" when they
 * are equal. Returns a NUL-terminated string the caller frees with free(). */
GP_API gp_status gp_swap_config_diff(const gp_swap_config *cfg, const char *label_a, const char *label_b,
                                     char **out, gp_error *err);

/* Warning i, 0 .. count - 1: its text, and its 1-based line and column (0
 * when not tied to a place); NULL and 0 out of range. */
GP_API uint32_t gp_swap_config_warning_count(const gp_swap_config *cfg);
GP_API const char *gp_swap_config_warning_text(const gp_swap_config *cfg, uint32_t i);
GP_API size_t gp_swap_config_warning_line(const gp_swap_config *cfg, uint32_t i);
GP_API size_t gp_swap_config_warning_column(const gp_swap_config *cfg, uint32_t i);

/* What became of a model. Values are stable. */
typedef enum gp_swap_outcome_kind {
    GP_SWAP_MODEL_CHANGED = 0,   /* flags replaced, removed or added */
    GP_SWAP_MODEL_UNCHANGED = 1, /* planned; the command already had these flags */
    GP_SWAP_MODEL_SKIPPED = 2,   /* not planned: see its note */
} gp_swap_outcome_kind;

/* Model i, 0 .. count - 1, in the config's order: its id, the 1-based line
 * of its key (0 in a new config), its outcome, its note (why it was
 * skipped, or how its command was rewritten; "" when none), its planned
 * flags on one line (NULL when skipped) and its model file (NULL when
 * unknown). Out of range: NULL, 0 and GP_SWAP_MODEL_SKIPPED. */
GP_API uint32_t gp_swap_config_model_count(const gp_swap_config *cfg);
GP_API const char *gp_swap_config_model_id(const gp_swap_config *cfg, uint32_t i);
GP_API size_t gp_swap_config_model_line(const gp_swap_config *cfg, uint32_t i);
GP_API gp_swap_outcome_kind gp_swap_config_model_outcome(const gp_swap_config *cfg, uint32_t i);
GP_API const char *gp_swap_config_model_note(const gp_swap_config *cfg, uint32_t i);
GP_API const char *gp_swap_config_model_args(const gp_swap_config *cfg, uint32_t i);
GP_API const char *gp_swap_config_model_path(const gp_swap_config *cfg, uint32_t i);

#ifdef __cplusplus
}
#endif

#endif /* GGPLACE_H */
