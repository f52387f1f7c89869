/*
 * Reading a model's headers: a local file (every shard of a split one), an
 * http(s) URL (every shard's header over HTTP ranges, through the header
 * cache) or the URLs of its shards. The parsed headers are handed to
 * model/, which builds the gp_model from them (model/open.h).
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

/* Every shard's header of the local file at path (a shard's name reads all
 * of its set); *out (n_out headers) is the caller's. */
gp_status gp_source_read_shards(const char *path, gp_gguf ***out, uint32_t *n_out, gp_error *err);

/* The headers at urls, in order (the first holds the metadata); errors
 * name label. *out (n headers) is the caller's. */
gp_status gp_source_fetch_shards(const char *label, const char *const *urls, uint32_t n, const gp_remote_opts *o,
                                 gp_gguf ***out, gp_error *err);

/* The headers of a model by URL; a shard address (NAME-00001-of-00003.gguf)
 * reads every shard's. */
gp_status gp_source_fetch_url_shards(const char *url, const gp_remote_opts *o, gp_gguf ***out, uint32_t *n_out,
                                     gp_error *err);

#endif
