/*
 * llama-swap configurations: re-plan every llama-server model of a config
 * for this hardware, editing only the flags ggplace owns (every other byte
 * of the file stays as written), check the config for mistakes llama-swap
 * accepts silently, and write new configs with memory-aware co-residence.
 */
#ifndef GP_SWAP_SWAP_H
#define GP_SWAP_SWAP_H

#include <stdbool.h>
#include <stddef.h>

#include "memory/device.h"
#include "plan/plan.h"
#include "swap/swap_cmd.h"

typedef enum gp_swap_outcome {
    GP_SWAP_CHANGED = 0, /* flags replaced, removed or added */
    GP_SWAP_UNCHANGED,   /* planned; the command already had these flags */
    GP_SWAP_SKIPPED,     /* not planned: see note */
} gp_swap_outcome;

typedef struct gp_swap_model {
    char id[256];
    size_t line;           /* 1-based line of the model's key (0 when generated) */
    gp_swap_outcome outcome;
    char note[512];        /* why it was skipped, or how the command was rewritten */
    char *args;            /* the planned flags on one line, NULL when skipped */
    char *path;            /* the model file, NULL when unknown */
    uint64_t need[GP_MAX_DEVICES]; /* bytes per device at the planned settings */
    uint32_t n_dev;
} gp_swap_model;

typedef struct gp_swap_warning {
    size_t line, column;   /* 1-based; 0 when not tied to a place */
    char text[512];
} gp_swap_warning;

typedef struct gp_swap_result {
    char *text;            /* the new file (malloc'd, NUL-terminated) */
    size_t len;
    bool changed;          /* text differs from the input */
    gp_swap_model *models;
    size_t n_models;
    gp_swap_warning *warnings;
    size_t n_warnings;
} gp_swap_result;

typedef struct gp_swap_options {
    const gp_devices *devices;
    gp_plan_request request;     /* preset and workload for every model; pinned flags unused */
    const char *const *only;     /* re-plan only these model ids (NULL: all) */
    size_t n_only;
    gp_swap_getenv_fn getenv_fn; /* ${env.NAME}; NULL: the process environment */
    /* How models a cmd downloads (-hf, -mu) are read: tokens, cache,
     * offline; NULL: the defaults. */
    const struct gp_remote_opts *remote;
} gp_swap_options;

/* Re-plans the llama-server models of the llama-swap config text[0..len).
 * label names the file in errors and relative model paths are relative to
 * the current directory (where llama-swap runs commands). Invalid YAML is
 * GP_ERR_FORMAT with "LINE:COLUMN: problem"; everything else about a model
 * (not llama-server, missing file, nothing fits) is a skip with a note, and
 * mistakes in the config are warnings. */
gp_status gp_swap_rewrite(const char *label, const char *text, size_t len, const gp_swap_options *o,
                          gp_swap_result *out, gp_error *err);
void gp_swap_result_free(gp_swap_result *r);

/* Checks a config for what llama-swap ignores or refuses without a clear
 * message (unknown keys, duplicate aliases, a model in two groups, legacy
 * groups with routing, proxy: "", ttl: 0, ...) and appends warnings to r. */
gp_status gp_swap_check(const char *label, const char *text, size_t len, gp_swap_result *r, gp_error *err);

/* The slot an owned flag fills ("ctx", "ngl", "ot", ...) or NULL when
 * ggplace does not own the flag. "--flag=value" is recognised. */
const char *gp_swap_owned_slot(const char *flag);

typedef enum gp_swap_corun_form {
    GP_SWAP_FORM_MATRIX = 0,  /* routing.router.settings.matrix */
    GP_SWAP_FORM_GROUPS,      /* routing.router.settings.groups */
    GP_SWAP_FORM_GROUPS_LEGACY, /* top-level groups (older llama-swap) */
} gp_swap_corun_form;

typedef struct gp_swap_gen_options {
    const gp_devices *devices;
    gp_plan_request request;
    gp_swap_corun_form form;
    const char *server;      /* the llama-server binary; NULL: "llama-server" */
    /* Called before each model is read and planned (progress); may be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total, const char *path);
    void *progress_ctx;
} gp_swap_gen_options;

/* A new config for the given GGUF files: one model per file (id from the
 * file name) with its planned flags, and which models can run together by
 * their footprints. Models that cannot be opened or planned are left out
 * (reported in out->models as skipped). */
gp_status gp_swap_generate(const char *const *paths, size_t n, const gp_swap_gen_options *o,
                           gp_swap_result *out, gp_error *err);

/* A unified diff (3 lines of context) from a to b, "" when they are equal. */
char *gp_swap_diff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                   const char *label_b);

#endif
