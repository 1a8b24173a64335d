# The packaged daemon on the real door: the configuration edited for the gpio-sim relay, the USB reader and the
# NFC reader, `dpkg-reconfigure labdoor` writes the readers' udev rules and the usbhid quirk and restarts the
# unit; a badge typed on the emulated reader unlocks the relay through the sandbox (DevicePolicy=closed), and
# survives a replug; a card on the emulated ACR122U (pn533_usb detached by the unprivileged daemon) does too.
. /hil/lib.sh
. /hil/systemd.lib
note "configure: the gpio door and the USB reader instead of the simulated door"
awk '/^\[door\]/ {skip = 1; next} /^\[/ {skip = 0} !skip' /etc/labdoor/labdoor.toml > /tmp/labdoor.toml
cat >> /tmp/labdoor.toml <<'TOML'
[door]
backend = "gpio"
chip = "labdoor-door"
relay_line = "DOOR_RELAY"
contact_line = "DOOR_CONTACT"
contact_open_level = "high"
exit_line = "EXIT_BUTTON"
exit_active_level = "low"
green_led_line = "GREEN_LED"
red_led_line = "RED_LED"
unlock_seconds = 2
held_open_seconds = 30

[[reader]]
name = "front"
backend = "usb"
usb = "1209:0001"

[[reader]]
name = "nfc"
backend = "ccid"
usb = "072f:2200"
TOML
cp /tmp/labdoor.toml /etc/labdoor/labdoor.toml
old=$(main_pid)
t0=$(uptime_s)
dpkg-reconfigure labdoor > /tmp/reconfigure.log 2>&1 || { cat /tmp/reconfigure.log; fail "dpkg-reconfigure labdoor"; }
grep -q "1209" /etc/udev/rules.d/60-labdoor-readers.rules || fail "no reader rule: $(cat /etc/udev/rules.d/60-labdoor-readers.rules)"
grep -q '"072f".*"2200"' /etc/udev/rules.d/60-labdoor-readers.rules || fail "no NFC reader rule: $(cat /etc/udev/rules.d/60-labdoor-readers.rules)"
grep -q "0x072f" /etc/modprobe.d/labdoor-readers.conf && fail "the NFC reader got a usbhid quirk: $(cat /etc/modprobe.d/labdoor-readers.conf)"
grep -q "0x1209:0x0001" /etc/modprobe.d/labdoor-readers.conf || fail "no usbhid quirk: $(cat /etc/modprobe.d/labdoor-readers.conf)"
wait_for "labdoord restarted on the new configuration" 30 new_main_pid "$old"
measure "dpkg-reconfigure → running on the gpio door: $(since "$t0") s"
wait_for "reader front attached" 20 reader_attached front
dev=$(gadget_host_device)
node="/dev/bus/usb/$(printf %03d "$(cat "$dev/busnum")")/$(printf %03d "$(cat "$dev/devnum")")"
[ "$(stat -c %G "$node")" = labdoor ] || fail "$node has group $(stat -c %G "$node"), not labdoor (reader udev rule)"
wait_for "reader nfc attached" 20 reader_attached nfc
dev=$(ccid_host_device)
node="/dev/bus/usb/$(printf %03d "$(cat "$dev/busnum")")/$(printf %03d "$(cat "$dev/devnum")")"
[ "$(stat -c %G "$node")" = labdoor ] || fail "$node has group $(stat -c %G "$node"), not labdoor (NFC reader udev rule)"
driver=$(basename "$(readlink "$dev:1.0/driver" 2> /dev/null)")
[ "$driver" = usbfs ] || fail "the NFC reader's interface is bound to '$driver', not to labdoord (usbfs)"
attach=$(labdoorctl events --format csv | grep ",reader_attached,nfc," | tail -1)
echo "$attach" | grep -q "kernel driver pn533_usb detached" \
    || fail "the sandboxed daemon did not say it detached pn533_usb: $attach"
expect_value 0 0
expect_sandboxed "$(main_pid)"

note "clock trust through the sandbox: the kernel's answer (adjtimex) reaches the daemon, no timesyncd here"
[ ! -e /run/systemd/timesync/synchronized ] || fail "timesyncd's flag exists: this proves nothing"
labdoorctl status | grep -q "Clock:   NOT synchronised" || fail "the unsynchronised VM clock is shown trusted: $(labdoorctl status | grep Clock)"
/hil/clocksync
wait_for "the daemon to see the synchronised clock" 10 sh -c 'labdoorctl status | grep -q "Clock:   synchronised"'
/hil/clocksync unsync
wait_for "the daemon to see the clock unsynchronised again" 10 sh -c 'labdoorctl status | grep -q "Clock:   NOT synchronised"'
journal_has "will not say whether the clock is synchronised" && fail "the daemon could not ask the kernel about the clock"

note "enrol a staff badge (staff may enter while the clock is unsynchronised, as in this VM)"
labdoorctl holder add --name "Aino Virtanen" --profile staff
labdoorctl badge assign 1000000003 --holder 1

note "a badge typed on the emulated reader unlocks the relay"
t0=$(uptime_s)
type_badge 1000000003
wait_for "the relay to unlock" 10 line_is 0 1
measure "badge typed → relay line high (TCG VM, typing included): $(since "$t0") s"
wait_for "granted in the journal" 5 grants_at_least 1
wait_for "the relay to relock after unlock_seconds" 10 line_is 0 0

note "an unknown badge stays locked"
type_badge 9999999999
wait_for "unknown_badge in the log" 10 sh -c "labdoorctl events --reason unknown_badge --format csv | grep -q ,front,"
expect_value 0 0

note "hot-plug under the sandbox: unplug, replug, a second grant"
gadget_unplug
wait_for "reader_detached in the log" 10 reader_events_above front reader_detached 0
gadget_plug
wait_for "the host to enumerate the reader again" 10 gadget_host_device
wait_for "the reader to re-attach" 20 reader_events_above front reader_attached 1
usleep 300000
type_badge 1000000003
wait_for "a second grant after replug" 10 grants_at_least 2
wait_for "the relay to relock" 10 line_is 0 0

note "an NFC card on the emulated ACR122U unlocks the relay, with the reader's feedback"
labdoorctl badge assign 04A23F1B --holder 1
t0=$(uptime_s)
ccid tap 04A23F1B
wait_for "the relay to unlock for the NFC card" 10 line_is 0 1
measure "card laid on the NFC reader → relay line high (TCG VM): $(since "$t0") s"
wait_for "granted at reader nfc in the journal" 5 grants_at_least 1 nfc
wait_for "the green feedback at the NFC reader" 5 grep -q "feedback led=" "$CCID_LOG"
ccid remove
wait_for "the relay to relock" 10 line_is 0 0
