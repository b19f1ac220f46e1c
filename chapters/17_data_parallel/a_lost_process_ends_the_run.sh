#!/usr/bin/env bash
# a_lost_process_ends_the_run.sh ALEXNET MPIRUN WORK
# Fault injection: two processes share a training run; once both are training, one is killed (SIGKILL, as a crash
# or a lost machine would end it). Passes when the run ends by itself within a minute with a non-zero status —
# the other process does not wait forever in its next all-reduce — and leaves no checkpoint and no temporary.
set -euo pipefail
alexnet=$1
mpirun=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
"$mpirun" --oversubscribe -np 2 "$alexnet" train --variant mini --limit 20000 --batch 32 --epochs 1 --device cpu \
  --threads 1 --data-parallel --out "$work/run" >"$work/output.txt" 2>&1 &
launcher=$!
until grep -qs "training on" "$work/output.txt"; do  # both processes have their data and weights
  kill -0 "$launcher" 2>/dev/null || { cat "$work/output.txt"; echo "the run ended before it trained" >&2; exit 1; }
  sleep 0.1
done
sleep 1
victim=$(pgrep -P "$launcher" | tail -1)
kill -9 "$victim"
killed=$(date +%s)
for ((waited = 0; waited < 60; ++waited)); do
  kill -0 "$launcher" 2>/dev/null || break
  sleep 1
done
if kill -0 "$launcher" 2>/dev/null; then
  kill -9 "$launcher"
  echo "the run still hung 60 s after one of its processes was killed" >&2
  exit 1
fi
status=0
wait "$launcher" || status=$?
[ "$status" -ne 0 ] || { echo "mpirun exited 0 although a process was killed" >&2; exit 1; }
if find "$work/run" -name '*.tmp-*' -o -name 'checkpoint-*' -o -name latest | grep -q .; then
  echo "left behind:" >&2
  find "$work/run" >&2
  exit 1
fi
echo "mpirun ended with status $status $(( $(date +%s) - killed )) s after process $victim was killed; no checkpoint, no temporary"
