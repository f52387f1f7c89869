#include "model_builder.h"

#include <stdio.h>
#include <stdlib.h>

#include "gguf/types.h"
#include "model/model.h"

static void layer_tensor(gw *w, uint32_t il, const char *base, uint32_t type,
                         int64_t ne0, int64_t ne1, int64_t ne2)
{
    char name[96];
    snprintf(name, sizeof name, "blk.%u.%s.weight", il, base);
    int64_t ne[3] = {ne0, ne1, ne2};
    gw_tensor(w, name, type, ne2 > 1 ? 3 : (ne1 > 1 ? 2 : 1), ne);
}

static void key_u32(gw *w, const char *arch, const char *suffix, uint32_t v)
{
    char k[128];
    snprintf(k, sizeof k, "%s.%s", arch, suffix);
    gw_u32(w, k, v);
}

gw *mb_build(const mb_spec *s)
{
    gw *w = gw_new(3);
    const char *a = s->arch;
    uint32_t wt = s->weight_type ? s->weight_type : GP_TYPE_F16;
    uint32_t hd = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
    gw_str(w, "general.architecture", a);
    gw_str(w, "general.name", s->name ? s->name : "synthetic");
    gw_u32(w, "general.file_type", s->file_type ? s->file_type : 15);
    key_u32(w, a, "block_count", s->n_layer);
    key_u32(w, a, "context_length", s->n_ctx_train ? s->n_ctx_train : 4096);
    key_u32(w, a, "embedding_length", s->n_embd);
    key_u32(w, a, "feed_forward_length", s->n_ff);
    key_u32(w, a, "attention.head_count", s->n_head);
    char k[128];
    if (s->head_kv_per_layer) {
        snprintf(k, sizeof k, "%s.attention.head_count_kv", a);
        gw_arr_u32(w, k, s->head_kv_per_layer, s->n_layer);
    } else {
        key_u32(w, a, "attention.head_count_kv", s->n_head_kv);
    }
    if (s->head_dim) {
        key_u32(w, a, "attention.key_length", s->kv_lora_rank ? s->kv_lora_rank + s->rope_dim : hd);
        key_u32(w, a, "attention.value_length", s->kv_lora_rank ? s->kv_lora_rank : hd);
    }
    if (s->kv_lora_rank) {
        key_u32(w, a, "attention.kv_lora_rank", s->kv_lora_rank);
        if (s->q_lora_rank)
            key_u32(w, a, "attention.q_lora_rank", s->q_lora_rank);
        key_u32(w, a, "rope.dimension_count", s->rope_dim);
        key_u32(w, a, "attention.key_length_mla", hd + s->rope_dim);
        key_u32(w, a, "attention.value_length_mla", hd);
    }
    if (s->n_expert) {
        key_u32(w, a, "expert_count", s->n_expert);
        key_u32(w, a, "expert_used_count", s->n_expert_used);
        key_u32(w, a, "expert_feed_forward_length", s->n_ff_exp);
        if (s->n_expert_shared)
            key_u32(w, a, "expert_shared_count", s->n_expert_shared);
        if (s->n_layer_dense_lead)
            key_u32(w, a, "leading_dense_block_count", s->n_layer_dense_lead);
        if (s->sigmoid_gating) {
            key_u32(w, a, "expert_gating_func", 2);
            char k2[128];
            snprintf(k2, sizeof k2, "%s.expert_weights_norm", a);
            gw_bool(w, k2, true);
            snprintf(k2, sizeof k2, "%s.expert_weights_scale", a);
            gw_f32(w, k2, 2.5f);
        }
    }
    if (s->n_swa)
        key_u32(w, a, "attention.sliding_window", s->n_swa);
    if (s->nextn)
        key_u32(w, a, "nextn_predict_layers", s->nextn);
    if (s->shortconv_l_cache)
        key_u32(w, a, "shortconv.l_cache", s->shortconv_l_cache);
    if (s->ssm_d_inner) {
        key_u32(w, a, "ssm.conv_kernel", s->ssm_d_conv);
        key_u32(w, a, "ssm.inner_size", s->ssm_d_inner);
        key_u32(w, a, "ssm.state_size", s->ssm_d_state);
        key_u32(w, a, "ssm.group_count", s->ssm_n_group);
        key_u32(w, a, "ssm.time_step_rank", s->ssm_d_inner / 64 ? s->ssm_d_inner / 64 : 1);
    }
    if (s->full_attention_interval)
        key_u32(w, a, "full_attention_interval", s->full_attention_interval);
    gw_str(w, "tokenizer.ggml.model", "gpt2");
    if (s->tokens)
        gw_arr_str_n(w, "tokenizer.ggml.tokens", s->n_vocab);
    else
        key_u32(w, a, "vocab_size", s->n_vocab);

    gw_tensor2(w, "token_embd.weight", wt, s->n_embd, s->n_vocab);
    gw_tensor2(w, "output_norm.weight", GP_TYPE_F32, s->n_embd, 1);
    if (!s->tied_output)
        gw_tensor2(w, "output.weight", wt, s->n_embd, s->n_vocab);

    for (uint32_t il = 0; il < s->n_layer; il++) {
        uint32_t kvh = s->head_kv_per_layer ? s->head_kv_per_layer[il] : s->n_head_kv;
        layer_tensor(w, il, "attn_norm", GP_TYPE_F32, s->n_embd, 1, 1);
        bool recurrent = (s->head_kv_per_layer && kvh == 0) ||
                         (s->ssm_d_inner && !s->head_kv_per_layer &&
                          (!s->full_attention_interval || (il + 1) % s->full_attention_interval != 0));
        if (recurrent && s->shortconv_l_cache) {
            layer_tensor(w, il, "shortconv.conv", GP_TYPE_F32, s->shortconv_l_cache, s->n_embd, 1);
            layer_tensor(w, il, "shortconv.in_proj", wt, s->n_embd, 3 * s->n_embd, 1);
            layer_tensor(w, il, "shortconv.out_proj", wt, s->n_embd, s->n_embd, 1);
        } else if (recurrent) {
            layer_tensor(w, il, "ssm_in", wt, s->n_embd, 2 * s->ssm_d_inner, 1);
            layer_tensor(w, il, "ssm_conv1d", GP_TYPE_F32, s->ssm_d_conv, s->ssm_d_inner, 1);
            layer_tensor(w, il, "ssm_out", wt, s->ssm_d_inner, s->n_embd, 1);
        } else if (s->kv_lora_rank) {
            if (s->q_lora_rank) {
                layer_tensor(w, il, "attn_q_a", wt, s->n_embd, s->q_lora_rank, 1);
                layer_tensor(w, il, "attn_q_a_norm", GP_TYPE_F32, s->q_lora_rank, 1, 1);
                layer_tensor(w, il, "attn_q_b", wt, s->q_lora_rank, s->n_head * (hd + s->rope_dim), 1);
            } else {
                layer_tensor(w, il, "attn_q", wt, s->n_embd, s->n_head * (hd + s->rope_dim), 1);
            }
            layer_tensor(w, il, "attn_kv_a_mqa", wt, s->n_embd, s->kv_lora_rank + s->rope_dim, 1);
            layer_tensor(w, il, "attn_kv_a_norm", GP_TYPE_F32, s->kv_lora_rank, 1, 1);
            layer_tensor(w, il, "attn_k_b", wt, hd, s->kv_lora_rank, s->n_head);
            layer_tensor(w, il, "attn_v_b", wt, s->kv_lora_rank, hd, s->n_head);
            layer_tensor(w, il, "attn_output", wt, s->n_head * hd, s->n_embd, 1);
        } else {
            layer_tensor(w, il, "attn_q", wt, s->n_embd, s->n_head * hd, 1);
            layer_tensor(w, il, "attn_k", wt, s->n_embd, kvh * hd, 1);
            layer_tensor(w, il, "attn_v", wt, s->n_embd, kvh * hd, 1);
            layer_tensor(w, il, "attn_output", wt, s->n_head * hd, s->n_embd, 1);
        }
        layer_tensor(w, il, "ffn_norm", GP_TYPE_F32, s->n_embd, 1, 1);
        if (s->n_expert && il >= s->n_layer_dense_lead) {
            layer_tensor(w, il, "ffn_gate_inp", GP_TYPE_F32, s->n_embd, s->n_expert, 1);
            if (s->sigmoid_gating) {
                char name[96];
                snprintf(name, sizeof name, "blk.%u.exp_probs_b.bias", il);
                int64_t ne[1] = {s->n_expert};
                gw_tensor(w, name, GP_TYPE_F32, 1, ne);
            }
            layer_tensor(w, il, "ffn_gate_exps", wt, s->n_embd, s->n_ff_exp, s->n_expert);
            layer_tensor(w, il, "ffn_up_exps", wt, s->n_embd, s->n_ff_exp, s->n_expert);
            layer_tensor(w, il, "ffn_down_exps", wt, s->n_ff_exp, s->n_embd, s->n_expert);
            if (s->n_expert_shared) {
                uint32_t sh = s->n_ff_exp * s->n_expert_shared;
                layer_tensor(w, il, "ffn_gate_shexp", wt, s->n_embd, sh, 1);
                layer_tensor(w, il, "ffn_up_shexp", wt, s->n_embd, sh, 1);
                layer_tensor(w, il, "ffn_down_shexp", wt, sh, s->n_embd, 1);
            }
        } else if (s->n_ff) {
            layer_tensor(w, il, "ffn_gate", wt, s->n_embd, s->n_ff, 1);
            layer_tensor(w, il, "ffn_up", wt, s->n_embd, s->n_ff, 1);
            layer_tensor(w, il, "ffn_down", wt, s->n_ff, s->n_embd, 1);
        }
    }
    return w;
}

struct gp_model *mb_model(const mb_spec *s, char *err_text, size_t err_size)
{
    gw *w = mb_build(s);
    size_t len;
    unsigned char *p = gw_finish(w, false, &len);
    gw_free(w);
    gp_gguf *g = NULL;
    gp_error err = {0};
    gp_model *m = NULL;
    if (gp_gguf_open_memory(p, len, "built.gguf", &g, &err) == GP_OK) {
        gp_gguf **shards = malloc(sizeof *shards);
        if (shards) {
            shards[0] = g;
            gp_model_from_shards("built.gguf", shards, 1, &m, &err);
        } else {
            gp_gguf_close(&g);
        }
    }
    free(p);
    if (!m && err_text)
        snprintf(err_text, err_size, "%s", err.message);
    return m;
}
