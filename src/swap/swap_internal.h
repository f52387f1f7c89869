/*
 * What the files of src/swap/ share with one another; not part of the
 * library's interface. Each declaration names the file that defines it.
 */
#ifndef GP_SWAP_INTERNAL_H
#define GP_SWAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "memory/device.h"
#include "memory/mem.h"
#include "model/model.h"
#include "plan/plan.h"
#include "swap/swap.h"
#include "swap/swap_cmd.h"
#include "swap/swap_yaml.h"

/* ---- results (result.c) ------------------------------------------------------ */

/* Appends a warning at line:col (1-based; 0 when not tied to a place). */
void gp_swap_warn(gp_swap_result *r, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a model report, skipped until planned; NULL when out of memory.
 * The pointer is valid until the next gp_swap_add_model. */
gp_swap_model *gp_swap_add_model(gp_swap_result *r, const char *id, size_t line);
/* Marks a model skipped, with why as its note. */
void gp_swap_skip(gp_swap_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the flags ggplace owns (owned_flags.c) ---------------------------------- */

typedef struct owned_flag {
    const char *name;
    const char *slot;  /* flags that fill the same slot replace each other */
    const char *canon; /* same canon: same meaning */
    bool value;
} owned_flag;

/* The owned flag tok names, and its inline value for "--flag=value". */
const owned_flag *gp_swap_owned_find(const char *tok, const char **inline_value);
/* True when two values of a slot mean the same: equal text, the same
 * on/off/auto for -fa, the same integer for slots other than -ts and -ot. */
bool gp_swap_same_value(const char *slot, const char *a, const char *b);

/* ---- matrix sets (matrix_expr.c) --------------------------------------------- */

/* A matrix set's expression ("a & (b | c)") over vars in disjunctive normal
 * form: each conjunction a bitmask over the vars in terms, at most max of
 * them. Returns how many, or -1 when the text is not an expression of the
 * vars. */
int gp_swap_dnf_parse(const char *expr, const char *const *vars, size_t n_vars, uint64_t *terms, int max);

/* ---- checking a config (config_check.c) -------------------------------------- */

/* Appends to r what llama-swap ignores or refuses in the document y. */
void gp_swap_check_config(const gp_yaml *y, gp_swap_result *r);

/* ---- which program a command runs (server_cmd.c) ----------------------------- */

typedef struct mount {
    char host[1024], ctr[1024];
} mount;

typedef struct server_cmd {
    size_t start;       /* index of the first llama-server argument */
    bool docker;
    char image[256];
    mount mounts[16];
    size_t n_mounts;
} server_cmd;

/* The last component of a path. */
const char *gp_swap_base_name(const char *p);
/* Whether argv runs llama-server (directly, through env, or in a llama.cpp
 * container); why says what it runs otherwise. */
bool gp_swap_find_server(const gp_swap_argv *a, server_cmd *s, char *why, size_t wsize);
/* The host file behind a path seen inside a container. */
bool gp_swap_host_path(const server_cmd *s, const char *p, char *out, size_t size);

/* ---- one model's edit (flag_edits.c, splice.c) ------------------------------- */

/* Value space: replace value bytes [vb, ve) of the cmd by text (already
 * quoted for llama-swap's splitter); text NULL deletes. */
typedef struct vedit {
    size_t vb, ve;
    char *text;
} vedit;

/* File space: replace file bytes [b, e) by text (already YAML-encoded). */
typedef struct fedit {
    size_t b, e;
    char *text;
} fedit;

typedef struct fedits {
    fedit *v;
    size_t n, cap;
    bool failed;
} fedits;

/* One model of a config being re-planned: its cmd (node, source map, macros,
 * argv), the edits it needs, and the devices it shares. */
typedef struct job {
    gp_swap_model *rep;
    const yaml_node_t *cmd, *cmd_key;
    gp_yaml_src src;
    gp_swap_macro *macros;
    size_t n_macros;
    long port;
    gp_swap_getenv_fn getenv_fn; /* ${env.X}: the same lookup for every split of this cmd */
    gp_swap_argv argv;
    char **expect;        /* argv after the edit */
    size_t n_expect;
    vedit *ve;
    size_t n_ve;
    char **append;        /* lines to add: "flag" or "flag value", quoted */
    size_t n_append;
    fedits fe;            /* the file edits that passed validation */
    bool as_block;
    uint32_t share;       /* > 1: the model stays loaded beside share - 1 others (a swap: false
                             group) and is planned for that part of every device */
    char share_group[96];
} job;

/* No such index (a flag without its value token, no such line). */
#define NONE ((size_t)-1)

/* Matches the planned flags against the owned flags in the command: same
 * slot in order (the k-th -ot to the k-th -ot), a value replaced only when it
 * differs, owned flags the plan does not want removed, new ones appended.
 * Fills j->ve, j->append, j->expect; false with why when the command cannot
 * be edited. */
bool gp_swap_plan_edits(job *j, size_t start, char **args, char *why, size_t wsize);

/* Adds the file edit [b, e) -> text, taking text; a NULL text or no memory
 * marks f failed, and a failed f frees what it is given. */
void gp_swap_fe_push(fedits *f, size_t b, size_t e, char *text);
void gp_swap_fe_free(fedits *f);
/* Applies sorted, non-overlapping edits; NULL if they overlap. */
char *gp_swap_splice(const char *text, size_t len, fedit *e, size_t n, size_t *out_len);
/* True when text2 parses to the same document as y except for the jobs'
 * commands, which split to exactly the argv each job expects. */
bool gp_swap_validate(const gp_yaml *y, const char *text2, size_t len2, job **jobs, size_t n_jobs);
/* Builds the file edits of j (in the cmd's own style, or as_block as a |
 * block) and keeps them in j->fe when the result re-parses as intended. */
bool gp_swap_try_edits(const gp_yaml *y, job *j, bool as_block);

/* ---- planning one model (plan_model.c) --------------------------------------- */

/* Plans one model file; fills the report's args, path and footprint. A
 * cmd's -dev list (devices, "" for none) narrows the devices planned for;
 * the footprint stays in the full list's order. cuda_list (may be NULL) is
 * the model's CUDA_VISIBLE_DEVICES, applied before -dev. Returns the
 * planned flags (gp_plan_args_free them), NULL when the model is skipped. */
char **gp_swap_plan_model(const char *path, gp_model *opened, const gp_devices *d, const gp_plan_request *req,
                          const gp_load_extras *extras, const char *devices, const char *cuda_list,
                          gp_swap_model *rep, uint64_t *budget);

/* ---- co-resident models (coresident.c) --------------------------------------- */

/* Sets each job's share (and share_group) from the groups with swap: false
 * and the matrix sets, at the top level and under routing.router.settings. */
void gp_swap_coresident(const gp_yaml *y, const yaml_node_t *root, job *jobs, size_t n_jobs);

#endif
