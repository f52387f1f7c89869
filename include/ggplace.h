/*
 * ggplace: what llama.cpp will allocate for a GGUF model, and where.
 *
 * Public API of libggplace. Every function returns a gp_status; on failure
 * the optional gp_error is filled with the file concerned and a one-line
 * reason. The library never prints and never exits.
 *
 * Ownership: objects returned through an out-pointer belong to the caller
 * and are released with the matching *_close(), which also clears the
 * caller's pointer. Strings returned by accessors are owned by the object
 * they came from and live as long as it does.
 */
#ifndef GGPLACE_H
#define GGPLACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GP_API __attribute__((visibility("default")))
#else
#define GP_API
#endif

/* Status codes. Values are stable and never reused. */
typedef enum gp_status {
    GP_OK = 0,
    GP_ERR_IO = 1,          /* a file could not be opened or read */
    GP_ERR_FORMAT = 2,      /* the bytes are not a valid GGUF */
    GP_ERR_TRUNCATED = 3,   /* the file ends before its header does */
    GP_ERR_UNSUPPORTED = 4, /* valid but unknown: version, tensor type */
    GP_ERR_NOMEM = 5,       /* an allocation failed */
    GP_ERR_ARG = 6,         /* a caller's argument is invalid */
    GP_ERR_MISSING = 7,     /* a required key or tensor is absent */
    GP_ERR_CONFIG = 8,      /* a combination llama.cpp would refuse */
} gp_status;

#define GP_ERROR_TEXT 512

/* What went wrong, for one line of output: "FILE: MESSAGE". */
typedef struct gp_error {
    gp_status status;
    char file[GP_ERROR_TEXT];
    char message[GP_ERROR_TEXT];
} gp_error;

/* A short, static description of a status code. */
GP_API const char *gp_strerror(gp_status status);

/* The library version, "X.Y.Z". */
GP_API const char *gp_version(void);

/* ---- GGUF files ---------------------------------------------------------- */

typedef struct gp_gguf gp_gguf;

/* Opens and validates a GGUF header (versions 2 and 3). Only the header and
 * tensor infos are read; a file without its data section is accepted. */
GP_API gp_status gp_gguf_open(const char *path, gp_gguf **out, gp_error *err);

/* The same over bytes in memory; `label` names them in errors. The bytes are
 * copied, so the caller may free them afterwards. */
GP_API gp_status gp_gguf_open_memory(const void *data, size_t size,
                                     const char *label, gp_gguf **out,
                                     gp_error *err);

GP_API void gp_gguf_close(gp_gguf **gguf);

GP_API uint32_t gp_gguf_version(const gp_gguf *gguf);
GP_API uint64_t gp_gguf_tensor_count(const gp_gguf *gguf);
GP_API uint64_t gp_gguf_kv_count(const gp_gguf *gguf);
/* True when the file holds the whole data section, false for a header only. */
GP_API bool gp_gguf_data_present(const gp_gguf *gguf);

/* ---- Models: one GGUF, or every shard of a split one ---------------------- */

typedef struct gp_model gp_model;

/* Opens a model file. A shard name like NAME-00001-of-00003.gguf opens every
 * shard and presents them as one model. An http(s):// URL reads the header
 * (of every shard) over HTTP ranges, through the header cache. */
GP_API gp_status gp_model_open(const char *path, gp_model **out, gp_error *err);
GP_API void gp_model_close(gp_model **model);

GP_API const char *gp_model_architecture(const gp_model *model);
GP_API uint64_t gp_model_tensor_bytes(const gp_model *model);
GP_API uint64_t gp_model_n_params(const gp_model *model);

/* The model as `ggplace inspect --json` prints it; with_tensors adds every
 * tensor. Returns a NUL-terminated string the caller frees with free(). */
GP_API gp_status gp_model_inspect_json(const gp_model *model, bool with_tensors,
                                       char **out, gp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* GGPLACE_H */
