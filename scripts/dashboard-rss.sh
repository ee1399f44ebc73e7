#!/usr/bin/env bash
# Memory of the dashboard holding a million lines: runs
# `vpnwatch --from-start --retain 1000000 FILE` in a detached tmux session,
# waits until the header shows every line of FILE read, then prints the
# process's resident memory (VmRSS) and its peak (VmHWM) from /proc.
#
#   scripts/dashboard-rss.sh FILE      (FILE should have over 1 M lines)
#
# Needs tmux and Linux /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
file="$1"
cargo build --release --quiet --bin vpnwatch
bin="$(pwd)/target/release/vpnwatch"
lines=$(wc -l < "$file")
journal="$(mktemp)"
trap 'rm -f "$journal"; tmux kill-session -t vpnwatch-rss 2>/dev/null || true' EXIT
rm -f "$journal"
start=$(date +%s%N)
tmux new-session -d -s vpnwatch-rss -x 200 -y 60 "$bin --from-start --retain 1000000 --journal $journal $file"
until tmux capture-pane -p -t vpnwatch-rss | grep -q "$(basename "$file") $lines lines"; do
  sleep 0.02
  if [ $(( ($(date +%s%N) - start) / 1000000000 )) -gt 120 ]; then echo "timed out" >&2; exit 1; fi
done
read_ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 2 # let the last frame and any freeing settle
pid=$(tmux list-panes -t vpnwatch-rss -F '#{pane_pid}')
# The pane runs the binary directly, or through a shell that execs it.
pid=$(pgrep -P "$pid" -f "$bin" || echo "$pid")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "$lines lines read in $read_ms ms; 1000000 retained: RSS $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB"
