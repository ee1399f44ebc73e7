#!/usr/bin/env bash
# Does the dashboard keep drawing and counting while `e` writes an evidence
# bundle from a large log? Runs `vpnwatch --syslog-udp=127.0.0.1:PORT LOG`
# in a detached tmux session, waits until LOG is counted, starts a syslog
# flood (UDP on loopback, RATE lines a second for SECONDS seconds) and a
# second into it presses `e`. Meanwhile it polls the screen every
# few milliseconds and records when it changes: under the flood every frame
# changes the screen, so the longest interval without a change while the
# bundle is written is the longest frame gap (as tmux sees it: its capture
# adds a few ms). At the end it compares the lines the syslog source shows
# with the lines sent.
#
#   scripts/bundle-stall.sh [--bytes N] [--rate R] [--seconds S] [--keep DIR] [--no-bundle] [--from-start]
#
# --no-bundle sends the same flood without pressing `e`: the baseline.
# --from-start shows the whole log (not only its last lines, `--backlog`),
# so the user's lines are filed from all of it and `e` reads them back from
# all over the 2 GB; it waits until every line is read.
# Gaps are measured while the flood runs (after it, the screen changes only
# when the clock does).
#
# Defaults: a 2 GB log (generated once by examples/genlog.rs into DIR),
# 50000 lines/s for 20 s. Needs tmux and python3; loopback only.
#
# Ends with one PASS/FAIL line per target and exits 1 if any failed:
#   bundle    `e` wrote the bundle (skipped with --no-bundle)
#   frames    no interval over 100 ms without a screen change while `e` wrote
#             the bundle (with --no-bundle: while the flood ran); the longest
#             interval over the whole flood is printed beside it
#   rate      the sender reached the asked rate (else the flood target was not tested)
#   syslog    every line sent was shown, none reported dropped
# The machine's load average is printed with them: on a loaded machine
# (load above the number of cores) the figures are the machine's, not ours.
set -euo pipefail
cd "$(dirname "$0")/.."

bytes=2000000000
rate=50000
seconds=20
keep=""
press=e
from_start=""
port=$((20000 + RANDOM % 20000))
while [ $# -gt 0 ]; do
  case "$1" in
    --bytes) bytes="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --no-bundle) press=""; shift ;;
    --from-start) from_start="--from-start"; shift ;;
    *) echo "usage: $0 [--bytes N] [--rate R] [--seconds S] [--keep DIR] [--no-bundle] [--from-start]" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet --bin vpnwatch --example genlog
bin="$(pwd)/target/release/vpnwatch"
if [ -n "$keep" ]; then
  dir="$keep"; mkdir -p "$dir"
else
  dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
fi
log="$dir/asa.log"
if [ ! -s "$log" ] || [ "$(stat -c %s "$log")" -lt "$bytes" ]; then
  # About 140 bytes a line.
  target/release/examples/genlog "$log" --lines $((bytes / 140))
fi
work="$(mktemp -d)"
session="vpnwatch-stall-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"; [ -n "$keep" ] || rm -rf "$dir"' EXIT
echo "log: $(stat -c %s "$log") bytes; flood: $rate lines/s for $seconds s on udp://127.0.0.1:$port"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
screen() { tmux capture-pane -p -t "$session" 2>/dev/null || true; }

cd "$work"
tmux new-session -d -s "$session" -x 200 -y 60 \
  "$bin --journal $work/journal.jsonl --syslog-udp=127.0.0.1:$port $from_start $log"
start=$(now_ms)
# Counted: the header no longer says it is counting earlier lines.
until s="$(screen)"; grep -q "asa.log" <<<"$s" && ! grep -q "counting earlier lines" <<<"$s"; do
  sleep 0.05
  if [ $(( $(now_ms) - start )) -gt 600000 ]; then echo "log not counted in 10 min" >&2; exit 1; fi
done
if [ -n "$from_start" ]; then
  total="$(wc -l < "$log")"
  until screen | grep -q "asa.log $total lines"; do
    sleep 0.2
    if [ $(( $(now_ms) - start )) -gt 900000 ]; then echo "log not read in 15 min" >&2; exit 1; fi
  done
fi
echo "log counted in $(( $(now_ms) - start )) ms"
# Lines in the headend pane (the log's shown lines and the syslog's), from
# its title: the syslog lines shown are what it gains during the flood.
pane_lines() {
  screen | { grep -o "udp://127.0.0.1:$port · [0-9]* lines" || true; } | head -1 | awk '{print $3 + 0}'
}
base="$(pane_lines)"

