/*
 * What a llama.cpp command asks for (the flags that change memory), and the
 * context shape llama.cpp derives from it.
 */
#ifndef GP_MEMORY_PARAMS_H
#define GP_MEMORY_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"
#include "memory/device.h"
#include "model/extras.h"
#include "model/model.h"

#define GP_MAX_OVERRIDES 256

/* gp_app (include/ggplace.h): GP_APP_SERVER, llama-server, reserves
 * n_outputs_max = n_parallel; GP_APP_CLI, llama-cli and llama-bench,
 * n_outputs_max = n_batch. */

typedef enum gp_flash_attn { GP_FA_AUTO = -1, GP_FA_OFF = 0, GP_FA_ON = 1 } gp_flash_attn;

typedef enum gp_split_mode { GP_SPLIT_LAYER = 0, GP_SPLIT_NONE, GP_SPLIT_ROW, GP_SPLIT_TENSOR } gp_split_mode;

/* One -ot entry, or one produced by --cpu-moe / --n-cpu-moe. */
typedef struct gp_override {
    char pattern[512];
    char buft[64];
    char flag[16];     /* the flag that made it when not -ot (--cpu-moe, --n-cpu-moe, --n-cpu-ffn):
                          printed back as that flag */
    int64_t flag_n;    /* that flag's value (-1: it takes none) */
} gp_override;

#define GP_NGL_AUTO (-1)
#define GP_NGL_ALL (-2)

#define GP_MAX_DRAFT_OVERRIDES 16

/* What llama-server loads besides the main model: a vision/audio projector,
 * a draft model for speculative decoding, LoRA adapters. */
typedef struct gp_load_extras {
    char mmproj[1024];        /* -mm FILE */
    char mmproj_url[2048];    /* -mmu URL */
    bool no_mmproj;           /* --no-mmproj: not even the one -hf would pick */
    bool mmproj_cpu;          /* --no-mmproj-offload, -mmdev none */
    char mmproj_device[64];   /* -mmdev DEV ("" = the first GPU) */
    int32_t image_min_tokens, image_max_tokens; /* -1 = the projector's own */

    char draft[1024];         /* -md FILE */
    char draft_hf[512];       /* -hfd OWNER/REPO[:QUANT] */
    int32_t draft_ngl;        /* -ngld; GP_NGL_AUTO when not given */
    char draft_devices[256];  /* -devd DEV,DEV ("" = the main model's) */
    uint32_t draft_type_k, draft_type_v; /* -ctkd / -ctvd */
    gp_override draft_overrides[GP_MAX_DRAFT_OVERRIDES]; /* -otd, -cmoed, -ncmoed */
    uint32_t n_draft_overrides;
    int32_t draft_n_max;      /* --spec-draft-n-max; -1 = default (3) */
    char spec_type[256];      /* every --spec-type list given, joined by commas ("" = none) */
    /* How many tokens the n-gram speculators draft at most (their -size-m /
     * -n-max flags; -1 = llama.cpp's defaults 48, 48, 48, 64). */
    int32_t ngram_simple_m, ngram_map_k_m, ngram_map_k4v_m, ngram_mod_n_max;

    char lora[GP_MAX_LORA][1024]; /* --lora / --lora-scaled files, in order */
    uint32_t n_lora;

    /* The files above, opened by the caller (gp_load_extras_names, then
     * model/extras.h's gp_extra_files_open); NULL: their memory is not
     * counted. */
    const struct gp_extra_files *files;
} gp_load_extras;

