#!/usr/bin/env bash
# gpu_check.sh BUILD_DIR — the GPU suite, for a machine with a GPU but no
# internet and no Debian packages (README.md, "On a machine with a GPU"). Build on the development machine
# (cmake --preset default), copy the build folder over, then run this.
#
# 1. every GPU test executable listed in BUILD_DIR/gpu_check_programs.txt,
#    directly (not through ctest, whose files hold the build machine's paths);
# 2. compute-sanitizer memcheck and racecheck over each, where it exists;
# 3. every benchmark listed there;
# 4. the whole network: `alexnet bench --device cuda --batch 128`, and PyTorch on the identical
#    network (scripts/pytorch_alexnet.py, FP32, TF32 off) when `import torch` works;
# then a summary. When GPU_CHECK_OUT is set, the summary and a tar.gz of every
# log are written there (two files, so they can be carried back from a lent machine).
set -uo pipefail

build=${1:?usage: gpu_check.sh BUILD_DIR}
manifest="$build/gpu_check_programs.txt"
[ -f "$manifest" ] || { echo "gpu_check: $manifest not found (configure and build with: cmake --preset default)" >&2; exit 2; }
grep -q '^gpu_tests/' "$manifest" || { echo "gpu_check: no GPU tests in $manifest (was the build made with CUDA?)" >&2; exit 2; }
out=$(mktemp -d)
timeout_s=${GPU_CHECK_TIMEOUT:-300}

summary=()
failures=0
record() {  # record NAME STATUS
  summary+=("$(printf '%-44s %s' "$1" "$2")")
  case $2 in passed|skipped*) ;; *) failures=$((failures + 1)) ;; esac
}

# run NAME LOG COMMAND...: runs it with a time limit, logs and records the outcome.
run() {
  local name=$1 log=$2
  shift 2
  timeout "$timeout_s" "$@" >"$log" 2>&1
  local status=$?
  case $status in
    0) record "$name" passed ;;
    77) record "$name" "skipped (no GPU)" ;;
    124) record "$name" "FAILED (timeout ${timeout_s}s)" ;;
    *) record "$name" "FAILED (exit $status, see $(basename "$log"))" ;;
  esac
}

echo "== gpu_check: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "build: $(cat "$build/build_info.txt" 2>/dev/null || echo 'unknown commit')"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  | sed 's/^/gpu: /' || echo "gpu: nvidia-smi not found"

tests=$(sed -n 's|^gpu_tests/|'"$build"'/gpu_tests/|p' "$manifest")
for test in $tests; do
  name=$(basename "$test")
  run "$name" "$out/$name.log" "$test"
  tail -n 3 "$out/$name.log" | sed "s/^/  $name: /"
done

# compute-sanitizer ships with the CUDA toolkit, which is not always on the PATH.
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)
if [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck; do
    for test in $tests; do
      name=$(basename "$test")
      run "$name [$tool]" "$out/$name.$tool.log" "$sanitizer" --tool "$tool" --error-exitcode 99 "$test"
    done
  done
else
  record "compute-sanitizer" "skipped (not installed)"
fi

for bench in $(sed -n 's|^benchmarks/|'"$build"'/benchmarks/|p' "$manifest"); do
  name=$(basename "$bench")
  run "$name" "$out/$name.log" "$bench"
  cat "$out/$name.log"
done

# The whole network at the paper's batch, ours and PyTorch's, in the same run.
alexnet="$build/bin/alexnet"
if missing=$(ldd "$alexnet" 2>/dev/null | grep 'not found'); [ -z "$missing" ] && [ -x "$alexnet" ]; then
  run "alexnet bench --device cuda --batch 128" "$out/alexnet_bench_cuda.log" "$alexnet" bench --device cuda --batch 128
  cat "$out/alexnet_bench_cuda.log"
else
  record "alexnet bench --device cuda" "skipped (the command lacks libraries here: $(echo "$missing" | awk '{print $1}' | tr '\n' ' '))"
fi
script_dir=$(dirname "$0")
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  run "pytorch alexnet cuda batch 128" "$out/pytorch_cuda.log" python3 "$script_dir/pytorch_alexnet.py" \
    --device cuda --threads 1 --batch 128 --repeats 10
  cat "$out/pytorch_cuda.log"
else
  record "pytorch alexnet cuda" "skipped (no torch with CUDA here)"
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
if [ -n "${GPU_CHECK_OUT:-}" ]; then
  mkdir -p "$GPU_CHECK_OUT"
  cp "$out/summary.txt" "$GPU_CHECK_OUT/"
  tar -czf "$GPU_CHECK_OUT/gpu_check_logs.tar.gz" -C "$out" .
  echo "logs: $GPU_CHECK_OUT/gpu_check_logs.tar.gz"
else
  echo "logs: $out"
fi
[ "$failures" -eq 0 ]
