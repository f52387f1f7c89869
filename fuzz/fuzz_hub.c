/*
 * libFuzzer target for the model hub's answers: the input is four parts
 * split at NUL bytes: the -hf reference, the -hff file, the refs answer
 * (api/models/REPO/refs) and the file list (api/models/REPO/tree/COMMIT).
 * The reference is split, the commit chosen, the files picked and their
 * URLs made, as `-hf` does after its two requests.
 *
 *   build-fuzz/fuzz/fuzz_hub fuzz/findings fuzz/corpus-hub -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "source/hf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_env_once();
    if (size > 256 * 1024)
        return 0;
    /* Four NUL-separated parts; the padding ends each missing one. */
    char *buf = fuzz_text(data, size, 4);
    if (!buf)
        return 0;
    const char *part[4];
    size_t len[4], at = 0;
    for (int k = 0; k < 4; k++) {
        part[k] = buf + at;
        len[k] = strlen(part[k]);
        at += len[k] + (at + len[k] < size + 3 ? 1 : 0);
        if (at > size)
            at = size;
    }
    gp_hf_resolution r;
    memset(&r, 0, sizeof r);
    gp_error err;
    if (gp_hf_split_ref(part[0], r.repo, sizeof r.repo, r.tag, sizeof r.tag, &err) == GP_OK &&
        gp_hf_commit_from_refs(part[2], len[2], "refs", r.repo, r.commit, &err) == GP_OK &&
        gp_hf_pick_from_tree(part[3], len[3], "tree", part[0], "http://127.0.0.1:9/", len[1] ? part[1] : NULL,
                             &r, &err) == GP_OK)
        gp_hf_resolution_free(&r);
    free(buf);
    return 0;
}
