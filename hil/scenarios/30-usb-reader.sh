# The real labdoord reading the emulated USB reader with libusb: a registered badge unlocks, an unknown one is
# denied and logged, unplug and replug are survived and logged, and a burst of random numbers locks the reader out.
. /hil/lib.sh
gadget_create 1209 0001 HIL0001
gadget_plug
wait_for "the host to enumerate the reader" 10 gadget_host_device
dev=$(gadget_host_device)
daemon_config '[door]' 'backend = "sim"' 'unlock_seconds = 2' \
    '[[reader]]' 'name = "front"' 'backend = "usb"' 'usb = "1209:0001"' 'interkey_timeout_ms = 1000'
daemon_start
wait_for "reader front attached" 10 reader_attached front
driver=$(basename "$(readlink "$dev:1.0/driver" 2> /dev/null)")
[ "$driver" = usbfs ] || fail "the reader's interface is bound to '$driver', not to labdoord's libusb (usbfs)"
labdoorctl holder add --name "Aino Virtanen" --profile staff
labdoorctl badge assign 1000000003 --holder 1

note "a registered badge typed by the reader unlocks"
type_badge 1000000003
wait_for "the relay to unlock" 10 grep -q "door: relay=unlocked reason=granted holder=1" /tmp/daemon.out

note "an unknown badge is denied and logged"
type_badge 9999999999
wait_for "unknown_badge in the log" 10 sh -c "labdoorctl events --db $LABDOOR_DB --reason unknown_badge --format csv | grep -q ,front,"

note "unplug and replug: logged, and the reader works again"
gadget_unplug
wait_for "reader_detached in the log" 10 has_event reader_detached
uptime() { cut -d' ' -f1 /proc/uptime; }
t0=$(uptime)
gadget_plug
wait_for "the host to enumerate the reader again" 10 gadget_host_device
t1=$(uptime)
wait_for "the reader to re-attach" 10 events_at_least reader_attached 2
t2=$(uptime)
p0=$(uptime); events_at_least reader_attached 2; p1=$(uptime)
measure "one poll of the log (labdoorctl events in the VM) takes $(echo "$p0 $p1" | awk '{printf "%.2f", $2 - $1}') s"
retries=$(labdoorctl events --db "$LABDOOR_DB" --format csv | grep -c "retrying" || true)
measure "replug: open retries $retries; $(grep -c 'reader attached' /tmp/daemon.err) attach log lines"
measure "replug: host enumeration $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s, then labdoord re-attached within $(echo "$t1 $t2" | awk '{printf "%.2f", $2 - $1}') s (polled every 0.1 s, TCG VM)"
usleep 300000
type_badge 1000000003
wait_for "a second grant after replug" 10 sh -c "[ \$(grep -c 'door: relay=unlocked reason=granted' /tmp/daemon.out) -ge 2 ]"

note "a burst of 40 random numbers locks the reader out (more than 5 denials within 60 s)"
numbers=""
i=0
while [ $i -lt 40 ]; do
    numbers="$numbers $(( 5000000000 + i * 7919 ))"
    i=$((i + 1))
done
type_badge $numbers
wait_for "reader_locked_out in the log" 10 has_event reader_locked_out
limited=$(labdoorctl events --db "$LABDOOR_DB" --reason rate_limited --format csv | grep -c ,front, || true)
# The first 6 denials lock the reader out; the other 34 come within the 60 s lockout.
[ "$limited" -ge 30 ] || fail "only $limited of the 34 reads during the lockout were refused as rate_limited"
grep -q "labdoord" /tmp/daemon.err || true
kill -TERM $DAEMON
wait $DAEMON
labdoorctl audit verify --db "$LABDOOR_DB"
