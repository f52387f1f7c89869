/* The ggplace command line: subcommands over libggplace. */
#ifndef GP_CLI_CLI_H
#define GP_CLI_CLI_H

#include <stdio.h>

#include "ggplace.h"

/* Exit codes, documented in --help and the README. */
enum {
    GP_EXIT_OK = 0,
    GP_EXIT_FAIL = 1,   /* the input could not be used (bad file, does not fit...) */
    GP_EXIT_USAGE = 2,  /* the command line is wrong */
};

typedef struct gp_cli {
    FILE *out;
    FILE *err;
    const char *prog;
} gp_cli;

/* Runs the whole program; argv is never modified. */
int gp_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* Prints "ggplace: FILE: message" (or "ggplace: message") on one line. */
void gp_cli_error(gp_cli *cli, const gp_error *e);
/* Prints "ggplace: message" and returns GP_EXIT_USAGE. */
int gp_cli_usage_error(gp_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int gp_cmd_inspect(gp_cli *cli, int argc, char **argv);
void gp_help_inspect(FILE *f);
int gp_cmd_mem(gp_cli *cli, int argc, char **argv);
void gp_help_mem(FILE *f);
int gp_cmd_plan(gp_cli *cli, int argc, char **argv);
void gp_help_plan(FILE *f);
int gp_cmd_verify(gp_cli *cli, int argc, char **argv);
void gp_help_verify(FILE *f);
int gp_cmd_sparse(gp_cli *cli, int argc, char **argv);
void gp_help_sparse(FILE *f);
int gp_cmd_swap(gp_cli *cli, int argc, char **argv);
void gp_help_swap(FILE *f);
int gp_cmd_tune(gp_cli *cli, int argc, char **argv);
void gp_help_tune(FILE *f);
int gp_cmd_devices(gp_cli *cli, int argc, char **argv);
void gp_help_devices(FILE *f);
int gp_cmd_report(gp_cli *cli, int argc, char **argv);
void gp_help_report(FILE *f);

/* The commands `ggplace --help` lists, in order ("help" not included), so
 * the documentation generated from the option table can be checked against
 * them; NULL past the last. */
const char *gp_cli_command_name(size_t i);

#endif
