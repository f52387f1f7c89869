#include "gguf/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/types.h"
#include "util/error.h"

/* ---- cursor over untrusted bytes ----------------------------------------- */

typedef struct cursor {
    const unsigned char *p;
    size_t size;
    size_t pos;
    const char *label;
    gp_error *err;
    /* The arena grows while parsing, so strings are kept as offsets and
     * turned into pointers once it stops moving. */
    char *arena;
    size_t arena_len;
    size_t arena_cap;
    /* Measuring a prefix (gp_gguf_header_need): where the item being read
     * when the bytes ran out would end, string and nested arrays walked
     * element by element so that the rest is estimated from those seen. */
    bool measure;
    uint64_t need;
} cursor;

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
static uint64_t sat_mul(uint64_t a, uint64_t b) { return b && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

static size_t remaining(const cursor *c)
{
    return c->size - c->pos;
}

static gp_status truncated(cursor *c, const char *what)
{
    return gp_fail(c->err, GP_ERR_TRUNCATED, c->label,
                   "truncated GGUF: file ends at byte %zu while reading %s",
                   c->size, what);
}

static gp_status read_bytes(cursor *c, void *dst, size_t n, const char *what)
{
    if (remaining(c) < n) {
        c->need = sat_add(c->pos, n);
        return truncated(c, what);
    }
    memcpy(dst, c->p + c->pos, n);
    c->pos += n;
    return GP_OK;
}

/* GGUF is little-endian; assemble values byte by byte so the reader works
 * on any host. */
static uint64_t load_le(const unsigned char *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static gp_status read_u32(cursor *c, uint32_t *out, const char *what)
{
    unsigned char b[4] = {0};
    gp_status st = read_bytes(c, b, 4, what);
    if (st == GP_OK)
        *out = (uint32_t)load_le(b, 4);
    return st;
}

static gp_status read_u64(cursor *c, uint64_t *out, const char *what)
{
    unsigned char b[8] = {0};
    gp_status st = read_bytes(c, b, 8, what);
    if (st == GP_OK)
        *out = load_le(b, 8);
    return st;
}

/* Copies a GGUF string into the arena and returns its arena offset. */
static gp_status read_string(cursor *c, size_t *arena_off, const char *what)
{
    uint64_t len;
    gp_status st = read_u64(c, &len, what);
    if (st != GP_OK)
        return st;
    if (len > remaining(c)) {
        c->need = sat_add(c->pos, len);
        return gp_fail(c->err, GP_ERR_TRUNCATED, c->label,
                       "truncated GGUF: %s claims %llu bytes but only %zu remain",
                       what, (unsigned long long)len, remaining(c));
    }
    if (c->arena_len + len + 1 > c->arena_cap) {
        size_t cap = c->arena_cap ? c->arena_cap : 4096;
        while (cap < c->arena_len + len + 1)
            cap *= 2;
        char *a = realloc(c->arena, cap);
        if (!a)
            return gp_fail(c->err, GP_ERR_NOMEM, c->label, "out of memory");
        c->arena = a;
        c->arena_cap = cap;
    }
    memcpy(c->arena + c->arena_len, c->p + c->pos, len);
    c->arena[c->arena_len + len] = '\0';
    *arena_off = c->arena_len;
    c->arena_len += len + 1;
    c->pos += len;
    return GP_OK;
}

/* Skips a string without copying it (strings inside arrays). */
static gp_status skip_string(cursor *c, const char *what)
{
    uint64_t len;
    gp_status st = read_u64(c, &len, what);
    if (st != GP_OK)
        return st;
    if (len > remaining(c)) {
        c->need = sat_add(c->pos, len);
        return gp_fail(c->err, GP_ERR_TRUNCATED, c->label,
                       "truncated GGUF: %s claims a %llu-byte string but only %zu bytes remain",
                       what, (unsigned long long)len, remaining(c));
    }
    c->pos += len;
    return GP_OK;
}

/* ---- values --------------------------------------------------------------- */

static size_t scalar_size(uint32_t type)
{
    switch (type) {
    case GGUF_U8: case GGUF_I8: case GGUF_BOOL: return 1;
    case GGUF_U16: case GGUF_I16: return 2;
    case GGUF_U32: case GGUF_I32: case GGUF_F32: return 4;
    case GGUF_U64: case GGUF_I64: case GGUF_F64: return 8;
    default: return 0;
    }
}

const char *gp_gguf_type_name(uint32_t type)
{
    static const char *names[GGUF_VALUE_TYPE_COUNT] = {
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
        "string", "array", "u64", "i64", "f64",
    };
    return type < GGUF_VALUE_TYPE_COUNT ? names[type] : "unknown";
}

/* Decodes a fixed-size scalar at b into the kv's union. */
static void decode_scalar(uint32_t type, const unsigned char *b, gp_gguf_kv *kv)
{
    uint64_t raw = load_le(b, scalar_size(type));
    switch (type) {
    case GGUF_U8: case GGUF_U16: case GGUF_U32: case GGUF_U64: case GGUF_BOOL:
        kv->v.u = raw;
        break;
    case GGUF_I8: kv->v.i = (int8_t)raw; break;
    case GGUF_I16: kv->v.i = (int16_t)raw; break;
    case GGUF_I32: kv->v.i = (int32_t)raw; break;
    case GGUF_I64: kv->v.i = (int64_t)raw; break;
    case GGUF_F32: {
        uint32_t r32 = (uint32_t)raw;
        float f;
        memcpy(&f, &r32, sizeof f);
        kv->v.f = f;
        break;
    }
    case GGUF_F64: {
        double d;
        memcpy(&d, &raw, sizeof d);
        kv->v.f = d;
        break;
    }
    }
}

static gp_status skip_array_body(cursor *c, uint32_t elem_type, uint64_t count,
                                 int depth, const char *key);

/* Measuring: an array's element type and count are one 12-byte item. */
static bool array_header_short(cursor *c)
{
    if (!c->measure || remaining(c) >= 12)
        return false;
    c->need = c->pos + 12;
    truncated(c, "array header");
    return true;
}

/* Measuring, an array element that ran out of bytes: the elements after it
 * at the average size of those before it (of this one when it is the first). */
static gp_status rest_of_array(cursor *c, gp_status st, size_t start, size_t elem, uint64_t k,
                               uint64_t count)
{
    if (c->measure && st == GP_ERR_TRUNCATED) {
        uint64_t avg = k ? (elem - start) / k : (c->need > elem ? c->need - elem : 8);
        if (avg < 8)
            avg = 8;
        c->need = sat_add(c->need, sat_mul(count - k - 1, avg));
    }
    return st;
}

/* Skips one array element-list header (type, count) and its body. */
static gp_status skip_array(cursor *c, int depth, const char *key)
{
    uint32_t elem_type;
    uint64_t count;
    if (array_header_short(c))
        return GP_ERR_TRUNCATED;
    gp_status st = read_u32(c, &elem_type, "array element type");
    if (st == GP_OK)
        st = read_u64(c, &count, "array length");
    if (st != GP_OK)
        return st;
    return skip_array_body(c, elem_type, count, depth, key);
}

static gp_status skip_array_body(cursor *c, uint32_t elem_type, uint64_t count,
                                 int depth, const char *key)
{
    if (depth > GP_GGUF_MAX_ARRAY_DEPTH)
        return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                       "key '%s': arrays nested deeper than %d levels",
                       key, GP_GGUF_MAX_ARRAY_DEPTH);
    size_t fixed = scalar_size(elem_type);
    if (fixed) {
        if (count > remaining(c) / fixed) {
            c->need = sat_add(c->pos, sat_mul(count, fixed));
            return gp_fail(c->err, GP_ERR_TRUNCATED, c->label,
                           "truncated GGUF: key '%s' claims %llu elements of %s but only %zu bytes remain",
                           key, (unsigned long long)count,
                           gp_gguf_type_name(elem_type), remaining(c));
        }
        c->pos += (size_t)count * fixed;
        return GP_OK;
    }
    size_t start = c->pos;
    if (elem_type == GGUF_STRING) {
        if (!c->measure && count > remaining(c) / 8)
            return gp_fail(c->err, GP_ERR_TRUNCATED, c->label,
                           "truncated GGUF: key '%s' claims %llu strings but only %zu bytes remain",
                           key, (unsigned long long)count, remaining(c));
        for (uint64_t i = 0; i < count; i++) {
            size_t elem = c->pos;
            gp_status st = skip_string(c, "array string");
            if (st != GP_OK)
                return rest_of_array(c, st, start, elem, i, count);
        }
        return GP_OK;
    }
    if (elem_type == GGUF_ARRAY) {
        if (!c->measure && count > remaining(c) / 12)
            return gp_fail(c->err, GP_ERR_TRUNCATED, c->label,
                           "truncated GGUF: key '%s' claims %llu nested arrays but only %zu bytes remain",
                           key, (unsigned long long)count, remaining(c));
        for (uint64_t i = 0; i < count; i++) {
            size_t elem = c->pos;
            gp_status st = skip_array(c, depth + 1, key);
            if (st != GP_OK)
                return rest_of_array(c, st, start, elem, i, count);
        }
        return GP_OK;
    }
    return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                   "key '%s': unknown array element type %u", key, elem_type);
}

