#include "test_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "args/llama_args.h"

struct gp_model *tb_build(const mb_spec *s)
{
    char err[256];
    struct gp_model *m = mb_model(s, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    return m;
}

void tb_flags(gp_run_params *p, gp_app app, const char *flags)
{
    static char bufs[8][1024];
    static unsigned next;
    char *buf = bufs[next++ % 8];
    gp_run_params_default(p, app);
    snprintf(buf, sizeof bufs[0], "%s", flags);
    char *argv[64];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
        argv[argc++] = t;
    gp_error err;
    for (int i = 0; i < argc;)
        if (gp_llama_args_apply(p, argc, argv, &i, &err) != GP_OK)
            fail_msg("%s", err.message);
}
