# relay_active_low = true: the physical levels invert (locked = high), and the wiring's pull-up keeps a released
# line locked.
. /hil/lib.sh
gpiosim_create labdoor-door 2 DOOR_RELAY DOOR_CONTACT > /dev/null
gpiosim_pull 0 up     # the wiring: a pull-up keeps an active-low relay de-energised when nobody drives it
daemon_config '[door]' 'backend = "gpio"' 'chip = "labdoor-door"' 'relay_line = 0' 'relay_active_low = true' 'unlock_seconds = 2'
daemon_start
expect_value 0 1
labdoorctl holder add --name "Sanna" --profile staff
labdoorctl badge assign 1000000003 --holder 1
badge 1000000003
wait_for "relay unlocked (low)" 5 line_is 0 0
wait_for "relay relocked (high)" 6 line_is 0 1
labdoorctl door unlock --for 10m
wait_for "relay unlocked remotely (low)" 5 line_is 0 0
kill -9 $DAEMON
wait $DAEMON 2> /dev/null || true
wait_for "the released line to read locked (high)" 5 line_is 0 1
labdoord --safe-state --config /etc/labdoor/labdoor.toml > /dev/null
expect_value 0 1
gpiosim_destroy
