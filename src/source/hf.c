#include "source/hf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "util/error.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#define API_MAX (64u * 1024u * 1024u)

void gp_hf_endpoint(char *buf, size_t cap)
{
    const char *e = getenv("MODEL_ENDPOINT");
    if (!e || !*e)
        e = getenv("HF_ENDPOINT");
    if (!e || !*e)
        e = "https://huggingface.co/";
    size_t n = strlen(e);
    snprintf(buf, cap, "%s%s", e, e[n - 1] == '/' ? "" : "/");
}

void gp_hf_endpoint_of(const gp_remote_opts *o, char *buf, size_t cap)
{
    if (!o || !o->endpoint || !*o->endpoint) {
        gp_hf_endpoint(buf, cap);
        return;
    }
    size_t n = strlen(o->endpoint);
    snprintf(buf, cap, "%s%s", o->endpoint, o->endpoint[n - 1] == '/' ? "" : "/");
}

static bool read_token_file(const char *path, char *buf, size_t cap)
{
    char *text;
    size_t len;
    gp_error e;
    if (gp_read_file(path, 4096, &text, &len, &e) != GP_OK)
        return false;
    char *s = text;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    bool ok = n > 0 && n < cap;
    if (ok) {
        memcpy(buf, s, n);
        buf[n] = 0;
    }
    free(text);
    return ok;
}

bool gp_hf_token(char *buf, size_t cap)
{
    const char *t = getenv("HF_TOKEN");
    if (t && *t) {
        snprintf(buf, cap, "%s", t);
        return strlen(t) < cap;
    }
    char path[1024];
    const char *p = getenv("HF_TOKEN_PATH");
    if (p && *p)
        return read_token_file(p, buf, cap);
    const char *home = getenv("HF_HOME"), *xdg = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (home && *home)
        snprintf(path, sizeof path, "%s/token", home);
    else if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/huggingface/token", xdg);
    else if (h && *h)
        snprintf(path, sizeof path, "%s/.cache/huggingface/token", h);
    else
        return false;
    return read_token_file(path, buf, cap);
}

/* llama.cpp sends a token to the API only when it looks like one. */
static bool token_valid(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n < 37 || n > 256 || strncmp(t, "hf_", 3) != 0)
        return false;
    for (size_t i = 3; i < n; i++)
        if (!isalnum((unsigned char)t[i]))
            return false;
    return true;
}

/* [A-Za-z0-9_] runs joined by single '/', '.' or '-', exactly one '/'. */
static bool repo_valid(const char *r)
{
    size_t n = strlen(r);
    if (!n || n > 256)
        return false;
    int slash = 0;
    bool special = true;
    for (const char *c = r; *c; c++) {
        if (isalnum((unsigned char)*c) || *c == '_') {
            special = false;
        } else if (*c == '/' || *c == '.' || *c == '-') {
            if (special)
                return false;
            slash += *c == '/';
            special = true;
        } else {
            return false;
        }
    }
    return !special && slash == 1;
}

gp_status gp_hf_split_ref(const char *ref, char *repo, size_t repo_cap, char *tag,
                          size_t tag_cap, gp_error *err)
{
    const char *first = strchr(ref, ':'), *last = strrchr(ref, ':');
    size_t rl = first ? (size_t)(first - ref) : strlen(ref);
    if (rl >= repo_cap || (last && strlen(last + 1) >= tag_cap))
        return gp_fail(err, GP_ERR_ARG, ref, "-hf: reference too long");
    memcpy(repo, ref, rl);
    repo[rl] = 0;
    snprintf(tag, tag_cap, "%s", last ? last + 1 : "");
    if (!repo_valid(repo))
        return gp_fail(err, GP_ERR_ARG, ref, "-hf: expected OWNER/REPO[:QUANT]");
    return GP_OK;
}

/* ---- choosing files -------------------------------------------------------------- */

typedef struct split_info {
    size_t prefix_len;    /* path without ".gguf" and the shard suffix */
    char tag[64];         /* upper case, "" when none */
    int index, count;     /* 0, 0 when the path is not a .gguf */
} split_info;

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static split_info get_split_info(const char *path)
{
    split_info si = {0};
    if (!ends_with(path, ".gguf"))
        return si;
    size_t len = strlen(path) - 5;
    si.index = si.count = 1;
    /* "-NNNNN-of-MMMMM" with something before it */
    if (len > 15) {
        const char *t = path + len - 15;
        bool ok = t[0] == '-' && !strncasecmp(t + 6, "-of-", 4);
        for (int i = 1; ok && i <= 5; i++)
            ok = isdigit((unsigned char)t[i]) && isdigit((unsigned char)t[i + 9]);
        if (ok) {
            si.index = atoi(t + 1);
            si.count = atoi(t + 10);
            len -= 15;
        }
    }
    si.prefix_len = len;
    /* The tag: after the last '-' or '.', when only [A-Za-z0-9_] follow. */
    size_t i = len;
    while (i > 0 && (isalnum((unsigned char)path[i - 1]) || path[i - 1] == '_'))
        i--;
    if (i > 0 && i < len && (path[i - 1] == '-' || path[i - 1] == '.') && len - i < sizeof si.tag) {
        for (size_t k = i; k < len; k++)
            si.tag[k - i] = (char)toupper((unsigned char)path[k]);
        si.tag[len - i] = 0;
    }
    return si;
}

