#include "source/extras.h"

#include <stdio.h>
#include <string.h>

#include "gguf/gguf.h"
#include "source/hf.h"
#include "source/open.h"
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

gp_status gp_extra_files_open(const gp_load_extras *x, const char *mmproj_fallback,
                              const gp_remote_opts *remote, gp_extra_files *out, gp_error *err)
{
    memset(out, 0, sizeof *out);
    gp_status st = GP_OK;
    const char *mm = x->mmproj[0] ? x->mmproj : x->mmproj_url[0] ? x->mmproj_url : NULL;
    if (!mm && !x->no_mmproj && mmproj_fallback && *mmproj_fallback)
        mm = mmproj_fallback;
    if (mm) {
        snprintf(out->mmproj_name, sizeof out->mmproj_name, "%s", mm);
        st = open_header(mm, remote, &out->mmproj, err);
        if (st == GP_OK && !gp_gguf_find(out->mmproj, "clip.projector_type") &&
            !gp_gguf_find(out->mmproj, "clip.vision.projector_type") &&
            !gp_gguf_find(out->mmproj, "clip.audio.projector_type") && !is_kind(out->mmproj, "mmproj"))
            st = gp_fail(err, GP_ERR_FORMAT, mm, "not a multimodal projector (no clip.* projector type)");
    }
    if (st == GP_OK && x->draft[0]) {
        snprintf(out->draft_name, sizeof out->draft_name, "%s", x->draft);
        st = gp_is_url(x->draft) ? gp_remote_open_model(x->draft, remote, &out->draft, err)
                                 : gp_model_open(x->draft, &out->draft, err);
    } else if (st == GP_OK && x->draft_hf[0]) {
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
    for (uint32_t i = 0; st == GP_OK && i < x->n_lora; i++) {
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
