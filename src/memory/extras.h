/*
 * What llama-server loads besides the main model, and what each costs per
 * device: the multimodal projector (--mmproj), the draft model of
 * speculative decoding (-md) with its own context, and LoRA adapters
 * (--lora). The files are opened once (headers only, model/extras.h) and
 * then priced for every placement the planner tries.
 */
#ifndef GP_MEMORY_EXTRAS_H
#define GP_MEMORY_EXTRAS_H

#include <stdbool.h>
#include <stdint.h>

#include "ggplace.h"
#include "memory/device.h"
#include "memory/params.h"
#include "model/extras.h"

struct gp_mem_result;
struct gp_mem_device;

/* The files x names, for gp_extra_files_open (model/extras.h): -mm, else
 * -mmu, else mmproj_fallback (the projector -hf picked; NULL: none) unless
 * --no-mmproj. names points into x. */
void gp_load_extras_names(const gp_load_extras *x, const char *mmproj_fallback, gp_extra_names *names);

typedef enum gp_extra_kind { GP_EXTRA_MMPROJ = 0, GP_EXTRA_DRAFT, GP_EXTRA_MTP, GP_EXTRA_LORA } gp_extra_kind;

/* One extra, per device: weights, context (the draft's KV cache) and
 * compute buffers. */
typedef struct gp_extra_mem {
    gp_extra_kind kind;
    char name[128];           /* the file's base name */
    uint64_t model[GP_MAX_DEVICES];
    uint64_t context[GP_MAX_DEVICES];
    uint64_t compute[GP_MAX_DEVICES];
    bool estimated;           /* a coarse, high figure (no graph model) */
} gp_extra_mem;

#define GP_MAX_EXTRAS (3 + GP_MAX_LORA)

typedef struct gp_extras_mem {
    gp_extra_mem item[GP_MAX_EXTRAS];
    uint32_t n;
    char note[512];           /* something given that llama-server will not keep, or "" */
} gp_extras_mem;

const char *gp_extra_kind_name(gp_extra_kind k);

/* Prices p->extras.files for the main model m placed as r says (LoRA
 * adapters follow the tensors they adapt); fills r->extras and r->extra. */
gp_status gp_extras_estimate(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                             struct gp_mem_result *r, gp_error *err);

#endif