/* The first run of digits in a tag ("Q4_K_M" -> 4, "F16" -> 16). */
static int tag_bits(const char *tag)
{
    const char *d = tag;
    while (*d && !isdigit((unsigned char)*d))
        d++;
    return *d ? atoi(d) : 0;
}

static bool is_model_file(const char *path)
{
    if (!ends_with(path, ".gguf"))
        return false;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    static const char *const not_models[] = {"mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"};
    for (size_t i = 0; i < sizeof not_models / sizeof not_models[0]; i++)
        if (strstr(name, not_models[i]))
            return false;
    return true;
}

/* TAG followed by '.' or '-', anywhere in path, case-insensitive. */
static bool has_tag(const char *path, const char *tag)
{
    size_t tl = strlen(tag);
    for (const char *p = path; *p; p++)
        if (!strncasecmp(p, tag, tl) && (p[tl] == '.' || p[tl] == '-'))
            return true;
    return false;
}

static int find_best_model(const char *const *paths, size_t n, const char *tag)
{
    const char *defaults[] = {"Q4_K_M", "Q8_0"};
    const char *one[] = {tag};
    const char *const *tags = *tag ? one : defaults;
    size_t nt = *tag ? 1 : 2;
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < n; i++) {
            if (!is_model_file(paths[i]) || !has_tag(paths[i], tags[t]))
                continue;
            split_info si = get_split_info(paths[i]);
            if (si.count > 1 && si.index != 1)
                continue;
            return (int)i;
        }
    if (!*tag)
        for (size_t i = 0; i < n; i++) {
            if (!is_model_file(paths[i]))
                continue;
            split_info si = get_split_info(paths[i]);
            if (si.count > 1 && si.index != 1)
                continue;
            return (int)i;
        }
    return -1;
}

/* Directory components of a path (all but the last '/'-separated part). */
static size_t dir_parts(const char *path, const char **starts, size_t *lens, size_t cap)
{
    size_t n = 0;
    const char *p = path;
    for (const char *s = strchr(p, '/'); s && n < cap; p = s + 1, s = strchr(p, '/')) {
        starts[n] = p;
        lens[n] = (size_t)(s - p);
        n++;
    }
    return n;
}

static int find_best_mmproj(const char *const *paths, size_t n, const char *model)
{
    const char *ms[64], *ss[64];
    size_t ml[64], sl[64];
    size_t mn = dir_parts(model, ms, ml, 64);
    int model_bits = tag_bits(get_split_info(model).tag);
    int best = -1, best_diff = 0;
    size_t best_depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ends_with(paths[i], ".gguf") || !strstr(paths[i], "mmproj"))
            continue;
        size_t sn = dir_parts(paths[i], ss, sl, 64);
        /* The projector's directory must be the model's or an ancestor. */
        size_t k = 0;
        while (k < mn && k < sn && ml[k] == sl[k] && !memcmp(ms[k], ss[k], ml[k]))
            k++;
        if (k != sn)
            continue;
        int diff = abs(tag_bits(get_split_info(paths[i]).tag) - model_bits);
        if (best < 0 || sn > best_depth || (sn == best_depth && diff < best_diff)) {
            best = (int)i;
            best_depth = sn;
            best_diff = diff;
        }
    }
    return best;
}

void gp_hf_pick(const char *const *paths, size_t n, const char *tag, const char *hf_file,
                int *primary, int **parts, uint32_t *n_parts, int *mmproj)
{
    *primary = *mmproj = -1;
    *parts = NULL;
    *n_parts = 0;
    if (hf_file && *hf_file) {
        for (size_t i = 0; i < n && *primary < 0; i++)
            if (!strcmp(paths[i], hf_file))
                *primary = (int)i;
    } else {
        *primary = find_best_model(paths, n, tag ? tag : "");
    }
    if (*primary < 0)
        return;
    const char *pp = paths[*primary];
    split_info ps = get_split_info(pp);
    int count = ps.count > 1 ? ps.count : 1;
    int *out = calloc((size_t)count, sizeof *out);
    if (!out)
        return;
    for (int k = 0; k < count; k++)
        out[k] = -1;
    if (count == 1) {
        out[0] = *primary;
    } else {
        for (size_t i = 0; i < n; i++) {
            split_info si = get_split_info(paths[i]);
            if (si.count == ps.count && si.prefix_len == ps.prefix_len &&
                !strncmp(paths[i], pp, ps.prefix_len) && si.index >= 1 && si.index <= count)
                out[si.index - 1] = (int)i;
        }
    }
    *parts = out;
    *n_parts = (uint32_t)count;
    *mmproj = find_best_mmproj(paths, n, pp);
}