static gp_status read_kv(cursor *c, gp_gguf_kv *kv, size_t *key_off, size_t *str_off)
{
    gp_status st = read_string(c, key_off, "key name");
    if (st != GP_OK)
        return st;
    const char *key = c->arena + *key_off;
    st = read_u32(c, &kv->type, "value type");
    if (st != GP_OK)
        return st;
    *str_off = (size_t)-1;
    size_t fixed = scalar_size(kv->type);
    if (fixed) {
        if (remaining(c) < fixed) {
            c->need = c->pos + fixed;
            return truncated(c, "a value");
        }
        decode_scalar(kv->type, c->p + c->pos, kv);
        c->pos += fixed;
        return GP_OK;
    }
    switch (kv->type) {
    case GGUF_STRING:
        return read_string(c, str_off, "string value");
    case GGUF_ARRAY:
        if (array_header_short(c))
            return GP_ERR_TRUNCATED;
        st = read_u32(c, &kv->arr_type, "array element type");
        if (st == GP_OK)
            st = read_u64(c, &kv->arr_count, "array length");
        if (st != GP_OK)
            return st;
        kv->arr_offset = c->pos;
        /* The key may move with the arena, but skipping copies nothing. */
        return skip_array_body(c, kv->arr_type, kv->arr_count, 1, key);
    default:
        return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                       "key '%s' has unknown value type %u", key, kv->type);
    }
}

