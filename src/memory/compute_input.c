/* From the model view and a placement to the compute-buffer model's inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/types.h"
#include "memory/compute.h"
#include "memory/compute_estimate.h"
#include "memory/mem.h"
#include "model/arch.h"
#include "util/error.h"

/* the first tensor whose name ends in suffix, or NULL */
static const gp_tensor *tensor_with_suffix(const gp_model *m, const char *suffix)
{
    size_t sl = strlen(suffix);
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const char *n = m->tensors[t].info->name;
        size_t nl = strlen(n);
        if (nl >= sl && strcmp(n + nl - sl, suffix) == 0)
            return &m->tensors[t];
    }
    return NULL;
}

static bool has_tensor_suffix(const gp_model *m, const char *suffix)
{
    return tensor_with_suffix(m, suffix) != NULL;
}

/* Which per-layer graph llama.cpp builds for an architecture: its row's
 * family, else latent attention's for MLA layers, else the llama-style
 * decoder graph, the most common shape. */
static gp_compute_family family_of(const gp_model *m, const gp_arch_rules *rules)
{
    if (rules->graph)
        return gp_compute_family_named(rules->graph);
    if (m->hp.parallel_residual)
        return GP_COMPUTE_FAMILY_PARALLEL;
    for (uint32_t il = 0; il < m->hp.n_layer; il++)
        if (m->layers[il].kind == GP_LAYER_MLA)
            return GP_COMPUTE_FAMILY_DEEPSEEK2;
    return GP_COMPUTE_FAMILY_LLAMA;
}

/* ne[k] of the first tensor whose name ends in suffix (0: none) */
static uint64_t tensor_dim(const gp_model *m, const char *suffix, uint32_t k)
{
    const gp_tensor *t = tensor_with_suffix(m, suffix);
    return t && k < t->info->n_dims ? (uint64_t)t->info->ne[k] : 0;
}

typedef struct compute_arrays {
    uint8_t *is_swa;
    uint8_t *is_recurrent;
    uint8_t *idx_shared;
    uint32_t *n_ff;
    uint32_t *n_head_kv;
    uint32_t *n_head;
    int32_t *kv_src;
    uint8_t *v_from_k;
    uint8_t *no_experts;
    uint8_t *no_heads;
    uint32_t *compress;
    uint8_t *swiglu_clamp;
} compute_arrays;

static void arrays_free(compute_arrays *a)
{
    free(a->is_swa);
    free(a->is_recurrent);
    free(a->idx_shared);
    free(a->n_ff);
    free(a->n_head_kv);
    free(a->n_head);
    free(a->kv_src);
    free(a->v_from_k);
    free(a->no_experts);
    free(a->no_heads);
    free(a->compress);
    free(a->swiglu_clamp);
}

