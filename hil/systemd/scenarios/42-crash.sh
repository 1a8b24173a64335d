# Every kind of exit relocks: kill -9 of the main process while the door is held unlocked → the relay reads
# locked while no daemon runs, ExecStopPost's safe state is in the journal, systemd restarts it (RestartSec)
# and the log records recovered_unclean_shutdown. A SIGSTOPped daemon stops pinging the watchdog: systemd
# kills it (WatchdogSec, TimeoutAbortSec) and restarts it, the relay locked in between.
. /hil/lib.sh
. /hil/systemd.lib

# crash_and_watch SIGNAL WHAT LIMIT_S: unlock for 10 minutes, send SIGNAL to the main process, and wait for a new
# main process. Meanwhile a loop of shell builtins samples the relay line with the uptime clock (the journal's
# monotonic clock); afterwards the relay must have read locked between systemd's "Main process exited" and its
# next "Starting", and never unlocked again after the exit.
# crash_in_journal LINES: the unit's journal after its first LINES lines (into /tmp/crash.journal) shows the main
# process's exit and then the next start.
crash_in_journal() {
    journalctl -b -u labdoord --no-pager -o short-monotonic | tail -n +"$(($1 + 1))" > /tmp/crash.journal
    sed -n '/Main process exited/,$p' /tmp/crash.journal | grep -q "Starting labdoord.service"
}

crash_and_watch() {
    labdoorctl door unlock --for 10m
    wait_for "relay unlocked remotely" 5 line_is 0 1
    old=$(main_pid)
    recovered=$(event_count recovered_unclean_shutdown)
    stop_posts=$(journal_count "door: relay=locked reason=safe_state")
    since_journal=$(journalctl -b -u labdoord --no-pager -o short-monotonic | wc -l)
    relay="$(gpiosim_line 0)/value"
    ( while :; do read -r level < "$relay"; read -r up _ < /proc/uptime; echo "$up $level"; done ) > /tmp/relay.samples &
    sampler=$!
    t0=$(uptime_s)
    kill "-$1" "$old"
    wait_for "$2: a new main process" "$3" new_main_pid "$old"
    restarted=$(since "$t0")
    kill $sampler
    wait $sampler 2> /dev/null || true
    # systemd's own times of the exit and the restart, on the same clock as the samples (journald may write
    # them a moment after the new process runs).
    wait_for "$2: the exit and the restart in the journal" 15 crash_in_journal "$since_journal"
    exited=$(sed -n 's/^\[ *\([0-9.]*\)\].*Main process exited.*/\1/p' /tmp/crash.journal | head -1)
    started=$(sed -n 's/^\[ *\([0-9.]*\)\].*Starting labdoord.service.*/\1/p' /tmp/crash.journal | head -1)
    locked=$(awk -v a="$exited" -v b="$started" '$1 >= a && $1 <= b && $2 == 0 {print $1; exit}' /tmp/relay.samples)
    [ -n "$locked" ] || fail "$2: the relay never read locked between the exit ($exited) and the restart ($started)"
    reopened=$(awk -v a="$exited" '$1 >= a && $2 == 1 {print $1; exit}' /tmp/relay.samples)
    [ -z "$reopened" ] || fail "$2: the relay read unlocked again at $reopened, after the exit at $exited"
    expect_value 0 0
    journal_at_least "door: relay=locked reason=safe_state" $((stop_posts + 1)) \
        || fail "$2: ExecStopPost (labdoord --safe-state) did not run"
    wait_for "$2: labdoord ready again" 30 unit_running
    wait_for "$2: recovered_unclean_shutdown in the log" 10 events_at_least recovered_unclean_shutdown $((recovered + 1))
    expect_value 0 0
    expect_sandboxed "$(main_pid)"
    measure "$2: exited at +$(echo "$t0 $exited" | awk '{printf "%.1f", $2 - $1}') s, relay read locked at +$(echo "$t0 $locked" | awk '{printf "%.1f", $2 - $1}') s ($(wc -l < /tmp/relay.samples) samples), restart began at +$(echo "$t0 $started" | awk '{printf "%.1f", $2 - $1}') s, new main process seen at +$restarted s"
}

note "kill -9 while unlocked"
crash_and_watch KILL "kill -9" 20
[ "$(systemctl show -p NRestarts --value labdoord)" -ge 1 ] || fail "systemd counted no restart"

note "SIGSTOP: the watchdog fires"
crash_and_watch STOP "SIGSTOP" 40
journalctl -b -u labdoord --no-pager -o cat | grep -qi "watchdog timeout" || fail "systemd logged no watchdog timeout"
labdoorctl audit verify --db "$LABDOOR_DB"
