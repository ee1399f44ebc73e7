#!/usr/bin/env bash
# Time to the first frame with log lines, and to the whole-file counts, of
# the dashboard opening a large file, driven through tmux as a user would.
#
#   scripts/first-frame.sh FILE [RUNS]
#
# Starts `vpnwatch FILE` in a detached 200x60 tmux session, then polls the
# screen every 5 ms: "first frame" is when a line of FILE's tail is on
# screen, "counted" is when the header no longer says "counting earlier
# lines". Times include tmux's own start and capture (a few ms); medians of
# RUNS (default 5). Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
file="$1"
runs="${2:-5}"
cargo build --release --quiet --bin vpnwatch
bin="$(pwd)/target/release/vpnwatch"
# The last line of the file, as the pane would start to show it.
needle="$(tail -n 1 "$file" | cut -c1-40)"
journal="$(mktemp)"
trap 'rm -f "$journal"; tmux kill-session -t vpnwatch-ff 2>/dev/null || true' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
firsts=(); counts=()
for _ in $(seq "$runs"); do
  rm -f "$journal"
  start=$(now_ms)
  tmux new-session -d -s vpnwatch-ff -x 200 -y 60 "$bin --journal $journal $file"
  first=""; counted=""
  while [ -z "$counted" ]; do
    screen="$(tmux capture-pane -p -t vpnwatch-ff 2>/dev/null || true)"
    t=$(now_ms)
    if [ -z "$first" ] && grep -qF -- "$needle" <<<"$screen"; then first=$((t - start)); fi
    if [ -n "$first" ] && ! grep -q "counting earlier lines" <<<"$screen"; then counted=$((t - start)); fi
    if [ $((t - start)) -gt 120000 ]; then echo "timed out" >&2; exit 1; fi
    sleep 0.005
  done
  tmux kill-session -t vpnwatch-ff
  firsts+=("$first"); counts+=("$counted")
  echo "first frame ${first} ms, whole file counted ${counted} ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median over $runs runs: first frame $(median "${firsts[@]}") ms, counted $(median "${counts[@]}") ms ($(stat -c %s "$file") bytes)"