/* ---- tensor infos ---------------------------------------------------------- */

static gp_status read_tensor(cursor *c, size_t index, gp_gguf_tensor *t, size_t *name_off)
{
    gp_status st = read_string(c, name_off, "tensor name");
    if (st != GP_OK)
        return st;
    const char *name = c->arena + *name_off;
    size_t name_len = strlen(name);
    if (name_len + 1 > GP_GGUF_MAX_NAME)
        return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                       "tensor %zu: name is %zu bytes long, llama.cpp allows at most %d",
                       index, name_len, GP_GGUF_MAX_NAME - 1);
    st = read_u32(c, &t->n_dims, "tensor dimension count");
    if (st != GP_OK)
        return st;
    if (t->n_dims < 1 || t->n_dims > GP_GGUF_MAX_DIMS)
        return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                       "tensor '%s' has %u dimensions, expected 1 to %d",
                       name, t->n_dims, GP_GGUF_MAX_DIMS);
    /* Measuring: the rest of the info (dimensions, type, offset) is one item. */
    if (c->measure && remaining(c) < 8ull * t->n_dims + 12) {
        c->need = c->pos + 8ull * t->n_dims + 12;
        return truncated(c, "tensor info");
    }
    for (int d = 0; d < GP_GGUF_MAX_DIMS; d++)
        t->ne[d] = 1;
    uint64_t n = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        uint64_t ne;
        st = read_u64(c, &ne, "tensor dimension");
        if (st != GP_OK)
            return st;
        if (ne > (uint64_t)INT64_MAX || (ne != 0 && n > (uint64_t)INT64_MAX / ne))
            return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                           "tensor '%s' has an impossible shape (dimension %u = %llu)",
                           name, d, (unsigned long long)ne);
        t->ne[d] = (int64_t)ne;
        n *= ne;
    }
    t->n_elements = n;
    st = read_u32(c, &t->type, "tensor type");
    if (st != GP_OK)
        return st;
    const gp_type_info *ti = gp_type_get(t->type);
    if (!ti)
        return gp_fail(c->err, GP_ERR_UNSUPPORTED, c->label,
                       "tensor '%s' has unknown ggml type id %u", name, t->type);
    if ((uint64_t)t->ne[0] % ti->block_size != 0)
        return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                       "tensor '%s': row of %lld elements is not a multiple of the %s block size %u",
                       name, (long long)t->ne[0], ti->name, ti->block_size);
    uint64_t blocks = n / ti->block_size;
    if (blocks > UINT64_MAX / ti->type_size)
        return gp_fail(c->err, GP_ERR_FORMAT, c->label,
                       "tensor '%s' is too large", name);
    t->bytes = blocks * ti->type_size;
    return read_u64(c, &t->offset, "tensor offset");
}

