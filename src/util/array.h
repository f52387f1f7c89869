/*
 * Growing arrays: the one place that doubles a capacity and reallocates.
 */
#ifndef GP_UTIL_ARRAY_H
#define GP_UTIL_ARRAY_H

#include <stddef.h>

/* items (capacity *cap elements of `size` bytes) with room for `need`: the
 * capacity doubles, starting at `first`. Returns the (possibly moved) array
 * and updates *cap, or NULL when out of memory, leaving items and *cap as
 * they were. */
void *gp_array_grow(void *items, size_t *cap, size_t need, size_t size, size_t first);

#endif
