#include "model/open.h"

#include "model/model.h"
#include "source/open.h"
#include "util/error.h"

gp_status gp_model_open(const char *path, gp_model **out, gp_error *err)
{
    if (!path || !out)
        return gp_fail(err, GP_ERR_ARG, path, "invalid argument");
    /* An http(s) address: its header (every shard's) over HTTP ranges. */
    if (gp_is_url(path))
        return gp_remote_open_model(path, NULL, out, err);
    gp_gguf **shards;
    uint32_t n;
    gp_status st = gp_source_read_shards(path, &shards, &n, err);
    if (st != GP_OK)
        return st;
    return gp_model_from_shards(path, shards, n, out, err);
}

gp_status gp_remote_open_model_urls(const char *label, const char *const *urls, uint32_t n,
                                    const gp_remote_opts *o, gp_model **out, gp_error *err)
{
    *out = NULL;
    gp_gguf **shards;
    gp_status st = gp_source_fetch_shards(label, urls, n, o, &shards, err);
    if (st != GP_OK)
        return st;
    return gp_model_from_shards(label, shards, n, out, err);
}

gp_status gp_remote_open_model(const char *url, const gp_remote_opts *o, gp_model **out,
                               gp_error *err)
{
    if (!url || !out)
        return gp_fail(err, GP_ERR_ARG, url, "invalid argument");
    *out = NULL;
    gp_gguf **shards;
    uint32_t n;
    gp_status st = gp_source_fetch_url_shards(url, o, &shards, &n, err);
    if (st != GP_OK)
        return st;
    return gp_model_from_shards(url, shards, n, out, err);
}
