#!/usr/bin/env bash
# gpu_check.sh BUILD_DIR — the GPU suite, for a machine with a GPU but no
# internet and no Debian packages (README.md, "On a machine with a GPU"). Build on the development machine
# (cmake --preset default), copy the build folder over, then run this.
#
# 1. every GPU test executable listed in BUILD_DIR/gpu_check_programs.txt,
#    directly (not through ctest, whose files hold the build machine's paths);
# 2. compute-sanitizer memcheck and racecheck over each, where it exists, on the test cases not
#    tagged [slow] (each [slow] case, e.g. the paper's whole network, has a smaller twin that is not);
# 3. every benchmark listed there;
# 4. the whole network at batch 128: `alexnet bench --device cuda` (the paper's network and the mini one,
#    fast kernels in fp32 and TF32; the course's own kernels of chapter 16 and the first kernels of chapters
#    01-09 once each), and PyTorch on the identical networks (scripts/pytorch_alexnet.py) when `import torch`
#    works, with the ratios;
# then a summary: one line per run with its outcome, its seconds and, for a test program, Catch2's
# counts of test cases and assertions. Meant to finish within 10 minutes on one GPU.
# GPU_CHECK_PARTS chooses what runs (default "tests sanitizers benchmarks network"), e.g.
# GPU_CHECK_PARTS="tests sanitizers" for the correctness half alone.
# When GPU_CHECK_OUT is set, the summary and a tar.gz of every
# log are written there (two files, so they can be carried back from a lent machine).
set -uo pipefail

build=${1:?usage: gpu_check.sh BUILD_DIR}
manifest="$build/gpu_check_programs.txt"
[ -f "$manifest" ] || { echo "gpu_check: $manifest not found (configure and build with: cmake --preset default)" >&2; exit 2; }
grep -q '^gpu_tests/' "$manifest" || { echo "gpu_check: no GPU tests in $manifest (was the build made with CUDA?)" >&2; exit 2; }
out=$(mktemp -d)
timeout_s=${GPU_CHECK_TIMEOUT:-300}                     # a program run directly
sanitizer_timeout_s=${GPU_CHECK_SANITIZER_TIMEOUT:-120}  # one under compute-sanitizer

parts=" ${GPU_CHECK_PARTS:-tests sanitizers benchmarks network} "
wanted() { [[ $parts == *" $1 "* ]]; }

summary=()
failures=0
record() {  # record NAME STATUS [DETAIL]: printed now, and again in the summary
  summary+=("$(printf '%-44s %-30s %s' "$1" "$2" "${3:-}")")
  echo "-- ${summary[-1]}"
  case $2 in passed*|skipped*) ;; *) failures=$((failures + 1)) ;; esac
}

# Catch2's counts from the end of a log: "5/5 cases, 31/31 assertions", or the failed ones.
catch_counts() {
  local log=$1 line
  line=$(grep -Eo 'All tests passed \([0-9]+ assertions? in [0-9]+ test cases?\)' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    echo "$line" | sed -E 's/All tests passed \(([0-9]+) assertions? in ([0-9]+) test cases?\)/\2\/\2 cases, \1\/\1 assertions/'
    return
  fi
  local cases assertions
  cases=$(grep -E '^test cases:' "$log" | tail -n 1 | sed -E 's/ +/ /g')
  assertions=$(grep -E '^assertions:' "$log" | tail -n 1 | sed -E 's/ +/ /g')
  [ -n "$cases" ] && echo "$cases; $assertions"
}

# run NAME LOG LIMIT COMMAND...: runs it with a time limit, logs and records the outcome.
run() {
  local name=$1 log=$2 limit=$3
  shift 3
  local start=$SECONDS
  echo "\$ $*" >"$log"   # the command heads its output (scripts/record --gpu-log finds it there)
  timeout "$limit" "$@" >>"$log" 2>&1
  local status=$? seconds=$((SECONDS - start))
  local detail
  detail="$(printf '%4ds' "$seconds")  $(catch_counts "$log")"
  case $status in
    0) record "$name" passed "$detail" ;;
    77) record "$name" "skipped (no GPU)" "$detail" ;;
    124) record "$name" "FAILED (timeout ${limit}s)" "$detail" ;;
    *) record "$name" "FAILED (exit $status)" "$detail  see $(basename "$log")" ;;
  esac
}

echo "== gpu_check: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "build: $(cat "$build/build_info.txt" 2>/dev/null || echo 'unknown commit')"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  | sed 's/^/gpu: /' || echo "gpu: nvidia-smi not found"

tests=$(sed -n 's|^gpu_tests/|'"$build"'/gpu_tests/|p' "$manifest")
wanted tests && for test in $tests; do
  name=$(basename "$test")
  run "$name" "$out/$name.log" "$timeout_s" "$test"
  grep -E 'decisions that differ' "$out/$name.log" | sed "s/^/  $name: /"
  tail -n 3 "$out/$name.log" | sed "s/^/  $name: /"
done

# compute-sanitizer ships with the CUDA toolkit, which is not always on the PATH.
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)
if ! wanted sanitizers; then
  :
