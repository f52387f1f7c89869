#define PCRE2_CODE_UNIT_WIDTH 8
#include "memory/placement.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

bool gp_rope_shared(const char *name)
{
    return strncmp(name, "rope_freqs", 10) == 0 || strncmp(name, "rope_factors_long", 17) == 0 ||
           strncmp(name, "rope_factors_short", 18) == 0;
}

void gp_placement_free(gp_placement *pl)
{
    free(pl->tensor_dev);
    free(pl->layer_dev);
    free(pl->kv_dev);
    free(pl->rope_dup);
    memset(pl, 0, sizeof *pl);
}

static pcre2_code *compile(const char *pattern)
{
    int errcode;
    PCRE2_SIZE erroff;
    /* ECMAScript-compatible subset: no extended syntax, '$' only at the end,
     * no UTF needed for tensor names. */
    return pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY,
                         &errcode, &erroff, NULL);
}

static int search(pcre2_code *re, pcre2_match_data *md, const char *name)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL);
    return rc >= 0 ? 1 : 0;
}

int gp_regex_search(const char *pattern, const char *name)
{
    pcre2_code *re = compile(pattern);
    if (!re)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int r = md ? search(re, md, name) : -1;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return r;
}

/* The devices that receive layers, in llama.cpp's order. */
static uint32_t gpu_list(const gp_run_params *p, const gp_devices *d, uint32_t *gpus,
                         gp_error *err, const char *path, gp_status *st)
{
    uint32_t n = 0;
    *st = GP_OK;
    for (uint32_t i = 0; i < d->n; i++)
        if (gp_device_is_gpu(&d->dev[i]))
            gpus[n++] = i;
    if (p->split_mode == GP_SPLIT_NONE && n > 0) {
        int32_t mg = p->main_gpu;
        if (mg < 0 || (uint32_t)mg >= n) {
            *st = gp_fail(err, GP_ERR_CONFIG, path, "-mg %d: there are only %u GPUs", mg, n);
            return 0;
        }
        gpus[0] = gpus[mg];
        n = 1;
    }
    return n;
}

