/*
 * Cache sizes per layer: what llama.cpp's KV cache and recurrent memory
 * allocate for each cell (token) or each sequence.
 */
#ifndef GP_MEMORY_KV_H
#define GP_MEMORY_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

/* K elements per cell in layer il (n_embd_k_gqa; the latent for MLA). */
uint64_t gp_kv_k_elems(const gp_model *m, uint32_t il);
/* V elements per cell (0 for MLA, whose V is a view of K). */
uint64_t gp_kv_v_elems(const gp_model *m, uint32_t il);

/* Bytes one cell of layer il takes with the given K and V types; 0 for
 * recurrent and NextN layers. False if a row is not a whole number of blocks
 * of the type (llama.cpp refuses such a cache type). */
bool gp_kv_cell_bytes(const gp_model *m, uint32_t il, uint32_t type_k, uint32_t type_v,
                      uint64_t *out);

/* The same for a cache whose V is stored transposed (flash attention not
 * requested): every V row is as wide as the widest layer's. */
bool gp_kv_cell_bytes_vt(const gp_model *m, uint32_t il, uint32_t type_k, uint32_t type_v, bool v_trans,
                         uint64_t *out);
/* The widest V row over all layers (n_embd_v_gqa_max). */
uint64_t gp_kv_v_elems_max(const gp_model *m);

/* Bytes of recurrent state for one sequence in layer il (F32 conv + SSM). */
uint64_t gp_recurrent_seq_bytes(const gp_model *m, uint32_t il);

/* Sum over layers of one kind (or all attention kinds when kind < 0). */
bool gp_kv_bytes_per_token(const gp_model *m, int kind, uint32_t type_k, uint32_t type_v,
                           uint64_t *out);

#endif
