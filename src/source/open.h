/*
 * Opening a model: a local file (every shard of a split one), an http(s)
 * URL (every shard's header over HTTP ranges, through the header cache) or
 * the URLs of its shards. The headers are read here and handed to model/,
 * which builds the gp_model from them. gp_model_open (include/ggplace.h) is
 * defined here too.
 */
#ifndef GP_SOURCE_OPEN_H
#define GP_SOURCE_OPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ggplace.h"
#include "source/remote.h"

/* Whether name[0..len) ends in a split model's "-00001-of-00003.gguf" (any
 * shard number): where that tail starts and how many shards there are. */
bool gp_shard_name(const char *name, size_t len, size_t *prefix_len, unsigned *count);

/* Opens a model by URL; a shard address (NAME-00001-of-00003.gguf) reads
 * every shard's header. */
gp_status gp_remote_open_model(const char *url, const gp_remote_opts *o, gp_model **out,
                               gp_error *err);

/* Opens the shards at urls (in order, the first holding the metadata) as
 * one model named label. */
gp_status gp_remote_open_model_urls(const char *label, const char *const *urls, uint32_t n,
                                    const gp_remote_opts *o, gp_model **out, gp_error *err);

#endif
