#include "cli/plan_options.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/fileio.h"
#include "util/units.h"

static int set_option(gp_cli *cli, gp_plan_cli *pc, const char *name, const char *v)
{
    gp_plan_request *r = pc->req;
    if (!strcmp(name, "ctx")) {
        if (!strcmp(v, "max"))
            gp_plan_request_set_ctx(r, GP_PLAN_CTX_MAX, NULL);
        else {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || n < 1 || n > (1ll << 32) || gp_plan_request_set_ctx(r, n, NULL) != GP_OK)
                return gp_cli_usage_error(cli, "plan: --ctx '%s': expected a number of tokens or max", v);
        }
    } else if (!strcmp(name, "ctx-per-slot")) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end || n < 1 || n > (1ll << 32) || gp_plan_request_set_ctx_per_slot(r, n, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "plan: --ctx-per-slot '%s': expected a number of tokens", v);
    } else if (!strcmp(name, "parallel")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 256 || gp_plan_request_set_parallel(r, (int32_t)n, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "plan: --parallel '%s': expected 1 to 256", v);
    } else if (!strcmp(name, "kv")) {
        if (gp_plan_request_set_kv(r, v, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "plan: --kv '%s': expected f16, q8_0, q4_0 or auto", v);
    } else if (!strcmp(name, "fa")) {
        if (gp_plan_request_set_flash_attn(r, v, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "plan: --fa '%s': expected on, off or auto", v);
    } else if (!strcmp(name, "app")) {
        if (!strcmp(v, "server")) gp_plan_request_set_app(r, GP_APP_SERVER, NULL);
        else if (!strcmp(v, "cli")) gp_plan_request_set_app(r, GP_APP_CLI, NULL);
        else return gp_cli_usage_error(cli, "plan: --app '%s': expected server or cli", v);
    } else if (!strcmp(name, "preset")) {
        if (gp_plan_request_set_preset(r, v, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "plan: --preset '%s': expected balanced, high_speed, more_context, "
                                           "system_safe, ultra_performance or moe_optimized", v);
    } else if (!strcmp(name, "margin") || !strcmp(name, "ram-margin") || !strcmp(name, "ram_margin")) {
        uint64_t b;
        if (!gp_parse_size(v, &b))
            return gp_cli_usage_error(cli, "plan: --%s '%s': expected a size like 1GiB", name, v);
        if (!strcmp(name, "margin"))
            gp_plan_request_set_margin(r, (int64_t)b, NULL);
        else
            gp_plan_request_set_ram_margin(r, (int64_t)b, NULL);
    } else if (!strcmp(name, "target-vram-usage") || !strcmp(name, "target_vram_usage")) {
        char *end;
        double x = strtod(v, &end);
        if (*end || !(x > 0 && x <= 1) || gp_plan_request_set_target_vram(r, x, NULL) != GP_OK)
            return gp_cli_usage_error(cli, "plan: --target-vram-usage '%s': expected a fraction in (0, 1]", v);
    } else if (!strcmp(name, "gpu")) {
        if (pc->hw.n_gpus >= GP_HW_MAX_SPECS)
            return gp_cli_usage_error(cli, "plan: too many --gpu");
        /* Config values do not outlive the parsed file: keep a copy. */
        char *copy = pc->gpu_store[pc->hw.n_gpus];
        if (strlen(v) >= sizeof pc->gpu_store[0])
            return gp_cli_usage_error(cli, "plan: --gpu '%s' is too long", v);
        snprintf(copy, sizeof pc->gpu_store[0], "%s", v);
        pc->hw.gpus[pc->hw.n_gpus++] = copy;
    } else {
        return -1;
    }
    return 0;
}

static int load_config(gp_cli *cli, gp_plan_cli *pc, const char *path)
{
    char *text;
    size_t len;
    gp_error err;
    if (gp_read_file(path, 1 << 20, &text, &len, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_USAGE;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        fprintf(cli->err, "ggplace: %s: not a JSON object\n", path);
        return GP_EXIT_USAGE;
    }
    int rc = 0;
    cJSON *item;
    cJSON_ArrayForEach(item, root) {
        char buf[64];
        const char *v = NULL;
        if (cJSON_IsString(item))
            v = item->valuestring;
        else if (cJSON_IsNumber(item)) {
            snprintf(buf, sizeof buf, "%.17g", item->valuedouble);
            v = buf;
        }
        if (!strcmp(item->string, "gpu") && cJSON_IsArray(item)) {
            cJSON *g;
            cJSON_ArrayForEach(g, item) {
                if (!cJSON_IsString(g) || (rc = set_option(cli, pc, "gpu", g->valuestring)) != 0)
                    break;
            }
        } else if (!v) {
            fprintf(cli->err, "ggplace: %s: key '%s' needs a string or a number\n", path, item->string);
            rc = GP_EXIT_USAGE;
        } else {
            rc = set_option(cli, pc, item->string, v);
            if (rc < 0) {
                fprintf(cli->err, "ggplace: %s: unknown key '%s'\n", path, item->string);
                rc = GP_EXIT_USAGE;
            }
        }
        if (rc)
            break;
    }
    cJSON_Delete(root);
    return rc;
}

int gp_plan_cli_parse(gp_cli *cli, const char *cmd, int argc, char **argv, gp_plan_cli *pc,
                      gp_plan_cli_extra extra, void *ctx)
{
    memset(pc, 0, sizeof *pc);
    gp_hw_options_init(&pc->hw);
    static const char *valued[] = {"ctx", "ctx-per-slot", "parallel", "kv", "fa", "app", "preset", "margin",
                                   "ram-margin", "target-vram-usage"};
    /* --app first: llama.cpp defaults depend on it. */
    gp_app app = GP_APP_SERVER;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--app") && !strcmp(argv[i + 1], "cli"))
            app = GP_APP_CLI;
    gp_error err = {0};
    if (gp_plan_request_new(&pc->req, &err) != GP_OK || gp_plan_request_set_app(pc->req, app, &err) != GP_OK ||
        gp_command_new(app, &pc->cmd, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        bool handled = false;
        if (!strncmp(a, "--", 2)) {
            for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
                if (strcmp(a + 2, valued[k]) != 0)
                    continue;
                if (i + 1 >= argc)
                    return gp_cli_usage_error(cli, "%s: %s needs a value", cmd, a);
                int rc = set_option(cli, pc, valued[k], argv[i + 1]);
                if (rc)
                    return rc;
                i += 2;
                handled = true;
                break;
            }
        }
        if (handled)
            continue;
        if (extra) {
            int used = extra(cli, pc, argc, argv, i, ctx);
            if (used < 0)
                return GP_EXIT_USAGE;
            if (used > 0) {
                i += used;
                continue;
            }
        }
        if (a[0] == '-') {
            gp_error herr = {0};
            int hr = gp_hw_options_parse(&pc->hw, argc, argv, &i, &herr);
            if (hr < 0)
                return gp_cli_usage_error(cli, "%s: %s", cmd, herr.message);
            if (hr > 0)
                continue;
        }
        if (!strcmp(a, "--json")) pc->json = true;
        else if (!strcmp(a, "--args")) pc->args = true;
        else if (!strcmp(a, "--cmd")) pc->cmd_line = true;
        else if (!strcmp(a, "--emit")) {
            if (i + 1 >= argc || strcmp(argv[i + 1], "llama-cpp-python") != 0)
                return gp_cli_usage_error(cli, "%s: --emit needs llama-cpp-python", cmd);
            pc->emit = argv[++i];
        }
        else if (!strcmp(a, "--dry-run")) pc->dry_run = true;
        else if (!strcmp(a, "--verbose")) pc->verbose = true;
        else if (!strcmp(a, "--for-load")) gp_plan_request_set_for_load(pc->req, true, NULL);
        else if (!strcmp(a, "--ot-file") || !strcmp(a, "--analysis-file") || !strcmp(a, "--config") ||
                 !strcmp(a, "--report")) {
            if (i + 1 >= argc)
                return gp_cli_usage_error(cli, "%s: %s needs a file name", cmd, a);
            if (!strcmp(a, "--report"))
                pc->report_file = argv[i + 1];
            else if (!strcmp(a, "--ot-file"))
                pc->ot_file = argv[i + 1];
            else if (!strcmp(a, "--analysis-file"))
                pc->analysis_file = argv[i + 1];
            else {
                int rc = load_config(cli, pc, argv[i + 1]);
                if (rc)
                    return rc;
            }
            i += 2;
            continue;
        } else if (a[0] == '-' && a[1] != '\0') {
            if (gp_command_apply(pc->cmd, argc, (const char *const *)argv, &i, &err) != GP_OK)
                return gp_cli_usage_error(cli, "%s: %s", cmd, err.message);
            continue;
        } else {
            if (pc->path)
                return gp_cli_usage_error(cli, "%s: unexpected argument '%s' (only one MODEL)", cmd, a);
            pc->path = a;
        }
        i++;
    }
    gp_model_source_init(&pc->src, pc->path, pc->cmd);
    int src_rc = gp_model_source_check(cli, cmd, &pc->src);
    if (src_rc)
        return src_rc;
    pc->path = gp_model_source_name(&pc->src);
    if (gp_hw_options_resolve(&pc->hw, &pc->devs_all, &err) != GP_OK) {
        if (err.status == GP_ERR_ARG)
            return gp_cli_usage_error(cli, "%s: %s", cmd, err.message);
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    /* llama.cpp's own --rpc servers, then -dev: the plan uses those devices only. */
    if (gp_command_devices(pc->cmd, pc->devs_all, &pc->devs, &err) != GP_OK)
        return gp_cli_usage_error(cli, "%s: %s", cmd, err.message);
    gp_plan_request_use_calibration(pc->req, pc->devs, NULL);
    return 0;
}

void gp_plan_cli_close(gp_plan_cli *pc)
{
    gp_plan_request_close(&pc->req);
    gp_command_close(&pc->cmd);
    gp_devices_close(&pc->devs);
    gp_devices_close(&pc->devs_all);
}

int gp_plan_cli_open_runnable(gp_cli *cli, const char *cmd, const gp_plan_cli *pc, gp_model **m)
{
    *m = NULL;
    if (gp_model_source_remote(&pc->src))
        return gp_cli_usage_error(cli, "%s: %s: needs the model file on this machine (download it, "
                                       "then name the file; plan works from the URL)", cmd, pc->path);
    gp_error err = {0};
    if (gp_model_open(pc->path, m, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return GP_EXIT_FAIL;
    }
    if (!gp_model_data_present(*m)) {
        fprintf(cli->err, "ggplace: %s: header only; make a runnable stand-in with ggplace sparse\n", pc->path);
        gp_model_close(m);
        return GP_EXIT_FAIL;
    }
    return GP_EXIT_OK;
}

int gp_plan_cli_plan(gp_cli *cli, gp_plan_cli *pc, const gp_model *m, gp_plan_result **out)
{
    if (gp_model_source_open_extras(cli, &pc->src, pc->cmd, pc->json) != GP_EXIT_OK)
        return GP_EXIT_FAIL;
    gp_error err = {0};
    if (gp_plan_create(m, pc->cmd, pc->devs_all, pc->req, out, &err) != GP_OK) {
        gp_cli_error(cli, &err);
        return err.status == GP_ERR_ARG ? GP_EXIT_USAGE : GP_EXIT_FAIL;
    }
    return GP_EXIT_OK;
}
