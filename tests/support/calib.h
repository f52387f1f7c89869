/* Where the shared calibration headers are (../shared/calib beside the
 * repository, or $GGPLACE_CALIB_DIR), for tests that read them. */
#ifndef GP_TESTS_CALIB_H
#define GP_TESTS_CALIB_H

#include <stdbool.h>
#include <stddef.h>

/* The calibration directory. */
const char *calib_dir(void);

/* The path of models/NAME.gguf in it. */
void calib_model(char *buf, size_t cap, const char *name);

/* True when the headers are there; otherwise says, once, that the tests
 * needing them are skipped (a test binary then exits with CALIB_SKIP). */
bool calib_present(void);

#define CALIB_SKIP 77

#endif
