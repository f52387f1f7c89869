#include "cli_run.h"

#include <stdio.h>

static void slurp(FILE *f, char *buf, size_t cap)
{
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

cli_result *cli_run(cli_entry cmd, int argc, const char **argv)
{
    static cli_result r;
    FILE *out = tmpfile(), *err = tmpfile();
    if (cmd) {
        gp_cli cli = {.out = out, .err = err, .prog = "ggplace"};
        r.rc = cmd(&cli, argc, (char **)argv);
    } else {
        r.rc = gp_cli_main(argc, (char **)argv, out, err);
    }
    slurp(out, r.out, sizeof r.out);
    slurp(err, r.err, sizeof r.err);
    return &r;
}
