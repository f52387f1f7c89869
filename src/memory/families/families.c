/* families.c - the table of graph families (one row each). */
#include "memory/families/family.h"

#include <stddef.h>

static const gpg_family families[] = {
    {GP_COMPUTE_FAMILY_LLAMA, "llama", 0, 0, gpg_build_llama},
    {GP_COMPUTE_FAMILY_GEMMA3, "gemma3", 0, 0, gpg_build_gemma3},
    {GP_COMPUTE_FAMILY_DEEPSEEK2, "deepseek2", 1, 0, gpg_build_deepseek2},
    {GP_COMPUTE_FAMILY_LFM2, "lfm2", 0, 1, gpg_build_lfm2},
    {GP_COMPUTE_FAMILY_PHI3, "phi3", 0, 0, gpg_build_phi3},
    {GP_COMPUTE_FAMILY_GPT_OSS, "gpt-oss", 0, 0, gpg_build_gpt_oss},
    {GP_COMPUTE_FAMILY_POSTNORM, "postnorm", 0, 0, gpg_build_postnorm},
    {GP_COMPUTE_FAMILY_COHERE, "cohere", 0, 0, gpg_build_cohere},
};

const gpg_family *gpg_family_get(gp_compute_family id)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (families[i].id == id)
            return &families[i];
    return NULL;
}
