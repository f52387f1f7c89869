/*
 * YAML as written: libyaml's document tree plus the byte offsets of every
 * node in the original text, and the source map of a scalar (which bytes of
 * the file produced each byte of its value), so that one scalar can be
 * edited by splicing bytes while the rest of the file stays as it was.
 */
#ifndef GP_SWAP_SWAP_YAML_H
#define GP_SWAP_SWAP_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "ggplace.h"

typedef struct gp_yaml {
    yaml_document_t doc;
    bool loaded;
    const char *text; /* the caller's bytes, not owned */
    size_t len;
    size_t *cpos;     /* character index -> byte offset (NULL when all ASCII) */
    size_t nchars;
    size_t bom;       /* bytes of a UTF-8 byte order mark skipped by libyaml */
} gp_yaml;

/* Parses the first document of text (UTF-8). A syntax error is GP_ERR_FORMAT
 * with "LINE:COLUMN: problem" (1-based) in err->message, label as file. */
gp_status gp_yaml_load(gp_yaml *y, const char *label, const char *text, size_t len, gp_error *err);
void gp_yaml_free(gp_yaml *y);

/* Byte offset of a libyaml mark. */
size_t gp_yaml_offset(const gp_yaml *y, yaml_mark_t m);

yaml_node_t *gp_yaml_node(const gp_yaml *y, int id);
yaml_node_t *gp_yaml_root(const gp_yaml *y);
/* The value of key in a mapping node (NULL if absent or not a mapping); the
 * key node through *key when non-NULL. YAML merge keys (<<) are followed. */
yaml_node_t *gp_yaml_get(const gp_yaml *y, const yaml_node_t *map, const char *key, yaml_node_t **keynode);
/* A scalar's value as a NUL-terminated string (libyaml keeps one), or NULL. */
const char *gp_yaml_str(const yaml_node_t *n);
/* True when the value node of a mapping pair is an alias of a node defined
 * elsewhere (it starts before its own key ends). */
bool gp_yaml_is_alias(const yaml_node_t *key, const yaml_node_t *value);

/* A scalar in its source. */
typedef struct gp_yaml_src {
    yaml_scalar_style_t style;
    size_t begin, end;    /* the scalar's bytes: indicator or quotes included */
    size_t body_end;      /* block scalars: end of the last non-empty line (after its line break) */
    bool body_newline;    /* that line ends with a line break */
    int indent;           /* block scalars: columns of content indentation */
    char *value;          /* decoded, equal to libyaml's value */
    size_t len;
    size_t *mb, *me;      /* value byte i came from file bytes [mb[i], me[i]) */
} gp_yaml_src;

/* Maps a scalar node back to its bytes. key_column is the column of the
 * mapping key the scalar is the value of (block scalars with an explicit
 * indentation indicator count from it). Fails with GP_ERR_UNSUPPORTED when
 * the decoded bytes do not reproduce libyaml's value. */
gp_status gp_yaml_source(const gp_yaml *y, const yaml_node_t *node, int key_column, gp_yaml_src *out,
                         gp_error *err);
void gp_yaml_src_free(gp_yaml_src *s);

#endif