static bool fill_model(const gp_model *m, gp_compute_model *cm, compute_arrays *a)
{
    const gp_hparams *hp = &m->hp;
    uint32_t n = hp->n_layer ? hp->n_layer : 1;
    memset(cm, 0, sizeof *cm);
    memset(a, 0, sizeof *a);
    a->is_swa = calloc(n, 1);
    a->is_recurrent = calloc(n, 1);
    a->idx_shared = calloc(n, 1);
    a->n_ff = calloc(n, sizeof *a->n_ff);
    a->n_head_kv = calloc(n, sizeof *a->n_head_kv);
    a->n_head = calloc(n, sizeof *a->n_head);
    a->kv_src = calloc(n, sizeof *a->kv_src);
    a->v_from_k = calloc(n, 1);
    a->no_experts = calloc(n, 1);
    a->no_heads = calloc(n, 1);
    a->compress = calloc(n, sizeof *a->compress);
    a->swiglu_clamp = calloc(n, 1);
    if (!a->is_swa || !a->is_recurrent || !a->idx_shared || !a->n_ff || !a->n_head_kv || !a->n_head || !a->kv_src ||
        !a->v_from_k || !a->no_experts || !a->no_heads || !a->compress || !a->swiglu_clamp)
        return false;
    /* One pass over the tensors for what the layers' weights say: the dense
       gate's rows, and whether K and V have weights of their own (bits 1
       and 2 of kv_weights). */
    uint64_t *gate_rows = calloc(n, sizeof *gate_rows);
    uint8_t *kv_weights = calloc(n, 1);
    if (!gate_rows || !kv_weights) {
        free(gate_rows);
        free(kv_weights);
        return false;
    }
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const gp_tensor *x = &m->tensors[t];
        if (x->layer < 0 || (uint32_t)x->layer >= hp->n_layer)
            continue;
        const char *dot = strchr(x->info->name + 4, '.');
        if (!dot || strncmp(x->info->name, "blk.", 4) != 0)
            continue;
        if (!strcmp(dot + 1, "ffn_gate.weight"))
            gate_rows[x->layer] = (uint64_t)x->info->ne[1];
        else if (!strcmp(dot + 1, "attn_k.weight"))
            kv_weights[x->layer] |= 1;
        else if (!strcmp(dot + 1, "attn_v.weight"))
            kv_weights[x->layer] |= 2;
    }
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        a->is_swa[il] = m->layers[il].kind == GP_LAYER_SWA;
        a->is_recurrent[il] = m->layers[il].kind == GP_LAYER_RECURRENT;
        a->idx_shared[il] = m->layers[il].indexer_shared;
        a->n_ff[il] = m->layers[il].n_ff;
        /* a layer whose experts the header does not have is dense, whatever
           the spacing rules say (Jamba: every other layer) */
        a->no_experts[il] = hp->n_expert > 0 && !m->layers[il].has_experts;
        /* the graph multiplies by the tensors as they are: Qwen's
           feed_forward_length counts gate and up together */
        if (a->n_ff[il] && gate_rows[il] > 0 && gate_rows[il] < a->n_ff[il])
            a->n_ff[il] = (uint32_t)gate_rows[il];
        a->n_head_kv[il] = m->layers[il].n_head_kv;
        a->n_head[il] = m->layers[il].n_head ? m->layers[il].n_head : hp->n_head;
        a->no_heads[il] = m->layers[il].n_head == 0 && hp->n_head > 0;
        a->kv_src[il] = m->layers[il].kv_src;
        a->compress[il] = m->layers[il].compress_ratio;
        a->swiglu_clamp[il] = (m->layers[il].swiglu_clamp_exp ? 1 : 0) | (m->layers[il].swiglu_clamp_shexp ? 2 : 0);
        a->v_from_k[il] = kv_weights[il] == 1;
    }
    free(gate_rows);
    free(kv_weights);
    bool known;
    const gp_arch_rules *rules = gp_arch_lookup(m->arch, &known);
    cm->family = family_of(m, rules);
    cm->n_layer = hp->n_layer;
    cm->n_embd = (uint32_t)hp->n_embd;
    cm->n_vocab = (uint32_t)hp->n_vocab;
    cm->n_head = hp->n_head;
    cm->n_head_kv = hp->n_head_kv;
    cm->head_dim_k = hp->head_dim_k;
    cm->head_dim_v = hp->head_dim_v;
    cm->n_ff = hp->n_ff;
    cm->qk_norm = has_tensor_suffix(m, ".attn_q_norm.weight");
    /* a recurrent layer's in-projection may share the attn_qkv name
       (qwen3next); attention is fused only where no layer has attn_q */
    cm->fused_qkv = has_tensor_suffix(m, ".attn_qkv.weight") && !has_tensor_suffix(m, ".attn_q.weight");
    cm->attn_bias = has_tensor_suffix(m, ".attn_q.bias");
    cm->attn_out_bias = has_tensor_suffix(m, ".attn_output.bias");
    cm->attn_sinks = has_tensor_suffix(m, ".attn_sinks.weight");
    cm->attn_gate = has_tensor_suffix(m, ".attn_gate.weight");
    cm->ffn_fused_up = !has_tensor_suffix(m, ".ffn_gate.weight") && hp->n_ff &&
                       tensor_dim(m, ".ffn_up.weight", 1) == 2ull * hp->n_ff;
    cm->ffn_ungated = has_tensor_suffix(m, ".ffn_up.weight") && !has_tensor_suffix(m, ".ffn_gate.weight") &&
                      !cm->ffn_fused_up;
    cm->pre_norm = has_tensor_suffix(m, ".attn_norm.weight");
    cm->no_rope_step = rules->rope_if_finetuned && !hp->rope_finetuned ? 1 : rules->no_rope_step;
    cm->rec_attends = rules->recurrent_attends;
    cm->embd_scaled = hp->embd_scaled || rules->embd_scaled;
    cm->pos_embd = has_tensor_suffix(m, "position_embd.weight");
    cm->dense_res = has_tensor_suffix(m, ".ffn_norm_exps.weight");
    cm->layer_norm = rules->layer_norm;
    cm->logits_copied = rules->logits_copied;
    cm->logits_all_rows = rules->logits_all_rows;
    cm->ssm_dt_b_c_norm = has_tensor_suffix(m, ".ssm_dt_norm.weight");
    cm->parallel_ffn_norm = has_tensor_suffix(m, ".ffn_norm.weight");
    cm->norm_bias = has_tensor_suffix(m, ".attn_norm.bias");
    cm->no_rope_full = rules->no_rope_full;
    cm->rope_dense_lead = rules->rope_dense_lead;
    cm->qk_norm_full = cm->qk_norm && hp->n_head > 1 && tensor_dim(m, ".attn_q_norm.weight", 0) > hp->head_dim_k;
    cm->router_bias = has_tensor_suffix(m, ".ffn_gate_inp.bias");
    cm->expert_groups = hp->n_expert_groups;
    cm->expert_groups_used = hp->n_expert_groups_used;
    cm->expert_bias = has_tensor_suffix(m, ".ffn_up_exps.bias");
    uint64_t chexp = tensor_dim(m, ".ffn_up_chexps.weight", 2), ff_chexp = tensor_dim(m, ".ffn_up_chexps.weight", 1);
    cm->n_chexp = chexp > UINT32_MAX ? UINT32_MAX : (uint32_t)chexp;
    cm->n_ff_chexp = ff_chexp > UINT32_MAX ? UINT32_MAX : (uint32_t)ff_chexp;
    cm->layer_is_swa = a->is_swa;
    cm->layer_is_recurrent = a->is_recurrent;
    cm->layer_idx_shared = a->idx_shared;
    cm->layer_n_ff = a->n_ff;
    cm->layer_no_experts = a->no_experts;
    cm->layer_no_heads = a->no_heads;
    cm->layer_n_head_kv = a->n_head_kv;
    cm->layer_n_head = a->n_head;
    cm->n_swa = hp->n_swa;
    cm->n_expert = hp->n_expert;
    cm->n_expert_used = hp->n_expert_used;
    /* Without expert_feed_forward_length the experts have the dense width,
     * as llama.cpp reads them (mixtral-style llama MoE). */
    cm->n_ff_exp = hp->n_ff_exp ? hp->n_ff_exp : hp->n_ff;
    /* A product that does not fit is left out of range so the compute model
     * refuses it. */
    /* The shared expert's width is its tensors' (families size it from
     * different keys, some only by the tensors); else the keys'. */
    uint64_t shexp = tensor_dim(m, ".ffn_up_shexp.weight", 1);
    if (!shexp)
        shexp = hp->n_ff_shexp ? hp->n_ff_shexp : (uint64_t)hp->n_expert_shared * hp->n_ff_exp;
    cm->n_ff_shexp = shexp > UINT32_MAX ? UINT32_MAX : (uint32_t)shexp;
    cm->n_layer_dense_lead = hp->n_layer_dense_lead;
    cm->moe_every = hp->moe_every;
    /* qwen3moe always renormalises the routed weights. */
    cm->expert_weights_norm = hp->expert_weights_norm || rules->moe_norm_w;
    cm->expert_weights_scaled = hp->expert_weights_scale != 0 && hp->expert_weights_scale != 1.0;
    cm->gating = hp->expert_gating_func == 2 ? GP_COMPUTE_GATING_SIGMOID : GP_COMPUTE_GATING_SOFTMAX;
    cm->expert_probs_bias = has_tensor_suffix(m, ".exp_probs_b.bias") ||
                            has_tensor_suffix(m, ".exp_probs_b");
    cm->q_lora_rank = hp->q_lora_rank;
    cm->kv_lora_rank = hp->kv_lora_rank;
    cm->qk_rope = hp->rope_dim;
    cm->qk_nope = hp->head_dim_k_mla > hp->rope_dim ? hp->head_dim_k_mla - hp->rope_dim : 0;
    cm->v_head_dim = hp->head_dim_v_mla;
    cm->idx_n_head = hp->indexer_n_head;
    cm->idx_head_dim = hp->indexer_head_dim;
    cm->idx_top_k = hp->indexer_top_k;
    cm->idx_block = hp->indexer_block_size;
    cm->conv_l_cache = hp->shortconv_l_cache;
    cm->n_deepstack = hp->n_deepstack;
    cm->ssm_conv = hp->ssm_d_conv;
    cm->ssm_inner = hp->ssm_d_inner;
    cm->ssm_state = hp->ssm_d_state;
    cm->ssm_groups = hp->ssm_n_group;
    cm->ssm_dt_rank = hp->ssm_dt_rank;
    cm->ssm_ab_split = has_tensor_suffix(m, ".ssm_alpha.weight");
    cm->ssm_norm = has_tensor_suffix(m, ".ssm_norm.weight");
    cm->shexp_gate = has_tensor_suffix(m, ".ffn_gate_inp_shexp.weight");
    cm->pos_per_tok = rules->pos_per_tok;
    cm->qk_norm_after_rope = rules->qk_norm_after_rope;
    cm->rows_after_norm = rules->rows_after_norm;
    if (rules->head_dim_swa) {
        for (uint32_t il = 0; il < hp->n_layer; il++)
            if (m->layers[il].kind == GP_LAYER_SWA) {
                cm->head_dim_k_swa = m->layers[il].head_dim_k;
                cm->head_dim_v_swa = m->layers[il].head_dim_v;
                break;
            }
    }
    cm->layer_kv_src = a->kv_src;
    cm->layer_v_from_k = a->v_from_k;
    cm->n_embd_per_layer = (uint32_t)tensor_dim(m, "per_layer_proj_norm.weight", 0);
    cm->wkv_head = hp->wkv_head_size;
    cm->rwkv_mix_extra = hp->time_mix_extra_dim;
    cm->rwkv_decay_extra = hp->time_decay_extra_dim;
    cm->rwkv_rescale = hp->rescale_every_n_layers;
    cm->rwkv_lora_decay = hp->lora_decay;
    cm->rwkv_lora_iclr = hp->lora_iclr;
    cm->rwkv_lora_value = hp->lora_value_res_mix;
    /* the output gate is there where its LoRA is */
    cm->rwkv_lora_gate = has_tensor_suffix(m, ".time_mix_g1.weight") ? hp->lora_gate : 0;
    cm->rwkv_shifts = hp->token_shift_count;
    cm->rwkv_first = has_tensor_suffix(m, ".time_mix_first.weight");
    cm->rwkv_group_norm = has_tensor_suffix(m, ".time_mix_ln.weight");
    cm->rwkv_bias = (has_tensor_suffix(m, ".time_mix_receptance.bias") ? 1 : 0) |
                    (has_tensor_suffix(m, ".time_mix_key.bias") ? 2 : 0) |
                    (has_tensor_suffix(m, ".time_mix_value.bias") ? 4 : 0);
    cm->kda_head = hp->kda_head_dim;
    cm->kda_full_gate = has_tensor_suffix(m, ".ssm_g.weight");
    cm->kda_gate_lb = hp->kda_gate_lb;
    cm->mla_out_gate = cm->kda_head && has_tensor_suffix(m, ".attn_gate.weight");
    {
        /* the first layer's gate tells its kind: as wide as its heads, or
           as its heads' values */
        const uint64_t gate_w = tensor_dim(m, ".attn_gate.weight", 1);
        cm->attn_gate_per_head = gate_w && hp->n_layer && gate_w == m->layers[0].n_head;
    }
    cm->attn_res_block = hp->attn_res_block;
    cm->n_embd_latent = hp->n_embd_latent;
    cm->latent_norm = has_tensor_suffix(m, ".ffn_routed_norm.weight");
    cm->situ_linear = hp->situ_linear;
    cm->kda_no_lora = cm->kda_head && !has_tensor_suffix(m, ".ssm_f_b.weight");
    /* llama.cpp reads the SwiGLU limits for a few architectures; of those
       with a graph here, bailingmoe3 clamps unfused */
    if (cm->family == GP_COMPUTE_FAMILY_BAILINGMOE3)
        cm->layer_swiglu_clamp = a->swiglu_clamp;
    if (cm->family == GP_COMPUTE_FAMILY_GRANITESWITCH) {
        /* the adapters as the graph multiplies by them: [n_embd, rank, slots] */
        uint64_t slots = tensor_dim(m, ".attn_q.lora_a", 2), rank = tensor_dim(m, ".attn_q.lora_a", 1);
        cm->adapter_slots = slots > UINT32_MAX ? UINT32_MAX : (uint32_t)slots;
        cm->adapter_rank = rank > UINT32_MAX ? UINT32_MAX : (uint32_t)rank;
        cm->resid_scaled = hp->resid_scaled;
    }
    if (cm->family == GP_COMPUTE_FAMILY_HRM_TEXT) {
        cm->hrm_lps = hp->hrm_lps;
        cm->hrm_h = hp->hrm_h;
        cm->hrm_l = hp->hrm_l;
    }
    cm->hc_count = hp->hc_count;
    cm->dsv4_o_groups = hp->o_group_count;
    cm->dsv4_o_lora = hp->o_lora_rank;
    cm->hc_low_rank = hp->hc_low_rank;
    cm->layer_compress = a->compress;
    if (hp->ple_n_heads && hp->ple_layer < hp->n_layer) {
        const gp_tensor *conv = tensor_with_suffix(m, ".ple_conv1d.weight");
        cm->ple_n_heads = hp->ple_n_heads;
        cm->ple_head_dim = hp->ple_head_dim;
        cm->ple_layer = hp->ple_layer;
        cm->ple_ngram = hp->ple_ngram;
        cm->ple_conv_kernel = hp->ple_conv_kernel;
        cm->ple_conv_cast = conv && conv->info->type != GP_TYPE_F32;
    }
    return true;
}

