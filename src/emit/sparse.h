/*
 * A runnable stand-in for a model you do not have: the header of a GGUF and
 * a zero-filled, sparse data section of the right size, so llama.cpp can
 * load and run a model's exact shape without its weights.
 */
#ifndef GP_EMIT_SPARSE_H
#define GP_EMIT_SPARSE_H

#include "ggplace.h"
#include "model/model.h"

/* Writes the stand-in of a single-file model to out_path (atomically; the
 * data section is a hole, so it takes no disk space). */
gp_status gp_write_sparse(const gp_model *m, const char *out_path, gp_error *err);

#endif
