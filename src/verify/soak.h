/*
 * A bounded soak: llama-server driven until what it grows into after load
 * reaches its bounds (every slot's context full, its context checkpoints
 * made, the prompt cache filled), its resident memory sampled all along.
 * What counts is what `free` sees of the process: anonymous memory plus the
 * resident pages of the mapped model file.
 */
#ifndef GP_VERIFY_SOAK_H
#define GP_VERIFY_SOAK_H

#include <stdint.h>

#include "memory/device.h"
#include "verify/verify.h"

typedef struct gp_soak_opts {
    gp_verify_opts server;     /* start-up, timeouts, vocabulary, progress */
    int max_requests;          /* the soak stops after this many requests */
    int max_seconds;           /* ... or after this long */
    uint32_t slots;            /* -np */
    uint64_t ctx_per_slot;     /* tokens one slot holds */
    int32_t ctx_checkpoints;   /* per slot (0: none) */
    uint64_t cache_bytes;      /* the prompt cache's bound (0: off) */
    uint64_t slot_state_bytes; /* one slot's whole state at a full context */
} gp_soak_opts;

typedef struct gp_soak_result {
    gp_verify_result server;   /* version, the end of its log, what it allocated */
    uint64_t peak;             /* anonymous + mapped model pages, at the largest sample */
    uint64_t peak_anon, peak_mapped;
    uint64_t load;             /* the same right after /health answered */
    int requests, samples;
    double seconds;
} gp_soak_result;

/* Starts llama-server with "-m model args...", runs the soak and stops it
 * on every path. */
gp_status gp_verify_soak(const char *model, char *const *args, const gp_devices *d, const gp_soak_opts *o,
                         gp_soak_result *r, gp_error *err);

#endif
