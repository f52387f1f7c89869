#include "cli/model_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/progress.h"

void gp_model_source_init(gp_model_source *s, const char *path, const gp_command *cmd)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    if (!cmd)
        return;
    if (!s->path)
        s->path = gp_command_model_path(cmd);
    s->hf_repo = gp_command_hf_repo(cmd);
    s->hf_file = gp_command_hf_file(cmd);
    s->model_url = gp_command_model_url(cmd);
    s->hf_token = gp_command_hf_token(cmd);
    s->offline = gp_command_offline(cmd);
}

/* A URL given as MODEL or -m is the same as -mu. */
static const char *url_of(const gp_model_source *s)
{
    if (s->model_url)
        return s->model_url;
    return gp_path_is_url(s->path) ? s->path : NULL;
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
    if (s->model_url && !gp_path_is_url(s->model_url))
        return gp_cli_usage_error(cli, "%s: -mu '%s': expected an http:// or https:// URL", cmd, s->model_url);
    if (s->hf_repo && gp_hf_ref_check(s->hf_repo, NULL) != GP_OK)
        return gp_cli_usage_error(cli, "%s: -hf '%s': expected OWNER/REPO[:QUANT]", cmd, s->hf_repo);
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

/* The options the source's flags give (-hft, --offline), with a progress
 * line on pc; NULL when out of memory. */
static gp_open_options *open_options(const gp_model_source *s, progress_ctx *pc)
{
    gp_open_options *o = NULL;
    if (gp_open_options_new(&o, NULL) != GP_OK)
        return NULL;
    if (gp_open_options_set_offline(o, s->offline, NULL) != GP_OK ||
        gp_open_options_set_token(o, s->hf_token, NULL) != GP_OK ||
        gp_open_options_set_progress(o, on_progress, pc, NULL) != GP_OK)
        gp_open_options_close(&o);
    return o;
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
        gp_open_options *o = open_options(s, &pc);
        const char *url = url_of(s);
        if (!o) {
            st = GP_ERR_NOMEM;
            err.status = st;
            snprintf(err.message, sizeof err.message, "out of memory");
        } else if (url) {
            st = gp_model_open_url(url, o, out, &err);
        } else {
            char *projector = NULL;
            st = gp_model_open_hf(s->hf_repo, s->hf_file, o, out, &projector, &err);
            /* llama-server loads the projector -hf picks too. */
            snprintf(s->hf_mmproj_url, sizeof s->hf_mmproj_url, "%s", projector ? projector : "");
            free(projector);
        }
        if (pc.begun)
            gp_progress_end(&pc.p);
        gp_open_options_close(&o);
    }
    if (st != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    return GP_EXIT_OK;
}

int gp_model_source_open_extras(gp_cli *cli, const gp_model_source *s, gp_command *cmd, bool json)
{
    gp_error err = {0};
    progress_ctx pc = {.f = cli->err, .json = json};
    gp_open_options *o = open_options(s, &pc);
    gp_status st = o ? gp_command_open_extras(cmd, s->hf_mmproj_url, o, &err) : GP_ERR_NOMEM;
    if (pc.begun)
        gp_progress_end(&pc.p);
    gp_open_options_close(&o);
    if (st != GP_OK) {
        if (!o && st == GP_ERR_NOMEM)
            snprintf(err.message, sizeof err.message, "out of memory");
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
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
