#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS_PER_TARGET (default 3600: an hour each; scripts/test runs them for 20 s),
# one at a time, starting from its committed seed corpus tests/fuzz/TARGET/corpus (never written
# to: new inputs go to build-fuzz/corpus/TARGET). A crash, a leak, a timeout (10 s) or more than
# 2 GB of memory stops the script with the input saved in build-fuzz/crashes/TARGET/; add it to the
# committed corpus once fixed, as a regression input. FUZZ_NICE=10 runs the targets niced; FUZZ_TIMEOUT=60
# allows an input 60 s (wall clock) instead of 10, for a niced run on a machine busy with other work, where a
# fuzzer may wait seconds for a core.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_npy fuzz_idx fuzz_csv fuzz_checkpoint fuzz_image)
fi

CXX=clang++ cmake -S tests/fuzz -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "${FUZZ_JOBS:-2}" >/dev/null

for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target
  crashes=build-fuzz/crashes/$target
  scratch=build-fuzz/tmp/$target
  mkdir -p "$corpus" "$crashes" "$scratch"
  log=build-fuzz/$target.log
  start=$(date +%s)
  if ! TMPDIR=$scratch nice -n "${FUZZ_NICE:-0}" "build-fuzz/$target" "$corpus" "tests/fuzz/$target/corpus" \
      -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target found a problem after $(( $(date +%s) - start )) s: the input is in $crashes/, the log in $log" >&2
    exit 1
  fi
  rm -rf "$scratch"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $target ran $(( $(date +%s) - start )) s, ${runs:-?} inputs, no finding (corpus: $(ls "$corpus" | wc -l) new inputs)"
done
