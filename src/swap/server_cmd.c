/*
 * Which program a llama-swap cmd runs: llama-server directly, through env,
 * or in a llama.cpp container (docker, podman, nerdctl), with the
 * container's mounts to find host files. Works on a split argv (swap_cmd);
 * calls nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "swap/swap_internal.h"

const char *gp_swap_base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool is_server_binary(const char *p)
{
    const char *b = gp_swap_base_name(p);
    return !strcmp(b, "llama-server") || !strcmp(b, "llama-server.exe");
}

/* docker/podman run options that take a value. */
static const char *const docker_valued[] = {
    "-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "--cap-add", "--cap-drop",
    "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-period", "--cpu-quota", "--cpu-shares", "-c",
    "--cpus", "--cpuset-cpus", "--cpuset-mems", "--device", "--device-cgroup-rule", "--dns", "--dns-option",
    "--dns-search", "--domainname", "--entrypoint", "-e", "--env", "--env-file", "--expose", "--gpus",
    "--group-add", "--health-cmd", "--health-interval", "--health-retries", "--health-start-period",
    "--health-timeout", "-h", "--hostname", "--ip", "--ip6", "--ipc", "--isolation", "-l", "--label",
    "--label-file", "--link", "--log-driver", "--log-opt", "--mac-address", "-m", "--memory",
    "--memory-reservation", "--memory-swap", "--memory-swappiness", "--mount", "--name", "--network", "--net",
    "--network-alias", "--oom-score-adj", "--pid", "--pids-limit", "--platform", "-p", "--publish", "--pull",
    "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout",
    "--storage-opt", "--sysctl", "--tmpfs", "--ulimit", "-u", "--user", "--userns", "--uts", "-v", "--volume",
    "--volumes-from", "-w", "--workdir", "--device-read-bps", "--device-write-bps", "--device-read-iops",
    "--device-write-iops", "--hooks-dir", "--init-path", "--secret", "--arch", "--os", "--variant",
};

static bool docker_takes_value(const char *opt)
{
    for (size_t i = 0; i < sizeof docker_valued / sizeof docker_valued[0]; i++)
        if (!strcmp(opt, docker_valued[i]))
            return true;
    return false;
}

static void add_mount(server_cmd *s, const char *host, size_t hl, const char *ctr, size_t cl)
{
    /* Named volumes have no host path to read the model from. */
    if (s->n_mounts >= sizeof s->mounts / sizeof s->mounts[0] || hl == 0 || cl == 0 || host[0] != '/' ||
        hl >= sizeof s->mounts[0].host || cl >= sizeof s->mounts[0].ctr)
        return;
    mount *m = &s->mounts[s->n_mounts++];
    memcpy(m->host, host, hl);
    m->host[hl] = 0;
    memcpy(m->ctr, ctr, cl);
    m->ctr[cl] = 0;
    while (strlen(m->ctr) > 1 && m->ctr[strlen(m->ctr) - 1] == '/')
        m->ctr[strlen(m->ctr) - 1] = 0;
}

static void parse_volume(server_cmd *s, const char *v)
{
    const char *c1 = strchr(v, ':');
    if (!c1)
        return;
    const char *c2 = strchr(c1 + 1, ':');
    add_mount(s, v, (size_t)(c1 - v), c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1));
}

