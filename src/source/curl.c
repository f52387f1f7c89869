#include "source/curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

gp_curl_api gp_curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char why[256]; /* when not loaded */

/* POSIX lets dlsym's object pointer stand for a function; copying the bytes
 * says so without the cast ISO C warns about. */
#define LOAD(field, name)                                        \
    do {                                                         \
        void *p_ = dlsym(lib, name);                             \
        memcpy(&gp_curl.field, &p_, sizeof gp_curl.field);       \
    } while (0)

static void load(void)
{
    const char *name = getenv("GGPLACE_CURL_LIB");
    if (!name || !*name)
        name = "libcurl.so.4";
    if (!strcmp(name, "off")) {
        snprintf(why, sizeof why, "GGPLACE_CURL_LIB=off");
        return;
    }
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, sizeof why, "cannot load %.200s", name);
        return;
    }
    LOAD(global_init, "curl_global_init");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
    if (!gp_curl.global_init || !gp_curl.easy_init || !gp_curl.easy_setopt || !gp_curl.easy_perform ||
        !gp_curl.easy_getinfo || !gp_curl.easy_cleanup || !gp_curl.easy_strerror || !gp_curl.slist_append ||
        !gp_curl.slist_free_all) {
        snprintf(why, sizeof why, "%.200s lacks the functions needed", name);
        memset(&gp_curl, 0, sizeof gp_curl);
        dlclose(lib);
        return;
    }
    if (gp_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(why, sizeof why, "%.200s failed to initialize", name);
        return;
    }
    loaded = true;
}

gp_status gp_curl_load(const char *file, const char *purpose, gp_error *err)
{
    pthread_once(&once, load);
    if (loaded)
        return GP_OK;
    return gp_fail(err, GP_ERR_IO, file, "needs libcurl (libcurl4) %s (%s)", purpose, why);
}
