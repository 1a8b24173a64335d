# The GPIO door opened and closed many times while its input lines bounce: closing must never read a released
# line or close an event fd under a live Dispatch source (labdoor-gpio-stress crashes or fails if it does), and the
# relay is left locked after every round.
. /hil/lib.sh
gpiosim_create labdoor-stress 3 STRESS_RELAY STRESS_CONTACT STRESS_EXIT > /dev/null
gpiosim_pull 1 down
gpiosim_pull 2 up
contact=$(gpiosim_line 1)/pull
exitline=$(gpiosim_line 2)/pull
# A stream of edges on both inputs, from one shell loop of builtins (no process per edge).
( while :; do echo pull-up > "$contact"; echo pull-down > "$exitline"; echo pull-down > "$contact"; echo pull-up > "$exitline"; done ) &
bouncer=$!
started=$(date +%s)
status=0
timeout 300 labdoor-gpio-stress labdoor-stress 400 > /tmp/stress.out 2>&1 || status=$?
if [ "$status" != 0 ]; then
    kill $bouncer 2> /dev/null || true
    fail "labdoor-gpio-stress failed (status $status, 139 = SIGSEGV): $(tail -5 /tmp/stress.out)"
fi
kill $bouncer 2> /dev/null || true
wait $bouncer 2> /dev/null || true
grep -q "^STRESS-OK rounds 400" /tmp/stress.out || fail "no STRESS-OK: $(tail -5 /tmp/stress.out)"
inputs=$(sed -n 's/^STRESS-OK rounds 400 inputs \([0-9]*\)$/\1/p' /tmp/stress.out)
[ "${inputs:-0}" -gt 0 ] || fail "no input edges reached the door while it was open (bouncer not working?)"
measure "400 open/close rounds under bouncing inputs in $(( $(date +%s) - started )) s, $inputs debounced inputs delivered"
expect_value 0 0
gpiosim_destroy
