/*
 * Where a command's model comes from: a local file (any shard of a split
 * model), an http(s) URL, or llama-server's own spellings -m, -mu URL,
 * -hf OWNER/REPO[:QUANT] (with -hff FILE). Remote models are planned from
 * their headers alone, read over HTTP ranges.
 */
#ifndef GP_CLI_MODEL_SOURCE_H
#define GP_CLI_MODEL_SOURCE_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"

typedef struct gp_model_source {
    const char *path;      /* MODEL or -m: a file, or an http(s) URL */
    const char *hf_repo;   /* -hf */
    const char *hf_file;   /* -hff */
    const char *model_url; /* -mu */
    const char *hf_token;  /* -hft */
    bool offline;          /* --offline */
    char hf_mmproj_url[2048]; /* the projector -hf picked (set by open), or "" */
} gp_model_source;

/* The source from MODEL (or NULL) and the llama.cpp flags of cmd (may be
 * NULL). */
void gp_model_source_init(gp_model_source *s, const char *path, const gp_command *cmd);

/* 0, or the exit code of a usage error already printed ("cmd: ..."). */
int gp_model_source_check(gp_cli *cli, const char *cmd, const gp_model_source *s);

/* True when the model is not a local file. */
bool gp_model_source_remote(const gp_model_source *s);

/* How the source is named in messages: the path, URL or OWNER/REPO[:QUANT]. */
const char *gp_model_source_name(const gp_model_source *s);

/* Opens the model (a progress line on a terminal while headers arrive);
 * returns GP_EXIT_OK, or GP_EXIT_FAIL after a one-line error. */
int gp_model_source_open(gp_cli *cli, gp_model_source *s, bool json, gp_model **out);

/* Opens what else cmd loads (--mmproj or the projector -hf picked, -md,
 * --lora) into cmd, with a progress line; returns GP_EXIT_OK, or
 * GP_EXIT_FAIL after a one-line error. */
int gp_model_source_open_extras(gp_cli *cli, const gp_model_source *s, gp_command *cmd, bool json);

/* llama-server's arguments that load this model: {"-m", FILE}, {"-mu", URL}
 * or {"-hf", OWNER/REPO[:QUANT][, "-hff", FILE]}; returns how many. */
int gp_model_source_args(const gp_model_source *s, const char *out[4]);

/* The help lines for -hf, -hff, -mu, -hft and --offline. */
void gp_model_source_help(FILE *f);

#endif