elif [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck; do
    for test in $tests; do
      name=$(basename "$test")
      run "$name [$tool]" "$out/$name.$tool.log" "$sanitizer_timeout_s" \
        "$sanitizer" --tool "$tool" --error-exitcode 99 "$test" '~[slow]'
    done
  done
else
  record "compute-sanitizer" "skipped (not installed)"
fi

wanted benchmarks && for bench in $(sed -n 's|^benchmarks/|'"$build"'/benchmarks/|p' "$manifest"); do
  name=$(basename "$bench")
  run "$name" "$out/$name.log" "$timeout_s" "$bench"
  cat "$out/$name.log"
done

# The whole network at batch 128, ours (the fast kernels; the course's and the chapters' once) and PyTorch's on
# the identical network, in the same run: the paper's and the mini network, fp32 and TF32, and the ratios.
alexnet="$build/bin/alexnet"
script_dir=$(dirname "$0")
torch_ok=false
python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null && torch_ok=true
ratios=()
# field LOG PATTERN: the number before " ms" on the first line of LOG that matches PATTERN.
field() { grep -m 1 "$2" "$1" | sed -E 's/.*[: ] +([0-9.]+) ms.*/\1/'; }
if ! wanted network; then
  :
elif missing=$(ldd "$alexnet" 2>/dev/null | grep 'not found'); [ -n "$missing" ] || [ ! -x "$alexnet" ]; then
  record "alexnet bench --device cuda" "skipped (the command lacks libraries here: $(echo "$missing" | awk '{print $1}' | tr '\n' ' '))"
else
  for case in "paper chapters fp32" "paper course fp32" "paper fast fp32" "paper fast tf32" "mini fast fp32" "mini fast tf32"; do
    read -r variant kernels precision <<<"$case"
    ours="$out/alexnet_bench_${variant}_${kernels}_${precision}.log"
    run "alexnet bench $variant $kernels $precision" "$ours" "$timeout_s" \
      "$alexnet" bench --device cuda --batch 128 --variant "$variant" --kernels "$kernels" --precision "$precision"
    cat "$ours"
    [ "$kernels" = fast ] && $torch_ok || continue
    theirs="$out/pytorch_${variant}_${precision}.log"
    run "pytorch $variant $precision" "$theirs" "$timeout_s" python3 "$script_dir/pytorch_alexnet.py" \
      --device cuda --threads 1 --batch 128 --repeats 20 --variant "$variant" --precision "$precision"
    cat "$theirs"
    ours_step=$(field "$ours" '^training step:') ours_forward=$(field "$ours" '^forward:')
    torch_step=$(field "$theirs" 'train-step batch 128:') torch_forward=$(field "$theirs" 'forward batch 128:')
    ratios+=("$(printf '%-6s %-5s  training step: ours %8s ms, PyTorch %8s ms, PyTorch/ours %5s;  forward: ours %8s ms, PyTorch %8s ms, PyTorch/ours %5s' \
      "$variant" "$precision" "$ours_step" "$torch_step" "$(awk -v a="$torch_step" -v b="$ours_step" 'BEGIN{if (b>0) printf "%.2f", a/b}')" \
      "$ours_forward" "$torch_forward" "$(awk -v a="$torch_forward" -v b="$ours_forward" 'BEGIN{if (b>0) printf "%.2f", a/b}')")")
  done
  $torch_ok || record "pytorch alexnet cuda" "skipped (no torch with CUDA here)"
  # Chapter 16's target: the course's own kernels within 2x of the fast path's training step.
  for kernels in course chapters; do
    theirs=$(field "$out/alexnet_bench_paper_${kernels}_fp32.log" '^training step:')
    fast=$(field "$out/alexnet_bench_paper_fast_fp32.log" '^training step:')
    ratios+=("$(printf 'paper  fp32   training step: %s kernels %8s ms, fast kernels %8s ms, %s/fast %5s' "$kernels" \
      "$theirs" "$fast" "$kernels" "$(awk -v a="$theirs" -v b="$fast" 'BEGIN{if (b>0) printf "%.2f", a/b}')")")
  done
fi

echo
echo "== summary ($SECONDS s in all)"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
if [ ${#ratios[@]} -gt 0 ]; then
  echo "== batch 128, ours (fast kernels) against PyTorch + cuDNN on the same GPU (above 1: ours is faster);"
  echo "   the course's and the chapters' kernels against the fast ones (chapter 16's target: course/fast <= 2)"
  printf '%s\n' "${ratios[@]}" | tee -a "$out/summary.txt"
fi
if [ -n "${GPU_CHECK_OUT:-}" ]; then
  mkdir -p "$GPU_CHECK_OUT"
  cp "$out/summary.txt" "$GPU_CHECK_OUT/"
  tar -czf "$GPU_CHECK_OUT/gpu_check_logs.tar.gz" -C "$out" .
  echo "logs: $GPU_CHECK_OUT/gpu_check_logs.tar.gz"
else
  echo "logs: $out"
fi
[ "$failures" -eq 0 ]
