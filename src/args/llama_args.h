/*
 * llama.cpp's command line, as llama-server v0.5.0 reads it: every flag it
 * knows is accepted (a whole command line can be pasted), the ones that
 * change memory are applied to gp_run_params, the others ignored.
 */
#ifndef GP_ARGS_LLAMA_ARGS_H
#define GP_ARGS_LLAMA_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "ggplace.h"
#include "memory/params.h"

typedef struct gp_llama_flag {
    const char *name;
    bool takes_value;
} gp_llama_flag;

extern const gp_llama_flag gp_llama_flags[];
extern const size_t gp_llama_flag_count;

/* The table entry for a flag name, or NULL if llama-server does not know it. */
const gp_llama_flag *gp_llama_flag_find(const char *name);

/* Applies the flag at argv[*i] (and its value) to p and advances *i past
 * them. Unknown flags, missing or malformed values are GP_ERR_ARG with a
 * message naming the flag. */
gp_status gp_llama_args_apply(gp_run_params *p, int argc, char *const *argv, int *i, gp_error *err);

/* Whether a flag makes llama-server load something besides the model (a
 * projector, a draft model, adapters) or shapes that (-ngld, --spec-type...). */
bool gp_llama_flag_loads_extra(const char *flag);

/* The flags of p->extra that load extras, with their values, appended to
 * the NULL-terminated malloc'd list args (strings copied); returns the new
 * list, or NULL when out of memory (args is then freed). */
char **gp_llama_args_append_extras(char **args, const gp_run_params *p);

#endif
