#include "source/open.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "util/error.h"

#define MAX_SHARDS 1000

/* ---- shards -------------------------------------------------------------- */

bool gp_shard_name(const char *name, size_t len, size_t *prefix_len, unsigned *count)
{
    static const char tail[] = "-00001-of-00000.gguf";
    size_t tlen = sizeof tail - 1;
    if (len < tlen)
        return false;
    /* The tail alone, NUL-terminated: the name may go on (a URL's query). */
    char t[sizeof tail];
    memcpy(t, name + len - tlen, tlen);
    t[tlen] = 0;
    unsigned no, of;
    char dot[6];
    if (t[0] != '-' || sscanf(t, "-%5u-of-%5u%5s", &no, &of, dot) != 3)
        return false;
    if (strcmp(dot, ".gguf") != 0 || of < 1 || no < 1 || no > of || of > MAX_SHARDS)
        return false;
    *prefix_len = len - tlen;
    *count = of;
    return true;
}

gp_status gp_source_read_shards(const char *path, gp_gguf ***out, uint32_t *n_out, gp_error *err)
{
    size_t prefix_len;
    unsigned count;
    *out = NULL;
    *n_out = 0;
    if (!gp_shard_name(path, strlen(path), &prefix_len, &count))
        count = 1;
    gp_gguf **shards = calloc(count, sizeof *shards);
    if (!shards)
        return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
    gp_status st = GP_OK;
    if (count == 1) {
        st = gp_gguf_open(path, &shards[0], err);
    } else {
        size_t need = prefix_len + 32;
        char *name = malloc(need);
        if (!name) {
            free(shards);
            return gp_fail(err, GP_ERR_NOMEM, path, "out of memory");
        }
        for (unsigned i = 0; i < count && st == GP_OK; i++) {
            snprintf(name, need, "%.*s-%05u-of-%05u.gguf", (int)prefix_len, path, i + 1, count);
            st = gp_gguf_open(name, &shards[i], err);
        }
        free(name);
    }
    if (st != GP_OK) {
        for (unsigned i = 0; i < count; i++)
            gp_gguf_close(&shards[i]);
        free(shards);
        return st;
    }
    *out = shards;
    *n_out = count;
    return GP_OK;
}

/* ---- by URL -------------------------------------------------------------- */

/* Finds "-NNNNN-of-MMMMM.gguf" at the end of the URL's path (before any
 * query or fragment): where it starts, where the path ends, and the count. */
static bool url_shard(const char *url, size_t *at, size_t *path_end, unsigned *count)
{
    *path_end = strcspn(url, "?#");
    return gp_shard_name(url, *path_end, at, count);
}

gp_status gp_source_fetch_shards(const char *label, const char *const *urls, uint32_t n, const gp_remote_opts *o,
                                 gp_gguf ***out, gp_error *err)
{
    *out = NULL;
    if (!n)
        return gp_fail(err, GP_ERR_ARG, label, "no model file");
    gp_gguf **shards = calloc(n, sizeof *shards);
    if (!shards)
        return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        gp_status s = gp_remote_fetch_header(urls[i], o, &shards[i], NULL, err);
        if (s != GP_OK) {
            for (uint32_t j = 0; j < i; j++)
                gp_gguf_close(&shards[j]);
            free(shards);
            return s;
        }
    }
    *out = shards;
    return GP_OK;
}

gp_status gp_source_fetch_url_shards(const char *url, const gp_remote_opts *o, gp_gguf ***out, uint32_t *n_out,
                                     gp_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (!url)
        return gp_fail(err, GP_ERR_ARG, url, "invalid argument");
    size_t at, path_end;
    unsigned count;
    if (!url_shard(url, &at, &path_end, &count)) {
        gp_status s = gp_source_fetch_shards(url, &url, 1, o, out, err);
        if (s == GP_OK)
            *n_out = 1;
        return s;
    }
    size_t ul = strlen(url);
    char **urls = calloc(count, sizeof *urls);
    if (!urls)
        return gp_fail(err, GP_ERR_NOMEM, url, "out of memory");
    gp_status s = GP_OK;
    for (unsigned i = 0; i < count && s == GP_OK; i++) {
        urls[i] = malloc(ul + 1);
        if (!urls[i]) {
            s = gp_fail(err, GP_ERR_NOMEM, url, "out of memory");
            break;
        }
        /* The shard number replaced, everything around it kept. */
        snprintf(urls[i], ul + 1, "%.*s-%05u-of-%05u%.*s%s", (int)at, url, i + 1, count,
                 (int)(path_end - (at + 15)), url + at + 15, url + path_end);
    }
    if (s == GP_OK)
        s = gp_source_fetch_shards(url, (const char *const *)urls, count, o, out, err);
    if (s == GP_OK)
        *n_out = count;
    for (unsigned i = 0; i < count; i++)
        free(urls[i]);
    free(urls);
    return s;
}
