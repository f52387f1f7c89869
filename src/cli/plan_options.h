/* Options shared by the commands that make a plan (plan, verify, tune). */
#ifndef GP_CLI_PLAN_OPTIONS_H
#define GP_CLI_PLAN_OPTIONS_H

#include <stdbool.h>

#include "cli/cli.h"
#include "cli/hw_options.h"
#include "cli/model_source.h"

typedef struct gp_plan_cli {
    gp_plan_request *req;
    gp_command *cmd;          /* the llama.cpp flags kept as given */
    gp_devices *devs;         /* the devices the command runs on (--rpc added, -dev applied) */
    gp_devices *devs_all;     /* the hardware before them, which gp_plan_create takes */
    gp_hw_options hw;
    char gpu_store[GP_HW_MAX_SPECS][128]; /* --gpu values read from --config */
    const char *path;
    bool json, args, cmd_line, dry_run, verbose;
    const char *ot_file, *analysis_file;
    const char *emit;     /* --emit: another front end's spelling ("llama-cpp-python") */
    const char *report_file;  /* --report: the plan as an HTML page */
    gp_model_source src;  /* where the model comes from (path names it in messages) */
} gp_plan_cli;

/* A command's own options: returns how many arguments it consumed at
 * argv[i] (0: not its option), or -1 after printing a usage error. */
typedef int (*gp_plan_cli_extra)(gp_cli *cli, gp_plan_cli *pc, int argc, char **argv, int i, void *ctx);

/* Parses MODEL, plan options, hardware, pinned llama.cpp flags and output
 * options; returns 0, or the exit code of a usage error already printed.
 * Either way, release pc with gp_plan_cli_close afterwards. */
int gp_plan_cli_parse(gp_cli *cli, const char *cmd, int argc, char **argv, gp_plan_cli *pc,
                      gp_plan_cli_extra extra, void *ctx);
void gp_plan_cli_close(gp_plan_cli *pc);

/* The model of a command that runs llama.cpp on it (verify, tune): a local
 * file with its data (a header-only file needs `ggplace sparse`). Returns
 * GP_EXIT_OK, or an exit code after a one-line error. */
int gp_plan_cli_open_runnable(gp_cli *cli, const char *cmd, const gp_plan_cli *pc, gp_model **m);

/* Opens what else the flags load (projector, draft, adapters; a progress
 * line, and the projector -hf picked) into pc->cmd, then plans through the
 * library. Returns GP_EXIT_OK with *out set, or an exit code after a
 * one-line error. */
int gp_plan_cli_plan(gp_cli *cli, gp_plan_cli *pc, const gp_model *m, gp_plan_result **out);

#endif
