#!/usr/bin/env bash
# Whole-file benchmark: vpnwatch scan --json against the peer tools of
# ../shared/reference/peer-performance.md on the same kind of file.
#
#   scripts/bench.sh [--lines N] [--runs N] [--keep DIR]
#
# Builds release, generates the test log with the project's own generator
# (examples/genlog.rs: 2 M lines, ~7 % VPN/AAA, Zipf users, hidden users,
# distractors) into a temporary directory, checks `scan --json` against the
# generator's ground truth, then times every tool that is installed: one
# warm-up run each, then N rounds with the tools interleaved (A B C A B C …),
# medians of wall time, peak RSS from GNU time (the largest process of a
# pipeline). Output always goes through a pipe, never to /dev/null (GNU grep
# stops at the first match when stdout is /dev/null).
set -euo pipefail
cd "$(dirname "$0")/.."

lines=2000000
runs=5
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "usage: $0 [--lines N] [--runs N] [--keep DIR]" >&2; exit 2 ;;
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
truth="$dir/truth.json"
if [ ! -s "$log" ] || [ ! -s "$truth" ]; then
  target/release/examples/genlog "$log" "$truth" --lines "$lines"
fi

echo "== machine"
echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $(wc -l < "$log") lines, $(wc -c < "$log") bytes"

# --- the tools (the peer commands of §8, verbatim where they exist) --------
awkprog="$dir/fail_by_user.awk"
cat > "$awkprog" <<'AWK'
/AAA user authentication Rejected/ { s = substr($0, index($0, " : user = ") + 10); u[substr(s, 1, index(s, " ") - 1)]++; next }
/Authentication: rejected/        { s = substr($0, index($0, "User <") + 6);     u[substr(s, 1, index(s, ">") - 1)]++; next }
/User authentication failed/      { u[substr($0, index($0, "Uname: ") + 7)]++ }
END { for (k in u) print u[k], k }
AWK
lnavq=";SELECT coalesce(regexp_match('user = ([^ ]+) : user IP', log_text), regexp_match('User <([^>]+)> IP <[^>]+> Authentication: rejected', log_text), regexp_match('Uname: (\S+)\$', log_text)) AS user, count(*) AS n FROM generic_log WHERE log_text REGEXP 'AAA user authentication Rejected|Authentication: rejected|User authentication failed' GROUP BY user ORDER BY n DESC, user"
agq='* | parse regex "user = (?P<u1>[^ ]+) : user IP|User <(?P<u2>[^>]+)> IP <[^>]+> Authentication: rejected|Uname: (?P<u3>\S+)$" | if(isNull(u1), if(isNull(u2), u3, u2), u1) as user | count by user'

names=(); cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "vpnwatch scan --json" "\"$bin\" scan --json \"$log\""
add "vpnwatch scan --json (1 thread)" "VPNWATCH_SCAN_THREADS=1 \"$bin\" scan --json \"$log\""
if command -v rg >/dev/null; then
  add "rg -oN | sort | uniq -c" "rg -oN -r '\${1}\${2}\${3}' 'user = ([^ ]+) : user IP|User <([^>]+)> IP <[^>]+> Authentication: rejected|Uname: (\\S+)\$' \"$log\" | sort | uniq -c"
fi
if command -v mawk >/dev/null; then
  add "mawk -f fail_by_user.awk" "mawk -f \"$awkprog\" \"$log\""
fi
if command -v agrind >/dev/null; then
  add "agrind (e1)" "agrind -f \"$log\" '$agq'"
fi
if command -v lnav >/dev/null; then
  add "lnav per-user SQL (c2)" "lnav -n -c \"\$LNAVQ\" -c ':write-csv-to -' \"$log\""
fi
export LNAVQ="$lnavq"

# --- correctness first ------------------------------------------------------
echo "== ground truth"
"$bin" scan --json "$log" > "$dir/scan.json"
if command -v python3 >/dev/null; then
  python3 - "$dir/scan.json" "$truth" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
got = {u["user"]: (u["failures"], u["causes"]) for u in r["users"]}
want = {k: (v["failures"], v["causes"]) for k, v in t["users"].items()}
ok = got == want and r["totals"]["failures"] == t["failures"]
print(f"vpnwatch: {len(got)} users, {r['totals']['failures']} failed attempts; "
      f"truth: {len(want)} users, {t['failures']} attempts -> {'MATCH' if ok else 'MISMATCH'}")
peer = t["peer_failure_lines"]
print(f"peer pipelines should print {len(peer)} names / {sum(peer.values())} lines "
      "(lines, not attempts: 611102 management logins and both lines of an attempt count)")
sys.exit(0 if ok else 1)
PY
else
  echo "python3 not found: ground-truth check skipped"
fi

# --- timing -------------------------------------------------------------------
timer=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %M' true 2>/dev/null; then
  timer=/usr/bin/time
fi
run_one() { # $1 = command; prints "wall_s peak_kib"
  local out="$dir/time.out"
  if [ -n "$timer" ]; then
    $timer -f '%e %M' -o "$out" bash -c "$1 | cat > /dev/null"
    cat "$out"
  else
    local t0 t1
    t0=$(date +%s.%N); bash -c "$1 | cat > /dev/null"; t1=$(date +%s.%N)
    echo "$(echo "$t1 - $t0" | bc) 0"
  fi
}
declare -A walls peaks
for i in "${!cmds[@]}"; do run_one "${cmds[$i]}" > /dev/null; done   # warm-up
for ((r = 0; r < runs; r++)); do
  for i in "${!cmds[@]}"; do
    read -r w m < <(run_one "${cmds[$i]}")
    walls[$i]="${walls[$i]:-} $w"
    if [ "${m:-0}" -gt "${peaks[$i]:-0}" ]; then peaks[$i]=$m; fi
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s–%s", lo, hi}'; }
ref=0
for i in "${!names[@]}"; do
  case "${names[$i]}" in rg*) ref=$i ;; esac
done
refmed=$(echo "${walls[$ref]}" | median)
echo "== $runs runs each, interleaved; ratio = wall / wall of \"${names[$ref]}\""
printf '%-34s %9s %15s %7s %11s %9s\n' "tool" "wall s" "[min–max]" "ratio" "lines/s" "peak RSS"
for i in "${!names[@]}"; do
  med=$(echo "${walls[$i]}" | median)
  printf '%-34s %9s %15s %7s %11s %9s\n' "${names[$i]}" "$med" "$(echo "${walls[$i]}" | range)" \
    "$(awk -v a="$med" -v b="$refmed" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')" \
    "$(awk -v n="$lines" -v s="$med" 'BEGIN {printf "%.1fM", (s > 0 ? n / s / 1e6 : 0)}')" \
    "$(awk -v k="${peaks[$i]:-0}" 'BEGIN {printf "%.1f MiB", k / 1024}')"
done
