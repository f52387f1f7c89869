/* The public API's options for models that are not local files
 * (include/ggplace.h): URLs and Hugging Face references read by source/,
 * opened by model/. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "model/open.h"
#include "source/hf.h"
#include "util/error.h"

#define NEED_OPTS(o)                                                       \
    do {                                                                   \
        if (!(o))                                                          \
            return gp_fail(err, GP_ERR_ARG, NULL, "no open options");     \
    } while (0)

gp_status gp_open_options_new(gp_open_options **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the options");
    if (!(*out = calloc(1, sizeof **out)))
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    return GP_OK;
}

void gp_open_options_close(gp_open_options **o)
{
    if (!o || !*o)
        return;
    free((*o)->token);
    free((*o)->endpoint);
    free(*o);
    *o = NULL;
}

gp_status gp_open_options_set_offline(gp_open_options *o, bool offline, gp_error *err)
{
    NEED_OPTS(o);
    o->offline = offline;
    return GP_OK;
}

gp_status gp_api_set_string(char **dst, const char *s, gp_error *err)
{
    char *copy = NULL;
    if (s && !(copy = strdup(s)))
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    free(*dst);
    *dst = copy;
    return GP_OK;
}

gp_status gp_open_options_set_token(gp_open_options *o, const char *token, gp_error *err)
{
    NEED_OPTS(o);
    return gp_api_set_string(&o->token, token && *token ? token : NULL, err);
}

gp_status gp_open_options_set_endpoint(gp_open_options *o, const char *url, gp_error *err)
{
    NEED_OPTS(o);
    return gp_api_set_string(&o->endpoint, url && *url ? url : NULL, err);
}

gp_status gp_open_options_set_progress(gp_open_options *o, gp_open_progress_fn fn, void *ctx, gp_error *err)
{
    NEED_OPTS(o);
    o->progress = fn;
    o->progress_ctx = ctx;
    return GP_OK;
}

void gp_api_remote_opts(const gp_open_options *o, const char *url, char *buf, size_t cap, gp_remote_opts *out)
{
    memset(out, 0, sizeof *out);
    if (o) {
        out->offline = o->offline;
        out->endpoint = o->endpoint;
        out->progress = o->progress;
        out->progress_ctx = o->progress_ctx;
    }
    /* The token: the one given, $HF_TOKEN, and the stored one only for the
     * Hugging Face endpoint (never sent to other hosts unasked). */
    if (o && o->token) {
        out->token = o->token;
        return;
    }
    const char *env = getenv("HF_TOKEN");
    if (env && *env) {
        out->token = env;
        return;
    }
    char endpoint[1024];
    gp_hf_endpoint_of(out, endpoint, sizeof endpoint);
    if (url && strncmp(url, endpoint, strlen(endpoint)) != 0)
        return;
    out->token = gp_hf_token(buf, cap) ? buf : NULL;
}

bool gp_path_is_url(const char *s)
{
    return s && gp_is_url(s);
}

gp_status gp_hf_ref_check(const char *ref, gp_error *err)
{
    char repo[257], tag[128];
    if (!ref)
        return gp_fail(err, GP_ERR_ARG, NULL, "no reference");
    return gp_hf_split_ref(ref, repo, sizeof repo, tag, sizeof tag, err);
}

gp_status gp_model_open_url(const char *url, const gp_open_options *o, gp_model **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, url, "no place for the model");
    *out = NULL;
    if (!gp_path_is_url(url))
        return gp_fail(err, GP_ERR_ARG, url, "expected an http:// or https:// URL");
    char token[512];
    gp_remote_opts ro;
    gp_api_remote_opts(o, url, token, sizeof token, &ro);
    return gp_remote_open_model(url, &ro, out, err);
}

gp_status gp_model_open_hf(const char *ref, const char *file, const gp_open_options *o, gp_model **out,
                           char **projector, gp_error *err)
{
    if (projector)
        *projector = NULL;
    if (!out)
        return gp_fail(err, GP_ERR_ARG, ref, "no place for the model");
    *out = NULL;
    if (!ref)
        return gp_fail(err, GP_ERR_ARG, NULL, "no reference");
    char token[512];
    gp_remote_opts ro;
    gp_api_remote_opts(o, NULL, token, sizeof token, &ro);
    gp_hf_resolution r;
    gp_status st = gp_hf_resolve(ref, file, &ro, &r, err);
    if (st != GP_OK)
        return st;
    st = gp_remote_open_model_urls(r.urls[0], (const char *const *)r.urls, r.n_urls, &ro, out, err);
    if (st == GP_OK && projector && !(*projector = strdup(r.mmproj_url))) {
        gp_model_close(out);
        st = gp_fail(err, GP_ERR_NOMEM, ref, "out of memory");
    }
    gp_hf_resolution_free(&r);
    return st;
}
