/*
 * A GGUF writer for tests, examples and fuzz seeds: builds headers with any
 * keys and tensor infos, optionally followed by a zero-filled data section.
 * It can also write deliberately broken files (raw_* calls).
 */
#ifndef GP_TESTS_GGUF_WRITER_H
#define GP_TESTS_GGUF_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw gw;

gw *gw_new(uint32_t version);
void gw_free(gw *w);

void gw_str(gw *w, const char *key, const char *val);
void gw_u32(gw *w, const char *key, uint32_t val);
void gw_i32(gw *w, const char *key, int32_t val);
void gw_u64(gw *w, const char *key, uint64_t val);
void gw_f32(gw *w, const char *key, float val);
void gw_bool(gw *w, const char *key, bool val);
void gw_arr_u32(gw *w, const char *key, const uint32_t *vals, uint64_t n);
void gw_arr_i32(gw *w, const char *key, const int32_t *vals, uint64_t n);
void gw_arr_bool(gw *w, const char *key, const bool *vals, uint64_t n);
/* An array of n strings "t0", "t1", ... (a tokenizer stand-in). */
void gw_arr_str_n(gw *w, const char *key, uint64_t n);
/* An array of n arrays, each holding m u8 zeros. */
void gw_arr_nested(gw *w, const char *key, uint64_t n, uint64_t m);

/* Adds a tensor; ne has n_dims entries. Offsets are assigned at the end. */
void gw_tensor(gw *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne);
void gw_tensor2(gw *w, const char *name, uint32_t type, int64_t ne0, int64_t ne1);

/* Serialises: header, padding, and (with_data) a zero data section.
 * Returns a malloc'd buffer. */
unsigned char *gw_finish(gw *w, bool with_data, size_t *len);
/* The same, written to a file. */
bool gw_write(gw *w, const char *path, bool with_data);

/* Bytes a tensor takes (type table of the library). */
uint64_t gw_tensor_bytes(uint32_t type, uint32_t n_dims, const int64_t *ne);



/* Appends a key with an already-encoded value (type + raw little-endian bytes). */
void gw_raw(gw *w, const char *key, uint32_t type, const void *value, size_t len);
#endif
