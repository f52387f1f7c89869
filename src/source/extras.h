/*
 * Opening what llama-server loads besides the main model: the projector
 * (--mmproj, -mmu, or the one -hf picked), the draft model (-md, -hfd) and
 * LoRA adapters (--lora), from local files, http(s) URLs or Hugging Face
 * references, headers only. memory/ prices what is opened here.
 */
#ifndef GP_SOURCE_EXTRAS_H
#define GP_SOURCE_EXTRAS_H

#include "ggplace.h"
#include "memory/extras.h"
#include "memory/params.h"
#include "source/remote.h"

/* Opens what x names (local files or http(s) URLs, headers only). A
 * projector picked by -hf is passed as mmproj_fallback (NULL: none) and
 * used unless -mm/-mmu/--no-mmproj says otherwise. */
gp_status gp_extra_files_open(const gp_load_extras *x, const char *mmproj_fallback,
                              const gp_remote_opts *remote, gp_extra_files *out, gp_error *err);

#endif
