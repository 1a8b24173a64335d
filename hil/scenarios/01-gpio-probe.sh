# Harness self-test: gpio-sim lines are driven and read back, and input pulls produce edge events.
. /hil/lib.sh
chip=$(gpiosim_create labdoor-sim 4 DOOR_RELAY DOOR_CONTACT EXIT_BUTTON LED)
note "gpio-sim chip $chip"
gpioprobe set labdoor-sim 0 1 3 > /tmp/set.out 2>&1 &
wait_for "the probe to hold line 0" 5 grep -q holding /tmp/set.out
expect_value 0 1
wait
gpioprobe set labdoor-sim 0 0 2 > /tmp/set.out 2>&1 &
wait_for "the probe to hold line 0 low" 5 grep -q holding /tmp/set.out
expect_value 0 0
wait
gpiosim_pull 1 down
gpioprobe wait labdoor-sim 1 5 > /tmp/wait.out 2>&1 &
wait_for "the probe to wait for events" 5 grep -q waiting /tmp/wait.out
gpiosim_pull 1 up
wait $! || fail "no edge event: $(cat /tmp/wait.out)"
grep -qx rising /tmp/wait.out || fail "expected a rising edge: $(cat /tmp/wait.out)"
gpiosim_destroy
