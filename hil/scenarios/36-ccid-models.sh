# Reader variants and company: a TPDU-level reader present at start is refused (exit 78, the message says what to
# use); one plugged in later is refused and logged while the daemon serves on; a reader without an interrupt
# endpoint is polled and reads; hot-plug after start; and the keyboard-wedge gadget and the CCID gadget on the
# bus at once, each named in its events.
. /hil/lib.sh

note "a TPDU-level reader present at start: labdoord refuses to start (exit 78)"
ccid_create 072f 2200 --tpdu
ccid_plug
wait_for "the host to enumerate the TPDU reader" 10 ccid_host_device
daemon_config '[door]' 'backend = "sim"' '[[reader]]' 'name = "nfc"' 'backend = "ccid"' 'usb = "072f:2200"'
set +e
timeout 20 labdoord --config /etc/labdoor/labdoor.toml > /tmp/refused.out 2> /tmp/refused.err
status=$?
set -e
[ "$status" = 78 ] || fail "labdoord exited $status with a TPDU-level reader, not 78: $(tail -3 /tmp/refused.err)"
grep -q "exchanges data at TPDU level; LabDoor needs a short or extended APDU level reader" /tmp/refused.err \
    || fail "the refusal does not say why: $(tail -3 /tmp/refused.err)"
measure "refused at start: $(grep -o 'reader "nfc".*' /tmp/refused.err | head -1 | cut -c1-150)"

note "the same reader plugged in after start: refused and logged, the daemon serves on"
ccid_unplug
daemon_start
ccid_plug
wait_for "reader_rejected naming TPDU" 15 reader_events_above nfc reader_rejected 0 TPDU
labdoorctl holder add --name "Aino Virtanen" --profile staff > /dev/null
labdoorctl badge assign 04A23F1B --holder 1 > /dev/null
badge 04A23F1B
wait_for "the FIFO reader granting beside the refused NFC reader" 10 decisions_above entry 0
kill -TERM $DAEMON
wait $DAEMON

note "a reader without an interrupt endpoint, plugged after start: polled, and it reads"
ccid_create 072f 2200 --no-interrupt
daemon_config '[door]' 'backend = "sim"' 'unlock_seconds = 1' \
    '[[reader]]' 'name = "nfc"' 'backend = "ccid"' 'usb = "072f:2200"' 'uid_format = "decimal-reversed"'
daemon_start
ccid_plug
wait_for "the polled reader attached" 15 reader_attached nfc
labdoorctl events --db "$LABDOOR_DB" --format csv | grep ",reader_attached,nfc," | grep -q "polled" \
    || fail "the attach event does not say the reader is polled"
# 04A23F1B reversed is 1B3FA204 = 457155076: the number a wedge reader printing decimal gives for this card.
labdoorctl badge assign 457155076 --holder 1 > /dev/null
ccid tap 04A23F1B
wait_for "a grant on the polled reader (uid_format = decimal-reversed)" 10 sh -c \
    "grep 'badge decision' /tmp/daemon.err | grep 'reader=nfc' | grep -q 'decision.reason=granted'"
ccid remove
kill -TERM $DAEMON
wait $DAEMON
ccid_destroy

note "the keyboard-wedge gadget and the CCID gadget at once"
gadget_create 1209 0001 HIL0001
gadget_plug
wait_for "the host to enumerate the wedge reader" 10 gadget_host_device
ccid_create
ccid_plug
wait_for "the host to enumerate the NFC reader" 10 ccid_host_device
daemon_config '[door]' 'backend = "sim"' 'unlock_seconds = 1' \
    '[[reader]]' 'name = "front"' 'backend = "usb"' 'usb = "1209:0001"' 'interkey_timeout_ms = 1000' \
    '[[reader]]' 'name = "nfc"' 'backend = "ccid"' 'usb = "072f:2200"'
daemon_start
wait_for "reader front attached" 10 reader_attached front
wait_for "reader nfc attached" 10 reader_attached nfc
labdoorctl badge assign 1000000003 --holder 1 > /dev/null
ccid tap 04A23F1B
type_badge 1000000003
ccid remove
granted_on() { labdoorctl events --db "$LABDOOR_DB" --outcome granted --format csv | grep -q ",$1,"; }
wait_for "a grant logged for reader nfc" 10 granted_on nfc
wait_for "a grant logged for reader front" 10 granted_on front
kill -TERM $DAEMON
wait $DAEMON
labdoorctl audit verify --db "$LABDOOR_DB" > /dev/null
