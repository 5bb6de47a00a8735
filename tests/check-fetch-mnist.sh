#!/bin/sh
# check-fetch-mnist.sh: tools/nulltool-fetch-mnist against a local file://
# mirror of small fake files with their own checksum list (no network, no
# npm): fetch, keep what is present, re-fetch a damaged file, and fail
# (deleting the file) when a mirror serves a file with the wrong checksum.
set -u
src=${NT_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
script=$src/tools/nulltool-fetch-mnist
command -v curl >/dev/null 2>&1 || { echo "curl not found: skipped"; exit 77; }
command -v gzip >/dev/null 2>&1 || { echo "gzip not found: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nt-test-fetch.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail () { echo "FAIL: $*" >&2; exit 1; }

FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
mkdir "$tmp/orig" "$tmp/mirror" "$tmp/bad-mirror"
for f in $FILES; do
  printf 'fake %s contents\n' "$f" > "$tmp/orig/$f"
  (cd "$tmp/orig" && sha256sum "$f") >> "$tmp/sums"
  gzip -c "$tmp/orig/$f" > "$tmp/mirror/$f.gz"
  cp "$tmp/mirror/$f.gz" "$tmp/bad-mirror/$f.gz"
done
printf 'tampered\n' | gzip -c > "$tmp/bad-mirror/t10k-images-idx3-ubyte.gz"
printf 'not gzip\n' > "$tmp/bad-mirror/train-labels-idx1-ubyte.gz"

run () {
  NULLTOOL_MNIST_NO_NPM=1 NULLTOOL_MNIST_SHA256=$tmp/sums \
    NULLTOOL_MNIST_MIRRORS="$1" sh "$script" "$2" > "$tmp/log" 2>&1
}

# 1. fetch into a new directory
run "file://$tmp/mirror" "$tmp/out" || { cat "$tmp/log"; fail "fetch failed"; }
for f in $FILES; do
  cmp -s "$tmp/orig/$f" "$tmp/out/$f" || fail "$f differs after fetch"
done

# 2. everything present: nothing downloaded (an unusable mirror is fine)
run "file://$tmp/nowhere" "$tmp/out" || { cat "$tmp/log"; fail "re-run failed"; }
grep -q downloading "$tmp/log" && fail "re-run downloaded something"

# 3. a damaged file is fetched again
echo junk > "$tmp/out/train-labels-idx1-ubyte"
run "file://$tmp/nowhere file://$tmp/mirror" "$tmp/out" \
  || { cat "$tmp/log"; fail "repair failed"; }
cmp -s "$tmp/orig/train-labels-idx1-ubyte" "$tmp/out/train-labels-idx1-ubyte" \
  || fail "damaged file not repaired"

# 4. a mirror serving wrong files: non-zero exit, clear message, the bad
#    files deleted, the good ones kept
if run "file://$tmp/bad-mirror" "$tmp/bad"; then
  cat "$tmp/log"; fail "a checksum mismatch was accepted"
fi
grep -q "t10k-images-idx3-ubyte.*does not match its SHA-256" "$tmp/log" \
  || { cat "$tmp/log"; fail "no checksum message"; }
grep -q "not a valid gzip" "$tmp/log" || { cat "$tmp/log"; fail "no gzip message"; }
[ -e "$tmp/bad/t10k-images-idx3-ubyte" ] && fail "mismatching file kept"
[ -e "$tmp/bad/train-labels-idx1-ubyte" ] && fail "bad gzip file kept"
cmp -s "$tmp/orig/train-images-idx3-ubyte" "$tmp/bad/train-images-idx3-ubyte" \
  || fail "good file from the bad mirror missing"

# 5. a missing checksum file is a clear error
if NULLTOOL_MNIST_SHA256=$tmp/none sh "$script" "$tmp/x" > "$tmp/log" 2>&1; then
  fail "missing checksum file accepted"
fi
grep -q "not readable" "$tmp/log" || { cat "$tmp/log"; fail "no message"; }

echo "PASS: nulltool-fetch-mnist"
exit 0
