#!/bin/sh
# The checks that need an NVIDIA GPU, as one script for a machine that has
# one (issue 6): build with CUDA, run the CUDA parity tests, the GPU
# benchmark and one set of the paper preset on the GPU, and keep every log in
# OUT (default: ./gpu-check). MNIST must be in data/mnist (run
# ./tools/nulltool-fetch-mnist data/mnist first where the network allows).
# Usage: tools/gpu-check.sh [OUT]
set -u
out=${1:-gpu-check}
mkdir -p "$out"
jobs=$(nproc)
status=0

step () {
  name=$1
  shift
  echo "== $name: $*"
  start=$(date +%s)
  if "$@" > "$out/$name.log" 2>&1; then
    echo "   ok in $(( $(date +%s) - start )) s"
  else
    echo "   FAILED (exit $?) in $(( $(date +%s) - start )) s; tail of $out/$name.log:"
    tail -20 "$out/$name.log"
    status=1
  fi
}

nvidia-smi > "$out/nvidia-smi.log" 2>&1 || echo "nvidia-smi not found"
step build sh -c "./autogen.sh && ./configure --with-cuda=yes && make -j$jobs"
step list ./tools/nulltool list
step parity sh -c "make -j$jobs check TESTS=tests/test-cuda-parity; \
  cat tests/test-cuda-parity.log; grep -q '^PASS' tests/test-cuda-parity.log"
step parity-algorithms sh -c "G_MESSAGES_DEBUG=all CK_FORK=no \
  ./tests/test-cuda-parity 2>&1 | grep -E 'cuDNN algorithm|Checks'"
step bench-cuda make bench-cuda
# One set of the paper preset, one epoch, every model of the set at once:
# x 20 epochs x 30 sets is the full study (target: one hour).
step paper-one-set ./tools/nulltool run --preset paper --sets 1 --epochs 1 \
  --backend cuda --jobs 8 --output "$out/paper-one-set" --no-plot
grep -h "finished" "$out/paper-one-set.log" || true
exit $status
