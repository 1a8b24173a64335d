# Harness self-test for the emulated NFC reader: the kernel accepts the FunctionFS function with the CCID class
# descriptor (f_fs checks it against the interface class), the host enumerates 072f:2200 with a class-0x0B
# interface and its three endpoints, and the kernel's own pn533_usb driver binds it (the daemon must detach it).
. /hil/lib.sh
ccid_create
ccid_plug
wait_for "the host to enumerate the emulated ACR122U" 10 ccid_host_device
dev=$(ccid_host_device)
note "enumerated as $dev: $(cat "$dev/manufacturer") $(cat "$dev/product")"
[ "$(cat "$dev:1.0/bInterfaceClass")" = 0b ] || fail "interface class $(cat "$dev:1.0/bInterfaceClass"), not 0b"
[ "$(cat "$dev:1.0/bNumEndpoints")" = 03 ] || fail "$(cat "$dev:1.0/bNumEndpoints") endpoints, not 3"
# The class descriptor reaches the host intact: the configuration descriptor holds a 54-byte type-0x21 block.
od -An -tx1 -v "$dev/descriptors" | tr -d '\n' | grep -q " 36 21 10 01 00 07" \
    || fail "the CCID class descriptor is not in the host's copy of the descriptors"
wait_for "the gadget to be enabled by the host" 5 grep -q "ep0 enable" "$CCID_LOG"
wait_for "a driver to bind the interface" 10 test -e "$dev:1.0/driver"
driver=$(basename "$(readlink "$dev:1.0/driver")")
note "driver bound: $driver"
[ "$driver" = pn533_usb ] || fail "the interface is bound to $driver, not pn533_usb"
measure "the emulated ACR122U enumerated as $(basename "$dev"); $driver bound it after $(grep -c " cmd " "$CCID_LOG") CCID messages ($(grep " cmd " "$CCID_LOG" | cut -d" " -f3 | cut -c1-2 | sort | uniq -c | tr -s " " | tr "\n" ";"))"
ccid_unplug
ccid_gone() { ! ccid_host_device; }
wait_for "the host to see the reader leave" 10 ccid_gone