typedef struct gp_run_params {
    gp_app app;
    int64_t n_ctx;        /* -c; -1 = not given (train context), 0 = train context */
    uint32_t n_batch;     /* -b */
    uint32_t n_ubatch;    /* -ub */
    int32_t n_parallel;   /* -np; -1 = auto (server: 4) */
    int kv_unified;       /* -kvu / -no-kvu; -1 = default */
    gp_flash_attn flash_attn;
    uint32_t type_k, type_v;
    bool swa_full;
    int32_t n_gpu_layers; /* N, GP_NGL_AUTO or GP_NGL_ALL */
    float tensor_split[GP_MAX_DEVICES];
    uint32_t n_tensor_split;
    gp_split_mode split_mode;
    int32_t main_gpu;
    gp_override overrides[GP_MAX_OVERRIDES];
    uint32_t n_overrides;
    bool no_kv_offload;
    /* What llama-server keeps in host RAM after load (memory/runtime.h). */
    int32_t cache_ram_mib;      /* --cache-ram: the prompt cache's limit; -1 no limit, 0 off */
    int32_t ctx_checkpoints;    /* --ctx-checkpoints: checkpoints kept per slot */
    int32_t checkpoint_min_step;/* --checkpoint-min-step: tokens between mid-prompt checkpoints */
    bool user_set_cram, user_set_ctxcp;
    /* Which flags the user gave (the planner keeps them). */
    bool user_set_ctx, user_set_ngl, user_set_ts, user_set_ot, user_set_ctk, user_set_ctv,
        user_set_np, user_set_fa, user_set_b, user_set_ub, user_set_kvu, user_set_sm;
    gp_load_extras extras;
    char devices[256];    /* -dev DEV,DEV: the only devices used ("none": the CPU alone; "" = all) */
    char model_path[1024]; /* -m, when given */
    char rpc[1024];       /* --rpc endpoints, comma-separated, when given */
    /* Flags given that do not change memory (--jinja, --load-mode none...),
     * as they were spelled: commands that run llama.cpp pass them on. The
     * strings belong to the argv they were parsed from. */
    const char *extra[64];
    uint32_t n_extra;
    /* Where the model comes from when it is not a local file. */
    char hf_repo[512];    /* -hf OWNER/REPO[:QUANT] */
    char hf_file[512];    /* -hff FILE */
    char model_url[2048]; /* -mu URL */
    char hf_token[512];   /* -hft TOKEN */
    bool offline;         /* --offline: cached headers only */
} gp_run_params;

/* llama-server's defaults (4 slots, unified KV, train context, FA auto,
 * -b 2048 -ub 512, f16 cache, SWA not full, -ngl auto). */
void gp_run_params_default(gp_run_params *p, gp_app app);

/* The context as llama.cpp settles it. */
typedef struct gp_ctx_shape {
    uint64_t n_ctx_req;   /* what was asked (train context when 0) */
    uint64_t n_ctx;       /* padded to 256, grown to n_seq * n_ctx_seq when not unified */
    uint64_t n_ctx_seq;   /* cells one sequence can use */
    uint32_t n_batch;
    uint32_t n_ubatch;
    uint32_t n_seq;
    uint32_t n_stream;    /* 1 when unified, else n_seq */
    bool kv_unified;
    bool flash_attn;      /* resolved */
    uint32_t n_outputs_max;
    uint32_t spec_n_max;  /* tokens drafted per step by the speculative types given; 0 = none */
    uint32_t rs_copies;   /* recurrent state rows per sequence (1, or 1 + spec_n_max when a
                             drafting type rolls the state back) */
} gp_ctx_shape;

/* What the --spec-type list asks for: the most tokens any type drafts
 * (0 when none), whether a model drafts (draft-*), and whether a type keeps
 * rollback copies of recurrent state (mtp, eagle3, dflash, dspark). A name
 * llama-server does not know is an error. */
gp_status gp_spec_types(const gp_load_extras *x, uint32_t *n_max, bool *drafts, bool *rollback,
                        gp_error *err);

/* Resolves the context and checks combinations llama.cpp refuses (quantized
 * V without flash attention, MLA with different K and V types, ...). */
gp_status gp_ctx_resolve(const gp_model *m, const gp_run_params *p, gp_ctx_shape *out,
                         gp_error *err);

/* Cells of a sliding-window layer's cache per stream. */
uint64_t gp_ctx_swa_cells(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c);

#endif
