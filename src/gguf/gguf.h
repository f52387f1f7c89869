/*
 * GGUF header reader.
 *
 * The reader parses the header and tensor infos of a GGUF file (v2/v3) and
 * never touches the weights. Every count, length and offset is checked
 * against the bytes that remain before it is used, so a truncated or hostile
 * file yields an error naming what is wrong, never a crash or a huge
 * allocation. Keys and tensor names are copied into one arena owned by the
 * gp_gguf; array values stay in the header bytes and are read on demand.
 */
#ifndef GP_GGUF_GGUF_H
#define GP_GGUF_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ggplace.h"

/* GGUF value types. */
enum {
    GGUF_U8 = 0, GGUF_I8 = 1, GGUF_U16 = 2, GGUF_I16 = 3, GGUF_U32 = 4,
    GGUF_I32 = 5, GGUF_F32 = 6, GGUF_BOOL = 7, GGUF_STRING = 8,
    GGUF_ARRAY = 9, GGUF_U64 = 10, GGUF_I64 = 11, GGUF_F64 = 12,
    GGUF_VALUE_TYPE_COUNT = 13,
};

#define GP_GGUF_MAX_DIMS 4
#define GP_GGUF_MAX_NAME 64       /* llama.cpp's GGML_MAX_NAME, NUL included */
#define GP_GGUF_MAX_ARRAY_DEPTH 8 /* nested arrays deeper than this are refused */
#define GP_GGUF_DEFAULT_ALIGNMENT 32

typedef struct gp_gguf_kv {
    const char *key;      /* NUL-terminated, in the arena */
    uint32_t type;        /* GGUF_* */
    /* Scalars, widened: integers in u (unsigned) or i (signed), floats in f. */
    union {
        uint64_t u;
        int64_t i;
        double f;
    } v;
    const char *str;      /* GGUF_STRING: NUL-terminated copy in the arena */
    uint32_t arr_type;    /* GGUF_ARRAY: element type */
    uint64_t arr_count;   /*            number of elements */
    size_t arr_offset;    /*            header offset of the first element */
} gp_gguf_kv;

typedef struct gp_gguf_tensor {
    const char *name;     /* NUL-terminated, in the arena */
    uint32_t n_dims;      /* 1..4 */
    int64_t ne[GP_GGUF_MAX_DIMS]; /* unused dimensions are 1 */
    uint32_t type;        /* ggml type id, known and not retired */
    uint64_t offset;      /* relative to the data section */
    uint64_t n_elements;
    uint64_t bytes;       /* storage size of the weights */
} gp_gguf_tensor;

struct gp_gguf {
    char *label;          /* path or caller's label, for messages */
    const unsigned char *bytes; /* the file (mapped) or a private copy */
    size_t size;
    bool mapped;          /* bytes are an mmap of the file */
    bool owns_bytes;      /* bytes are a private copy */
    uint32_t version;
    gp_gguf_kv *kvs;
    size_t n_kv;
    gp_gguf_tensor *tensors;
    size_t n_tensors;
    char *arena;
    uint32_t alignment;
    uint64_t header_size; /* bytes up to the end of the tensor infos */
    uint64_t data_offset; /* start of the data section */
    uint64_t data_size;   /* bytes the tensors need, padding included */
    bool data_present;
};

/* Finds a key; NULL when absent. */
const gp_gguf_kv *gp_gguf_find(const gp_gguf *g, const char *key);

/* Reads an integer-valued key of any integer or bool type into *out; false if
 * absent, not an integer, or negative. */
bool gp_gguf_get_uint(const gp_gguf *g, const char *key, uint64_t *out);
/* Reads any numeric key as a double. */
bool gp_gguf_get_float(const gp_gguf *g, const char *key, double *out);
/* A string key's value, or NULL. */
const char *gp_gguf_get_str(const gp_gguf *g, const char *key);

/* Element i of a numeric or bool array as an unsigned integer (negative
 * values read as 0); false if out of range or not numeric. */
bool gp_gguf_arr_uint(const gp_gguf *g, const gp_gguf_kv *kv, uint64_t i,
                      uint64_t *out);
/* Element i of a numeric array as a double; false if out of range or not
 * numeric. */
bool gp_gguf_arr_float(const gp_gguf *g, const gp_gguf_kv *kv, uint64_t i, double *out);

/* Type name of a GGUF value type ("u32", "string", "array"...). */
const char *gp_gguf_type_name(uint32_t type);

/* Parses bytes already in memory. On success *out owns a copy only if
 * `copy` is set; otherwise the bytes must outlive it. */
gp_status gp_gguf_parse(const unsigned char *bytes, size_t size, bool copy,
                        const char *label, gp_gguf **out, gp_error *err);

/* The same over the first `size` bytes of a file of `file_size` bytes (a
 * header read over HTTP ranges): data_present is decided by file_size, and a
 * file shorter than its data section is an error, as for a whole file. */
gp_status gp_gguf_parse_prefix(const unsigned char *bytes, size_t size, uint64_t file_size,
                               bool copy, const char *label, gp_gguf **out, gp_error *err);

/* How much of a header the first `have` bytes of a GGUF file hold, for a
 * header read in pieces: measured by this parser's own readers. Returns 1
 * when the header and tensor infos are complete (*need = their size), or
 * when the parser refuses what it has read (*need = have; parsing names the
 * problem); 0 when more bytes are needed (*need = an estimate of the header
 * size, > have, from a string array's count and the average size of its
 * elements, keys and tensor infos seen so far); -1 when the bytes are not a
 * GGUF file. */
int gp_gguf_header_need(const unsigned char *bytes, size_t have, uint64_t *need);

#endif
