/*
 * Hugging Face references, resolved as llama-server v0.5.0 resolves -hf.
 *
 * `-hf owner/repo[:QUANT]` asks the model endpoint ($MODEL_ENDPOINT, else
 * $HF_ENDPOINT, else https://huggingface.co/) for the repository's refs
 * (api/models/REPO/refs: the "main" branch, else the first one listed),
 * then for the file list at that commit (api/models/REPO/tree/COMMIT?
 * recursive=true), and downloads REPO/resolve/COMMIT/PATH. Which file:
 * -hff FILE names it exactly; otherwise the first model GGUF whose path
 * contains QUANT followed by '.' or '-' (case-insensitive), trying Q4_K_M
 * then Q8_0 when no quant is given and then the first model GGUF at all.
 * Files named mmproj, imatrix, mtp-, eagle3-, dflash- or dspark- are not
 * models, and of a split model only the first shard is picked; all of its
 * shards are then read. The multimodal projector llama-server adds is the
 * mmproj GGUF in the model's directory or an ancestor (deepest first), then
 * with the quantization bits closest to the model's.
 */
#ifndef GP_SOURCE_HF_H
#define GP_SOURCE_HF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ggplace.h"
#include "source/remote.h"

typedef struct gp_hf_resolution {
    char repo[257];
    char tag[128];        /* the quant asked for ("" when none) */
    char commit[41];
    char primary[1024];   /* the model file's path in the repository */
    char **urls;          /* every file of the model, shard 1 first */
    uint32_t n_urls;
    char mmproj[1024];    /* the projector llama-server adds ("" when none) */
    char mmproj_url[2048];
} gp_hf_resolution;

/* The endpoint, always ending in '/': $MODEL_ENDPOINT, $HF_ENDPOINT, else
 * https://huggingface.co/. */
void gp_hf_endpoint(char *buf, size_t cap);
/* The endpoint o names (with its '/'), else gp_hf_endpoint()'s. */
void gp_hf_endpoint_of(const gp_remote_opts *o, char *buf, size_t cap);

/* The token: $HF_TOKEN, else the file $HF_TOKEN_PATH, $HF_HOME/token,
 * $XDG_CACHE_HOME/huggingface/token or ~/.cache/huggingface/token. False
 * when there is none. */
bool gp_hf_token(char *buf, size_t cap);

/* Splits "owner/repo[:QUANT]" as llama.cpp does (the text after the last
 * ':' is the quant); GP_ERR_ARG when the repository is not owner/name. */
gp_status gp_hf_split_ref(const char *ref, char *repo, size_t repo_cap, char *tag,
                          size_t tag_cap, gp_error *err);

/* Picks files from a repository listing (paths in API order): the model
 * file (-1: none), its shards in order (*parts, malloc'd, *n_parts), and
 * the mmproj (-1: none). hf_file, when given, is matched exactly. */
void gp_hf_pick(const char *const *paths, size_t n, const char *tag, const char *hf_file,
                int *primary, int **parts, uint32_t *n_parts, int *mmproj);

/* The commit a refs answer (api/models/REPO/refs) names: "main", else the
 * first branch with a valid one. url names the answer in errors. */
gp_status gp_hf_commit_from_refs(const char *json, size_t len, const char *url, const char *repo,
                                 char commit[41], gp_error *err);

/* From a file list answer (api/models/REPO/tree/COMMIT), the files of out
 * (whose repo, tag and commit are set): primary, urls, mmproj. ref names
 * the reference in errors; on failure out holds no urls. */
gp_status gp_hf_pick_from_tree(const char *json, size_t len, const char *url, const char *ref,
                               const char *endpoint, const char *hf_file, gp_hf_resolution *out,
                               gp_error *err);

/* Resolves a reference against the endpoint (o->token authenticates;
 * o->offline uses answers cached by an earlier run). */
gp_status gp_hf_resolve(const char *ref, const char *hf_file, const gp_remote_opts *o,
                        gp_hf_resolution *out, gp_error *err);
void gp_hf_resolution_free(gp_hf_resolution *r);

#endif
