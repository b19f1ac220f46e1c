#!/usr/bin/env bash
# scripts/bench_data_parallel.sh [BUILD] — chapter 17's measurements on this machine: one SGD step at a fixed
# global batch, shared by two processes (mpirun -np 2, one thread each) against one process using both cores
# (two threads), for the mini network at batch 128 and the paper's at batch 16; for the paper's, the gradients
# summed in 25 MB buckets during the backward against one sum after it. Each line comes from
# data_parallel_benchmark (median of its timed steps; process 0 prints).
set -euo pipefail
build=${1:-build}
bench=$build/benchmarks/data_parallel_benchmark
[ -x "$bench" ] || { echo "bench_data_parallel: $bench not found: build first (cmake --build $build)" >&2; exit 2; }
if [ "$(id -u)" -eq 0 ]; then  # Open MPI refuses to start processes as root unless told twice
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# One process may use every core (--bind-to none); two are bound to a core each, mpirun's default.
alone() { mpirun --bind-to none -np 1 "$bench" --threads 2 "$@"; }
shared() { mpirun -np 2 "$bench" --threads 1 "$@"; }

echo "== mini network, global batch 128: one process, two threads"
alone --variant mini --batch 128 --steps 10
echo "== mini network, global batch 128: two processes, one thread each"
shared --variant mini --batch 128 --steps 10
echo "== paper network, global batch 16: one process, two threads"
alone --variant paper --batch 16 --steps 5
echo "== paper network, global batch 16: two processes, gradients summed in 25 MB buckets during the backward"
shared --variant paper --batch 16 --steps 5 --bucket-mb 25
echo "== paper network, global batch 16: two processes, all gradients summed in one call after the backward"
shared --variant paper --batch 16 --steps 5 --bucket-mb 1000
