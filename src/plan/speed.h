/*
 * The speed model: predicted decode and prefill tokens per second of a
 * placement, from the bytes each device reads per token over its memory
 * bandwidth (decode is memory-bound), the FLOPs each device runs per batch
 * (prefill is compute-bound), and the traffic between devices.
 *
 * Decode, per token:
 *   t_dev   = (weights read on dev + KV read on dev) / (bandwidth_dev * eff_dev)
 *             weights read = dense tensors in full + routed experts scaled by
 *             n_expert_used / n_expert (uniform routing); token_embd reads one row;
 *             KV read = cells attended at the assumed depth (half the context
 *             per sequence, the window for sliding layers) x bytes per cell
 *   t_hop   = per change of device along the layer order: latency + activation
 *             bytes (n_embd x 4) / link bandwidth (PCIe, or the network for RPC)
 *   t_layer = a fixed per-layer launch / synchronisation cost per device kind
 *   t_token = a fixed cost per token where the output layer runs
 *   decode  = 1 / (sum t_dev + sum t_hop + sum t_layer + t_token)
 * Prefill, per micro-batch of U tokens:
 *   t_dev   = FLOPs on dev / (peak_dev * eff_dev), FLOPs = 2 x weight elements x U
 *             (experts: x n_used / n_expert) + attention 4 x depth x head dims x U;
 *   op offload (CUDA/ROCm/Vulkan, U >= 32): matmuls of CPU-held weights run on
 *             the GPU after the weights cross PCIe: bytes / PCIe bandwidth
 *   prefill = U / (sum t_dev + hops)
 * Efficiencies (eff) are per device kind; measured calibrations replace them.
 */
#ifndef GP_PLAN_SPEED_H
#define GP_PLAN_SPEED_H

#include "memory/device.h"
#include "memory/mem.h"
#include "model/model.h"

/* What the speed model knows of one device; defaults fill what detection
 * and descriptions leave unknown. */
typedef struct gp_speed_device {
    double mem_bw;        /* bytes/s of memory read bandwidth */
    double flops;         /* peak dense FLOP/s for the matmuls llama.cpp runs */
    double link_bw;       /* bytes/s to the host (PCIe) or over the network (RPC) */
    double link_latency;  /* seconds per transfer */
    double eff_decode;    /* fraction of mem_bw reached while decoding */
    double eff_prefill;   /* fraction of flops reached while prefilling */
    double layer_cost;    /* seconds of fixed cost per layer per token */
    double token_cost;    /* seconds of fixed cost per token on the device holding the output
                             (graph launch, thread wake-up, logits read back): what bounds a
                             small model (llama-tiny on a 2-core CPU: ~1 ms of its 4) */
} gp_speed_device;

void gp_speed_device_defaults(const gp_device *dev, gp_speed_device *out);

typedef struct gp_speed {
    double decode_tps;
    double prefill_tps;
    double decode_bytes[GP_MAX_DEVICES]; /* bytes read per token per device */
} gp_speed;

/* What the speed model assumes for lack of a figure (an unmeasured CPU,
 * a card the GPU table does not know, an RPC server's network), one line
 * each into lines; returns how many there are (at most max). */
#define GP_SPEED_NOTE 200
uint32_t gp_speed_assumptions(const gp_devices *d, char (*lines)[GP_SPEED_NOTE], uint32_t max);

/* At the depth a long session averages: half the context per sequence. */
void gp_speed_predict(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                      const gp_mem_result *r, gp_speed *out);
/* With `depth` cells of KV cache filled: what a measurement of a known
 * prompt and generation length should see. */
void gp_speed_predict_at(const gp_model *m, const gp_run_params *p, const gp_devices *d,
                         const gp_mem_result *r, double depth, gp_speed *out);

#endif
