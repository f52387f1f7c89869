/* The public API's commands (include/ggplace.h): llama.cpp's flags, with the
 * strings they keep copied, and the files they load besides the model. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

#include "args/llama_args.h"
#include "memory/extras.h"
#include "model/extras.h"
#include "source/hf.h"
#include "source/remote.h"
#include "util/error.h"

gp_status gp_command_new(gp_app app, gp_command **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the command");
    *out = NULL;
    if (app != GP_APP_SERVER && app != GP_APP_CLI)
        return gp_fail(err, GP_ERR_ARG, NULL, "app: expected GP_APP_SERVER or GP_APP_CLI");
    gp_command *c = calloc(1, sizeof *c);
    if (!c)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    gp_run_params_default(&c->p, app);
    *out = c;
    return GP_OK;
}

static char *keep_string(gp_command *c, const char *s)
{
    if (c->n_strings == c->cap_strings) {
        size_t cap = c->cap_strings ? 2 * c->cap_strings : 8;
        char **grown = realloc(c->strings, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->strings = grown;
        c->cap_strings = cap;
    }
    char *copy = strdup(s);
    if (copy)
        c->strings[c->n_strings++] = copy;
    return copy;
}

gp_status gp_command_apply(gp_command *cmd, int argc, const char *const *argv, int *i, gp_error *err)
{
    if (!cmd || !argv || !i || *i < 0 || *i >= argc)
        return gp_fail(err, GP_ERR_ARG, NULL, "no command, or no flag at that position");
    const int from = *i;
    const uint32_t kept = cmd->p.n_extra;
    gp_status st = gp_llama_args_apply(&cmd->p, argc, (char *const *)argv, i, err);
    /* The flags kept as given point into argv (even after a bad value):
     * point them at copies. */
    const int to = *i < argc ? *i : argc;
    for (uint32_t k = kept; k < cmd->p.n_extra; k++) {
        for (int j = from; j < to; j++) {
            if (cmd->p.extra[k] != argv[j])
                continue;
            const char *copy = keep_string(cmd, argv[j]);
            if (!copy) {
                cmd->p.n_extra = k;
                return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
            }
            cmd->p.extra[k] = copy;
            break;
        }
    }
    return st;
}

gp_status gp_command_parse(int argc, const char *const *argv, gp_app app, gp_command **out, gp_error *err)
{
    gp_status st = gp_command_new(app, out, err);
    if (st != GP_OK)
        return st;
    if (argc > 0 && !argv) {
        gp_command_close(out);
        return gp_fail(err, GP_ERR_ARG, NULL, "no flags");
    }
    for (int i = 0; i < argc && st == GP_OK;) {
        if (!argv[i] || argv[i][0] != '-' || argv[i][1] == '\0')
            st = gp_fail(err, GP_ERR_ARG, NULL, "unexpected argument '%s' (llama.cpp flags only)",
                         argv[i] ? argv[i] : "(null)");
        else
            st = gp_command_apply(*out, argc, argv, &i, err);
    }
    if (st != GP_OK)
        gp_command_close(out);
    return st;
}

void gp_command_close(gp_command **cmd)
{
    if (!cmd || !*cmd)
        return;
    for (size_t k = 0; k < (*cmd)->n_strings; k++)
        free((*cmd)->strings[k]);
    free((*cmd)->strings);
    gp_extra_files_close(&(*cmd)->files);
    free(*cmd);
    *cmd = NULL;
}

const char *gp_command_model_path(const gp_command *cmd)
{
    return cmd && cmd->p.model_path[0] ? cmd->p.model_path : NULL;
}

gp_status gp_command_devices(const gp_command *cmd, const gp_devices *devices, gp_devices **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the devices");
    *out = NULL;
    if (!cmd || !devices)
        return gp_fail(err, GP_ERR_ARG, NULL, "no command or no devices");
    gp_devices *all = malloc(sizeof *all);
    if (!all)
        return gp_fail(err, GP_ERR_NOMEM, NULL, "out of memory");
    *all = *devices;
    gp_status st = gp_devices_add_llama_rpc(all, cmd->p.rpc, err);
    if (st == GP_OK && cmd->p.devices[0]) {
        gp_devices sub;
        uint32_t map[GP_MAX_DEVICES];
        st = gp_devices_select(all, cmd->p.devices, &sub, map, err);
        if (st == GP_OK)
            *all = sub;
    }
    if (st == GP_OK)
        *out = all;
    else
        free(all);
    return st;
}

