#include <stdio.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    int rc = gp_cli_main(argc, argv, stdout, stderr);
    /* A write error on stdout (a full disk, a closed pipe) is a failure too. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ggplace: error writing output\n");
        return rc ? rc : GP_EXIT_FAIL;
    }
    return rc;
}
