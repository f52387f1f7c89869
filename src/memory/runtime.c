#include "memory/runtime.h"

#include <string.h>

#include "gguf/types.h"
#include "memory/kv.h"
#include "model/arch.h"

#define MIB (1024ull * 1024ull)

/* llama-server's own anonymous memory beside its buffers: the heap, the
   vocabulary and its merges, the graph metadata. An estimate; bench/soak.sh
   checks the in-use sum it is part of against llama-server's resident
   memory. */
#define PROCESS_BASE (16 * MIB)
#define PROCESS_PER_TOKEN 200u
#define PROCESS_PER_MERGE 72u

static const char *const item_names[GP_RUNTIME_COUNT] = {"process", "mapped_file", "checkpoints",
                                                        "prompt_cache"};
static const char *const item_flags[GP_RUNTIME_COUNT] = {NULL, "--no-repack", "--ctx-checkpoints",
                                                        "--cache-ram"};

const char *gp_runtime_item_name(gp_runtime_item i)
{
    return i < GP_RUNTIME_COUNT ? item_names[i] : "";
}

const char *gp_runtime_item_flag(gp_runtime_item i)
{
    return i < GP_RUNTIME_COUNT ? item_flags[i] : NULL;
}

uint64_t gp_runtime_total(const gp_runtime_mem *r)
{
    uint64_t t = 0;
    for (int i = 0; i < GP_RUNTIME_COUNT; i++)
        t += r->item[i];
    return t;
}

/* A flag passed on to llama-server as given, and its value. */
static bool passed(const gp_run_params *p, const char *a, const char *b, const char **value)
{
    for (uint32_t i = 0; i < p->n_extra; i++) {
        if (strcmp(p->extra[i], a) != 0 && !(b && strcmp(p->extra[i], b) == 0))
            continue;
        if (value)
            *value = i + 1 < p->n_extra ? p->extra[i + 1] : "";
        return true;
    }
    return false;
}

static bool own_cache(const gp_model *m, uint32_t il)
{
    const gp_layer *l = &m->layers[il];
    return (!l->nextn || l->router) && (l->kind != GP_LAYER_RECURRENT || l->attends) && l->kv_src == (int32_t)il;
}

/* llama_kv_cache::state_write for one sequence holding `cells` cells in
   the layers `swa` selects (sliding ones, or the others): the stream
   headers, each cell's position and sequence (and its 2-D position where
   rope has several sections), then K and V rows layer by layer (V element
   by element when it is stored transposed). */
static uint64_t kv_state(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c, bool swa,
                         uint64_t cells)
{
    bool known;
    const gp_arch_rules *rules = gp_arch_lookup(m->arch, &known);
    uint64_t bytes = 4 + 4ull * c->n_stream;
    if (cells == 0)
        return bytes;
    bytes += cells * (4 + 4 + 4 + (rules->pos_per_tok > 1 ? 12 : 0));
    bytes += 4 + 4;   /* v_trans, n_layer */
    const bool v_trans = !c->flash_attn;
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++) {
        if (!own_cache(m, il) || (m->layers[il].kind == GP_LAYER_SWA) != swa)
            continue;
        uint64_t k = 0, v = 0, ve = gp_kv_v_elems(m, il);
        gp_type_row_bytes(p->type_k, gp_kv_k_elems(m, il), &k);
        bytes += 4 + 8 + cells * k;
        if (!ve)
            continue;
        if (v_trans) {
            const gp_type_info *t = gp_type_get(p->type_v);
            bytes += 12 + cells * ve * (t ? t->type_size : 2);
        } else {
            gp_type_row_bytes(p->type_v, ve, &v);
            bytes += 4 + 8 + cells * v;
        }
    }
    return bytes;
}

/* llama_memory_recurrent::state_write for one sequence: its cell, then the
   conv (r) and SSM (s) rows of every recurrent layer, in f32 */
static uint64_t recurrent_state(const gp_model *m)
{
    uint64_t bytes = 4 + 4 + 4 + 4 + 4 + 4;   /* count, pos, n_seq_id, seq_id, s_trans, n_layer */
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++) {
        if (m->layers[il].kind != GP_LAYER_RECURRENT || m->layers[il].nextn)
            continue;
        bytes += 2 * (4 + 8) + (m->hp.n_embd_r + m->hp.n_embd_s) * 4;
    }
    return bytes;
}

static bool has_kind(const gp_model *m, gp_layer_kind kind)
{
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++)
        if (m->layers[il].kind == kind && !m->layers[il].nextn)
            return true;
    return false;
}

