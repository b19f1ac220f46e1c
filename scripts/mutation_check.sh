#!/usr/bin/env bash
# Plants the bugs a GPU would hide and shows that the emulated GPU tests catch each one:
# missing __syncthreads() in the tiled convolution (twice) and between the SGEMM ladder's
# double-buffered stages, a store one column past the tiled GEMM's edge tile, and loads one
# element (tiled GEMM) or one 128-bit vector (SGEMM ladder) past the end of a row of A — reads
# that only the NaN guard bytes after each allocation can show, since the matching values of B
# are zeros; and three mistakes of the implicit-GEMM convolution: a window reading one row past
# the image, ∂x gathering from taps no window put there, a piece of ∂W's split sum dropped.
# Works on a copy of the tree in a temporary folder; the checkout is never touched.
# Prints one line per mutation and exits non-zero if a mutation survives.
#   scripts/mutation_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$copy"
cd "$copy"
cmake --preset emulated >/dev/null

# name @ file @ sed expression @ test program that must now fail
mutations=(
  "tiled conv: no barrier after staging the tiles@cuda/conv2d.cu@0,/^    __syncthreads();\$/{/^    __syncthreads();\$/d}@gpu_test_01_conv1"
  "tiled conv: no barrier before the next channel overwrites the tiles@cuda/conv2d.cu@/__syncthreads();  \/\/ before the next channel/d@gpu_test_01_conv1"
  "tiled GEMM: edge tile stores one column too many@cuda/linear.cu@s/if (row >= m || col >= n) continue;/if (row >= m || col > n) continue;/@gpu_test_07_fc6"
  "tiled GEMM: edge tile loads one column past a row@cuda/linear.cu@s/if (row >= rows || col >= cols) return 0.0f;/if (row >= rows || col > cols) return 0.0f;/@gpu_test_07_fc6"
  "SGEMM ladder: no barrier between the double-buffered stages@cuda/gemm_tiles.cuh@/if (next) stage_slice/{n;d}@gpu_test_16_gemm_ladder"
  "SGEMM ladder: a 128-bit load one vector past a row@cuda/gemm_tiles.cuh@s/col < m.cols) return load_vector/col <= m.cols) return load_vector/@gpu_test_16_gemm_ladder"
  "implicit GEMM: a window reads one row past the image's bottom edge@cuda/conv2d_implicit.cu@s/h >= 0 \&\& h < height/h >= 0 \&\& h <= height/@gpu_test_16_gemm_ladder"
  "implicit GEMM: dx gathers from taps that fall between two windows@cuda/conv2d_implicit.cu@s/ || top % stride != 0 || left % stride != 0//@gpu_test_16_gemm_ladder"
  "implicit GEMM: the weight gradient's last piece left out of the sum@cuda/conv2d_implicit.cu@s/piece < count; ++piece/piece + 1 < count; ++piece/@gpu_test_16_gemm_ladder"
)

survivors=0
for mutation in "${mutations[@]}"; do
  IFS='@' read -r name file expression program <<<"$mutation"
  cp "$file" "$file.orig"
  sed -i "$expression" "$file"
  if cmp -s "$file" "$file.orig"; then
    echo "ERROR: the mutation '$name' changed nothing in $file (the source moved on; update this script)"
    exit 2
  fi
  cmake --build --preset emulated --target "$program" >/dev/null
  status=0
  "build-emulated/gpu_tests/$program" >"$program.log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    echo "SURVIVED  $name ($program still passes)"
    survivors=$((survivors + 1))
  elif [ "$status" -ge 128 ]; then
    echo "crashed   $name ($program died with signal $((status - 128)): caught, but not by a check)"
  else
    failed=$(grep -Eo "test cases: +[0-9]+ \| +[0-9]+ passed \| +[0-9]+ failed" "$program.log" | tail -n 1 || true)
    echo "caught    $name ($program: ${failed:-failed})"
  fi
  mv "$file.orig" "$file"
done
exit "$survivors"
