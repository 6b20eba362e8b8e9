#!/usr/bin/env bash
# Compiles every CUDA kernel source to PTX with clang (no CUDA install needed), once per specialisation.
# A .cu file lists its representative specialisations as lines `// check: -DNAME=VALUE ...`; without such a
# line it is compiled once as is. Static asserts (argument-struct sizes) are checked on the way.
# Usage: scripts/check-kernels.sh [clang++ binary]     (CI installs clang-14 with apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
clang=${1:-clang++-14}
command -v "$clang" >/dev/null || { echo "check-kernels: $clang not found (apt-get install clang-14)" >&2; exit 1; }
prelude_dir=src/NgpSharp/Compute/Cuda
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count=0; failed=0
while IFS= read -r -d '' cu; do
  mapfile -t variants < <(grep -E '^// check:' "$cu" | sed -E 's|^// check:[[:space:]]*||')
  [ ${#variants[@]} -gt 0 ] || variants=("")
  for defines in "${variants[@]}"; do
    count=$((count + 1))
    # shellcheck disable=SC2086
    if ! "$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -std=c++17 -O2 \
         -Wall -Wno-unused-function -Werror=return-type -I "$prelude_dir" $defines -S "$cu" -o "$out/k.ptx" 2>"$out/err"; then
      echo "FAIL $cu [$defines]" >&2; cat "$out/err" >&2; failed=$((failed + 1))
    elif [ -s "$out/err" ]; then
      echo "warn $cu [$defines]" >&2; cat "$out/err" >&2
    fi
  done
done < <(find src tests -name '*.cu' -print0 | sort -z)
echo "check-kernels: $count compilations, $failed failed"
[ "$failed" -eq 0 ]
