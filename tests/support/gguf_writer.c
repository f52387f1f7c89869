#include "gguf_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"

typedef struct bytes {
    unsigned char *p;
    size_t len, cap;
} bytes;

typedef struct wtensor {
    char name[128];
    uint32_t type, n_dims;
    int64_t ne[4];
} wtensor;

struct gw {
    uint32_t version;
    uint64_t n_kv;
    bytes kv;
    wtensor *tensors;
    size_t n_tensors, cap_tensors;
    uint32_t alignment;
};

static void put(bytes *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_le(bytes *b, uint64_t v, size_t n)
{
    unsigned char t[8];
    for (size_t i = 0; i < n; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, n);
}

static void put_str(bytes *b, const char *s)
{
    put_le(b, strlen(s), 8);
    put(b, s, strlen(s));
}

gw *gw_new(uint32_t version)
{
    gw *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->version = version;
    w->alignment = 32;
    return w;
}

void gw_free(gw *w)
{
    if (!w)
        return;
    free(w->kv.p);
    free(w->tensors);
    free(w);
}

static void key(gw *w, const char *k, uint32_t type)
{
    put_str(&w->kv, k);
    put_le(&w->kv, type, 4);
    w->n_kv++;
}

void gw_str(gw *w, const char *k, const char *v) { key(w, k, 8); put_str(&w->kv, v); }
void gw_u32(gw *w, const char *k, uint32_t v)
{
    key(w, k, 4);
    put_le(&w->kv, v, 4);
    if (strcmp(k, "general.alignment") == 0)
        w->alignment = v;
}
void gw_i32(gw *w, const char *k, int32_t v) { key(w, k, 5); put_le(&w->kv, (uint32_t)v, 4); }
void gw_u64(gw *w, const char *k, uint64_t v) { key(w, k, 10); put_le(&w->kv, v, 8); }
void gw_f32(gw *w, const char *k, float v)
{
    uint32_t r;
    memcpy(&r, &v, 4);
    key(w, k, 6);
    put_le(&w->kv, r, 4);
}
void gw_bool(gw *w, const char *k, bool v) { key(w, k, 7); put_le(&w->kv, v, 1); }

void gw_arr_u32(gw *w, const char *k, const uint32_t *v, uint64_t n)
{
    key(w, k, 9);
    put_le(&w->kv, 4, 4);
    put_le(&w->kv, n, 8);
    for (uint64_t i = 0; i < n; i++)
        put_le(&w->kv, v[i], 4);
}

void gw_arr_i32(gw *w, const char *k, const int32_t *v, uint64_t n)
{
    key(w, k, 9);
    put_le(&w->kv, 5, 4);
    put_le(&w->kv, n, 8);
    for (uint64_t i = 0; i < n; i++)
        put_le(&w->kv, (uint32_t)v[i], 4);
}

void gw_arr_bool(gw *w, const char *k, const bool *v, uint64_t n)
{
    key(w, k, 9);
    put_le(&w->kv, 7, 4);
    put_le(&w->kv, n, 8);
    for (uint64_t i = 0; i < n; i++)
        put_le(&w->kv, v[i], 1);
}

void gw_arr_str_n(gw *w, const char *k, uint64_t n)
{
    key(w, k, 9);
    put_le(&w->kv, 8, 4);
    put_le(&w->kv, n, 8);
    char buf[32];
    for (uint64_t i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "t%llu", (unsigned long long)i);
        put_str(&w->kv, buf);
    }
}

void gw_arr_nested(gw *w, const char *k, uint64_t n, uint64_t m)
{
    key(w, k, 9);
    put_le(&w->kv, 9, 4);
    put_le(&w->kv, n, 8);
    for (uint64_t i = 0; i < n; i++) {
        put_le(&w->kv, 0, 4);
        put_le(&w->kv, m, 8);
        for (uint64_t j = 0; j < m; j++)
            put_le(&w->kv, 0, 1);
    }
}

void gw_tensor(gw *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne)
{
    if (w->n_tensors == w->cap_tensors) {
        w->cap_tensors = w->cap_tensors ? 2 * w->cap_tensors : 64;
        w->tensors = realloc(w->tensors, w->cap_tensors * sizeof *w->tensors);
        if (!w->tensors)
            abort();
    }
    wtensor *t = &w->tensors[w->n_tensors++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->n_dims = n_dims;
    for (int d = 0; d < 4; d++)
        t->ne[d] = d < (int)n_dims ? ne[d] : 1;
}

void gw_tensor2(gw *w, const char *name, uint32_t type, int64_t ne0, int64_t ne1)
{
    int64_t ne[2] = {ne0, ne1};
    gw_tensor(w, name, type, ne1 > 1 ? 2 : 1, ne);
}

uint64_t gw_tensor_bytes(uint32_t type, uint32_t n_dims, const int64_t *ne)
{
    const gp_type_info *ti = gp_type_get(type);
    if (!ti)
        return 0;
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++)
        n *= (uint64_t)ne[d];
    return n / ti->block_size * ti->type_size;
}

unsigned char *gw_finish(gw *w, bool with_data, size_t *len)
{
    bytes b = {0};
    put(&b, "GGUF", 4);
    put_le(&b, w->version, 4);
    put_le(&b, w->n_tensors, 8);
    put_le(&b, w->n_kv, 8);
    put(&b, w->kv.p ? w->kv.p : (unsigned char *)"", w->kv.len);
    uint64_t offset = 0;
    uint32_t al = w->alignment ? w->alignment : 32;
    for (size_t i = 0; i < w->n_tensors; i++) {
        wtensor *t = &w->tensors[i];
        put_str(&b, t->name);
        put_le(&b, t->n_dims, 4);
        for (uint32_t d = 0; d < t->n_dims; d++)
            put_le(&b, (uint64_t)t->ne[d], 8);
        put_le(&b, t->type, 4);
        put_le(&b, offset, 8);
        uint64_t sz = gw_tensor_bytes(t->type, t->n_dims, t->ne);
        offset += (sz + al - 1) / al * al;
    }
    if (with_data && w->n_tensors) {
        static const unsigned char zero[4096];
        while (b.len % al)
            put(&b, zero, 1);
        uint64_t left = offset;
        while (left) {
            size_t n = left > sizeof zero ? sizeof zero : (size_t)left;
            put(&b, zero, n);
            left -= n;
        }
    }
    *len = b.len;
    return b.p;
}

bool gw_write(gw *w, const char *path, bool with_data)
{
    size_t len;
    unsigned char *p = gw_finish(w, with_data, &len);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(p);
        return false;
    }
    bool ok = fwrite(p, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    free(p);
    return ok;
}

void gw_raw(gw *w, const char *k, uint32_t type, const void *value, size_t len)
{
    key(w, k, type);
    put(&w->kv, value, len);
}
