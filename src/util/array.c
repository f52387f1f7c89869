#include "util/array.h"

#include <stdint.h>
#include <stdlib.h>

void *gp_array_grow(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return items;
    size_t n = *cap ? *cap : first;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *grown = realloc(items, n * size);
    if (grown)
        *cap = n;
    return grown;
}
