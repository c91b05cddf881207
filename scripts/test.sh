#!/usr/bin/env bash
# Builds and runs every gda test: with g++ and clang++ (warnings as errors), then under AddressSanitizer and
# UndefinedBehaviorSanitizer, then fuzzes the model loader for a bounded time (GDA_FUZZ_SECONDS, default 60).
# Installs the Debian packages it needs when run as root on a machine without them.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ clang libomp-14-dev libclang-rt-14-dev cmake make libeigen3-dev doctest-dev clang-format libopenmpi-dev
  openmpi-bin libcli11-dev libfast-float-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
root=${GDA_TEST_BUILD_ROOT:-build/test}

echo "== formatting (clang-format)"
git ls-files '*.hpp' '*.cpp' | xargs clang-format --dry-run -Werror

run() {  # name, then cmake configure arguments
  local name=$1
  shift
  echo "== $name"
  cmake -S . -B "$root/$name" -DGDA_BUILD_TESTS=ON -DGDA_BUILD_EXAMPLES=ON "$@" >/dev/null
  cmake --build "$root/$name" -j "$jobs"
  ctest --test-dir "$root/$name" --output-on-failure -j "$jobs"
}

run gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release
# clang builds without OpenMP, so the single-threaded configuration is tested too, and for this machine's
# widest SIMD, so the scoring kernels run with the register tiles they have there (g++ builds for baseline x86-64).
run clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DGDA_OPENMP=OFF -DCMAKE_CXX_FLAGS=-march=native
run sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS=-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

echo "== fuzz (libFuzzer over the model loader, ${GDA_FUZZ_SECONDS:-60} s)"
cmake -S . -B "$root/fuzz" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DGDA_OPENMP=OFF \
  -DGDA_BUILD_FUZZERS=ON -DGDA_BUILD_TESTS=OFF -DGDA_BUILD_EXAMPLES=OFF -DGDA_INSTALL=OFF >/dev/null
cmake --build "$root/fuzz" -j "$jobs" --target fuzz_load
# New inputs go to a scratch directory, the committed corpus is only read; a failing input is kept in the
# build directory for replay (fuzz_load <file>).
fuzz_dir=$(cd "$root/fuzz" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if ! "$fuzz_dir/fuzz/fuzz_load" -max_total_time="${GDA_FUZZ_SECONDS:-60}" -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$fuzz_dir/" "$scratch" fuzz/corpus >"$scratch/log" 2>&1; then
  tail -n 80 "$scratch/log"
  echo "fuzzing failed; the input is in $fuzz_dir"
  exit 1
fi
grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" "$scratch/log"
echo "all test builds passed"
