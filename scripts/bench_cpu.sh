#!/usr/bin/env bash
# The fast CPU backend measured in one run on this machine (a benchmark, never a test):
#  1. every step forward and backward, fast vs the naive loops, the paper's network at batch 2;
#  2. the whole network, forward, forward + backward and the training step (median of 5 with
#     min and max): the paper's at batch 16 and 64, the mini network at batch 128; for the last
#     two, every step on this machine's roofline (SGEMM and streaming bandwidth measured now),
#     drawn into out/roofline-paper-64.png and out/roofline-mini-128.png;
#  3. PyTorch on the identical networks with as many threads, when `import torch` works in the
#     Python given by PYTHON (default python3), and the ratio ours / PyTorch.
# PyTorch is optional: the course never depends on it. Usage:
#   scripts/bench_cpu.sh [--threads T]          (default: the cores this process may use)
#   PYTHON=/path/to/venv/bin/python scripts/bench_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
threads=$(nproc)
if [ "${1:-}" = "--threads" ]; then threads=$2; fi
python=${PYTHON:-python3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

[ -f build/CMakeCache.txt ] || cmake --preset default >/dev/null
cmake --build build --target alexnet >/dev/null
alexnet=build/bin/alexnet
mkdir -p out

echo "== 1. every step, fast vs the naive loops, paper network, batch 2 =="
"$alexnet" bench --device cpu --batch 2 --threads "$threads" --reference | sed '/^roofline:/,$d'

runs="paper:16 paper:64 mini:128"
for run in $runs; do
  variant=${run%:*} batch=${run#*:}
  echo
  echo "== 2. the whole $variant network, batch $batch =="
  if [ "$run" = paper:16 ]; then
    "$alexnet" bench --device cpu --variant "$variant" --batch "$batch" --threads "$threads" > "$scratch/$run.txt"
    sed -n '/^forward:/,/^training step:/p' "$scratch/$run.txt"
  else  # the rates and the roofline
    "$alexnet" bench --device cpu --variant "$variant" --batch "$batch" --threads "$threads" \
      --roofline "out/roofline-$variant-$batch.png" > "$scratch/$run.txt"
    sed -n '/^forward:/,$p' "$scratch/$run.txt"
  fi
done

echo
echo "== 3. PyTorch on the identical networks, $threads threads =="
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not importable by $python: skipped (set PYTHON to a Python that has it)"
  exit 0
fi
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, when this machine sets them, are for OpenBLAS; PyTorch uses MKL and oneDNN.
torch_run() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" scripts/pytorch_alexnet.py --threads "$threads" --repeats 5 "$@"
}
torch_run --variant paper --batch 16 --batch 64 | tee "$scratch/torch-paper.txt"
torch_run --variant mini --batch 128 | tee "$scratch/torch-mini.txt"
echo
for run in $runs; do
  variant=${run%:*} batch=${run#*:}
  ours_forward=$(grep '^forward:' "$scratch/$run.txt" | awk '{print $(NF-1)}')
  ours_train=$(grep '^training step:' "$scratch/$run.txt" | awk '{print $7}')
  torch_forward=$(grep "pytorch forward batch $batch:" "$scratch/torch-$variant.txt" | awk '{print $(NF-1)}')
  torch_train=$(grep "pytorch train-step batch $batch:" "$scratch/torch-$variant.txt" | awk '{print $(NF-1)}')
  awk -v v="$variant" -v b="$batch" -v of="$ours_forward" -v ot="$ours_train" -v tf="$torch_forward" -v tt="$torch_train" 'BEGIN {
    printf "%s batch %s: forward ours/PyTorch = %.2f (%.1f vs %.1f images/s); ", v, b, of / tf, of, tf
    printf "training step ours/PyTorch = %.2f (%.1f vs %.1f images/s; both with the SGD update)\n", ot / tt, ot, tt }'
done
