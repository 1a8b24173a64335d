# With the daemon stopped, the generated modprobe.d quirk keeps usbhid from binding the reader: no input device,
# so badge digits can never reach a console.
. /hil/lib.sh
daemon_config '[door]' 'backend = "sim"' '[[reader]]' 'name = "front"' 'backend = "usb"' 'usb = "1209:0001"'
mkdir -p /etc/modprobe.d
labdoord --config /etc/labdoor/labdoor.toml --modprobe-conf > /etc/modprobe.d/labdoor-readers.conf
cat /etc/modprobe.d/labdoor-readers.conf
grep -q "^options usbhid quirks=0x1209:0x0001:0x4$" /etc/modprobe.d/labdoor-readers.conf || fail "unexpected modprobe.d file"
gadget_create 1209 0001 HIL0001
# Load usbhid afresh with the file's options (busybox modprobe applies /etc/modprobe.d; pass them too, to be sure).
rmmod hid_generic 2> /dev/null || true
rmmod usbhid || fail "cannot unload usbhid"
modprobe usbhid $(sed -n 's/^options usbhid //p' /etc/modprobe.d/labdoor-readers.conf)
modprobe hid_generic
note "usbhid quirks: $(cat /sys/module/usbhid/parameters/quirks 2> /dev/null)"
before=$(ls /dev/input 2> /dev/null | grep -c event || true)
gadget_plug
wait_for "the host to enumerate the reader" 10 gadget_host_device
dev=$(gadget_host_device)
sleep 2
ps | grep -v grep | grep -E "labdoord|usbprobe" && fail "a process still holds USB devices"
[ ! -e "$dev:1.0/driver" ] || fail "'$(basename "$(readlink "$dev:1.0/driver")")' bound the reader despite the quirk"
after=$(ls /dev/input 2> /dev/null | grep -c event || true)
[ "$after" = "$before" ] || fail "an input device appeared for the reader ($before → $after)"
note "no driver bound, no input device: the console never sees badge digits"
gadget_unplug
# Without the file the same reader becomes a keyboard (so the check above can fail).
rm /etc/modprobe.d/labdoor-readers.conf
rmmod hid_generic
rmmod usbhid
modprobe usbhid
modprobe hid_generic
gadget_plug
wait_for "usbhid to bind without the quirk" 10 test -e "$dev:1.0/driver"
gadget_unplug
