#!/usr/bin/env bash
# pack_gpu_build.sh BUILD_DIR ARCHIVE.tar.gz — what scripts/gpu_check.sh needs on a GPU machine that has the
# NVIDIA driver, the CUDA toolkit and Python but no Debian packages: the build's programs (bin/, gpu_tests/,
# benchmarks/, stripped of debug information), its gpu_check_programs.txt and build_info.txt, and in lib/ the
# shared libraries such an image lacks (OpenBLAS and its OpenMP and Fortran runtimes, zlib, Open MPI's libraries,
# which the alexnet command links for chapter 17). There:
#   tar -xzf ARCHIVE.tar.gz -C DIR
#   LD_LIBRARY_PATH=DIR/lib:/usr/local/cuda/lib64 scripts/gpu_check.sh DIR/build
set -euo pipefail
build=${1:?usage: pack_gpu_build.sh BUILD_DIR ARCHIVE.tar.gz}
archive=${2:?usage: pack_gpu_build.sh BUILD_DIR ARCHIVE.tar.gz}
[ -f "$build/gpu_check_programs.txt" ] || { echo "pack_gpu_build: $build is not a configured build" >&2; exit 2; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/build" "$stage/lib"
for folder in bin gpu_tests benchmarks; do
  [ -d "$build/$folder" ] && cp -r "$build/$folder" "$stage/build/"
done
cp "$build/gpu_check_programs.txt" "$build/build_info.txt" "$stage/build/"
programs=$(find "$stage/build" -type f -perm -u+x)
strip --strip-debug $programs
for library in $(ldd $programs 2>/dev/null | awk '/openblas|gfortran|gomp|quadmath|libz\.so|libnccl|libmpi|libopen-(pal|rte)|libhwloc|libevent/ {print $3}' | sort -u); do
  cp -L "$library" "$stage/lib/"
done
tar -czf "$archive.tmp" -C "$stage" build lib
mv "$archive.tmp" "$archive"
echo "pack_gpu_build: $(du -h "$archive" | cut -f1) in $archive"