gp_status gp_place(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                   gp_placement *pl, gp_error *err)
{
    memset(pl, 0, sizeof *pl);
    uint32_t n_layer = m->hp.n_layer_all;
    pl->tensor_dev = calloc(m->n_tensors ? m->n_tensors : 1, sizeof *pl->tensor_dev);
    pl->layer_dev = calloc(n_layer + 1, sizeof *pl->layer_dev);
    pl->kv_dev = calloc(n_layer + 1, sizeof *pl->kv_dev);
    pl->rope_dup = calloc(GP_MAX_DEVICES, sizeof *pl->rope_dup);
    if (!pl->tensor_dev || !pl->layer_dev || !pl->kv_dev || !pl->rope_dup) {
        gp_placement_free(pl);
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    }

    uint32_t gpus[GP_MAX_DEVICES];
    gp_status st;
    uint32_t n_gpu = gpu_list(p, d, gpus, err, m->path, &st);
    if (st != GP_OK) {
        gp_placement_free(pl);
        return st;
    }

    /* Split points: -ts fractions, else each GPU's free memory. */
    float splits[GP_MAX_DEVICES] = {0};
    bool all_zero = true;
    for (uint32_t i = 0; i < p->n_tensor_split && i < n_gpu; i++)
        all_zero = all_zero && p->tensor_split[i] == 0.0f;
    float sum = 0;
    for (uint32_t i = 0; i < n_gpu; i++) {
        float s;
        if (!all_zero)
            s = i < p->n_tensor_split ? p->tensor_split[i] : 0.0f;
        else
            s = d->dev[gpus[i]].free ? (float)d->dev[gpus[i]].free : 1.0f;
        sum += s;
        splits[i] = sum;
    }
    for (uint32_t i = 0; i < n_gpu; i++)
        splits[i] = sum > 0 ? splits[i] / sum : 1.0f;

    /* -ngl counts the output layer: N = output + the last N-1 blocks. */
    int64_t ngl = p->n_gpu_layers >= 0 ? p->n_gpu_layers : (int64_t)n_layer + 1;
    int64_t gpu_start = (int64_t)n_layer + 1 - ngl;
    if (gpu_start < 0)
        gpu_start = 0;
    int64_t act = n_gpu == 0 ? 0 : (ngl < (int64_t)n_layer + 1 ? ngl : (int64_t)n_layer + 1);
    pl->n_gpu_layers = (uint32_t)act;
    for (uint32_t il = 0; il <= n_layer; il++) {
        int32_t dev = 0;
        if ((int64_t)il >= gpu_start && (int64_t)il - gpu_start < act) {
            float x = (float)((int64_t)il - gpu_start) / (float)act;
            uint32_t k = 0;
            while (k < n_gpu && !(x < splits[k]))
                k++; /* upper_bound */
            if (k >= n_gpu)
                k = n_gpu - 1;
            dev = (int32_t)gpus[k];
        }
        pl->layer_dev[il] = dev;
        pl->kv_dev[il] = p->no_kv_offload ? 0 : dev;
    }
    pl->output_dev = pl->layer_dev[n_layer];

    /* Compile the overrides once. */
    pcre2_code *re[GP_MAX_OVERRIDES] = {0};
    int32_t ot_dev[GP_MAX_OVERRIDES];
    pcre2_match_data *md = NULL;
    st = GP_OK;
    for (uint32_t i = 0; i < p->n_overrides && st == GP_OK; i++) {
        re[i] = compile(p->overrides[i].pattern);
        if (!re[i])
            st = gp_fail(err, GP_ERR_ARG, NULL, "-ot: invalid regular expression '%s'",
                         p->overrides[i].pattern);
        ot_dev[i] = gp_devices_find_buft(d, p->overrides[i].buft);
        if (st == GP_OK && ot_dev[i] < 0)
            st = gp_fail(err, GP_ERR_ARG, NULL, "-ot: unknown buffer type '%s' (devices here: %s%s%s...)",
                         p->overrides[i].buft, d->dev[0].name, d->n > 1 ? ", " : "",
                         d->n > 1 ? d->dev[1].name : "");
    }
    if (st == GP_OK && p->n_overrides) {
        md = pcre2_match_data_create(4, NULL);
        if (!md)
            st = gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    }

    bool has_output = false;
    uint64_t embd_bytes = 0;
    for (uint64_t t = 0; t < m->n_tensors && st == GP_OK; t++) {
        const gp_tensor *ten = &m->tensors[t];
        const char *name = ten->info->name;
        if (ten->role == GP_ROLE_OUTPUT)
            has_output = true;
        if (ten->role == GP_ROLE_TOKEN_EMBD)
            embd_bytes = ten->info->bytes;
        if (ten->layer >= 0 && m->layers[ten->layer].nextn) {
            pl->tensor_dev[t] = -1; /* NextN layers are not loaded by default */
            continue;
        }
        int32_t dev = -1;
        for (uint32_t i = 0; i < p->n_overrides; i++) {
            if (search(re[i], md, name)) {
                dev = ot_dev[i];
                break;
            }
        }
        if (dev < 0) {
            if (ten->layer >= 0)
                dev = pl->layer_dev[ten->layer];
            else if (ten->role == GP_ROLE_TOKEN_EMBD)
                dev = 0;
            else if (strncmp(name, "output", 6) == 0 ||
                     (m->embd_norm_is_output && strncmp(name, "token_embd_norm", 15) == 0) ||
                     !strcmp(name, "altup_proj.weight") || !strcmp(name, "altup_unembd_proj.weight"))
                /* Gemma 3n's AltUp projections in and out count as the output layer's */
                dev = pl->output_dev;
            else if (gp_rope_shared(name)) {
                /* Shared by every layer that reads it (each full-attention one
                 * where only those do): created with the first such layer, a
                 * copy on each other device holding one. */
                dev = -1;
                for (uint32_t il = 0; il < m->hp.n_layer; il++) {
                    if (m->rope_freqs_full && m->layers[il].kind == GP_LAYER_SWA)
                        continue;
                    if (dev < 0)
                        dev = pl->layer_dev[il];
                    else if (pl->layer_dev[il] != dev)
                        pl->rope_dup[pl->layer_dev[il]] = 1;
                }
                if (dev < 0)
                    dev = pl->layer_dev[0];
                pl->rope_dup[dev] = 0;
            } else if (!strcmp(name, "per_layer_model_proj.weight") || !strcmp(name, "per_layer_proj_norm.weight") ||
                       strncmp(name, "token_embd_norm.", 16) == 0)
                /* created as block 0's (the embeddings' norm is done on the
                   first layer, not the input layer): on its device */
                dev = pl->layer_dev[0];
            else
                dev = 0;
        }
        pl->tensor_dev[t] = dev;
    }
    /* Tied embeddings: the output layer reads a copy of token_embd on its own device. */
    pl->tied_output_dev = -1;
    /* Where the tied output is created before token_embd, the CPU's copy is
     * a second tensor beside it as well. */
    if (st == GP_OK && !has_output && !m->embd_is_output && (pl->output_dev != 0 || m->tied_output_first)) {
        pl->tied_output_dev = pl->output_dev;
        pl->tied_output_bytes = embd_bytes;
    }
    pcre2_match_data_free(md);
    for (uint32_t i = 0; i < p->n_overrides; i++)
        pcre2_code_free(re[i]);
    if (st != GP_OK)
        gp_placement_free(pl);
    return st;
}