/* ---- duplicate detection ---------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Returns the index of an earlier equal string, or (size_t)-1. `names` are
 * n strings; the table has a power-of-two size above 2n. */
static gp_status find_duplicate(const char **names, size_t n, size_t *dup_a, size_t *dup_b)
{
    *dup_a = *dup_b = (size_t)-1;
    if (n < 2)
        return GP_OK;
    size_t cap = 4;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return GP_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i] = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)hash_str(names[i]) & (cap - 1);
        while (slots[h] != (size_t)-1) {
            if (strcmp(names[slots[h]], names[i]) == 0) {
                *dup_a = slots[h];
                *dup_b = i;
                free(slots);
                return GP_OK;
            }
            h = (h + 1) & (cap - 1);
        }
        slots[h] = i;
    }
    free(slots);
    return GP_OK;
}

/* ---- the whole header ------------------------------------------------------- */

static void gguf_free(gp_gguf *g)
{
    if (!g)
        return;
    if (g->mapped)
        munmap((void *)g->bytes, g->size);
    else if (g->owns_bytes)
        free((void *)g->bytes);
    free(g->kvs);
    free(g->tensors);
    free(g->arena);
    free(g->label);
    free(g);
}

void gp_gguf_close(gp_gguf **g)
{
    if (!g)
        return;
    gguf_free(*g);
    *g = NULL;
}

static gp_status check_layout(gp_gguf *g, uint64_t file_size, gp_error *err)
{
    /* llama.cpp lays tensors out back to back, each padded to the alignment,
     * and refuses files that do otherwise. */
    uint64_t expected = 0;
    for (size_t i = 0; i < g->n_tensors; i++) {
        const gp_gguf_tensor *t = &g->tensors[i];
        if (t->offset != expected)
            return gp_fail(err, GP_ERR_FORMAT, g->label,
                           "tensor '%s' has offset %llu, expected %llu",
                           t->name, (unsigned long long)t->offset,
                           (unsigned long long)expected);
        uint64_t padded = t->bytes + (g->alignment - t->bytes % g->alignment) % g->alignment;
        if (padded < t->bytes || UINT64_MAX - expected < padded)
            return gp_fail(err, GP_ERR_FORMAT, g->label,
                           "tensor '%s': data section size overflows", t->name);
        expected += padded;
    }
    g->data_size = expected;
    uint64_t size = file_size;
    if (g->n_tensors == 0 || size <= g->data_offset) {
        g->data_present = g->n_tensors == 0;
        return GP_OK;
    }
    /* Some bytes follow the header: they must hold every tensor. The last
     * tensor's padding may be missing. */
    const gp_gguf_tensor *last = &g->tensors[g->n_tensors - 1];
    uint64_t need = g->data_offset + last->offset + last->bytes;
    if (size < need)
        return gp_fail(err, GP_ERR_TRUNCATED, g->label,
                       "truncated GGUF: data section needs %llu bytes, file has %llu",
                       (unsigned long long)need, (unsigned long long)size);
    g->data_present = true;
    return GP_OK;
}