gp_status gp_command_add_rpc_servers(const gp_command *cmd, gp_devices *devices, gp_error *err)
{
    if (!cmd || !devices)
        return gp_fail(err, GP_ERR_ARG, NULL, "no command or no devices");
    return gp_devices_add_llama_rpc(devices, cmd->p.rpc, err);
}

const char *gp_command_hf_repo(const gp_command *cmd)
{
    return cmd && cmd->p.hf_repo[0] ? cmd->p.hf_repo : NULL;
}

const char *gp_command_hf_file(const gp_command *cmd)
{
    return cmd && cmd->p.hf_file[0] ? cmd->p.hf_file : NULL;
}

const char *gp_command_model_url(const gp_command *cmd)
{
    return cmd && cmd->p.model_url[0] ? cmd->p.model_url : NULL;
}

const char *gp_command_hf_token(const gp_command *cmd)
{
    return cmd && cmd->p.hf_token[0] ? cmd->p.hf_token : NULL;
}

bool gp_command_offline(const gp_command *cmd)
{
    return cmd && cmd->p.offline;
}

/* ---- what a command loads besides the model ------------------------------------ */

gp_status gp_command_open_extras(gp_command *cmd, const char *projector, const gp_open_options *o, gp_error *err)
{
    if (!cmd)
        return gp_fail(err, GP_ERR_ARG, NULL, "no command");
    gp_extra_files_close(&cmd->files);
    cmd->p.extras.files = NULL;
    if (!projector)
        projector = "";
    /* A stored token goes only to the Hugging Face endpoint (the projector
     * -hf picked, -hfd); other addresses get the one given, if any. */
    const gp_load_extras *x = &cmd->p.extras;
    bool from_hf = projector[0] || x->draft_hf[0];
    char endpoint[1024], token[512];
    gp_remote_opts ro;
    gp_api_remote_opts(o, NULL, token, sizeof token, &ro);
    gp_hf_endpoint_of(&ro, endpoint, sizeof endpoint);
    const char *urls[2 + GP_MAX_LORA] = {x->mmproj_url, x->draft};
    for (uint32_t i = 0; i < x->n_lora; i++)
        urls[2 + i] = x->lora[i];
    for (uint32_t i = 0; i < 2 + x->n_lora; i++)
        if (gp_is_url(urls[i]) && strncmp(urls[i], endpoint, strlen(endpoint)) != 0)
            from_hf = false; /* never send the stored token elsewhere */
    if (from_hf)
        gp_api_remote_opts(o, endpoint, token, sizeof token, &ro);
    else
        ro.token = o ? o->token : NULL;
    gp_extra_names names;
    gp_load_extras_names(&cmd->p.extras, projector, &names);
    gp_status st = gp_extra_files_open(&names, &ro, &cmd->files, err);
    if (st == GP_OK)
        cmd->p.extras.files = gp_extra_files_any(&cmd->files) ? &cmd->files : NULL;
    return st;
}

static bool names_extras(const gp_load_extras *x)
{
    return x->mmproj[0] || x->mmproj_url[0] || x->draft[0] || x->draft_hf[0] || x->n_lora;
}

gp_status gp_api_open_extras(gp_run_params *p, gp_extra_files *files, gp_error *err)
{
    memset(files, 0, sizeof *files);
    if (p->extras.files || !names_extras(&p->extras))
        return GP_OK;
    gp_remote_opts o = {.offline = p->offline, .token = p->hf_token[0] ? p->hf_token : NULL};
    gp_extra_names names;
    gp_load_extras_names(&p->extras, NULL, &names);
    gp_status st = gp_extra_files_open(&names, &o, files, err);
    if (st == GP_OK)
        p->extras.files = gp_extra_files_any(files) ? files : NULL;
    return st;
}
