/*
 * Opening a model: its shards' headers read by source/ (a local file, every
 * shard of a split one, an http(s) URL or the URLs of its shards) and built
 * into one gp_model. gp_model_open (include/ggplace.h) is defined here.
 */
#ifndef GP_MODEL_OPEN_H
#define GP_MODEL_OPEN_H

#include <stdint.h>

#include "ggplace.h"
#include "source/remote.h"

/* Opens a model by URL; a shard address (NAME-00001-of-00003.gguf) reads
 * every shard's header. */
gp_status gp_remote_open_model(const char *url, const gp_remote_opts *o, gp_model **out,
                               gp_error *err);

/* Opens the shards at urls (in order, the first holding the metadata) as
 * one model named label. */
gp_status gp_remote_open_model_urls(const char *label, const char *const *urls, uint32_t n,
                                    const gp_remote_opts *o, gp_model **out, gp_error *err);

#endif