static gp_status parse_impl(const unsigned char *bytes, size_t size, uint64_t file_size, bool copy,
                            const char *label, gp_gguf **out, gp_error *err)
{
    *out = NULL;
    gp_gguf *g = calloc(1, sizeof *g);
    if (!g)
        return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    g->label = strdup(label ? label : "<memory>");
    if (!g->label) {
        free(g);
        return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
    }
    if (copy && size > 0) {
        unsigned char *c = malloc(size);
        if (!c) {
            gguf_free(g);
            return gp_fail(err, GP_ERR_NOMEM, label, "out of memory");
        }
        memcpy(c, bytes, size);
        bytes = c;
        g->owns_bytes = true;
    } else if (copy) {
        bytes = NULL;
    }
    g->bytes = bytes;
    g->size = size;

    cursor c = {.p = bytes, .size = size, .label = g->label, .err = err};
    gp_status st = GP_OK;
    size_t *key_offs = NULL, *str_offs = NULL, *name_offs = NULL;
    const char **names = NULL;

    if (size == 0) {
        st = gp_fail(err, GP_ERR_FORMAT, g->label, "empty file, not a GGUF model");
        goto done;
    }
    if (size < 4 || memcmp(bytes, "GGUF", 4) != 0) {
        st = gp_fail(err, GP_ERR_FORMAT, g->label, "not a GGUF file (bad magic)");
        goto done;
    }
    c.pos = 4;
    if ((st = read_u32(&c, &g->version, "version")) != GP_OK)
        goto done;
    if (g->version == 1) {
        st = gp_fail(err, GP_ERR_UNSUPPORTED, g->label,
                     "GGUF version 1 is obsolete and not supported by llama.cpp");
        goto done;
    }
    if (g->version != 2 && g->version != 3) {
        st = gp_fail(err, GP_ERR_UNSUPPORTED, g->label,
                     "unsupported GGUF version %u%s", g->version,
                     (g->version & 0xffff) == 0 ? " (big-endian file?)" : "");
        goto done;
    }
    uint64_t n_tensors, n_kv;
    if ((st = read_u64(&c, &n_tensors, "tensor count")) != GP_OK ||
        (st = read_u64(&c, &n_kv, "key count")) != GP_OK)
        goto done;
    /* A key needs at least 13 bytes and a tensor info 32: counts that the
     * remaining bytes cannot hold are refused before anything is allocated. */
    if (n_kv > remaining(&c) / 13) {
        st = gp_fail(err, GP_ERR_TRUNCATED, g->label,
                     "truncated GGUF: %llu keys cannot fit in the %zu bytes that remain",
                     (unsigned long long)n_kv, remaining(&c));
        goto done;
    }
    if (n_tensors > remaining(&c) / 32) {
        st = gp_fail(err, GP_ERR_TRUNCATED, g->label,
                     "truncated GGUF: %llu tensors cannot fit in the %zu bytes that remain",
                     (unsigned long long)n_tensors, remaining(&c));
        goto done;
    }
    g->n_kv = (size_t)n_kv;
    g->n_tensors = (size_t)n_tensors;
    g->kvs = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kvs);
    key_offs = calloc(g->n_kv ? g->n_kv : 1, sizeof *key_offs);
    str_offs = calloc(g->n_kv ? g->n_kv : 1, sizeof *str_offs);
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    name_offs = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *name_offs);
    if (!g->kvs || !key_offs || !str_offs || !g->tensors || !name_offs) {
        st = gp_fail(err, GP_ERR_NOMEM, g->label, "out of memory");
        goto done;
    }

    for (size_t i = 0; i < g->n_kv; i++)
        if ((st = read_kv(&c, &g->kvs[i], &key_offs[i], &str_offs[i])) != GP_OK)
            goto done;
    /* Keys are needed to find general.alignment before tensors are checked. */
    for (size_t i = 0; i < g->n_kv; i++) {
        g->kvs[i].key = c.arena + key_offs[i];
        if (str_offs[i] != (size_t)-1)
            g->kvs[i].str = c.arena + str_offs[i];
    }
    g->alignment = GP_GGUF_DEFAULT_ALIGNMENT;
    const gp_gguf_kv *al = gp_gguf_find(g, "general.alignment");
    if (al) {
        if (al->type != GGUF_U32) {
            st = gp_fail(err, GP_ERR_FORMAT, g->label,
                         "general.alignment has type %s, expected u32",
                         gp_gguf_type_name(al->type));
            goto done;
        }
        if (al->v.u == 0 || (al->v.u & (al->v.u - 1)) != 0) {
            st = gp_fail(err, GP_ERR_FORMAT, g->label,
                         "general.alignment %llu is not a power of two",
                         (unsigned long long)al->v.u);
            goto done;
        }
        g->alignment = (uint32_t)al->v.u;
    }

    for (size_t i = 0; i < g->n_tensors; i++)
        if ((st = read_tensor(&c, i, &g->tensors[i], &name_offs[i])) != GP_OK)
            goto done;
    g->arena = c.arena;
    c.arena = NULL;
    for (size_t i = 0; i < g->n_kv; i++) {
        g->kvs[i].key = g->arena + key_offs[i];
        if (str_offs[i] != (size_t)-1)
            g->kvs[i].str = g->arena + str_offs[i];
    }
    for (size_t i = 0; i < g->n_tensors; i++)
        g->tensors[i].name = g->arena + name_offs[i];
    g->header_size = c.pos;
    g->data_offset = c.pos + (g->alignment - c.pos % g->alignment) % g->alignment;

    names = malloc((g->n_kv > g->n_tensors ? g->n_kv : g->n_tensors) * sizeof *names + 1);
    if (!names) {
        st = gp_fail(err, GP_ERR_NOMEM, g->label, "out of memory");
        goto done;
    }
    size_t a, b;
    for (size_t i = 0; i < g->n_kv; i++)
        names[i] = g->kvs[i].key;
    if (find_duplicate(names, g->n_kv, &a, &b) != GP_OK) {
        st = gp_fail(err, GP_ERR_NOMEM, g->label, "out of memory");
        goto done;
    }
    if (a != (size_t)-1) {
        st = gp_fail(err, GP_ERR_FORMAT, g->label, "duplicate key '%s' (keys %zu and %zu)",
                     names[a], a, b);
        goto done;
    }
    for (size_t i = 0; i < g->n_tensors; i++)
        names[i] = g->tensors[i].name;
    if (find_duplicate(names, g->n_tensors, &a, &b) != GP_OK) {
        st = gp_fail(err, GP_ERR_NOMEM, g->label, "out of memory");
        goto done;
    }
    if (a != (size_t)-1) {
        st = gp_fail(err, GP_ERR_FORMAT, g->label,
                     "duplicate tensor name '%s' (tensors %zu and %zu)", names[a], a, b);
        goto done;
    }
    st = check_layout(g, file_size, err);