# The flood, paced in 10 ms slices; it prints how many it sent.
cat > "$work/flood.py" <<'PY'
import socket, sys, time
port, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
line = "<166>Nov 28 2026 10:00:00 fw9 : %ASA-6-302013: Built inbound TCP connection {} for outside:198.51.100.9/443 to inside:10.0.0.9/5000"
sent, t0 = 0, time.monotonic()
while True:
    elapsed = time.monotonic() - t0
    if elapsed >= seconds:
        break
    due = min(int(elapsed * rate) + rate // 100, int(seconds * rate))
    while sent < due:
        s.sendto(line.format(sent).encode(), ("127.0.0.1", port))
        sent += 1
    time.sleep(0.005)
print(sent)
PY

# `e` acts on the top user of the Users pane: the next pane after the
# headend's when the log is the only file. Focus it before the flood, then
# let the flood run for a second before `e`, so the bundle is written
# while the syslog source is busy.
if [ -n "$press" ]; then
  tmux send-keys -t "$session" Tab
  sleep 0.3
fi
python3 "$work/flood.py" "$port" "$rate" "$seconds" > "$work/sent" &
flood=$!
sleep 1
if [ -n "$press" ]; then tmux send-keys -t "$session" "$press"; fi
last="$(screen)"; last_t=$(now_ms); gap=0; gap_e=0; frames=0; written=""; outcome=""
bundle_start=$last_t
while :; do
  s="$(screen)"; t=$(now_ms)
  if [ "$s" != "$last" ]; then
    d=$((t - last_t))
    if [ ! -s "$work/sent" ] && [ "$d" -gt "$gap" ]; then gap=$d; fi
    # While the bundle is being written (the change that shows it written
    # closes the interval).
    if [ -z "$written" ] && [ "$d" -gt "$gap_e" ]; then gap_e=$d; fi
    frames=$((frames + 1)); last="$s"; last_t=$t
  fi
  if [ -z "$press" ] && [ -z "$written" ]; then written="(no bundle)"; fi
  if [ -z "$written" ] && grep -q "e: focus the Users pane\|e: the logs' earlier lines" <<<"$s"; then
    written=$((t - bundle_start))
    outcome="$({ grep -o "e: [a-z' ]*" <<<"$s" || true; } | head -1)"
    echo "$outcome"
  fi
  if [ -z "$written" ] && grep -q "evidence bundle written\|evidence bundle not written" <<<"$s"; then
    written=$((t - bundle_start))
    outcome="$({ grep -o "evidence bundle [^ ]* [^ ]*" <<<"$s" || true; } | head -1)"
    echo "$outcome"
  fi
  # The flood prints its count when it is done.
  if [ -n "$written" ] && [ -s "$work/sent" ]; then break; fi
  if [ $((t - bundle_start)) -gt 900000 ]; then echo "bundle not written in 15 min" >&2; exit 1; fi
done
wait "$flood"
sent="$(cat "$work/sent")"
# What the bundle holds, from its README.
for b in "$work"/*.tar.gz; do
  [ -e "$b" ] || continue
  tar -xzOf "$b" --wildcards '*/README.txt' | grep "of the user's lines out of\|^- " || true
done
# Let the last datagrams be counted, then read the syslog source's count.
sleep 1
shown=$(( $(pane_lines) - base ))
dropped="$(screen | { grep -o "✖ [0-9]* dropped" || true; } | awk '{s += $2} END {print s + 0}')"
echo "bundle written in ${written} ms; longest gap while it was written: ${gap_e} ms"
echo "screen changes seen: $frames; longest gap while the flood ran: ${gap} ms"
echo "syslog: $sent sent, $shown shown, $dropped reported dropped, $((sent - shown)) missing"
missing=$((sent - shown))
achieved=$((sent / seconds))
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

failed=0
verdict() { # target, ok (1/0), what was measured
  if [ "$2" = 1 ]; then echo "PASS $1: $3"; else echo "FAIL $1: $3"; failed=1; fi
}
if [ -n "$press" ]; then
  ok=0; case "$outcome" in "evidence bundle written:"*) ok=1 ;; esac
  verdict bundle "$ok" "${outcome:-no outcome shown} after ${written} ms"
else
  echo "SKIP bundle: --no-bundle"
fi
if [ -n "$press" ]; then
  verdict frames "$([ "$gap_e" -le 100 ] && echo 1 || echo 0)" "longest gap while e wrote the bundle ${gap_e} ms (target <= 100 ms; ${gap} ms over the whole flood)"
else
  verdict frames "$([ "$gap" -le 100 ] && echo 1 || echo 0)" "longest gap over the whole flood ${gap} ms (target <= 100 ms)"
fi
verdict rate "$([ "$achieved" -ge $((rate * 98 / 100)) ] && echo 1 || echo 0)" "sent ${achieved} lines/s (asked ${rate})"
verdict syslog "$([ "$missing" -eq 0 ] && [ "$dropped" -eq 0 ] && echo 1 || echo 0)" "$missing missing, $dropped reported dropped of $sent"
exit "$failed"
