/* Writing a plan's HTML report, shared by `ggplace report` and `plan --report`. */
#ifndef GP_CLI_REPORT_CLI_H
#define GP_CLI_REPORT_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"

/* Renders the plan JSON text and writes it to path atomically ("-": the
 * command's output), or with dry_run says what would be written. source
 * names the JSON in errors. Returns an exit code; errors are printed. */
int gp_cli_write_report(gp_cli *cli, const char *json, size_t len, const char *source,
                        const char *path, bool dry_run);

#endif
