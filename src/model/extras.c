#include "model/extras.h"

#include <stdio.h>
#include <string.h>

#include "gguf/gguf.h"
#include "model/model.h"
#include "model/open.h"
#include "source/hf.h"
#include "source/remote.h"
#include "util/error.h"

/* A header, from a file or over HTTP. */
static gp_status open_header(const char *where, const gp_remote_opts *remote, gp_gguf **out, gp_error *err)
{
    if (gp_is_url(where))
        return gp_remote_fetch_header(where, remote, out, NULL, err);
    return gp_gguf_open(where, out, err);
}

/* The key that says what kind of file a GGUF is. */
static bool is_kind(const gp_gguf *g, const char *type)
{
    const char *t = gp_gguf_get_str(g, "general.type");
    return t && !strcmp(t, type);
}

static bool given(const char *s)
{
    return s && *s;
}

gp_status gp_extra_files_open(const gp_extra_names *x, const gp_remote_opts *remote, gp_extra_files *out,
                              gp_error *err)
{
    memset(out, 0, sizeof *out);
    gp_status st = GP_OK;
    const char *mm = given(x->mmproj) ? x->mmproj : NULL;
    if (mm) {
        snprintf(out->mmproj_name, sizeof out->mmproj_name, "%s", mm);
        st = open_header(mm, remote, &out->mmproj, err);
        if (st == GP_OK && !gp_gguf_find(out->mmproj, "clip.projector_type") &&
            !gp_gguf_find(out->mmproj, "clip.vision.projector_type") &&
            !gp_gguf_find(out->mmproj, "clip.audio.projector_type") && !is_kind(out->mmproj, "mmproj"))
            st = gp_fail(err, GP_ERR_FORMAT, mm, "not a multimodal projector (no clip.* projector type)");
    }
    if (st == GP_OK && given(x->draft)) {
        snprintf(out->draft_name, sizeof out->draft_name, "%s", x->draft);
        st = gp_is_url(x->draft) ? gp_remote_open_model(x->draft, remote, &out->draft, err)
                                 : gp_model_open(x->draft, &out->draft, err);
    } else if (st == GP_OK && given(x->draft_hf)) {
        /* -hfd: the file llama-server would download, resolved as -hf. */
        snprintf(out->draft_name, sizeof out->draft_name, "%s", x->draft_hf);
        gp_hf_resolution hr;
        st = gp_hf_resolve(x->draft_hf, NULL, remote, &hr, err);
        if (st == GP_OK) {
            st = gp_remote_open_model_urls(hr.urls[0], (const char *const *)hr.urls, hr.n_urls, remote, &out->draft,
                                           err);
            gp_hf_resolution_free(&hr);
        }
    }
    for (uint32_t i = 0; st == GP_OK && i < x->n_lora && i < GP_MAX_LORA; i++) {
        st = open_header(x->lora[i], remote, &out->lora[i], err);
        out->n_lora = i + 1;
        if (st == GP_OK && !is_kind(out->lora[i], "adapter"))
            st = gp_fail(err, GP_ERR_FORMAT, x->lora[i], "not a LoRA adapter (general.type is not \"adapter\")");
        if (st == GP_OK) {
            const char *at = gp_gguf_get_str(out->lora[i], "adapter.type");
            if (!at || strcmp(at, "lora"))
                st = gp_fail(err, GP_ERR_FORMAT, x->lora[i], "adapter type '%s' is not lora",
                             at ? at : "(none)");
        }
    }
    if (st != GP_OK)
        gp_extra_files_close(out);
    return st;
}

bool gp_extra_files_any(const gp_extra_files *f)
{
    return f && (f->mmproj || f->draft || f->n_lora);
}

void gp_extra_files_close(gp_extra_files *f)
{
    gp_gguf_close(&f->mmproj);
    gp_model_close(&f->draft);
    for (uint32_t i = 0; i < f->n_lora; i++)
        gp_gguf_close(&f->lora[i]);
    memset(f, 0, sizeof *f);
}
