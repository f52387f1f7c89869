/*
 * What llama-server holds in host RAM beyond the buffers llama.cpp reports
 * at load, and what it grows into with use: its own code and vocabulary,
 * model file pages that stay mapped, context checkpoints and the host
 * prompt cache. Each item says which flag shrinks it.
 *
 * "At load" is llama.cpp's own breakdown (weights, KV/state, compute) plus
 * the logits buffer. "In use" is the steady-state peak of the same command
 * with a full context in every slot and every cache at its bound: what the
 * process's resident memory reaches (anonymous memory plus the touched
 * pages of the mapped model).
 */
#ifndef GP_MEMORY_RUNTIME_H
#define GP_MEMORY_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "memory/device.h"
#include "memory/params.h"
#include "memory/placement.h"
#include "model/model.h"

typedef enum gp_runtime_item {
    GP_RUNTIME_PROCESS = 0,   /* llama-server itself: heap, vocabulary, graph metadata */
    GP_RUNTIME_MAPPED,        /* model file pages kept mapped beyond the mapped CPU weights */
    GP_RUNTIME_CHECKPOINTS,   /* context checkpoints, every slot at --ctx-checkpoints */
    GP_RUNTIME_PROMPT_CACHE,  /* the host prompt cache at --cache-ram */
    GP_RUNTIME_COUNT
} gp_runtime_item;

typedef struct gp_runtime_mem {
    uint64_t item[GP_RUNTIME_COUNT];  /* bytes, all in host RAM */
    uint64_t checkpoint_bytes;        /* one slot's checkpoint; 0 when none are made */
    uint32_t checkpoints_per_slot;    /* how many a slot holds at its peak (--ctx-checkpoints, less
                                         the one that --checkpoint-min-step thins away) */
    const char *checkpoint_of;        /* what a checkpoint copies ("sliding-window cache",
                                         "recurrent state"), NULL when none are made */
    uint64_t slot_state_bytes;        /* one slot's whole state at a full context: the
                                         largest prompt-cache entry */
    uint64_t repacked_bytes;          /* CPU weights copied into the CPU_REPACK buffer */
    bool cache_unbounded;             /* --cache-ram -1: the cache is bounded by tokens only */
} gp_runtime_mem;

/* The item's name in JSON ("process", "mapped_file", "checkpoints",
   "prompt_cache"), and the flag that shrinks it (NULL: none). */
const char *gp_runtime_item_name(gp_runtime_item i);
const char *gp_runtime_item_flag(gp_runtime_item i);

/* The items for a command as llama-server runs it (the CLI profile grows
   into nothing: zeros). pl is the placement the load figures came from. */
gp_status gp_runtime_estimate(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                              const gp_devices *d, const gp_placement *pl, gp_runtime_mem *out,
                              gp_error *err);

uint64_t gp_runtime_total(const gp_runtime_mem *r);

/* One context checkpoint of one slot (llama_state_seq_get_size with
   LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY): the sliding-window cells, or the
   recurrent state where the model has one; 0 when the cache can be rolled
   back and no checkpoint is made. */
uint64_t gp_runtime_checkpoint_bytes(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                                     const char **what);

/* One slot's whole state with n_tokens cached (a prompt-cache entry). */
uint64_t gp_runtime_slot_state_bytes(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                                     uint64_t n_tokens);

#endif
