#include "calib.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *calib_dir(void)
{
    const char *env = getenv("GGPLACE_CALIB_DIR");
    return env && *env ? env : GP_CALIB_DIR;
}

void calib_model(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/models/%s.gguf", calib_dir(), name);
}

bool calib_present(void)
{
    char path[1024];
    calib_model(path, sizeof path, "llama-tiny");
    if (access(path, R_OK) == 0)
        return true;
    printf("calibration headers not found in %s (../shared/calib beside the repository, or set "
           "GGPLACE_CALIB_DIR); tests skipped\n", calib_dir());
    return false;
}
