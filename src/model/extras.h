/*
 * What llama-server loads besides the main model, opened (headers only):
 * the multimodal projector, the draft model of speculative decoding and
 * LoRA adapters, from local files, http(s) URLs or Hugging Face references
 * (source/ reads them). memory/extras.h prices them.
 */
#ifndef GP_MODEL_EXTRAS_H
#define GP_MODEL_EXTRAS_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"
#include "source/remote.h"

#define GP_MAX_LORA 16

/* The files a command names (NULL or "": none). */
typedef struct gp_extra_names {
    const char *mmproj;             /* path or URL */
    const char *draft;              /* -md: path or URL */
    const char *draft_hf;           /* -hfd OWNER/REPO[:QUANT] */
    const char *lora[GP_MAX_LORA];  /* paths or URLs, in order */
    uint32_t n_lora;
} gp_extra_names;

/* The files, opened. */
typedef struct gp_extra_files {
    gp_gguf *mmproj;          /* NULL when none */
    char mmproj_name[2048];   /* path or URL, for messages */
    gp_model *draft;          /* NULL when none */
    char draft_name[1024];
    gp_gguf *lora[GP_MAX_LORA];
    uint32_t n_lora;
} gp_extra_files;

/* Opens what names says, each checked to be what it is given as (a
 * projector, a model, a LoRA adapter). Close out with gp_extra_files_close;
 * on failure it is closed already. */
gp_status gp_extra_files_open(const gp_extra_names *names, const gp_remote_opts *remote, gp_extra_files *out,
                              gp_error *err);

void gp_extra_files_close(gp_extra_files *f);
bool gp_extra_files_any(const gp_extra_files *f);

#endif
