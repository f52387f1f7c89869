/*
 * The flags ggplace owns in a llama-server command (every spelling of every
 * flag the planner decides), the slot each fills, and when two values of a
 * slot are the same. Calls nothing outside libc.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "swap/swap_internal.h"

/* Every spelling of every flag the planner decides (what gp_plan_args can
 * emit, plus the flags that would contradict it). */
static const owned_flag owned[] = {
    {"-c", "ctx", "-c", true}, {"--ctx-size", "ctx", "-c", true},
    {"-np", "np", "-np", true}, {"--parallel", "np", "-np", true},
    {"-kvu", "kvu", "-kvu", false}, {"--kv-unified", "kvu", "-kvu", false},
    {"-no-kvu", "kvu", "-no-kvu", false}, {"--no-kv-unified", "kvu", "-no-kvu", false},
    {"-fa", "fa", "-fa", true}, {"--flash-attn", "fa", "-fa", true},
    {"-ctk", "ctk", "-ctk", true}, {"--cache-type-k", "ctk", "-ctk", true},
    {"-ctv", "ctv", "-ctv", true}, {"--cache-type-v", "ctv", "-ctv", true},
    {"--swa-full", "swa", "--swa-full", false},
    {"-b", "b", "-b", true}, {"--batch-size", "b", "-b", true},
    {"-ub", "ub", "-ub", true}, {"--ubatch-size", "ub", "-ub", true},
    {"-ngl", "ngl", "-ngl", true}, {"--gpu-layers", "ngl", "-ngl", true}, {"--n-gpu-layers", "ngl", "-ngl", true},
    {"-ts", "ts", "-ts", true}, {"--tensor-split", "ts", "-ts", true},
    {"-sm", "sm", "-sm", true}, {"--split-mode", "sm", "-sm", true},
    {"-mg", "mg", "-mg", true}, {"--main-gpu", "mg", "-mg", true},
    {"-ot", "ot", "-ot", true}, {"--override-tensor", "ot", "-ot", true},
    {"-cmoe", "cmoe", "-cmoe", false}, {"--cpu-moe", "cmoe", "-cmoe", false},
    {"-ncmoe", "ncmoe", "-ncmoe", true}, {"--n-cpu-moe", "ncmoe", "-ncmoe", true},
    {"-ncffn", "ncffn", "-ncffn", true}, {"--n-cpu-ffn", "ncffn", "-ncffn", true},
    {"-nkvo", "kvo", "-nkvo", false}, {"--no-kv-offload", "kvo", "-nkvo", false},
    {"-kvo", "kvo", "-kvo", false}, {"--kv-offload", "kvo", "-kvo", false},
    {"-t", "t", "-t", true}, {"--threads", "t", "-t", true},
    {"--rpc", "rpc", "--rpc", true},
    {"-dev", "dev", "-dev", true}, {"--device", "dev", "-dev", true},
};

const owned_flag *gp_swap_owned_find(const char *tok, const char **inline_value)
{
    if (inline_value)
        *inline_value = NULL;
    if (tok[0] != '-')
        return NULL;
    const char *eq = tok[1] == '-' ? strchr(tok, '=') : NULL;
    size_t n = eq ? (size_t)(eq - tok) : strlen(tok);
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        if (strlen(owned[i].name) != n || strncmp(owned[i].name, tok, n) != 0)
            continue;
        if (eq && !owned[i].value)
            return NULL;
        if (inline_value && eq)
            *inline_value = eq + 1;
        return &owned[i];
    }
    return NULL;
}

const char *gp_swap_owned_slot(const char *flag)
{
    const owned_flag *f = gp_swap_owned_find(flag, NULL);
    return f ? f->slot : NULL;
}

static int tristate(const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "enabled") || !strcmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "off") || !strcmp(v, "disabled") || !strcmp(v, "false") || !strcmp(v, "0"))
        return 0;
    return !strcmp(v, "auto") ? -1 : -2;
}

bool gp_swap_same_value(const char *slot, const char *a, const char *b)
{
    if (!strcmp(a, b))
        return true;
    if (!strcmp(slot, "fa"))
        return tristate(a) != -2 && tristate(a) == tristate(b);
    char *ea, *eb;
    long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);
    return *a && *b && !*ea && !*eb && x == y && strcmp(slot, "ts") != 0 && strcmp(slot, "ot") != 0;
}
