#!/usr/bin/env bash
# same_weights_as_one_process.sh ALEXNET MPIRUN PYTHON WORK [cuda FIXTURES]
# Trains the mini network for two epochs three ways — one process; two processes sharing every batch
# (mpirun -np 2 ... --data-parallel); two processes for the first epoch, resumed by one process for the second —
# and passes when all three end with the same weights and velocity up to summation order (compare_weights.py),
# and the data-parallel run's log shows the same losses to four digits. On the fast CPU backend by default: 128
# Fashion-MNIST images, three steps an epoch. With `cuda`, on GPUs (the emulated device in CI, where NCCL's sums
# are the emulated NCCL's): the 5 images of chapter 11's fixtures (FIXTURES: their folder), two steps an
# epoch, so that the emulated device's slow kernels and the final evaluation stay short.
set -euo pipefail
alexnet=$1
mpirun=$2
python=$3
work=$4
device=${5:-cpu}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cd "$work"
if [ "$device" = cuda ]; then
  run=(--variant mini --dataset "csv:$6/manifest.csv" --classes "$6/classes.csv" --validation 1 --batch 2 --seed 3
       --device cuda)
else
  run=(--variant mini --limit 128 --validation 32 --batch 32 --seed 3 --device cpu --threads 1)
fi
shared=("$mpirun" --oversubscribe -np 2 "$alexnet" train "${run[@]}" --data-parallel)

"$alexnet" init --variant mini --seed 3 --out initial >/dev/null
"$alexnet" train "${run[@]}" --epochs 2 --out one >/dev/null
"${shared[@]}" --epochs 2 --out two >/dev/null
"${shared[@]}" --epochs 1 --out mixed >/dev/null
"$alexnet" train "${run[@]}" --epochs 2 --out mixed --resume >/dev/null

last=$(cat one/latest)
echo "two processes against one:"
"$python" "$here/compare_weights.py" initial "one/$last" "two/$last"
echo "two processes, then one (--resume), against one:"
"$python" "$here/compare_weights.py" initial "one/$last" "mixed/$last"
# The logged losses: rounded to four digits, as the epoch line prints them.
"$python" - one/steps.csv two/steps.csv <<'PY'
import csv, sys
one, two = ([round(float(r["loss"]), 4) for r in csv.DictReader(open(f))] for f in sys.argv[1:3])
assert len(one) == len(two) > 0, (len(one), len(two))
worst = max(abs(a - b) for a, b in zip(one, two))
assert worst <= 2e-4, f"the losses differ by {worst}"
print(f"{len(one)} steps' losses agree to {worst:.1g}")
PY
