#!/bin/sh
# Regenerates the figure gallery and the README's measured numbers from the
# documented runs of this build: the quick preset (figures/gallery/) and the
# ramp preset (figures/gallery/ramp/). The README blocks between
# "<!-- quick: ... -->" / "<!-- quick: end -->" and the ramp pair are
# rewritten; nothing else is touched.
#   tools/update-gallery.sh [RUN_FOLDER]     (default: a new temporary folder)
# Run from a built tree with MNIST fetched (nulltool fetch mnist).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${1:-$(mktemp -d "${TMPDIR:-/tmp}/nt-gallery.XXXXXX")}
mkdir -p "$runs"
nulltool=./tools/nulltool
gallery=figures/gallery
cores=$(nproc)

# wall seconds and peak resident MB of one command (GNU time when present)
measure () {
  start=$(date +%s)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$runs/.rss" "$@"
    rss=$(( $(tail -1 "$runs/.rss") / 1024 ))
  else
    "$@"
    rss=
  fi
  secs=$(( $(date +%s) - start ))
}

echo "update-gallery: quick preset into $runs/quick" >&2
measure "$nulltool" run -o "$runs/quick" -q
quick_secs=$secs quick_rss=$rss
echo "update-gallery: ramp preset into $runs/ramp" >&2
measure "$nulltool" run --preset ramp -o "$runs/ramp" -q
ramp_secs=$secs

rm -f "$gallery"/*.png "$gallery"/ramp/*.png
cp "$runs/quick/figures/"*.png "$gallery/"
cp "$runs/quick/config.ini" "$runs/quick/results/summary.json" "$gallery/"
cp "$runs/ramp/"*.png "$runs/ramp/accuracy.csv" "$runs/ramp/grid-fractions.csv" \
   "$gallery/ramp/"

# the quick run's transfer scores at threshold, measured (one set: no std)
images=$(awk -F= '$1 == "images_per_set" { print $2 }' "$runs/quick/config.ini")
table=$(awk -F, 'NR > 1 && $1 == "transfer" {
    printf "| %s | %.1f | %.1f | %.1f |\n", $2, $3, $5, $7 }' \
  "$runs/quick/results/summary-threshold.csv")
mem=${quick_rss:+, $quick_rss MB peak memory}
quick_block=$(cat <<TEXT
The quick preset trains a baseline, a mix-null (\`m\`) and a three-null (\`usm\`) cnn for one epoch
on real MNIST, attacks them with FGSM under both protocols and draws every figure of the study
($quick_secs s on this build's $cores-core machine$mem). Its scores at the attack threshold
(transfer protocol, $images images; every row measured, the baseline's too):

| model | correct (%) | misclassified (%) | unclassified (%) |
|:--|--:|--:|--:|
$table
TEXT
)
null_pct=$(awk -F, '$1 == "uniform" && $2 == "null" { printf "%.1f", 100 * $3 }' \
  "$runs/ramp/grid-fractions.csv")
ramp_block=$(cat <<TEXT
\`figures/gallery/ramp/\` holds the ramp toy's figures (\`nulltool run --preset ramp\`, $ramp_secs s): the
uniform model keeps small regions around the prototypes and labels $null_pct % of the cube null,
where the baseline splits the whole cube between the two classes.
TEXT
)

# replace a marked block of README.md with $2 (name $1)
replace_block () {
  BLOCK="$2" awk -v name="$1" '
    $0 ~ "^<!-- " name ": written by" { print; print ENVIRON["BLOCK"]; skip = 1; next }
    $0 ~ "^<!-- " name ": end -->" { skip = 0 }
    !skip { print }' README.md > README.md.tmp
  mv README.md.tmp README.md
}
replace_block quick "$quick_block"
replace_block ramp "$ramp_block"
echo "update-gallery: figures/gallery and README.md updated from $runs" >&2