static void parse_mount(server_cmd *s, const char *v)
{
    const char *src = NULL, *dst = NULL;
    size_t sl = 0, dl = 0;
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (eq) {
            size_t kl = (size_t)(eq - p);
            if ((kl == 6 && !strncmp(p, "source", 6)) || (kl == 3 && !strncmp(p, "src", 3))) {
                src = eq + 1;
                sl = n - kl - 1;
            } else if ((kl == 6 && !strncmp(p, "target", 6)) || (kl == 3 && !strncmp(p, "dst", 3)) ||
                       (kl == 11 && !strncmp(p, "destination", 11))) {
                dst = eq + 1;
                dl = n - kl - 1;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (src && dst)
        add_mount(s, src, sl, dst, dl);
}

static bool llama_image(const char *image)
{
    char low[256];
    size_t n = 0;
    for (; image[n] && n + 1 < sizeof low; n++)
        low[n] = (char)(image[n] >= 'A' && image[n] <= 'Z' ? image[n] + 32 : image[n]);
    low[n] = 0;
    return strstr(low, "llama.cpp") || strstr(low, "llama-cpp") || strstr(low, "llamacpp");
}

bool gp_swap_find_server(const gp_swap_argv *a, server_cmd *s, char *why, size_t wsize)
{
    memset(s, 0, sizeof *s);
    size_t i = 0;
    if (a->n == 0) {
        snprintf(why, wsize, "empty command");
        return false;
    }
    if (!strcmp(gp_swap_base_name(a->tok[0].text), "env")) {
        i = 1;
        while (i < a->n && (strchr(a->tok[i].text, '=') || a->tok[i].text[0] == '-'))
            i++;
    }
    if (i >= a->n) {
        snprintf(why, wsize, "empty command");
        return false;
    }
    const char *prog = gp_swap_base_name(a->tok[i].text);
    if (is_server_binary(a->tok[i].text)) {
        s->start = i + 1;
        return true;
    }
    if (strcmp(prog, "docker") != 0 && strcmp(prog, "podman") != 0 && strcmp(prog, "nerdctl") != 0) {
        snprintf(why, wsize, "runs %s, not llama-server", prog);
        return false;
    }
    i++;
    if (i < a->n && !strcmp(a->tok[i].text, "container"))
        i++;
    if (i >= a->n || strcmp(a->tok[i].text, "run") != 0) {
        snprintf(why, wsize, "runs %s without 'run'", prog);
        return false;
    }
    i++;
    while (i < a->n && a->tok[i].text[0] == '-') {
        const char *o = a->tok[i].text;
        if (!strcmp(o, "--")) {
            i++;
            break;
        }
        const char *eq = strchr(o, '=');
        if (eq && o[1] == '-') {
            if (!strncmp(o, "--volume=", 9))
                parse_volume(s, eq + 1);
            else if (!strncmp(o, "--mount=", 8))
                parse_mount(s, eq + 1);
            i++;
            continue;
        }
        if (docker_takes_value(o) && i + 1 < a->n) {
            if (!strcmp(o, "-v") || !strcmp(o, "--volume"))
                parse_volume(s, a->tok[i + 1].text);
            else if (!strcmp(o, "--mount"))
                parse_mount(s, a->tok[i + 1].text);
            i += 2;
            continue;
        }
        i++;
    }
    if (i >= a->n) {
        snprintf(why, wsize, "%s run without an image", prog);
        return false;
    }
    snprintf(s->image, sizeof s->image, "%s", a->tok[i].text);
    if (!llama_image(s->image)) {
        snprintf(why, wsize, "runs the container %.120s, not a llama.cpp image", s->image);
        return false;
    }
    i++;
    /* Server images start llama-server; the full image takes --server. */
    if (i < a->n && (is_server_binary(a->tok[i].text) || !strcmp(a->tok[i].text, "--server")))
        i++;
    s->docker = true;
    s->start = i;
    return true;
}

bool gp_swap_host_path(const server_cmd *s, const char *p, char *out, size_t size)
{
    if (!s->docker) {
        snprintf(out, size, "%s", p);
        return true;
    }
    const mount *best = NULL;
    size_t bl = 0;
    for (size_t i = 0; i < s->n_mounts; i++) {
        size_t cl = strlen(s->mounts[i].ctr);
        if (!strncmp(p, s->mounts[i].ctr, cl) && (p[cl] == 0 || p[cl] == '/' || !strcmp(s->mounts[i].ctr, "/")) &&
            cl >= bl) {
            best = &s->mounts[i];
            bl = cl;
        }
    }
    if (!best)
        return false;
    snprintf(out, size, "%s%s", best->host, !strcmp(best->ctr, "/") ? p : p + bl);
    return true;
}