static bool has_attention(const gp_model *m)
{
    for (uint32_t il = 0; il < m->hp.n_layer_all; il++)
        if (own_cache(m, il))
            return true;
    return false;
}

uint64_t gp_runtime_checkpoint_bytes(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                                     const char **what)
{
    *what = NULL;
    /* llama-server checkpoints what cannot be rolled back: recurrent state
       (of a hybrid model, only it), else the sliding window's cells, which
       --swa-full keeps whole */
    if (has_kind(m, GP_LAYER_RECURRENT)) {
        *what = "recurrent state";
        return recurrent_state(m);
    }
    if (has_kind(m, GP_LAYER_SWA) && !p->swa_full && m->hp.n_swa) {
        *what = "sliding-window cache";
        uint64_t cells = m->hp.n_swa < c->n_ctx_seq ? m->hp.n_swa : c->n_ctx_seq;
        return kv_state(m, p, c, true, cells);
    }
    return 0;
}

uint64_t gp_runtime_slot_state_bytes(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                                     uint64_t n_tokens)
{
    uint64_t bytes = 0;
    if (has_attention(m)) {
        bytes += kv_state(m, p, c, false, n_tokens);
        if (has_kind(m, GP_LAYER_SWA)) {
            uint64_t w = p->swa_full || !m->hp.n_swa ? n_tokens : m->hp.n_swa;
            bytes += kv_state(m, p, c, true, w < n_tokens ? w : n_tokens);
        }
    }
    if (has_kind(m, GP_LAYER_RECURRENT))
        bytes += recurrent_state(m);
    return bytes;
}

/* How many checkpoints a slot holds at its peak. A slot keeps at most
   --ctx-checkpoints. When a new one would fill the list, llama-server first
   erases earlier tasks' checkpoints lying within --checkpoint-min-step tokens
   of the one kept before them (the first always stays), and drops the oldest
   only if that freed nothing. Until then they all stay. With three or more
   allowed, the list fills only when the slot's context can space them further
   apart than the step; otherwise the thinning keeps it one short. */
static uint64_t checkpoints_at_peak(const gp_run_params *p, const gp_ctx_shape *c)
{
    uint64_t limit = (uint64_t)p->ctx_checkpoints;
    if (limit < 3)
        return limit;
    uint64_t step = p->checkpoint_min_step > 0 ? (uint64_t)p->checkpoint_min_step : 0;
    if ((limit - 2) * (step + 1) < c->n_ctx_seq)
        return limit;
    return limit - 1;
}

