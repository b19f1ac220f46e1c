#!/usr/bin/env bash
# The fast CPU backend measured in one run on this machine (a benchmark, never a test):
#  1. every step forward and backward, fast vs the naive loops, at batch 2, with the GFLOP/s
#     each GEMM-bound step reaches against the SGEMM rate measured at the start;
#  2. the whole network, forward and forward + backward, at batch 16 and 64, images/s;
#  3. PyTorch on the identical network with as many threads, when `import torch` works in the
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

echo "== 1. every step, fast vs the naive loops, batch 2 =="
"$alexnet" bench --device cpu --batch 2 --threads "$threads" --reference
for batch in 16 64; do
  echo
  echo "== 2. the whole network, batch $batch =="
  "$alexnet" bench --device cpu --batch "$batch" --threads "$threads" | tee "$scratch/$batch.txt" | tail -n 3
done

echo
echo "== 3. PyTorch on the identical network, $threads threads =="
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not importable by $python: skipped (set PYTHON to a Python that has it)"
  exit 0
fi
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, when this machine sets them, are for OpenBLAS; PyTorch uses MKL and oneDNN.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" scripts/pytorch_alexnet.py --threads "$threads" \
  --batch 16 --batch 64 | tee "$scratch/torch.txt"
echo
for batch in 16 64; do
  ours_forward=$(grep '^forward:' "$scratch/$batch.txt" | awk '{print $(NF-1)}')
  ours_train=$(grep '^training step:' "$scratch/$batch.txt" | awk '{print $7}')
  torch_forward=$(grep "pytorch forward batch $batch:" "$scratch/torch.txt" | awk '{print $(NF-1)}')
  torch_train=$(grep "pytorch train-step batch $batch:" "$scratch/torch.txt" | awk '{print $(NF-1)}')
  awk -v b="$batch" -v of="$ours_forward" -v ot="$ours_train" -v tf="$torch_forward" -v tt="$torch_train" 'BEGIN {
    printf "batch %s: forward ours/PyTorch = %.2f (%.1f vs %.1f images/s); ", b, of / tf, of, tf
    printf "training step ours/PyTorch = %.2f (%.1f vs %.1f images/s; both with the SGD update)\n", ot / tt, ot, tt }'
done
