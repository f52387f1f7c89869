#include "cli/model_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/progress.h"
#include "memory/extras.h"
#include "memory/params.h"
#include "model/extras.h"
#include "model/open.h"
#include "source/hf.h"
#include "source/remote.h"
#include "util/error.h"

void gp_model_source_init(gp_model_source *s, const char *path, const gp_run_params *p)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    if (!p)
        return;
    if (!s->path && p->model_path[0])
        s->path = p->model_path;
    s->hf_repo = p->hf_repo[0] ? p->hf_repo : NULL;
    s->hf_file = p->hf_file[0] ? p->hf_file : NULL;
    s->model_url = p->model_url[0] ? p->model_url : NULL;
    s->hf_token = p->hf_token[0] ? p->hf_token : NULL;
    s->offline = p->offline;
}

/* A URL given as MODEL or -m is the same as -mu. */
static const char *url_of(const gp_model_source *s)
{
    if (s->model_url)
        return s->model_url;
    return gp_is_url(s->path) ? s->path : NULL;
}

int gp_model_source_check(gp_cli *cli, const char *cmd, const gp_model_source *s)
{
    int given = (s->path != NULL) + (s->hf_repo != NULL) + (s->model_url != NULL);
    if (given == 0)
        return gp_cli_usage_error(cli, "%s: missing MODEL (a file, a URL, -hf OWNER/REPO[:QUANT] or -mu URL; "
                                       "see ggplace help %s)", cmd, cmd);
    if (given > 1)
        return gp_cli_usage_error(cli, "%s: give one model: MODEL (or -m), -mu URL or -hf OWNER/REPO", cmd);
    if (s->hf_file && !s->hf_repo)
        return gp_cli_usage_error(cli, "%s: -hff names a file of the repository given with -hf OWNER/REPO", cmd);
    if (s->model_url && !gp_is_url(s->model_url))
        return gp_cli_usage_error(cli, "%s: -mu '%s': expected an http:// or https:// URL", cmd, s->model_url);
    if (s->hf_repo) {
        char repo[257], tag[128];
        gp_error err = {0};
        if (gp_hf_split_ref(s->hf_repo, repo, sizeof repo, tag, sizeof tag, &err) != GP_OK)
            return gp_cli_usage_error(cli, "%s: -hf '%s': expected OWNER/REPO[:QUANT]", cmd, s->hf_repo);
    }
    return 0;
}

bool gp_model_source_remote(const gp_model_source *s)
{
    return s->hf_repo || url_of(s);
}

const char *gp_model_source_name(const gp_model_source *s)
{
    if (s->hf_repo)
        return s->hf_repo;
    const char *u = url_of(s);
    return u ? u : s->path;
}

typedef struct progress_ctx {
    gp_progress p;
    bool begun;
    FILE *f;
    bool json;
} progress_ctx;

static void on_progress(void *ud, const char *url, uint64_t done, uint64_t total)
{
    progress_ctx *pc = ud;
    const char *slash = strrchr(url, '/');
    char label[96];
    snprintf(label, sizeof label, "header of %.60s", slash && slash[1] ? slash + 1 : url);
    if (!pc->begun) {
        gp_progress_begin(&pc->p, pc->f, pc->json, label, total);
        pc->begun = true;
    } else if (strcmp(pc->p.label, label) != 0) {
        gp_progress_label(&pc->p, label);
    }
    pc->p.total = total;
    gp_progress_update(&pc->p, done);
}

/* The token for a URL: -hft, $HF_TOKEN, and the token file only for the
 * Hugging Face endpoint (never sent to other hosts unasked). */
static const char *token_for(const gp_model_source *s, const char *url, char *buf, size_t cap)
{
    if (s->hf_token)
        return s->hf_token;
    const char *env = getenv("HF_TOKEN");
    if (env && *env)
        return env;
    char endpoint[1024];
    gp_hf_endpoint(endpoint, sizeof endpoint);
    if (url && strncmp(url, endpoint, strlen(endpoint)) != 0)
        return NULL;
    return gp_hf_token(buf, cap) ? buf : NULL;
}

