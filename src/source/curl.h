/*
 * libcurl, opened when an HTTP request is first made rather than linked:
 * local work never loads it (nor the TLS, Kerberos, LDAP... libraries it
 * pulls in), and ggplace runs where it is missing, reading local files.
 *
 * dlopen("libcurl.so.4") and the few functions used, found with dlsym;
 * curl_global_init is called once. $GGPLACE_CURL_LIB names another file to
 * open ("off": as if libcurl were missing). The library is never closed:
 * transfers may run until the process ends.
 */
#ifndef GP_SOURCE_CURL_H
#define GP_SOURCE_CURL_H

#include <curl/curl.h>

#include "ggplace.h"

typedef struct gp_curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
} gp_curl_api;

/* libcurl's functions, filled by gp_curl_load; use them only after it
 * succeeded. */
extern gp_curl_api gp_curl;

/* Loads libcurl on the first call (thread-safe; later calls return the
 * first one's answer). On failure err names `file` and says that ggplace
 * needs libcurl (libcurl4) for `purpose` ("to read URLs"). */
gp_status gp_curl_load(const char *file, const char *purpose, gp_error *err);

#endif
