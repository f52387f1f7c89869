/*
 * A llama-swap `cmd` as llama-swap itself turns it into argv: whole-line
 * `#` comments dropped, macros substituted (each in llama-swap's order), a
 * trailing backslash joining lines, then POSIX splitting with quotes and
 * backslashes and no shell (`#` inside a line is an ordinary character).
 *
 * Every argument remembers which bytes of the command text produced it, so
 * a caller can replace exactly those bytes, and whether any of it came from a
 * macro's value (such bytes are not in the command text and cannot be edited
 * there).
 */
#ifndef GP_SWAP_SWAP_CMD_H
#define GP_SWAP_SWAP_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "ggplace.h"
#include "util/strbuf.h"

/* One macro in scope, in llama-swap's merged order: MODEL_ID, the global
 * macros in declaration order, the model's own (replacing a global of the
 * same name in place, else appended). A macro's value may use macros that
 * come before it in this list. */
typedef struct gp_swap_macro {
    const char *name;
    const char *value;
} gp_swap_macro;

typedef struct gp_swap_token {
    char *text;        /* the argument, owned */
    size_t begin, end; /* bytes of the command text it came from (quotes included) */
    bool from_macro;   /* some of its characters are a macro's value */
} gp_swap_token;

typedef struct gp_swap_argv {
    gp_swap_token *tok;
    size_t n;
    char unset_env[128]; /* first ${env.NAME} whose variable is not set, else "" */
    char unknown_macro[128]; /* first ${name} left unexpanded, else "" */
} gp_swap_argv;

/* Looks up ${env.NAME}; NULL when unset. */
typedef const char *(*gp_swap_getenv_fn)(const char *name);

/* Splits cmd[0..len) into out. port < 0 leaves ${PORT} as it is. getenv_fn
 * may be NULL (the process environment). Only an allocation failure is an
 * error; an unset variable or an unknown macro is reported in out. */
gp_status gp_swap_split(const char *cmd, size_t len, const gp_swap_macro *macros, size_t n_macros,
                        long port, gp_swap_getenv_fn getenv_fn, gp_swap_argv *out, gp_error *err);
void gp_swap_argv_free(gp_swap_argv *a);

/* Appends arg quoted (only when needed) so that llama-swap's splitting gives
 * it back unchanged: single quotes around anything with blanks, quotes,
 * backslashes or a leading '#'. */
void gp_swap_quote(gp_strbuf *sb, const char *arg);

/* True when name is a valid llama-swap macro name (^[a-zA-Z0-9_-]+$, < 64). */
bool gp_swap_macro_name_ok(const char *name);

#endif
