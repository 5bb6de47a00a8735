#!/bin/sh
# check-cli.sh: the nulltool program itself, run as a user runs it, on the
# ramp toy (seconds, no MNIST): exit statuses and messages of bad numbers,
# bad output paths, a folder that holds no run, and Ctrl-C. Every check
# runs; the failures are listed at the end.
set -u
build=${NT_TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
nulltool=$build/tools/nulltool
[ -x "$nulltool" ] || { echo "no $nulltool: build first"; exit 99; }
# only the build tree's plugins (the test environment sets this too)
NULLTOOL_PLUGIN_PATH=
export NULLTOOL_PLUGIN_PATH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nt-test-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0
fail () { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass () { echo "ok: $*"; }

# runs nulltool with the given arguments; status in $rc, stderr in $tmp/err
nt () {
  "$nulltool" "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
}

# expect STATUS PATTERN DESCRIPTION: the last nt call's status and stderr
expect () {
  if [ "$rc" -ne "$1" ]; then
    fail "$3: exit status $rc, expected $1"; sed 's/^/  | /' "$tmp/err" >&2
  elif [ -n "$2" ] && ! grep -q -e "$2" "$tmp/err"; then
    fail "$3: stderr lacks '$2'"; sed 's/^/  | /' "$tmp/err" >&2
  else
    pass "$3"
  fi
}

cat > "$tmp/tiny.ini" <<'EOF'
[study]
dataset=ramp
model=ramp-cnn:max_batch=64
types=baseline
sets=1
epochs=1
steps_per_epoch=5
seed=3
jobs=2
backend=cpu:threads=1
progress=0
[attack]
attack=fgsm
protocols=transfer
images_per_set=5
EOF
sed -e 's/^epochs=1$/epochs=100000/' -e 's/^steps_per_epoch=5$/steps_per_epoch=1000000/' \
  "$tmp/tiny.ini" > "$tmp/long.ini"

# ---- 8. every numeric option given is applied, or refused by name ----------
# 0 and -1 once read as "not given": the preset's value ran instead
for a in "epochs 0 from 1 to 100000" "epochs -1 from 1 to 100000" \
         "sets 0 from 1 to 10000" "jobs -1 from 0 to 64" "jobs 65 from 0 to 64" \
         "seed -1 >= 0" "steps -1 from 0 to" "images -1 from 0 to 1000000"; do
  set -- $a
  opt=$1 val=$2
  shift 2
  nt run -c "$tmp/tiny.ini" -o "$tmp/run-bad" --no-plot "--$opt" "$val"
  expect 2 "^nulltool run: --$opt $val is out of range: give an integer $*" \
    "run --$opt $val refused by name, value and range"
done
[ -e "$tmp/run-bad" ] && fail "a refused run created its folder"
nt run -c "$tmp/tiny.ini" -o "$tmp/run-bad" --epochs abc
expect 2 "^nulltool run: --epochs: 'abc' is not an integer" "run --epochs abc"

# given values equal to the old "not given" markers are applied
nt run -c "$tmp/tiny.ini" -o "$tmp/run" --jobs 0 --seed 0 --images 0 -q
expect 0 "" "run with --jobs 0 --seed 0 --images 0"
for kv in jobs=0 seed=0 images_per_set=0; do
  grep -qx "$kv" "$tmp/run/config.ini" 2>/dev/null \
    || fail "run: $kv given on the command line but not in config.ini"
done

# the other commands' numbers
for a in "epochs 0 from 1 to" "batch 0 from 1 to" "steps -1 from 0 to" \
         "seed -1 >= 0"; do
  set -- $a
  nt train -d ramp -m ramp-cnn -o "$tmp/t.ckpt" "--$1" "$2"
  expect 2 "^nulltool train: --$1 $2 is out of range: give an integer $3" \
    "train --$1 $2 refused by name, value and range"
done
nt train -d ramp -m ramp-cnn -o "$tmp/t.ckpt" --lr 1
expect 2 "^nulltool train: --lr 1 is out of range: give a number > 0 and < 1" \
  "train --lr 1"
nt train -d ramp -m ramp-cnn -o "$tmp/t.ckpt" --p-null 1.5
expect 2 "^nulltool train: --p-null 1.5 is out of range: give a number >= 0 and <= 1" \
  "train --p-null 1.5"
nt eval --limit -1 "$tmp/none.ckpt"
expect 2 "^nulltool eval: --limit -1 is out of range" "eval --limit -1"
nt null-examples --seed -1
expect 2 "^nulltool null-examples: --seed -1 is out of range" \
  "null-examples --seed -1"
nt ramp --grid 1
expect 2 "^nulltool ramp: --grid 1 is out of range: give an integer from 2 to 512" \
  "ramp --grid 1"
# the ramp preset has no epochs, sets or images: refused, not dropped
nt run --preset ramp -o "$tmp/ramp" --epochs 3
expect 2 "^nulltool run: --epochs does not apply to the ramp study" \
  "run --preset ramp --epochs 3"
nt run --preset ramp -o "$tmp/ramp" --set ramp.grid=1
expect 2 "^nulltool ramp: --grid 1 is out of range" \
  "run --preset ramp --set ramp.grid=1 reaches the ramp study"

# ---- 9. train checks its output paths before any work -----------------------
TRAIN="train -q -d ramp -m ramp-cnn -b cpu:threads=1 --epochs 2 --steps 5"
# (without -q: the progress lines would show training before the refusal)
nt train -d ramp -m ramp-cnn -b cpu:threads=1 --epochs 2 --steps 5 \
  -o "$tmp/nodir/m.ckpt" --history "$tmp/h.csv"
expect 1 "^nulltool train: cannot write $tmp/nodir/m.ckpt: $tmp/nodir does not exist" \
  "train -o into a missing folder"
grep -q "epoch" "$tmp/err" && fail "train -o into a missing folder: it trained first"
[ -e "$tmp/h.csv" ] && fail "train -o into a missing folder: it wrote the history"
: > "$tmp/afile"
nt $TRAIN -o "$tmp/afile/m.ckpt"
expect 1 "$tmp/afile is not a folder" "train -o under a file"
mkdir "$tmp/out-dir"
nt $TRAIN -o "$tmp/out-dir"
expect 1 "cannot write $tmp/out-dir: it is a folder" "train -o a folder"
nt $TRAIN -o "$tmp/out-dir/m.ckpt" --history "$tmp/nodir/h.csv"
expect 1 "cannot write $tmp/nodir/h.csv" "train --history into a missing folder"
# the check leaves nothing behind, and keeps an existing checkpoint as it is
nt $TRAIN -o "$tmp/out-dir/m.ckpt" -d nosuch
expect 1 "no dataset named 'nosuch'" "train with a bad dataset"
[ -z "$(ls -A "$tmp/out-dir")" ] || fail "train left files: $(ls -A "$tmp/out-dir")"
echo keep > "$tmp/out-dir/old.ckpt"
nt $TRAIN -o "$tmp/out-dir/old.ckpt" -d nosuch
[ "$(cat "$tmp/out-dir/old.ckpt")" = keep ] || fail "train changed an existing file"
[ "$(ls -A "$tmp/out-dir")" = old.ckpt ] || fail "train left files: $(ls -A "$tmp/out-dir")"
nt $TRAIN -o "$tmp/out-dir/m.ckpt"
expect 0 "" "train into a good path"
[ -s "$tmp/out-dir/m.ckpt" ] || fail "train wrote no checkpoint"

# ---- 10. plot: a folder without a run is an error ---------------------------
mkdir "$tmp/empty"
nt plot "$tmp/empty"
expect 1 "^nulltool plot: $tmp/empty holds no run" "plot of an empty folder"
[ -z "$(ls -A "$tmp/empty")" ] || fail "plot wrote into a folder without a run"
# a real run whose attack figures are skipped (no attack) still succeeds
nt plot "$tmp/run"
expect 0 "skipped" "plot of a run with some figures skipped"

# ---- 11. Ctrl-C says how to go on, and still ends by SIGINT -----------------
# timeout(1) gives its child the default SIGINT action even where this
# script runs with SIGINT ignored
if command -v timeout > /dev/null 2>&1; then
  timeout --preserve-status -s INT 3 "$nulltool" run -c "$tmp/long.ini" \
    -o "$tmp/run-long" -q > "$tmp/out" 2> "$tmp/err"
  rc=$?
  expect 130 "^nulltool run: interrupted; rerun the same command to resume" \
    "run interrupted by SIGINT"
  [ "$(grep -c interrupted "$tmp/err")" = 1 ] || fail "run: not one line on SIGINT"
  timeout --preserve-status -s INT 3 "$nulltool" $TRAIN --epochs 100000 \
    --steps 1000000 -o "$tmp/out-dir/long.ckpt" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  expect 130 "^nulltool train: interrupted; $tmp/out-dir/long.ckpt holds" \
    "train interrupted by SIGINT"
else
  echo "timeout(1) not found: the SIGINT checks are skipped"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "PASS: nulltool command line"
exit 0
