#!/usr/bin/env bash
# Bounded state under a spray: `scan --json` on a log of N failed logins by
# N distinct names (default 1,000,000), against the same number of failures
# by 10,000 names, and (with --dashboard) the dashboard on the big file.
#
#   scripts/bench-spray.sh [--failures N] [--dashboard] [--keep DIR]
#
# The file is built here (awk, deterministic) rather than by the generator,
# whose Zipf population never reaches a million distinct names. Each failure
# is an AAA rejection (113005) and its WebVPN line (716039), from many
# addresses, in two halves that exercise both collapsing paths:
#   - the first half: 4 names per address (under the spray threshold of 10),
#     so these are users, and past --max-users (100,000) they are counted
#     in `(other N users)`;
#   - the second half: 500 names per address within seconds: password
#     sprays, counted under `(spray) <address>`.
# Exact totals are checked: failures + spray_attempts = N. Peak RSS and wall
# time come from GNU time (`/usr/bin/time -v`); ns/line = wall / lines.
set -euo pipefail
cd "$(dirname "$0")/.."

failures=1000000
dashboard=""
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --failures) failures="$2"; shift 2 ;;
    --dashboard) dashboard=1; shift ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "usage: $0 [--failures N] [--dashboard] [--keep DIR]" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet --bin vpnwatch
bin="$(pwd)/target/release/vpnwatch"
if [ -n "$keep" ]; then
  dir="$keep"; mkdir -p "$dir"
else
  dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
fi

# gen FILE NAMES: N failures; failure i is by name (i mod NAMES).
gen() {
  awk -v n="$failures" -v names="$2" 'BEGIN {
    half = int(n / 2)
    for (i = 0; i < n; i++) {
      s = 1800000000 + int(i / 50)
      t = strftime("%Y-%m-%dT%H:%M:%SZ", s, 1)
      if (i < half) { a = int(i / 4); ip = sprintf("10.%d.%d.%d", int(a / 65536) % 256, int(a / 256) % 256, a % 256) }
      else { a = int((i - half) / 500); ip = sprintf("172.16.%d.%d", int(a / 256) % 256, a % 256) }
      u = sprintf("u%07d", i % names)
      printf "<166>%s fw1 : %%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.20.0.13 : user = %s : user IP = %s\n", t, u, ip
      printf "<166>%s fw1 : %%ASA-6-716039: Group <GP> User <%s> IP <%s> Authentication: rejected, Session Type: WebVPN.\n", t, u, ip
    }
  }' > "$1"
}

measure() { # measure LABEL FILE
  local out="$dir/$1.json" tv="$dir/$1.time"
  /usr/bin/time -v "$bin" scan --json "$2" > "$out" 2> "$tv"
  local wall rss lines total
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s}' "$tv")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$tv")
  lines=$(wc -l < "$2")
  total=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["failures"], t["spray_attempts"], t["failures"] + t["spray_attempts"])' "$out")
  echo "$1: lines=$lines wall=${wall}s rss=${rss}MiB ns/line=$(awk -v w="$wall" -v l="$lines" 'BEGIN {printf "%.0f", w * 1e9 / l}') failures/spray/sum=$total"
  [ "${total##* }" = "$failures" ] || { echo "$1: totals are not exact (expected $failures)" >&2; exit 1; }
}

[ -s "$dir/distinct.log" ] || gen "$dir/distinct.log" "$failures"
[ -s "$dir/few.log" ] || gen "$dir/few.log" 10000
measure few "$dir/few.log"
measure distinct "$dir/distinct.log"

if [ -n "$dashboard" ]; then
  # The dashboard's own memory script, on the same file.
  scripts/dashboard-rss.sh "$dir/distinct.log"
fi
