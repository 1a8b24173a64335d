# Badge to relay on the real kernel: a staff badge typed on the emulated USB reader (libusb in labdoord) to the
# gpio-sim relay line going high, ten times (probe/badgetime.c). MEASURE lines feed `make bench`
# (hil_badge_to_relay_ms, beside the USB reports' own duration). A TCG VM: read the ratio, not the absolutes.
. /hil/lib.sh
gadget_create 1209 0001 HIL0001
gadget_plug
wait_for "the host to enumerate the reader" 10 gadget_host_device
gpiosim_create labdoor-door 6 DOOR_RELAY DOOR_CONTACT EXIT_BUTTON > /dev/null
gpiosim_pull 1 down
gpiosim_pull 2 up
daemon_config '[door]' 'backend = "gpio"' 'chip = "labdoor-door"' 'relay_line = "DOOR_RELAY"' \
    'contact_line = "DOOR_CONTACT"' 'contact_open_level = "high"' 'exit_line = "EXIT_BUTTON"' \
    'exit_active_level = "low"' 'unlock_seconds = 1' \
    '[[reader]]' 'name = "front"' 'backend = "usb"' 'usb = "1209:0001"'
daemon_start
wait_for "reader front attached" 10 reader_attached front
labdoorctl holder add --name "Aino Virtanen" --profile staff > /dev/null
labdoorctl badge assign 1000000003 --holder 1 > /dev/null
relay="$(gpiosim_line 0)/value"
reports=""
relays=""
i=0
while [ $i -lt 10 ]; do
    wait_for "the relay locked" 5 line_is 0 0
    out=$(badgetime /dev/hidg0 1000000003 "$relay") || fail "badgetime: $out"
    one=${out#reports_us=}
    reports="$reports ${one%% *}"
    relays="$relays ${out##*relay_us=}"
    i=$((i + 1))
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
r=$(median $reports)
b=$(median $relays)
measure "hil_badge_to_relay_ms $(awk -v u="$b" 'BEGIN {printf "%.1f", u / 1000}') (median of 10; USB reports alone hil_badge_reports_ms $(awk -v u="$r" 'BEGIN {printf "%.1f", u / 1000}'))"
kill -TERM $DAEMON
wait $DAEMON
