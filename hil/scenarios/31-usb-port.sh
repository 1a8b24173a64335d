# A device with the configured vid:pid on another USB port is not used, and the rejection is logged.
. /hil/lib.sh
gadget_create 1209 0001 HIL0001
gadget_plug
wait_for "the host to enumerate the reader" 10 gadget_host_device
port=$(basename "$(gadget_host_device)")
note "the reader is on port $port; the configuration pins port 3-9"
daemon_config '[door]' 'backend = "sim"' '[[reader]]' 'name = "front"' 'backend = "usb"' 'usb = "1209:0001"' 'port = "3-9"'
daemon_start
wait_for "reader_rejected in the log" 10 has_event reader_rejected
labdoorctl events --db "$LABDOOR_DB" --format csv | grep reader_rejected | grep -q "not the configured port 3-9" \
    || fail "the rejection does not say why: $(labdoorctl events --db "$LABDOOR_DB" --format csv | grep reader_rejected)"
if reader_attached front; then fail "the reader on the wrong port was used"; fi
kill -TERM $DAEMON
wait $DAEMON
