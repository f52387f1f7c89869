/*
 * Tuning with real runs: a coordinate-descent search around a plan with
 * llama-bench, over threads, micro-batch, flash attention, KV type and
 * placement variants (experts or FFN matrices moved to or from the CPU),
 * visiting only points the memory model says fit. Each point repeats until
 * its spread is small; results are cached by model header, hardware and
 * llama.cpp version, and the best point calibrates the speed model.
 */
#ifndef GP_VERIFY_TUNE_H
#define GP_VERIFY_TUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "memory/device.h"
#include "model/model.h"
#include "plan/plan.h"

#define GP_TUNE_MAX_POINTS 128
#define GP_TUNE_MAX_ARGS 96

typedef enum gp_tune_metric { GP_TUNE_DECODE = 0, GP_TUNE_PREFILL, GP_TUNE_BOTH } gp_tune_metric;

typedef struct gp_tune_opts {
    const char *llama_dir;
    double budget_s;        /* wall time for the whole search */
    gp_tune_metric metric;
    int n_prompt, n_gen;    /* llama-bench -p / -n */
    bool fresh;             /* ignore cached measurements */
    const char *cache_dir;  /* NULL: $XDG_CACHE_HOME/ggplace or ~/.cache/ggplace */
    /* Called after every measured point (progress); may be NULL. */
    void (*progress)(void *ctx, const char *point, double score, double best, double left_s);
    void *progress_ctx;
} gp_tune_opts;

void gp_tune_opts_default(gp_tune_opts *o);

typedef struct gp_tune_point {
    char *args[GP_TUNE_MAX_ARGS]; /* llama-server spelling; owned */
    int n_args;
    double prefill_tps, decode_tps;
    double predicted_decode_tps;
    double spread;          /* relative standard deviation of the scored speed over the repeats */
    int repeats;
    bool cached;
} gp_tune_point;

typedef struct gp_tune_result {
    char version[160];
    gp_tune_point baseline;  /* llama.cpp's defaults, or the flags the user gave */
    gp_tune_point best;
    gp_tune_point points[GP_TUNE_MAX_POINTS];
    int n_points;
    /* The search's path: indices into points of the plan and of each point
     * that became the new best, in order (what each change gave). */
    int steps[GP_TUNE_MAX_POINTS];
    int n_steps;
    double calibration_decode;  /* measured / predicted decode at the best point */
    double calibration_prefill;
    /* The best point run through llama-server (0 when it could not run). */
    double server_decode_tps, server_prefill_tps;
    double calibration_server_decode; /* llama-server measured / predicted decode */
    bool sparse_model;
} gp_tune_result;

/* Runs the search. baseline_args (llama-server spelling, NULL-terminated,
 * may be NULL for llama.cpp's defaults) is measured first. */
gp_status gp_tune_run(const gp_model *m, const char *model_path, const gp_devices *d,
                      const gp_plan_request *req, char *const *baseline_args,
                      const gp_tune_opts *o, gp_tune_result *r, gp_error *err);
void gp_tune_result_free(gp_tune_result *r);

/* Speed calibration saved by tune for a machine and a model class (moe:
 * routed experts, else dense): multipliers on the speed model's decode and
 * prefill predictions (llama-bench), and on decode under llama-server (0
 * when not measured). False if none is stored. */
bool gp_calibration_load(const gp_devices *d, const char *cache_dir, bool moe, double *decode, double *prefill,
                         double *server_decode);
gp_status gp_calibration_save(const gp_devices *d, const char *cache_dir, bool moe, double decode, double prefill,
                              double server_decode, gp_error *err);

/* A stable text naming a machine's devices (kinds, names, sizes, CPU). */
void gp_hardware_fingerprint(const gp_devices *d, char *out, size_t size);

#endif
