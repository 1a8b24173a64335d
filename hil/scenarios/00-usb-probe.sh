# Harness self-test: the emulated reader's reports arrive through libusb after detaching usbhid.
. /hil/lib.sh
gadget_create 1209 0001
gadget_plug
wait_for "the host to enumerate the gadget" 10 gadget_host_device
dev=$(gadget_host_device)
note "gadget enumerated at $dev"
wait_for "usbhid to bind the interface" 10 test -d "$dev:1.0/driver"
usbprobe read 1209:0001 3 15 > /tmp/probe.out 2>&1 &
wait_for "the probe to claim the interface" 10 grep -q claimed /tmp/probe.out
grep -q "kernel driver active" /tmp/probe.out || fail "usbhid was not bound before the probe detached it"
hid_report 0 30   # '1'
hid_report 0 0
hid_report 2 4    # Shift+'a'
hid_report 0 0
hid_report 0 40   # Enter
hid_report 0 0
wait $! || fail "the probe did not receive 3 reports: $(cat /tmp/probe.out)"
cat /tmp/probe.out
grep -qx "00001e0000000000" /tmp/probe.out || fail "'1' report missing"
grep -qx "0200040000000000" /tmp/probe.out || fail "Shift+a report missing"
grep -qx "0000280000000000" /tmp/probe.out || fail "Enter report missing"
