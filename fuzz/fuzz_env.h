/*
 * What every fuzz target shares: an environment in which no input can
 * reach the network (every proxy variable points at a closed loopback port,
 * the hub endpoints too, so a URL an input spells is refused at once),
 * private caches, and the described hardware the targets plan for.
 */
#ifndef GP_FUZZ_ENV_H
#define GP_FUZZ_ENV_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/gpu_spec.h"
#include "memory/device.h"

static inline void fuzz_env_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                          "ALL_PROXY", "all_proxy"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        setenv(proxies[i], "http://127.0.0.1:9", 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    setenv("HF_ENDPOINT", "http://127.0.0.1:9/", 1);
    setenv("MODEL_ENDPOINT", "http://127.0.0.1:9/", 1);
    unsetenv("HF_TOKEN");
    setenv("GGPLACE_HTTP_TIMEOUT", "1", 1);
    setenv("GGPLACE_HTTP_CONNECT_TIMEOUT", "1", 1);
    setenv("GGPLACE_NVML_LIB", "off", 1);
    setenv("GGPLACE_VULKAN_LIB", "off", 1);
    setenv("GGPLACE_MEMBW", "50", 1);
    setenv("XDG_CACHE_HOME", "/tmp/ggplace-fuzz-cache", 1);
}

/* The input as text the parsers can read: a copy with nul_pad NUL bytes
 * after it (at least one), or NULL. The caller frees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size, size_t nul_pad)
{
    char *text = malloc(size + (nul_pad ? nul_pad : 1));
    if (!text)
        return NULL;
    memcpy(text, data, size);
    memset(text + size, 0, nul_pad ? nul_pad : 1);
    return text;
}

/* The CPU with 64 GiB and two 24 GiB GPUs, described. */
static inline void fuzz_devices(gp_devices *d)
{
    gp_devices_init(d);
    d->dev[0].total = d->dev[0].free = 64ull << 30;
    gp_devices_add_gpu_spec(d, "2x24GiB", NULL);
}

#endif
