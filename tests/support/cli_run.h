/* Running a ggplace command in process with its output captured, as a user
 * would see it. */
#ifndef GP_TESTS_CLI_RUN_H
#define GP_TESTS_CLI_RUN_H

#include "cli/cli.h"

typedef struct cli_result {
    int rc;
    char out[1 << 16];
    char err[4096];
} cli_result;

/* A command's entry point; NULL runs the whole program (gp_cli_main). */
typedef int (*cli_entry)(gp_cli *cli, int argc, char **argv);

/* Runs it and returns a result that the next call overwrites. */
cli_result *cli_run(cli_entry cmd, int argc, const char **argv);

#endif