static void fill_run(const gp_run_params *p, const gp_ctx_shape *c, gp_compute_run *r)
{
    memset(r, 0, sizeof *r);
    r->n_ctx = (uint32_t)c->n_ctx;
    r->n_ctx_req = (uint32_t)c->n_ctx_req;
    r->n_batch = c->n_batch;
    r->n_ubatch = c->n_ubatch;
    r->n_seq = c->n_seq;
    r->kv_unified = c->kv_unified;
    r->flash_attn = c->flash_attn;
    r->type_k = (int)p->type_k;
    r->type_v = (int)p->type_v;
    r->swa_full = p->swa_full;
    r->n_outputs_max = c->n_outputs_max;
}

/* The compute model's view of a placement: the device of every weight kind
 * of every layer, of each layer's cache, and of the output layer. */
static bool fill_placement(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                           const gp_placement *pl, gp_compute_placement *cp,
                           gp_compute_layer_place **layers_out)
{
    memset(cp, 0, sizeof *cp);
    uint32_t n = m->hp.n_layer;
    gp_compute_layer_place *layers = calloc(n ? n : 1, sizeof *layers);
    if (!layers)
        return false;
    *layers_out = layers;
    for (uint32_t il = 0; il < n; il++) {
        for (int k = 0; k < GP_COMPUTE_W_COUNT; k++)
            layers[il].w[k] = (uint8_t)pl->layer_dev[il];
        layers[il].kv = (uint8_t)pl->kv_dev[il];
    }
    cp->out_norm_dev = (uint8_t)pl->output_dev;
    cp->output_dev = (uint8_t)pl->output_dev;
    /* the router layer llama.cpp adds past the last block: its cache's device */
    if (m->hp.n_layer < m->hp.n_layer_all && m->layers[m->hp.n_layer].router)
        cp->router_kv = (uint8_t)pl->kv_dev[m->hp.n_layer];
    for (uint64_t t = 0; t < m->n_tensors; t++) {
        const gp_tensor *ten = &m->tensors[t];
        int32_t dev = pl->tensor_dev[t];
        if (dev < 0)
            continue;
        const char *name = ten->info->name;
        /* the logits' weight: output, or token_embd itself where no output
           is created (BitNet), read where it lives */
        if (strcmp(name, "output.weight") == 0 ||
            (m->embd_is_output && strcmp(name, "token_embd.weight") == 0)) {
            cp->output_dev = (uint8_t)dev;
            cp->output_bytes = ten->info->bytes;
            continue;
        }
        if (strcmp(name, "output_norm.weight") == 0 ||
            (m->embd_norm_is_output && strcmp(name, "token_embd_norm.weight") == 0)) {
            cp->out_norm_dev = (uint8_t)dev;
            continue;
        }
        if (strcmp(name, "token_embd_norm.weight") == 0) {
            layers[0].w[GP_COMPUTE_W_TOKEN_EMBD_NORM] = (uint8_t)dev;
            continue;
        }
        uint32_t layer;
        int kind = gp_compute_weight_kind(name, &layer);
        if (kind < 0 || layer >= n)
            continue;
        /* Biases share their weight's kind; the weight decides. */
        size_t len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, ".bias") == 0)
            continue;
        layers[layer].w[kind] = (uint8_t)dev;
        layers[layer].w_bytes[kind] = ten->info->bytes;
    }
    if (pl->tied_output_dev >= 0)
        cp->output_bytes = pl->tied_output_bytes;
    cp->n_devices = d->n;
    cp->layer = layers;
    for (uint32_t i = 1; i < d->n; i++)
        cp->op_offload[i] = gp_device_op_offload(&d->dev[i]);
    cp->pipeline_parallel = gp_mem_pipeline_parallel(m, p, d, pl);
    return true;
}

