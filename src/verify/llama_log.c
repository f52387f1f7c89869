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

void gp_llama_log_parse(const char *text, const gp_devices *d, gp_llama_buffers *out)
{
    memset(out, 0, sizeof *out);
    static const struct { const char *marker; int kind; } kinds[] = {
        {" model buffer size = ", 0}, {" KV buffer size = ", 1}, {" RS buffer size = ", 1},
        {" compute buffer size = ", 2}, {" output buffer size = ", 3},
    };
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        if (len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = 0;
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                char *at = strstr(buf, kinds[k].marker);
                if (!at)
                    continue;
                /* "func: NAME model buffer size = X MiB": NAME is the word before. */
                char *colon = strchr(buf, ':');
                if (!colon || colon > at)
                    break;
                *at = 0;
                char *name = colon + 1;
                while (*name == ' ')
                    name++;
                char *end = name + strlen(name);
                while (end > name && end[-1] == ' ')
                    *--end = 0;
                double mib = strtod(at + strlen(kinds[k].marker), NULL);
                out->lines++;
                if (kinds[k].kind == 3) {
                    out->output_mib += mib;
                    break;
                }
                if (kinds[k].kind == 0 && strcmp(name, "CPU_Mapped") == 0) {
                    out->mapped_mib += mib;
                    break;
                }
                int dev = device_of(d, name);
                if (dev < 0) {
                    out->unmatched++;
                    break;
                }
                if (kinds[k].kind == 0)
                    out->model_mib[dev] += mib;
                else if (kinds[k].kind == 1)
                    out->context_mib[dev] += mib;
                else
                    out->compute_mib[dev] = mib;
                break;
            }
        }
        line = eol ? eol + 1 : NULL;
    }
}
