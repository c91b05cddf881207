#!/usr/bin/env bash
# Builds and runs every gda test: with g++ and clang++ (warnings as errors), then under AddressSanitizer and
# UndefinedBehaviorSanitizer. Installs the Debian packages it needs when run as root on a machine without them.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ clang libomp-14-dev cmake make libeigen3-dev doctest-dev clang-format libopenmpi-dev openmpi-bin)
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
# clang builds without OpenMP, so the single-threaded configuration is tested too.
run clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DGDA_OPENMP=OFF
run sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS=-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "all test builds passed"