gp_status gp_mem_compute(const gp_model *m, const gp_run_params *p, const gp_ctx_shape *c,
                         const gp_devices *d, const gp_placement *pl, uint64_t *per_device,
                         bool *estimated, gp_error *err)
{
    if (estimated)
        *estimated = false;
    gp_compute_model cm;
    compute_arrays a;
    gp_compute_run r;
    if (!fill_model(m, &cm, &a)) {
        arrays_free(&a);
        return gp_fail(err, GP_ERR_NOMEM, m->path, "out of memory");
    }
    fill_run(p, c, &r);
    gp_status st = GP_OK;
    if (!gp_compute_family_recurrent(cm.family)) {
        /* Hybrids without a builder of their own (mamba, jamba, ...) get
         * the coarse estimate, and say so. */
        for (uint32_t il = 0; il < cm.n_layer; il++)
            if (a.is_recurrent[il]) {
                arrays_free(&a);
                gp_compute_estimate(m, p, c, d, pl, per_device);
                if (estimated)
                    *estimated = true;
                return GP_OK;
            }
    }
    if (c->n_ctx > UINT32_MAX || c->n_ctx_req > UINT32_MAX) {
        arrays_free(&a);
        return gp_fail(err, GP_ERR_CONFIG, m->path, "a context of %llu cells is beyond llama.cpp's range",
                       (unsigned long long)c->n_ctx);
    }
    if (d->n == 1) {
        per_device[0] = gp_compute_bytes(&cm, &r);
        if (per_device[0] == 0)
            st = gp_fail(err, GP_ERR_FORMAT, m->path,
                         "cannot model the compute graph: implausible or inconsistent shape (or out of memory)");
    } else {
        gp_compute_placement cp;
        gp_compute_layer_place *layers = NULL;
        if (!fill_placement(m, p, d, pl, &cp, &layers) ||
            gp_compute_bytes_split(&cm, &r, &cp, per_device) != 0)
            st = gp_fail(err, GP_ERR_FORMAT, m->path,
                         "cannot model the compute graph of this placement: implausible or inconsistent "
                         "shape (or out of memory)");
        free(layers);
    }
    arrays_free(&a);
    return st;
}

bool gp_mem_pipeline_parallel(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                              const gp_placement *pl)
{
    uint32_t n_gpu = 0;
    bool async = true;
    for (uint32_t i = 1; i < d->n; i++) {
        n_gpu++;
        async = async && d->dev[i].kind != GP_DEV_VULKAN && d->dev[i].kind != GP_DEV_METAL;
    }
    return n_gpu > 1 && pl->n_gpu_layers > m->hp.n_layer && p->split_mode == GP_SPLIT_LAYER &&
           !p->no_kv_offload && p->n_overrides == 0 && async;
}
