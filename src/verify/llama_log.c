#include "verify/llama_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int device_of(const gp_devices *d, const char *buf)
{
    if (strcmp(buf, "CPU") == 0 || strcmp(buf, "CPU_Mapped") == 0 ||
        strcmp(buf, "CPU_REPACK") == 0 || strstr(buf, "_Host"))
        return 0;
    return gp_devices_find_buft(d, buf);
}

/* The buffer name of "func: NAME <marker>", trimmed, or NULL. */
static char *buffer_name(char *buf, char *at)
{
    char *colon = strchr(buf, ':');
    if (!colon || colon > at)
        return NULL;
    *at = 0;
    char *name = colon + 1;
    while (*name == ' ')
        name++;
    char *end = name + strlen(name);
    while (end > name && end[-1] == ' ')
        *--end = 0;
    return name;
}

void gp_llama_log_parse(const char *text, const gp_devices *d, gp_llama_buffers *out)
{
    memset(out, 0, sizeof *out);
    static const struct { const char *marker; int kind; } kinds[] = {
        {" model buffer size = ", 0}, {" KV buffer size = ", 1}, {" RS buffer size = ", 1},
        {" compute buffer size = ", 2}, {" output buffer size = ", 3}, {" LoRA buffer size = ", 4},
    };
    /* The main model's buffers come first; a model loaded after the main
     * context reserved its graph is the draft. */
    bool main_reserved = false, in_draft = false;
    int clip_dev = 0;
    for (const char *line = text; line && *line;) {
        const char *cur = line, *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        line = eol ? eol + 1 : NULL;
        if (len >= sizeof buf)
            continue;
        memcpy(buf, cur, len);
        buf[len] = 0;
        const char *using = strstr(buf, "CLIP using ");
        if (using) {
            char name[128] = "";
            sscanf(using + 11, "%127s", name);
            int dev = device_of(d, name);
            clip_dev = dev > 0 ? dev : 0;
            continue;
        }
        const char *msize = strstr(buf, "load_hparams: model size:");
        if (msize) {
            out->extra_model_mib[clip_dev] += strtod(msize + 25, NULL);
            out->lines++;
            continue;
        }
        bool clip = strstr(buf, "reserve_compute_meta:") != NULL;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char *at = strstr(buf, kinds[k].marker);
            if (!at)
                continue;
            char *name = buffer_name(buf, at);
            if (!name)
                break;
            double mib = strtod(at + strlen(kinds[k].marker), NULL);
            out->lines++;
            int kind = kinds[k].kind;
            if (kind == 3) {
                out->output_mib += mib;
                break;
            }
            if (kind == 0 && main_reserved)
                in_draft = true;
            if (kind == 0 && !in_draft && strcmp(name, "CPU_Mapped") == 0) {
                out->mapped_mib += mib;
                break;
            }
            int dev = device_of(d, name);
            if (dev < 0) {
                out->unmatched++;
                break;
            }
            bool extra = in_draft || clip || kind == 4;
            if (kind == 0 || kind == 4)
                (extra ? out->extra_model_mib : out->model_mib)[dev] += mib;
            else if (kind == 1)
                (extra ? out->extra_context_mib : out->context_mib)[dev] += mib;
            else if (extra)
                out->extra_compute_mib[dev] = mib;
            else {
                out->compute_mib[dev] = mib; /* a re-reserve replaces the first */
                main_reserved = true;
            }
            break;
        }
    }
}
