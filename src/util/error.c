#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gp_strerror(gp_status status)
{
    switch (status) {
    case GP_OK: return "success";
    case GP_ERR_IO: return "cannot read file";
    case GP_ERR_FORMAT: return "invalid GGUF";
    case GP_ERR_TRUNCATED: return "file is truncated";
    case GP_ERR_UNSUPPORTED: return "unsupported content";
    case GP_ERR_NOMEM: return "out of memory";
    case GP_ERR_ARG: return "invalid argument";
    case GP_ERR_MISSING: return "required value missing";
    case GP_ERR_CONFIG: return "configuration llama.cpp would refuse";
    }
    return "unknown error";
}

const char *gp_version(void)
{
    return GGPLACE_VERSION;
}

gp_status gp_fail(gp_error *err, gp_status status, const char *file,
                  const char *fmt, ...)
{
    if (!err)
        return status;
    err->status = status;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* One line: a hostile key or name must not break the output. */
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    for (char *p = err->file; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    return status;
}
