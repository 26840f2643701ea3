#!/usr/bin/env bash
# Spark's GPU discovery script (spark.executor.resource.gpu.discoveryScript, set by protospark spark-conf when
# protospark.train.gpus-per-worker > 0): prints the GPUs this executor sees as Spark's resource JSON,
#   {"name":"gpu","addresses":["0","1"]}
# the indices nvidia-smi gives them (PCI bus order; the executors run with CUDA_DEVICE_ORDER=PCI_BUS_ID so that CUDA,
# and ND4J, number them the same). In a Kubernetes container nvidia-smi lists only the GPUs given to the pod.
# No GPU or no nvidia-smi: exits 1 with a message, and Spark fails the executor (it was asked for a GPU).
set -euo pipefail
command -v nvidia-smi > /dev/null || { echo 'gpu-discovery.sh: nvidia-smi not found (no NVIDIA driver in this container?)' >&2; exit 1; }
indices=$(nvidia-smi --query-gpu=index --format=csv,noheader) || { echo 'gpu-discovery.sh: nvidia-smi failed' >&2; exit 1; }
addresses=''
while IFS= read -r i; do
  i=${i//[[:space:]]/}
  [[ -n $i ]] || continue
  addresses+="${addresses:+,}\"$i\""
done <<< "$indices"
[[ -n $addresses ]] || { echo 'gpu-discovery.sh: nvidia-smi lists no GPU' >&2; exit 1; }
printf '{"name":"gpu","addresses":[%s]}\n' "$addresses"