static bool simd_has(const char *simd, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *s = simd; (s = strstr(s, flag)) != NULL; s += n)
        if ((s == simd || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
            return true;
    return false;
}

/* Whether the CPU backend repacks a weight into its CPU_REPACK buffer
   (ggml-cpu's repack.cpp: the types its kernels take on this CPU, rows in
   whole groups of 8 or 4), for the matrix products that read it. */
static bool repacked(const gp_tensor *t, const char *simd)
{
    const gp_gguf_tensor *w = t->info;
    bool mm;
    switch (t->role) {
    case GP_ROLE_EXP_UP: case GP_ROLE_EXP_GATE: case GP_ROLE_EXP_DOWN: case GP_ROLE_EXP_GATE_UP:
        mm = w->n_dims == 3;
        break;
    case GP_ROLE_OUTPUT: case GP_ROLE_ATTN_Q: case GP_ROLE_ATTN_K: case GP_ROLE_ATTN_V: case GP_ROLE_ATTN_QKV:
    case GP_ROLE_ATTN_OUT: case GP_ROLE_ATTN_MLA: case GP_ROLE_FFN_UP: case GP_ROLE_FFN_GATE:
    case GP_ROLE_FFN_DOWN: case GP_ROLE_FFN_GATE_UP: case GP_ROLE_SHEXP: case GP_ROLE_SSM:
    case GP_ROLE_SHORTCONV:
        mm = w->n_dims == 2;
        break;
    default:
        mm = false;
    }
    if (!mm)
        return false;
    const int64_t rows = w->ne[1];
    const bool avx2 = simd_has(simd, "avx2"), avx512 = simd_has(simd, "avx512f");
    const bool neon = simd_has(simd, "asimd") || simd_has(simd, "neon");
    const bool i8mm = neon && simd_has(simd, "i8mm"), dot = neon && simd_has(simd, "asimddp");
    switch (w->type) {
    case GP_TYPE_Q4_0: return (avx2 && rows % 8 == 0) || ((i8mm || dot) && rows % 4 == 0);
    case GP_TYPE_Q4_K: return (avx2 || i8mm || dot) && rows % 8 == 0;
    case GP_TYPE_Q2_K: return avx512 && rows % 8 == 0;
    case GP_TYPE_Q5_K: case GP_TYPE_Q6_K: return (i8mm || dot) && rows % 8 == 0;
    case GP_TYPE_IQ4_NL: return (avx2 && rows % 8 == 0) || (dot && rows % 4 == 0);
    case GP_TYPE_MXFP4: return (avx2 && rows % 8 == 0) || (dot && rows % 4 == 0);
    case GP_TYPE_Q8_0: return (i8mm || dot) && rows % 4 == 0;
    default: return false;
    }
}

/* Model file pages that stay resident beside the CPU weights read in
   place. llama.cpp maps the file whole and prefetched, reads every weight
   it copies (to a GPU, or into CPU_REPACK) from the mapping, then unmaps
   only what lies before the first and after the last weight used in
   place: everything between stays. Weights go to a GPU's pinned host
   buffer instead where a CUDA, ROCm or Vulkan device is present (not with
   --no-host), and nothing is mapped with --load-mode none or dio. */
static void mapped_file(const gp_model *m, const gp_run_params *p, const gp_devices *d, const gp_placement *pl,
                        gp_runtime_mem *out)
{
    const char *mode = NULL;
    if (passed(p, "--no-mmap", NULL, NULL) ||
        ((passed(p, "-lm", "--load-mode", &mode)) && (!strcmp(mode, "none") || !strcmp(mode, "dio"))))
        return;
    if (!passed(p, "--no-host", NULL, NULL))
        for (uint32_t i = 1; i < d->n; i++)
            if (d->dev[i].kind == GP_DEV_CUDA || d->dev[i].kind == GP_DEV_ROCM || d->dev[i].kind == GP_DEV_VULKAN)
                return;
    const bool repack = !passed(p, "--no-repack", "-nr", NULL);
    const char *simd = d->dev[0].cpu.simd;
    for (uint32_t s = 0; s < m->n_shards; s++) {
        uint64_t first = UINT64_MAX, last = 0, in_place = 0;
        for (uint64_t t = 0; t < m->n_tensors; t++) {
            const gp_tensor *x = &m->tensors[t];
            if (x->shard != s || pl->tensor_dev[t] != 0)
                continue;
            if (repack && repacked(x, simd)) {
                out->repacked_bytes += x->info->bytes;
                continue;
            }
            in_place += x->info->bytes;
            if (x->info->offset < first)
                first = x->info->offset;
            if (x->info->offset + x->info->bytes > last)
                last = x->info->offset + x->info->bytes;
        }
        if (last > first && last - first > in_place)
            out->item[GP_RUNTIME_MAPPED] += last - first - in_place;
    }
}

static uint64_t merges(const gp_model *m)
{
    const gp_gguf_kv *kv = m->n_shards ? gp_gguf_find(m->shards[0], "tokenizer.ggml.merges") : NULL;
    return kv ? kv->arr_count : 0;
}

gp_status gp_runtime_estimate(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                              const gp_devices *d, const gp_placement *pl, gp_runtime_mem *out,
                              gp_error *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    if (p->app != GP_APP_SERVER)
        return GP_OK;
    out->item[GP_RUNTIME_PROCESS] = PROCESS_BASE + PROCESS_PER_TOKEN * m->hp.n_vocab + PROCESS_PER_MERGE * merges(m);
    mapped_file(m, p, d, pl, out);

    const char *what = NULL;
    uint64_t ckpt = p->ctx_checkpoints > 0 ? gp_runtime_checkpoint_bytes(m, p, c, &what) : 0;
    if (ckpt) {
        uint64_t per_slot = checkpoints_at_peak(p, c);
        out->checkpoint_bytes = ckpt;
        out->checkpoints_per_slot = (uint32_t)per_slot;
        out->checkpoint_of = what;
        out->item[GP_RUNTIME_CHECKPOINTS] = ckpt * per_slot * c->n_seq;
    }

    out->slot_state_bytes = gp_runtime_slot_state_bytes(m, p, c, c->n_ctx_seq);
    if (p->cache_ram_mib > 0) {
        out->item[GP_RUNTIME_PROMPT_CACHE] = (uint64_t)p->cache_ram_mib * MIB;
    } else if (p->cache_ram_mib < 0) {
        /* no byte limit: at most n_ctx tokens over all entries, each entry
           with its slot's checkpoints */
        out->cache_unbounded = true;
        out->item[GP_RUNTIME_PROMPT_CACHE] = gp_runtime_slot_state_bytes(m, p, c, c->n_ctx) +
                                             out->item[GP_RUNTIME_CHECKPOINTS];
    }
    return GP_OK;
}
