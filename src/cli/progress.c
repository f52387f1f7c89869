#include "cli/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool gp_progress_enabled(FILE *f, bool json)
{
    if (!f || json)
        return false;
    int fd = fileno(f);
    return fd >= 0 && isatty(fd);
}

void gp_progress_begin(gp_progress *p, FILE *f, bool json, const char *label, uint64_t total)
{
    memset(p, 0, sizeof *p);
    if (!gp_progress_enabled(f, json))
        return;
    p->f = f;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->start_ms = p->last_ms = now_ms();
}

static void draw(gp_progress *p, int64_t t)
{
    static const char spin[] = "|/-\\";
    double secs = (double)(t - p->start_ms) / 1000.0;
    if (p->total) {
        enum { W = 24 };
        uint64_t d = p->done > p->total ? p->total : p->done;
        int fill = (int)(W * d / p->total);
        char bar[W + 1];
        for (int i = 0; i < W; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[W] = 0;
        fprintf(p->f, "\r\033[K%s [%s] %llu/%llu %.0fs", p->label, bar, (unsigned long long)d,
                (unsigned long long)p->total, secs);
    } else {
        fprintf(p->f, "\r\033[K%s %c %.0fs", p->label, spin[p->spin++ % 4], secs);
    }
    fflush(p->f);
    p->drawn = true;
    p->last_ms = t;
}

void gp_progress_update(gp_progress *p, uint64_t done)
{
    if (!p->f)
        return;
    p->done = done;
    int64_t t = now_ms();
    if (t - p->start_ms < 500 || (p->drawn && t - p->last_ms < 100))
        return;
    draw(p, t);
}

void gp_progress_label(gp_progress *p, const char *label)
{
    if (!p->f)
        return;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    if (p->drawn)
        draw(p, now_ms());
}

void gp_progress_end(gp_progress *p)
{
    if (p->f && p->drawn) {
        fputs("\r\033[K", p->f);
        fflush(p->f);
    }
    p->f = NULL;
}