/* ---- the API ------------------------------------------------------------------------ */

static void append_encoded(gp_strbuf *sb, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p))
            gp_sb_appendn(sb, (const char *)p, 1);
        else
            gp_sb_printf(sb, "%%%02X", *p);
    }
}

static gp_status api_error(gp_error *err, const char *what, long status, const char *repo,
                           bool token)
{
    if (status == 401)
        return gp_fail(err, GP_ERR_IO, what,
                       "HTTP 401: %s is gated, private or does not exist; %s", repo,
                       token ? "the token was refused (check HF_TOKEN or ~/.cache/huggingface/token)"
                             : "set HF_TOKEN or log in (`hf auth login`) for gated or private models");
    if (status == 403)
        return gp_fail(err, GP_ERR_IO, what,
                       "HTTP 403: no access to %s; accept its terms on the model page, with the "
                       "account whose token is in HF_TOKEN", repo);
    if (status == 404)
        return gp_fail(err, GP_ERR_IO, what, "HTTP 404: repository %s not found", repo);
    return gp_fail(err, GP_ERR_IO, what, "HTTP %ld from the model endpoint", status);
}

static gp_status api_get(const char *url, const char *repo, const gp_remote_opts *o, char **body,
                         size_t *len, gp_error *err)
{
    gp_remote_opts api = o ? *o : (gp_remote_opts){0};
    if (!token_valid(api.token))
        api.token = NULL;
    long status;
    gp_status s = gp_remote_get(url, &api, API_MAX, body, len, &status, NULL, err);
    if (s != GP_OK)
        return s;
    if (status != 200) {
        free(*body);
        *body = NULL;
        return api_error(err, url, status, repo, api.token != NULL);
    }
    return GP_OK;
}

static bool is_commit(const char *s)
{
    if (strlen(s) != 40)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

void gp_hf_resolution_free(gp_hf_resolution *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n_urls; i++)
        free(r->urls[i]);
    free(r->urls);
    r->urls = NULL;
    r->n_urls = 0;
}

static char *file_url(const char *endpoint, const char *repo, const char *commit, const char *path)
{
    gp_strbuf sb = {0};
    gp_sb_printf(&sb, "%s%s/resolve/%s/", endpoint, repo, commit);
    append_encoded(&sb, path);
    return gp_sb_take(&sb);
}

gp_status gp_hf_commit_from_refs(const char *json, size_t len, const char *url, const char *repo,
                                 char commit[41], gp_error *err)
{
    commit[0] = 0;
    cJSON *refs = cJSON_ParseWithLength(json, len);
    if (!refs)
        return gp_fail(err, GP_ERR_FORMAT, url, "the model endpoint's answer is not JSON");
    const cJSON *branches = cJSON_GetObjectItemCaseSensitive(refs, "branches");
    const cJSON *b;
    cJSON_ArrayForEach(b, branches)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *target = cJSON_GetObjectItemCaseSensitive(b, "targetCommit");
        if (!cJSON_IsString(name) || !cJSON_IsString(target) || !is_commit(target->valuestring) ||
            !*name->valuestring || strstr(name->valuestring, ".."))
            continue;
        if (!strcmp(name->valuestring, "main") || !commit[0])
            snprintf(commit, 41, "%s", target->valuestring);
        if (!strcmp(name->valuestring, "main"))
            break;
    }
    cJSON_Delete(refs);
    if (!commit[0])
        return gp_fail(err, GP_ERR_FORMAT, url, "no branch of %s has a valid commit", repo);
    return GP_OK;
}

