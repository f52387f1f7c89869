/*
 * Planning one model file for a llama-swap command: the devices its process
 * sees (CUDA_VISIBLE_DEVICES, then -dev), the plan and its flags, and the
 * footprint per device in the full device list's order. May call plan/,
 * hw/, model/, memory/, the splitter's quoting (swap_cmd) and the report
 * helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/detect.h"
#include "swap/swap_internal.h"
#include "util/strbuf.h"

static char *render_args(char **args)
{
    gp_strbuf sb = {0};
    gp_sb_append(&sb, "");
    for (char **a = args; a && *a; a++) {
        if (a != args)
            gp_sb_append(&sb, " ");
        gp_swap_quote(&sb, *a);
    }
    return gp_sb_take(&sb);
}

/* What CUDA_VISIBLE_DEVICES=LIST leaves of d: the CPU, the CUDA devices it
 * names (by index or UUID prefix) in its order and renumbered CUDA0, CUDA1...
 * as the process sees them, then the other devices; map[k] is sub's device
 * k in d. False (with why) when it names no CUDA device of d. */
static bool cuda_visible(const gp_devices *d, const char *list, gp_devices *sub, uint32_t *map, char *why,
                         size_t wsize)
{
    uint32_t cuda[GP_MAX_DEVICES], n_cuda = 0;
    for (uint32_t i = 1; i < d->n; i++)
        if (d->dev[i].kind == GP_DEV_CUDA)
            cuda[n_cuda++] = i;
    *sub = *d;
    sub->n = 1;
    map[0] = 0;
    /* The runtime's own rules (index or UUID prefix, stop at the first
     * miss), as detection applies them. */
    const char *uuids[GP_MAX_DEVICES];
    for (uint32_t k = 0; k < n_cuda; k++)
        uuids[k] = d->dev[cuda[k]].uuid[0] ? d->dev[cuda[k]].uuid : NULL;
    gp_devices notes;
    gp_devices_init(&notes);
    uint32_t order[GP_MAX_DEVICES];
    uint32_t shown = gp_hw_visible(&notes, "CUDA_VISIBLE_DEVICES", list, n_cuda, uuids, order);
    /* The other devices keep their places; the visible cards take the place
     * of the first card, in the list's order. */
    for (uint32_t i = 1; i < d->n; i++) {
        if (d->dev[i].kind != GP_DEV_CUDA) {
            map[sub->n] = i;
            sub->dev[sub->n++] = d->dev[i];
        } else if (i == cuda[0]) {
            for (uint32_t k = 0; k < shown; k++) {
                map[sub->n] = cuda[order[k]];
                sub->dev[sub->n] = d->dev[cuda[order[k]]];
                snprintf(sub->dev[sub->n].name, sizeof sub->dev[0].name, "CUDA%u", k);
                sub->n++;
            }
        }
    }
    if (shown == 0 && n_cuda > 0) {
        snprintf(why, wsize, "CUDA_VISIBLE_DEVICES=%s names none of the %u CUDA devices", list, n_cuda);
        return false;
    }
    return true;
}

char **gp_swap_plan_model(const char *path, gp_model *opened, const gp_devices *d, const gp_plan_request *req,
                          const gp_load_extras *extras, const char *devices, const char *cuda_list,
                          gp_swap_model *rep, uint64_t *budget)
{
    gp_model *m = opened; /* owned from here on */
    gp_error err = {0};
    if (!m && gp_model_open(path, &m, &err) != GP_OK) {
        gp_swap_skip(rep, "%s", err.message);
        return NULL;
    }
    /* The devices this model's process sees: CUDA_VISIBLE_DEVICES, then -dev. */
    gp_devices vis, sub;
    uint32_t vmap[GP_MAX_DEVICES], smap[GP_MAX_DEVICES], map[GP_MAX_DEVICES];
    for (uint32_t i = 0; i < GP_MAX_DEVICES; i++)
        vmap[i] = smap[i] = i;
    const gp_devices *use = d;
    char why[256];
    if (cuda_list) {
        if (!cuda_visible(d, cuda_list, &vis, vmap, why, sizeof why)) {
            gp_swap_skip(rep, "%s", why);
            gp_model_close(&m);
            return NULL;
        }
        use = &vis;
    }
    if (devices && *devices) {
        if (gp_devices_select(use, devices, &sub, smap, &err) != GP_OK) {
            gp_swap_skip(rep, "%s", err.message);
            gp_model_close(&m);
            return NULL;
        }
        use = &sub;
    }
    for (uint32_t i = 0; i < use->n; i++)
        map[i] = vmap[smap[i]];
    gp_plan plan;
    gp_plan_request r = *req;
    gp_run_params_default(&r.pinned, r.app);
    if (extras)
        r.pinned.extras = *extras; /* what else the command loads takes room too */
    /* the command's own -dev stays as written (the plan keeps a pinned one) */
    if (devices && *devices)
        snprintf(r.pinned.devices, sizeof r.pinned.devices, "%s", devices);
    if (gp_plan_make(m, use, &r, &plan, &err) != GP_OK) {
        gp_swap_skip(rep, "no plan: %s", err.message);
        gp_model_close(&m);
        return NULL;
    }
    char **args = gp_plan_args(m, use, &plan);
    rep->n_dev = d->n;
    memset(rep->need, 0, sizeof rep->need);
    for (uint32_t i = 0; i < use->n && i < GP_MAX_DEVICES; i++) {
        rep->need[map[i]] = plan.need[i];   /* in use, as the plan budgets it */
        if (budget)
            budget[map[i]] = plan.budget[i];
    }
    rep->args = render_args(args);
    free(rep->path);
    rep->path = strdup(path);
    gp_plan_free(&plan);
    gp_model_close(&m);
    return args;
}
