# Harness self-test: libusb hot-plug events arrive (needs systemd-udevd in the VM).
. /hil/lib.sh
gadget_create 1209 0001
usbprobe hotplug 1209:0001 20 > /tmp/hotplug.out 2>&1 &
probe=$!
wait_for "the probe to listen" 5 grep -q listening /tmp/hotplug.out
gadget_plug
wait_for "the arrival event" 10 grep -q arrived /tmp/hotplug.out
gadget_unplug
wait $probe || fail "hot-plug events missing: $(cat /tmp/hotplug.out)"
grep -q left /tmp/hotplug.out || fail "no departure event"