int gp_model_source_open(gp_cli *cli, gp_model_source *s, bool json, gp_model **out)
{
    *out = NULL;
    gp_error err = {0};
    gp_status st;
    if (!gp_model_source_remote(s)) {
        st = gp_model_open(s->path, out, &err);
    } else {
        progress_ctx pc = {.f = cli->err, .json = json};
        char token[512];
        gp_remote_opts o = {.offline = s->offline, .progress = on_progress, .progress_ctx = &pc};
        const char *url = url_of(s);
        o.token = token_for(s, url, token, sizeof token);
        if (url) {
            st = gp_remote_open_model(url, &o, out, &err);
        } else {
            gp_hf_resolution r;
            st = gp_hf_resolve(s->hf_repo, s->hf_file, &o, &r, &err);
            if (st == GP_OK) {
                st = gp_remote_open_model_urls(r.urls[0], (const char *const *)r.urls, r.n_urls, &o,
                                               out, &err);
                /* llama-server loads the projector -hf picks too. */
                snprintf(s->hf_mmproj_url, sizeof s->hf_mmproj_url, "%s", r.mmproj_url);
                gp_hf_resolution_free(&r);
            }
        }
        if (pc.begun)
            gp_progress_end(&pc.p);
    }
    if (st != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    return GP_EXIT_OK;
}

int gp_model_source_open_extras(gp_cli *cli, const gp_model_source *s, gp_run_params *p, bool json,
                                gp_extra_files *out)
{
    gp_error err = {0};
    progress_ctx pc = {.f = cli->err, .json = json};
    char token[512];
    gp_remote_opts o = {.offline = s->offline, .progress = on_progress, .progress_ctx = &pc};
    /* A stored token goes only to the Hugging Face endpoint (the projector
     * -hf picked); other addresses get the one given with -hft, if any. */
    const gp_load_extras *x = &p->extras;
    bool from_hf = s->hf_mmproj_url[0] || x->draft_hf[0];
    char endpoint[1024];
    gp_hf_endpoint(endpoint, sizeof endpoint);
    const char *urls[2 + GP_MAX_LORA] = {x->mmproj_url, x->draft};
    for (uint32_t i = 0; i < x->n_lora; i++)
        urls[2 + i] = x->lora[i];
    for (uint32_t i = 0; i < 2 + x->n_lora; i++)
        if (gp_is_url(urls[i]) && strncmp(urls[i], endpoint, strlen(endpoint)) != 0)
            from_hf = false; /* never send the stored token elsewhere */
    o.token = from_hf ? token_for(s, endpoint, token, sizeof token) : s->hf_token;
    gp_extra_names names;
    gp_load_extras_names(&p->extras, s->hf_mmproj_url, &names);
    gp_status st = gp_extra_files_open(&names, &o, out, &err);
    if (pc.begun)
        gp_progress_end(&pc.p);
    if (st != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    p->extras.files = gp_extra_files_any(out) ? out : NULL;
    return GP_EXIT_OK;
}

int gp_model_source_args(const gp_model_source *s, const char *out[4])
{
    const char *url = url_of(s);
    int n = 0;
    if (s->hf_repo) {
        out[n++] = "-hf";
        out[n++] = s->hf_repo;
        if (s->hf_file) {
            out[n++] = "-hff";
            out[n++] = s->hf_file;
        }
    } else if (url) {
        out[n++] = "-mu";
        out[n++] = url;
    } else {
        out[n++] = "-m";
        out[n++] = s->path ? s->path : "";
    }
    return n;
}

void gp_model_source_help(FILE *f)
{
    fprintf(f,
            "\n"
            "Model by URL or from Hugging Face (only the header is read, over HTTP ranges):\n"
            "  -hf, --hf-repo OWNER/REPO[:QUANT]  the file llama-server -hf would load (default\n"
            "                            quant Q4_K_M, then Q8_0, then the first GGUF)\n"
            "  -hff, --hf-file FILE      that file of the -hf repository\n"
            "  -mu, --model-url URL      a GGUF by URL (MODEL may also be a URL)\n"
            "  -hft, --hf-token TOKEN    for gated repositories (default: $HF_TOKEN, else\n"
            "                            ~/.cache/huggingface/token)\n"
            "  --offline                 only headers cached by an earlier run\n");
}
