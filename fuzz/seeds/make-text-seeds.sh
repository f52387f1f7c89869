#!/usr/bin/env bash
# Writes the seed corpora of the text targets (fuzz/corpus-swap, -hw,
# -args, -log, -hub) from the test fixtures and the shipped examples.
# Run from the repository root with a built ggplace:
#   bash fuzz/seeds/make-text-seeds.sh build/ggplace
set -euo pipefail
gp=${1:-build/ggplace}
cd "$(dirname "$0")/../.."
for d in swap hw args log hub; do rm -rf "fuzz/corpus-$d"; mkdir -p "fuzz/corpus-$d"; done

# llama-swap configs: the fixtures, with models under examples/.
for f in tests/data/swap/*.yaml; do
  sed 's|@MODELS@|examples|g' "$f" >"fuzz/corpus-swap/$(basename "$f")"
done
cat >fuzz/corpus-swap/styles.yaml <<'YAML'
macros:
  srv: llama-server --port ${PORT}
  m8: examples/llama-3.1-8b.gguf
models:
  plain:
    cmd: llama-server -m examples/llama-3.1-8b.gguf -c 4096 -ngl 99
  folded:
    cmd: >
      ${srv}
      -m ${m8}
      -c 8192
  quoted:
    cmd: "llama-server -m 'examples/qwen3-30b-a3b.gguf' -ot \"blk\\.[0-9]\\.ffn_.*=CPU\" \\
      --n-cpu-moe 4"
  env:
    cmd: env CUDA_VISIBLE_DEVICES=1 llama-server -m ${env.MODELS}/gemma-3-4b.gguf -ts 1,1
    env: ["CUDA_VISIBLE_DEVICES=0"]
  docker:
    cmd: docker run --rm -v /srv/m:/models ghcr.io/ggml-org/llama.cpp:server -m /models/x.gguf
  hub:
    cmd: llama-server -hf acme/Llama-GGUF:Q4_K_M
  anchor: &a
    cmd: llama-server -m examples/llama-3.1-8b.gguf
  alias: *a
groups:
  g1:
    swap: false
    members: [plain, folded]
YAML
cat >fuzz/corpus-swap/matrix.yaml <<'YAML'
models:
  a:
    cmd: |
      llama-server
      -m examples/llama-3.1-8b.gguf
      # a comment
      -c 2048 -np 2
  b:
    cmd: llama-server -m examples/gemma-3-4b.gguf --ctx-size=4096
routing:
  router:
    settings:
      matrix:
        vars: {a: a, b: b}
        sets: {both: "a & b"}
YAML

# Hardware: what devices --json writes, and --gpu/--rpc/--ram lines.
"$gp" devices --json --no-detect --gpu "RTX 4090" --gpu "ROCm:MI300X" --ram 128GiB >fuzz/corpus-hw/devices.json.tmp
{ printf '\0'; cat fuzz/corpus-hw/devices.json.tmp; } >fuzz/corpus-hw/devices.json
"$gp" devices --json --no-detect --gpu 2x24GiB --rpc 10.0.0.2:50052=16GiB --ram 64GiB >fuzz/corpus-hw/rpc.json.tmp
{ printf '\0'; cat fuzz/corpus-hw/rpc.json.tmp; } >fuzz/corpus-hw/rpc.json
rm -f fuzz/corpus-hw/*.tmp
printf '\001g 24GiB\ng RTX 3090:20GiB\ng 4xRTX 4090\ng Vulkan:My iGPU:2GiB\nr 10.0.0.2:50052,[::1]:50053\ns 64GiB\nv 1,0\nv GPU-1a2b,7\n' \
  >fuzz/corpus-hw/specs.txt
printf '\001g Metal:64GiB\ng 15x1GiB\ng -5GiB\ns 1.5TiB\nv MIG-9\n' >fuzz/corpus-hw/specs2.txt

# mem command lines, one argument per line.
printf -- '-c\n32768\n-ngl\n20\n-fa\non\n-ctk\nq8_0\n-ctv\nq8_0\n--gpu\n24GiB\n' >fuzz/corpus-args/basic
printf -- '-np\n4\n-ts\n3,1\n-sm\nlayer\n--gpu\n2x12GiB\n--ram\n64GiB\n-ot\nblk\\.[0-9]+\\.ffn_.*=CPU\n' >fuzz/corpus-args/split
printf -- '--n-cpu-moe\n4\n-ub\n1024\n-b\n4096\n--swa-full\n--kv-unified\n--rpc\n10.0.0.2:50052\n' >fuzz/corpus-args/moe
printf -- '-md\nexamples/llama-3.1-8b.gguf\n--spec-type\ndraft-simple\n-ngld\n99\n--lora\nexamples/llama-3.1-8b.gguf\n-dev\nCUDA0\n--gpu\n8GiB\n' >fuzz/corpus-args/extras
printf -- '--app\ncli\n-c\n0\n--json\n--mmproj\nexamples/gemma-3-4b.gguf\n--no-mmproj-offload\n' >fuzz/corpus-args/cli

# llama.cpp load logs.
cat >fuzz/corpus-log/load.log <<'LOG'
load_tensors: offloading 16 repeating layers to GPU
load_tensors:   CPU_Mapped model buffer size =  1200.50 MiB
load_tensors:        CUDA0 model buffer size =  3000.25 MiB
load_tensors:        CUDA1 model buffer size =  2000.00 MiB
load_tensors: RPC0[127.0.0.1:50052] model buffer size =   100.00 MiB
llama_kv_cache:      CUDA0 KV buffer size =   512.00 MiB
llama_kv_cache:      CUDA1 KV buffer size =   256.00 MiB
llama_memory_recurrent:        CPU RS buffer size =    16.00 MiB
llama_context:  CUDA_Host  output buffer size =     0.49 MiB
sched_reserve:      CUDA0 compute buffer size =   300.01 MiB
sched_reserve:  CUDA_Host compute buffer size =    24.02 MiB
sched_reserve:      CUDA0 compute buffer size =   304.01 MiB
llama_adapter_lora_init_impl:      CUDA0 LoRA buffer size =    40.00 MiB
LOG
cat >fuzz/corpus-log/draft-clip.log <<'LOG'
load_tensors:          CPU model buffer size =    12.50 MiB
llama_kv_cache:        CPU KV buffer size =     4.00 MiB
sched_reserve:        CPU compute buffer size =    30.54 MiB
load_tensors:          CPU model buffer size =     2.50 MiB
llama_kv_cache:        CPU KV buffer size =     1.00 MiB
clip_ctx: CLIP using CUDA0 backend
load_hparams: model size:     851.25 MiB
reserve_compute_meta:      CUDA0 compute buffer size =    16.00 MiB
reserve_compute_meta:        CPU compute buffer size =     1.00 MiB
LOG

# Hub answers: reference, file, refs, tree, split at NUL bytes.
refs='{"branches":[{"name":"dev","ref":"refs/heads/dev","targetCommit":"ffffffffffffffffffffffffffffffffffffffff"},{"name":"main","ref":"refs/heads/main","targetCommit":"0123456789abcdef0123456789abcdef01234567"}],"tags":[],"converts":[]}'
tree='[{"type":"file","path":".gitattributes","size":10},{"type":"directory","path":"Q4_K_M"},{"type":"file","path":"Q4_K_M/M-Q4_K_M-00001-of-00002.gguf","size":100,"lfs":{"size":100}},{"type":"file","path":"Q4_K_M/M-Q4_K_M-00002-of-00002.gguf","size":100},{"type":"file","path":"M-Q8_0.gguf","size":50},{"type":"file","path":"mmproj-M-F16.gguf","size":9},{"type":"file","path":"imatrix.gguf","size":1}]'
printf 'acme/M-GGUF:Q4_K_M\0\0%s\0%s' "$refs" "$tree" >fuzz/corpus-hub/split
printf 'acme/M-GGUF\0M-Q8_0.gguf\0%s\0%s' "$refs" "$tree" >fuzz/corpus-hub/hff
printf 'acme/M-GGUF:q8_0\0\0%s\0[{"type":"file","path":"../x.gguf"},{"type":"file","path":"preset.ini"}]' "$refs" >fuzz/corpus-hub/preset
echo "seeds written"
