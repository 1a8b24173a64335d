# Every kind of exit relocks: kill -9 of the main process while the door is held unlocked → the relay reads
# locked while no daemon runs, ExecStopPost's safe state is in the journal, systemd restarts it (RestartSec)
# and the log records recovered_unclean_shutdown. A SIGSTOPped daemon stops pinging the watchdog: systemd
# kills it (WatchdogSec, TimeoutAbortSec) and restarts it, the relay locked in between.
. /hil/lib.sh
. /hil/systemd.lib

# crash_and_watch SIGNAL WHAT LIMIT_S: unlock for 10 minutes, send SIGNAL to the main process, then poll until a
# new main process runs; the relay must read locked at a moment when no main process ran, and never unlocked
# again after that.
crash_and_watch() {
    labdoorctl door unlock --for 10m
    wait_for "relay unlocked remotely" 5 line_is 0 1
    old=$(main_pid)
    recovered=$(event_count recovered_unclean_shutdown)
    stop_posts=$(journal_count "door: relay=locked reason=safe_state")
    t0=$(uptime_s)
    kill "-$1" "$old"
    locked_without_daemon=""
    end=$(( $(date +%s) + $3 ))
    while ! new_main_pid "$old"; do
        [ "$(date +%s)" -lt "$end" ] || fail "$2: no new main process within $3 s ($(systemctl show -p ActiveState -p SubState -p MainPID labdoord | paste -sd' '))"
        pid=$(main_pid)
        level=$(gpiosim_value 0)
        if [ -z "$locked_without_daemon" ] && [ "$pid" = 0 ] && [ "$level" = 0 ]; then
            locked_without_daemon=$(since "$t0")
        fi
        usleep 50000
    done
    restarted=$(since "$t0")
    [ -n "$locked_without_daemon" ] || fail "$2: the relay never read locked while no daemon ran"
    expect_value 0 0
    journal_at_least "door: relay=locked reason=safe_state" $((stop_posts + 1)) \
        || fail "$2: ExecStopPost (labdoord --safe-state) did not run"
    wait_for "$2: labdoord ready again" 30 unit_running
    wait_for "$2: recovered_unclean_shutdown in the log" 10 events_at_least recovered_unclean_shutdown $((recovered + 1))
    expect_value 0 0
    expect_sandboxed "$(main_pid)"
    measure "$2: relay locked with no daemon at +$locked_without_daemon s, new main process at +$restarted s"
}

note "kill -9 while unlocked"
crash_and_watch KILL "kill -9" 20
[ "$(systemctl show -p NRestarts --value labdoord)" -ge 1 ] || fail "systemd counted no restart"

note "SIGSTOP: the watchdog fires"
crash_and_watch STOP "SIGSTOP" 40
journalctl -b -u labdoord --no-pager -o cat | grep -qi "watchdog timeout" || fail "systemd logged no watchdog timeout"
labdoorctl audit verify --db "$LABDOOR_DB"
