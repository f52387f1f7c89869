#include "hw/detect.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/detect_internal.h"
#include "hw/membw.h"

const char *gp_hw_sysroot(void)
{
    const char *r = getenv("GGPLACE_SYSROOT");
    return r ? r : "";
}

bool gp_hw_path(const char *path, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s%s", gp_hw_sysroot(), path);
    return n > 0 && (size_t)n < cap;
}

bool gp_hw_read(const char *path, char *buf, size_t cap)
{
    char full[4096];
    if (cap == 0 || !gp_hw_path(path, full, sizeof full))
        return false;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    /* Binary junk would only confuse the parsers: stop at the first NUL. */
    return got > 0 && buf[0] != 0;
}

bool gp_hw_read_line(const char *path, char *buf, size_t cap)
{
    if (!gp_hw_read(path, buf, cap))
        return false;
    buf[strcspn(buf, "\n")] = 0;
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = 0;
    size_t s = 0;
    while (buf[s] && isspace((unsigned char)buf[s]))
        s++;
    memmove(buf, buf + s, n - s + 1);
    return buf[0] != 0;
}

bool gp_hw_read_u64(const char *path, uint64_t *out)
{
    char buf[64];
    if (!gp_hw_read_line(path, buf, sizeof buf) || !isdigit((unsigned char)buf[0]))
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

const char *gp_hw_lib_override(const char *var)
{
    const char *v = getenv(var);
    if (!v || !*v)
        return NULL;
    return strcmp(v, "off") == 0 ? "" : v;
}

uint32_t gp_hw_visible(gp_devices *d, const char *var, const char *list, uint32_t n,
                       const char *const *uuids, uint32_t *order)
{
    uint32_t count = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && *p != ',')
            p++;
        size_t len = (size_t)(p - tok);
        while (len > 0 && tok[len - 1] == ' ')
            len--;
        int64_t hit = -1;
        if (len > 0 && isdigit((unsigned char)tok[0])) {
            uint64_t v = 0;
            size_t i = 0;
            while (i < len && isdigit((unsigned char)tok[i]) && v < 1000)
                v = v * 10 + (uint64_t)(tok[i++] - '0');
            if (i == len && v < n)
                hit = (int64_t)v;
        } else if (uuids && len > 0) {
            /* A unique prefix of the UUID is enough, as for the CUDA runtime. */
            int matches = 0;
            for (uint32_t i = 0; i < n; i++)
                if (uuids[i] && strlen(uuids[i]) >= len && strncmp(uuids[i], tok, len) == 0) {
                    hit = i;
                    matches++;
                }
            if (matches != 1)
                hit = -1;
        }
        for (uint32_t i = 0; i < count && hit >= 0; i++)
            if (order[i] == (uint32_t)hit)
                hit = -1;
        if (hit < 0) {
            gp_devices_note(d, "%s='%s': '%.*s' names no device (or one already listed); the devices "
                            "after it are hidden, as the runtime does", var, list, (int)len, tok);
            break;
        }
        order[count++] = (uint32_t)hit;
    }
    return count;
}

void gp_devices_detect(gp_devices *d)
{
    gp_devices_init(d);
    gp_detect_cpu(d);
    /* A fake root describes another machine: measuring this one would lie. */
    const char *root = getenv("GGPLACE_SYSROOT");
    if (!root || !*root)
        gp_membw_detect(d);
    gp_detect_nvml(d);
    gp_detect_amd(d);
    gp_detect_vulkan(d);
    if (d->n == 1)
        gp_devices_note(d, "no GPU detected on this machine: llama.cpp would run on the CPU only");
}