done:
    free(c.arena);
    free(key_offs);
    free(str_offs);
    free(name_offs);
    free(names);
    if (st != GP_OK) {
        gguf_free(g);
        return st;
    }
    *out = g;
    return GP_OK;
}

gp_status gp_gguf_parse(const unsigned char *bytes, size_t size, bool copy,
                        const char *label, gp_gguf **out, gp_error *err)
{
    return parse_impl(bytes, size, size, copy, label, out, err);
}

gp_status gp_gguf_parse_prefix(const unsigned char *bytes, size_t size, uint64_t file_size,
                               bool copy, const char *label, gp_gguf **out, gp_error *err)
{
    if (file_size < size) {
        *out = NULL;
        return gp_fail(err, GP_ERR_ARG, label, "file size %llu is smaller than the %zu bytes read",
                       (unsigned long long)file_size, size);
    }
    return parse_impl(bytes, size, file_size, copy, label, out, err);
}

/* ---- how much of a header is still missing --------------------------------- */

int gp_gguf_header_need(const unsigned char *bytes, size_t have, uint64_t *need)
{
    if (have >= 4 && memcmp(bytes, "GGUF", 4) != 0) {
        *need = 0;
        return -1;
    }
    if (have < 24) {
        *need = 24;
        return 0;
    }
    gp_error err;
    cursor c = {.p = bytes, .size = have, .pos = 4, .label = "", .err = &err, .measure = true};
    uint32_t version;
    uint64_t n_tensors, n_kv;
    read_u32(&c, &version, "version");
    read_u64(&c, &n_tensors, "tensor count");
    read_u64(&c, &n_kv, "key count");
    /* Anything the parser refuses ends the measure: parsing names it. */
    int done = 1;
    *need = have;
    if (version != 2 && version != 3)
        goto out;
    uint64_t kv_small = 0, kv_small_n = 0;
    for (uint64_t i = 0; i < n_kv; i++) {
        size_t start = c.pos, key_off, str_off;
        gp_gguf_kv kv = {0};
        gp_status st = read_kv(&c, &kv, &key_off, &str_off);
        if (st == GP_ERR_TRUNCATED) {
            /* Keys still to come at the average size of the small ones seen
             * (big arrays excluded), tensor infos at a typical size. */
            uint64_t kv_est = kv_small_n ? kv_small / kv_small_n : 48;
            uint64_t est = sat_add(c.need, sat_mul(n_kv - i - 1, kv_est));
            *need = sat_add(est, sat_mul(n_tensors, 80));
            done = 0;
            goto out;
        }
        if (st != GP_OK)
            goto out;
        if (c.pos - start < 4096) {
            kv_small += c.pos - start;
            kv_small_n++;
        }
    }
    size_t tstart = c.pos;
    for (uint64_t t = 0; t < n_tensors; t++) {
        size_t start = c.pos, name_off;
        gp_gguf_tensor info;
        gp_status st = read_tensor(&c, (size_t)t, &info, &name_off);
        if (st == GP_ERR_TRUNCATED) {
            /* The infos still to come at the average size of those seen. */
            uint64_t avg = t ? (start - tstart) / t : 80;
            uint64_t est = c.need > start + avg ? c.need : start + avg;
            *need = sat_add(est, sat_mul(n_tensors - t - 1, avg));
            done = 0;
            goto out;
        }
        if (st != GP_OK)
            goto out;
    }
    *need = c.pos;
out:
    if (!done && *need <= have)
        *need = (uint64_t)have + 1;
    free(c.arena);
    return done;
}

