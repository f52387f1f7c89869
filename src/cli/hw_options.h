/*
 * The hardware options every command that plans for a machine accepts:
 *   --gpu SPEC (repeatable)  --ram SIZE  --cpu-cores N  --rpc HOST:PORT=SIZE
 *   --hw FILE  --no-detect
 * Parsing only records them; resolving turns them into a device list.
 */
#ifndef GP_CLI_HW_OPTIONS_H
#define GP_CLI_HW_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"

#define GP_HW_MAX_SPECS 32

typedef struct gp_hw_options {
    bool no_detect;
    const char *hw_file;                   /* --hw: the whole machine, nothing detected */
    const char *gpus[GP_HW_MAX_SPECS];     /* --gpu values, in order (point into argv) */
    uint32_t n_gpus;
    const char *rpcs[GP_HW_MAX_SPECS];     /* --rpc values, in order */
    uint32_t n_rpcs;
    uint64_t ram;                          /* --ram; 0 when not given */
    uint32_t cpu_cores;                    /* --cpu-cores; 0 when not given */
    double cpu_bandwidth;                  /* --cpu-bandwidth GB/s; 0 when not given */
} gp_hw_options;

void gp_hw_options_init(gp_hw_options *o);

/* When argv[*i] is a hardware option ("--gpu X" or "--gpu=X"), records it,
 * advances *i past it and its value, and returns 1; returns 0 (leaving *i)
 * for any other argument; returns -1 with err filled (GP_ERR_ARG) for a
 * missing or bad value or a contradiction (the same option twice with
 * different values, one RPC server twice). */
int gp_hw_options_parse(gp_hw_options *o, int argc, char **argv, int *i, gp_error *err);

/* Builds the device list, the caller's to close: the --hw file, or this
 * machine's devices unless --no-detect; then --ram and --cpu-cores replace
 * the CPU's numbers, --rpc servers go in front of the GPUs, --gpu cards after
 * them. Errors: GP_ERR_ARG for bad specs and too many devices, the file's own
 * status for --hw. */
gp_status gp_hw_options_resolve(const gp_hw_options *o, gp_devices **out, gp_error *err);

/* One line per option, for the commands' --help. */
extern const char gp_hw_options_help[];

#endif
