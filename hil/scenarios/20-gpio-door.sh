# The real labdoord on a gpio-sim chip: relay, door contact, exit button, LEDs; alarms; kill -9 and safe state;
# clear errors for a missing chip, a wrong line name and a line already in use. Values read back from sysfs.
. /hil/lib.sh
gpiosim_create labdoor-door 6 DOOR_RELAY DOOR_CONTACT EXIT_BUTTON GREEN_LED RED_LED > /dev/null
gpiosim_pull 1 down   # contact: closed (open is high)
gpiosim_pull 2 up     # exit button: released (pressed is low)
door='[door]'
daemon_config "$door" 'backend = "gpio"' 'chip = "labdoor-door"' 'relay_line = "DOOR_RELAY"' \
    'contact_line = "DOOR_CONTACT"' 'contact_open_level = "high"' 'exit_line = 2' 'exit_active_level = "low"' \
    'green_led_line = 3' 'red_led_line = 4' 'unlock_seconds = 2' 'held_open_seconds = 2' 'debounce_ms = 30'
daemon_start
note "started: relay locked (0)"
expect_value 0 0
labdoorctl holder add --name "Aino Virtanen" --profile staff
labdoorctl badge assign 1000000003 --holder 1

note "a granted badge unlocks for unlock_seconds and relocks; the green LED lights"
badge 1000000003
wait_for "relay unlocked" 5 line_is 0 1
expect_value 3 1
wait_for "relay relocked after unlock_seconds" 6 line_is 0 0

note "an unknown badge: red LED, relay stays locked"
badge 9999999999
wait_for "red LED" 5 line_is 4 1
expect_value 0 0

note "the door opened while locked: door_forced; left open: door_held_open"
sleep 1
gpiosim_pull 1 up
wait_for "door_forced in the log" 5 has_event door_forced
wait_for "door_held_open in the log" 6 has_event door_held_open
gpiosim_pull 1 down
wait_for "door_closed in the log" 5 has_event door_closed

note "the exit button unlocks"
gpiosim_pull 2 down
wait_for "relay unlocked by the exit button" 5 line_is 0 1
gpiosim_pull 2 up
wait_for "exit_request in the log" 5 has_event exit_request
wait_for "relay relocked" 6 line_is 0 0

note "kill -9 while unlocked: the released line falls to the wiring's pull (locked); --safe-state and a restart keep it locked"
labdoorctl door unlock --for 10m
wait_for "relay unlocked remotely" 5 line_is 0 1
kill -9 $DAEMON
wait $DAEMON 2> /dev/null || true
wait_for "the released relay line to read locked" 5 line_is 0 0
labdoord --safe-state --config /etc/labdoor/labdoor.toml | grep -q "door: relay=locked reason=safe_state"
expect_value 0 0
daemon_start
expect_value 0 0
wait_for "recovered_unclean_shutdown in the log" 5 has_event recovered_unclean_shutdown
kill -TERM $DAEMON
wait $DAEMON
expect_value 0 0

note "a line already in use is named with its user"
gpioprobe set labdoor-door 0 0 30 > /tmp/holder.out 2>&1 &
probe=$!
wait_for "the probe to hold the relay line" 5 grep -q holding /tmp/holder.out
if labdoord --config /etc/labdoor/labdoor.toml > /tmp/busy.out 2> /tmp/busy.err; then fail "started on a busy line"; fi
grep -q "relay_line = \"DOOR_RELAY\" (offset 0 on 'labdoor-door') is already used by 'gpioprobe'" /tmp/busy.err \
    || fail "busy line not explained: $(cat /tmp/busy.err)"
kill $probe

note "a missing chip and a wrong line name are named"
daemon_config "$door" 'backend = "gpio"' 'chip = "pinctrl-bcm2711"' 'relay_line = "DOOR_RELAY"'
if labdoord --config /etc/labdoor/labdoor.toml > /dev/null 2> /tmp/chip.err; then fail "started without its chip"; fi
grep -q "no GPIO chip labelled or named 'pinctrl-bcm2711'" /tmp/chip.err || fail "missing chip not explained: $(cat /tmp/chip.err)"
grep -q "labdoor-door" /tmp/chip.err || fail "the chips present are not listed: $(cat /tmp/chip.err)"
daemon_config "$door" 'backend = "gpio"' 'chip = "labdoor-door"' 'relay_line = "DOOR_RELAI"'
if labdoord --config /etc/labdoor/labdoor.toml > /dev/null 2> /tmp/line.err; then fail "started without its line"; fi
grep -q "relay_line = \"DOOR_RELAI\": chip 'labdoor-door' has no line of that name" /tmp/line.err \
    || fail "wrong line name not explained: $(cat /tmp/line.err)"
labdoorctl audit verify --db "$LABDOOR_DB"
gpiosim_destroy
