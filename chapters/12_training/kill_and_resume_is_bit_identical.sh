#!/usr/bin/env bash
# kill_and_resume_is_bit_identical.sh ALEXNET WORK [KILLS]
# Fault injection: trains a short run straight through, then the same run killed with SIGKILL at
# KILLS (default 4) random moments — while a batch trains, while a checkpoint folder fills, between
# its rename and `latest` — each time restarted (with --resume once a checkpoint exists). Passes
# when the killed run ends with the same weights, velocity and per-step losses, bit for bit, and
# leaves no temporary.
set -euo pipefail
alexnet=$1
work=$2
kills=${3:-4}
rm -rf "$work"
mkdir -p "$work"
run=("$alexnet" train --variant mini --limit 300 --validation 44 --batch 32 --seed 7 --epochs 2 --device cpu --threads 1)

# How long the straight run takes to write its last checkpoint (it then evaluates on the test set):
# the kills land at random moments of that span.
start=$(date +%s%N)
"${run[@]}" --out "$work/straight" >/dev/null &
straight=$!
until grep -qs checkpoint-epoch-2 "$work/straight/latest"; do sleep 0.05; done
run_ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$straight"

killed=$work/killed
for ((k = 1; k <= kills; ++k)); do
  resume=()
  if [ -e "$killed/latest" ] || compgen -G "$killed/checkpoint-epoch-*" >/dev/null; then resume=(--resume); fi
  "${run[@]}" --out "$killed" "${resume[@]}" >/dev/null 2>&1 &
  pid=$!
  at_ms=$(( (RANDOM * 32768 + RANDOM) % run_ms ))  # a moment within one run's duration
  sleep "$((at_ms / 1000)).$(printf '%03d' $((at_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "kill $k after ${at_ms} ms of ${run_ms}: $(ls -a "$killed" 2>/dev/null | grep -v '^\.*$' | tr '\n' ' ')"
done
resume=()
if [ -e "$killed/latest" ] || compgen -G "$killed/checkpoint-epoch-*" >/dev/null; then resume=(--resume); fi
"${run[@]}" --out "$killed" "${resume[@]}" >/dev/null

a=$work/straight/$(cat "$work/straight/latest")
b=$killed/$(cat "$killed/latest")
count=0
for file in "$a"/*.npy "$a"/velocity/*.npy; do
  cmp "$file" "$b${file#"$a"}"
  count=$((count + 1))
done
cmp "$work/straight/steps.csv" "$killed/steps.csv"
if find "$killed" -name '*.tmp-*' | grep -q .; then
  echo "temporaries left behind:" >&2
  find "$killed" -name '*.tmp-*' >&2
  exit 1
fi
echo "after $kills kills: $count files and steps.csv bit-identical to the uninterrupted run"
