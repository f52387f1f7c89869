/*
 * Every command and option of ggplace in one table: the man page ggplace(1)
 * and the bash and zsh completions are generated from it at build time
 * (tools/gen_docs.c), and a test checks that each command's --help lists
 * exactly these options. Pure data: no dependency on the rest of ggplace.
 */
#ifndef GP_CLI_OPTIONS_TABLE_H
#define GP_CLI_OPTIONS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum gp_arg_type {
    GP_ARG_NONE = 0,  /* a switch */
    GP_ARG_NUMBER,    /* an integer */
    GP_ARG_SIZE,      /* bytes: 24GiB, 512MiB */
    GP_ARG_FRACTION,  /* 0.8 */
    GP_ARG_CHOICE,    /* one of values */
    GP_ARG_FILE,      /* a file; glob narrows what completion offers */
    GP_ARG_DIR,       /* a directory */
    GP_ARG_STRING,    /* anything else */
} gp_arg_type;

typedef struct gp_option {
    const char *name;           /* "--ctx", or the only spelling ("-kvu") */
    const char *alias;          /* another spelling ("-c"), or NULL */
    gp_arg_type arg;
    const char *metavar;        /* "N", "SIZE", "FILE"; NULL for switches */
    const char *const *values;  /* GP_ARG_CHOICE (and suggestions): NULL-terminated */
    const char *glob;           /* GP_ARG_FILE: "*.json", or NULL for any file */
    bool repeat;                /* may be given more than once */
    const char *help;           /* one line */
} gp_option;

typedef struct gp_option_group {
    const char *title;          /* "Workload", "Hardware" */
    const gp_option *opts;
    size_t n;
} gp_option_group;

typedef struct gp_command_doc {
    const char *name;
    const char *synopsis;       /* what follows "ggplace NAME" */
    const char *summary;        /* the line `ggplace --help` shows */
    const char *operand_glob;   /* files the operands are ("*.gguf"), or NULL */
    const gp_option_group *const *groups; /* NULL-terminated; all listed in its --help */
    const char *inherits;       /* also takes this command's options (documented there), or NULL */
    const char *description;    /* a paragraph for the man page */
} gp_command_doc;

/* The commands, in the order `ggplace --help` lists them, "help" last. */
extern const gp_command_doc gp_command_docs[];
extern const size_t gp_n_command_docs;

/* Options every command takes (-h, --help) and the top level's (--version). */
extern const gp_option_group gp_global_options;

/* The preset names, in gp_preset order (NULL-terminated). */
extern const char *const gp_preset_values[];

const gp_command_doc *gp_command_doc_find(const char *name);

#endif