gp_status gp_gguf_open_memory(const void *data, size_t size, const char *label,
                              gp_gguf **out, gp_error *err)
{
    if (!out || (!data && size))
        return gp_fail(err, GP_ERR_ARG, label, "invalid argument");
    return gp_gguf_parse(data, size, true, label, out, err);
}

gp_status gp_gguf_open(const char *path, gp_gguf **out, gp_error *err)
{
    if (!out || !path)
        return gp_fail(err, GP_ERR_ARG, path, "invalid argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gp_fail(err, GP_ERR_IO, path, "%s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return gp_fail(err, GP_ERR_IO, path, "%s", strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return gp_fail(err, GP_ERR_IO, path, "is a directory, not a GGUF file");
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return gp_fail(err, GP_ERR_IO, path, "not a regular file");
    }
    size_t size = (size_t)sb.st_size;
    const unsigned char *bytes = NULL;
    if (size > 0) {
        void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return gp_fail(err, GP_ERR_IO, path, "cannot map file: %s", strerror(e));
        }
        bytes = m;
    }
    close(fd);
    gp_status st = gp_gguf_parse(bytes, size, false, path, out, err);
    if (st != GP_OK) {
        /* On failure the parser freed nothing it did not own. */
        if (bytes)
            munmap((void *)bytes, size);
        return st;
    }
    (*out)->mapped = bytes != NULL;
    return GP_OK;
}