gp_status gp_hf_pick_from_tree(const char *json, size_t len, const char *url, const char *ref,
                               const char *endpoint, const char *hf_file, gp_hf_resolution *out,
                               gp_error *err)
{
    gp_status s;
    cJSON *tree = cJSON_ParseWithLength(json, len);
    if (!tree)
        return gp_fail(err, GP_ERR_FORMAT, url, "the model endpoint's answer is not JSON");
    if (!cJSON_IsArray(tree)) {
        cJSON_Delete(tree);
        return gp_fail(err, GP_ERR_FORMAT, url, "the file list is not a JSON array");
    }
    size_t n = 0, cap = (size_t)cJSON_GetArraySize(tree);
    const char **paths = calloc(cap ? cap : 1, sizeof *paths);
    if (!paths) {
        cJSON_Delete(tree);
        return gp_fail(err, GP_ERR_NOMEM, url, "out of memory");
    }
    bool preset = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, tree)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "file") != 0 || !cJSON_IsString(path))
            continue;
        const char *p = path->valuestring;
        /* Paths that would leave the repository are skipped, as llama.cpp does. */
        if (p[0] == '/' || !strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
            ends_with(p, "/.."))
            continue;
        if (!strcmp(p, "preset.ini"))
            preset = true;
        paths[n++] = p;
    }
    if (preset) {
        free(paths);
        cJSON_Delete(tree);
        return gp_fail(err, GP_ERR_UNSUPPORTED, ref,
                       "the repository ships a preset.ini, which llama-server follows instead of "
                       "choosing a GGUF; name the model with its URL instead");
    }
    int primary, mmproj, *parts;
    uint32_t n_parts;
    gp_hf_pick(paths, n, out->tag, hf_file, &primary, &parts, &n_parts, &mmproj);
    if (primary < 0) {
        gp_strbuf sb = {0};
        size_t shown = 0;
        for (size_t i = 0; i < n; i++)
            if (ends_with(paths[i], ".gguf") && shown < 8)
                gp_sb_printf(&sb, "%s%s", shown++ ? ", " : "", paths[i]);
        char *list = gp_sb_take(&sb);
        if (hf_file && *hf_file)
            s = gp_fail(err, GP_ERR_MISSING, ref, "file '%s' not in the repository (GGUF files: %s)",
                        hf_file, list && *list ? list : "none");
        else if (*out->tag)
            s = gp_fail(err, GP_ERR_MISSING, ref, "no model GGUF matches quant '%s' (GGUF files: %s)",
                        out->tag, list && *list ? list : "none");
        else
            s = gp_fail(err, GP_ERR_MISSING, ref, "no model GGUF in the repository");
        free(list);
        free(paths);
        cJSON_Delete(tree);
        return s;
    }
    snprintf(out->primary, sizeof out->primary, "%s", paths[primary]);
    out->urls = calloc(n_parts, sizeof *out->urls);
    s = out->urls ? GP_OK : gp_fail(err, GP_ERR_NOMEM, ref, "out of memory");
    for (uint32_t k = 0; k < n_parts && s == GP_OK; k++) {
        if (parts[k] < 0) {
            s = gp_fail(err, GP_ERR_MISSING, ref, "shard %u of %u of %s is not in the repository",
                        k + 1, n_parts, out->primary);
            break;
        }
        out->urls[k] = file_url(endpoint, out->repo, out->commit, paths[parts[k]]);
        if (!out->urls[k])
            s = gp_fail(err, GP_ERR_NOMEM, ref, "out of memory");
        out->n_urls = k + 1;
    }
    if (s == GP_OK && mmproj >= 0) {
        snprintf(out->mmproj, sizeof out->mmproj, "%s", paths[mmproj]);
        char *u = file_url(endpoint, out->repo, out->commit, paths[mmproj]);
        snprintf(out->mmproj_url, sizeof out->mmproj_url, "%s", u ? u : "");
        free(u);
    }
    free(parts);
    free(paths);
    cJSON_Delete(tree);
    if (s != GP_OK)
        gp_hf_resolution_free(out);
    return s;
}

gp_status gp_hf_resolve(const char *ref, const char *hf_file, const gp_remote_opts *o,
                        gp_hf_resolution *out, gp_error *err)
{
    memset(out, 0, sizeof *out);
    gp_status s = gp_hf_split_ref(ref, out->repo, sizeof out->repo, out->tag, sizeof out->tag, err);
    if (s != GP_OK)
        return s;
    char endpoint[1024];
    gp_hf_endpoint_of(o, endpoint, sizeof endpoint);
    char url[2048];
    snprintf(url, sizeof url, "%sapi/models/%s/refs", endpoint, out->repo);
    char *body = NULL;
    size_t len = 0;
    if ((s = api_get(url, out->repo, o, &body, &len, err)) != GP_OK)
        return s;
    s = gp_hf_commit_from_refs(body, len, url, out->repo, out->commit, err);
    free(body);
    if (s != GP_OK)
        return s;
    snprintf(url, sizeof url, "%sapi/models/%s/tree/%s?recursive=true", endpoint, out->repo,
             out->commit);
    if ((s = api_get(url, out->repo, o, &body, &len, err)) != GP_OK)
        return s;
    s = gp_hf_pick_from_tree(body, len, url, ref, endpoint, hf_file, out, err);
    free(body);
    return s;
}
