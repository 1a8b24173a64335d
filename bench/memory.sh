#!/usr/bin/env bash
# Memory over a long run of badge reads: starts a release labdoord (FIFO reader, simulated door), feeds READS
# badge reads, and prints the daemon's resident set size every STEP reads. Flat is good.
set -euo pipefail
READS=${READS:-10000}
STEP=${STEP:-1000}
BIN=${BIN:?set BIN to the directory with labdoord and labdoorctl}
dir=$(mktemp -d /tmp/labdoor-bench-XXXXXX)
trap 'kill $(cat "$dir/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/labdoor.toml" <<TOML
[paths]
state_dir = "$dir/state"
socket = "$dir/control.sock"
[door]
backend = "sim"
[[reader]]
name = "entry"
backend = "fifo"
path = "$dir/entry.fifo"
[clock]
trust = "always"
TOML
"$BIN/labdoord" --config "$dir/labdoor.toml" > /dev/null 2> "$dir/err.log" &
echo $! > "$dir/pid"
pid=$(cat "$dir/pid")
for _ in $(seq 100); do [ -S "$dir/control.sock" ] && break; sleep 0.1; done
ctl() { "$BIN/labdoorctl" --socket "$dir/control.sock" "$@" > /dev/null; }
ctl holder add --name Bench --profile staff
ctl badge assign 1000000003 --holder 1
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
seq_of() { "$BIN/labdoorctl" --socket "$dir/control.sock" status --format json | sed -E 's/.*"last_seq":([0-9]+).*/\1/'; }
echo "reads  rss_kib  last_seq"
start=$(date +%s)
exec 3> "$dir/entry.fifo"
for ((i = 0; i <= READS; i++)); do
    echo 1000000003 >&3
    if (( i % STEP == 0 )); then
        sleep 0.2
        printf '%5d  %7d  %8s\n' "$i" "$(rss)" "$(seq_of)"
    fi
done
exec 3>&-
echo "$READS reads in $(( $(date +%s) - start )) s"