/* ---- queries --------------------------------------------------------------- */

const gp_gguf_kv *gp_gguf_find(const gp_gguf *g, const char *key)
{
    for (size_t i = 0; i < g->n_kv; i++)
        if (strcmp(g->kvs[i].key, key) == 0)
            return &g->kvs[i];
    return NULL;
}

static bool is_signed(uint32_t t)
{
    return t == GGUF_I8 || t == GGUF_I16 || t == GGUF_I32 || t == GGUF_I64;
}

static bool is_unsigned(uint32_t t)
{
    return t == GGUF_U8 || t == GGUF_U16 || t == GGUF_U32 || t == GGUF_U64 || t == GGUF_BOOL;
}

bool gp_gguf_get_uint(const gp_gguf *g, const char *key, uint64_t *out)
{
    const gp_gguf_kv *kv = gp_gguf_find(g, key);
    if (!kv)
        return false;
    if (is_unsigned(kv->type)) {
        *out = kv->v.u;
        return true;
    }
    if (is_signed(kv->type) && kv->v.i >= 0) {
        *out = (uint64_t)kv->v.i;
        return true;
    }
    return false;
}

bool gp_gguf_get_float(const gp_gguf *g, const char *key, double *out)
{
    const gp_gguf_kv *kv = gp_gguf_find(g, key);
    if (!kv)
        return false;
    if (kv->type == GGUF_F32 || kv->type == GGUF_F64)
        *out = kv->v.f;
    else if (is_unsigned(kv->type))
        *out = (double)kv->v.u;
    else if (is_signed(kv->type))
        *out = (double)kv->v.i;
    else
        return false;
    return true;
}

const char *gp_gguf_get_str(const gp_gguf *g, const char *key)
{
    const gp_gguf_kv *kv = gp_gguf_find(g, key);
    return kv && kv->type == GGUF_STRING ? kv->str : NULL;
}

bool gp_gguf_arr_uint(const gp_gguf *g, const gp_gguf_kv *kv, uint64_t i, uint64_t *out)
{
    if (kv->type != GGUF_ARRAY || i >= kv->arr_count)
        return false;
    size_t sz = scalar_size(kv->arr_type);
    if (!sz || kv->arr_type == GGUF_F32 || kv->arr_type == GGUF_F64)
        return false;
    gp_gguf_kv tmp = {0};
    decode_scalar(kv->arr_type, g->bytes + kv->arr_offset + (size_t)i * sz, &tmp);
    if (is_signed(kv->arr_type))
        *out = tmp.v.i < 0 ? 0 : (uint64_t)tmp.v.i;
    else
        *out = tmp.v.u;
    return true;
}

bool gp_gguf_arr_float(const gp_gguf *g, const gp_gguf_kv *kv, uint64_t i, double *out)
{
    if (kv->type != GGUF_ARRAY || i >= kv->arr_count)
        return false;
    size_t sz = scalar_size(kv->arr_type);
    if (!sz || kv->arr_type == GGUF_BOOL)
        return false;
    gp_gguf_kv tmp = {0};
    decode_scalar(kv->arr_type, g->bytes + kv->arr_offset + (size_t)i * sz, &tmp);
    if (kv->arr_type == GGUF_F32 || kv->arr_type == GGUF_F64)
        *out = tmp.v.f;
    else if (is_signed(kv->arr_type))
        *out = (double)tmp.v.i;
    else
        *out = (double)tmp.v.u;
    return true;
}

uint32_t gp_gguf_version(const gp_gguf *g) { return g->version; }
uint64_t gp_gguf_tensor_count(const gp_gguf *g) { return g->n_tensors; }
uint64_t gp_gguf_kv_count(const gp_gguf *g) { return g->n_kv; }
bool gp_gguf_data_present(const gp_gguf *g) { return g->data_present; }
