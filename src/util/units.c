#include "util/units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool gp_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return false;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return false;
    double mult = 1;
    if (*end) {
        static const struct { const char *suffix; double mult; } units[] = {
            {"b", 1},
            {"k", 1024.0}, {"kb", 1024.0}, {"kib", 1024.0},
            {"m", 1048576.0}, {"mb", 1048576.0}, {"mib", 1048576.0},
            {"g", 1073741824.0}, {"gb", 1073741824.0}, {"gib", 1073741824.0},
            {"t", 1099511627776.0}, {"tb", 1099511627776.0}, {"tib", 1099511627776.0},
        };
        bool found = false;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strcasecmp(end, units[i].suffix) == 0) {
                mult = units[i].mult;
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    double bytes = v * mult;
    if (bytes >= 18446744073709551615.0)
        return false;
    *out = (uint64_t)llround(bytes);
    return true;
}

void gp_format_mib(uint64_t bytes, char *buf, size_t size)
{
    snprintf(buf, size, "%.2f MiB", (double)bytes / 1048576.0);
}

void gp_format_bytes(uint64_t bytes, char *buf, size_t size)
{
    static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof names / sizeof names[0]) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, size, "%.2f %s", v, names[u]);
}
