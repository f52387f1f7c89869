/* What the cmocka tests on built headers share: a model that must build, and
 * llama.cpp flags parsed into run parameters (a failure fails the test). */
#ifndef GP_TEST_HELPERS_H
#define GP_TEST_HELPERS_H

#include "memory/params.h"
#include "model_builder.h"

struct gp_model *tb_build(const mb_spec *s);

/* "-c 1024 -np 2" into p with the app's defaults. The parameters keep
   pointers into the flags, so the last 8 strings parsed stay alive. */
void tb_flags(gp_run_params *p, gp_app app, const char *flags);

#endif
