#!/bin/sh
# make-bad-idx.sh [DIR]: regenerates the bad-IDX corpus (default:
# tests/data/bad-idx next to this script). The files are committed; this
# script documents how each was made. test-mnist.c lists, for each file,
# the reader it goes through and the error it must give.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/data/bad-idx}
mkdir -p "$out"
cd "$out"

# One byte given in decimal.
byte () { printf "\\$(printf %03o "$1")"; }
# A big-endian uint32.
be32 () {
  byte $(( ($1 >> 24) & 255 )); byte $(( ($1 >> 16) & 255 ))
  byte $(( ($1 >> 8) & 255 )); byte $(( $1 & 255 ))
}
# N bytes of a repeating pattern 1..250 (valid pixels).
pixels () { LC_ALL=C awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%c", (i % 250) + 1 }'; }
# Header: type, number of dimensions (may lie), then the sizes.
header () { t=$1; n=$2; shift 2; byte 0; byte 0; byte "$t"; byte "$n"; for d in "$@"; do be32 "$d"; done; }

# Zero-length file.
: > empty.idx
# Header cut in the middle of the sizes.
{ header 8 3 1 28 28; } | head -c 10 > truncated-header.idx
# Not an IDX magic (a ZIP signature).
{ printf 'PK'; byte 3; byte 4; pixels 60; } > bad-magic.idx
# Data type 0x0D (float) instead of 0x08.
{ header 13 3 1 28 28; pixels 64; } > bad-type.idx
# Images with 2 dimensions (28 x 28, no count).
{ header 8 2 28 28; pixels 784; } > bad-ndims-images.idx
# Labels with 2 dimensions.
{ header 8 2 2 2; byte 1; byte 2; byte 3; byte 4; } > bad-ndims-labels.idx
# Images of 10 x 10 pixels.
{ header 8 3 2 10 10; pixels 200; } > bad-image-size.idx
# One 28 x 28 image announced, 300 bytes present.
{ header 8 3 1 28 28; pixels 300; } > truncated-images.idx
# One 28 x 28 image and 5 bytes more.
{ header 8 3 1 28 28; pixels 789; } > trailing-images.idx
# Three labels and 2 bytes more.
{ header 8 1 3; byte 1; byte 2; byte 3; byte 4; byte 5; } > trailing-labels.idx
# A size that overflows any sane limit: 4294967295 x 28 x 28.
{ header 8 3 4294967295 28 28; pixels 16; } > absurd-images.idx
# 1000000 images announced (784 MB, under the limit), 16 bytes present:
# must fail on the file size, before allocating.
{ header 8 3 1000000 28 28; pixels 16; } > huge-claim-images.idx
# The same lie, compressed: must fail after reading what is there.
{ header 8 3 1000000 28 28; pixels 100; } | gzip -n -9 > huge-claim-images.idx.gz
# A valid one-image file, compressed, cut in the middle of the stream.
{ header 8 3 1 28 28; pixels 784; } | gzip -n -9 > full.tmp
head -c $(( $(wc -c < full.tmp) / 2 )) full.tmp > truncated-images.idx.gz
# The same with its deflate data damaged (bytes 20-29 overwritten).
{ head -c 20 full.tmp; printf 'XXXXXXXXXX'; tail -c +31 full.tmp; } > corrupt-images.idx.gz
rm -f full.tmp
# Labels with extra bytes inside the compressed stream.
{ header 8 1 3; byte 1; byte 2; byte 3; byte 9; } | gzip -n -9 > trailing-labels.idx.gz
# A label of 10 (index 2): MNIST labels are 0..9.
{ header 8 1 4; byte 0; byte 5; byte 10; byte 3; } > bad-label.idx
# Four valid labels, to pair with five images (count mismatch).
{ header 8 1 4; byte 0; byte 1; byte 2; byte 3; } > labels-count-4.idx
