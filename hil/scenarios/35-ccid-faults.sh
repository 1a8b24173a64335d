# The emulated ACR122U misbehaves, one fault at a time: each is logged, the door stays locked, and the reader
# works again afterwards — a stale bSeq, a time extension, a slow reader, Get Data refused (63 00 / 6A 81), a card
# that does not power on, truncated and oversized replies, a mute reader (reopened with back-off, never a grant),
# unplugged mid-exchange; then 20 random UIDs lock the reader out. The FIFO reader keeps serving throughout.
. /hil/lib.sh
# pn533_usb's detach is proven by 34-ccid-reader; here it would probe the reader again at each replug and eat the
# emulated reader's late answer that the unplug case below wants the daemon to see (and ignore).
rmmod pn533_usb 2> /dev/null || true
ccid_create
ccid_plug
wait_for "the host to enumerate the emulated ACR122U" 10 ccid_host_device
daemon_config '[door]' 'backend = "sim"' 'unlock_seconds = 1' \
    '[[reader]]' 'name = "nfc"' 'backend = "ccid"' 'usb = "072f:2200"'
daemon_start
wait_for "reader nfc attached" 10 reader_attached nfc
labdoorctl holder add --name "Aino Virtanen" --profile staff > /dev/null
labdoorctl badge assign 04A23F1B --holder 1 > /dev/null
labdoorctl badge assign 1000000003 --holder 1 > /dev/null

unlocks() { grep -c "door: relay=unlocked" /tmp/daemon.out || true; }
# works: the staff card still opens on the NFC reader.
works() {
    g=$(grants nfc)
    ccid tap 04A23F1B
    wait_for "a grant on the NFC reader ($1)" 15 grants_above nfc "$g"
    ccid remove
}
# refused FAULT TEXT: FAULT on the next exchange, a tap: no grant, and a rejected input naming TEXT.
refused() {
    r=$(reader_events nfc reader_input_rejected "$2"); u=$(unlocks)
    ccid $1
    ccid tap 04A23F1B
    wait_for "a rejected read naming '$2' after '$1'" 10 reader_events_above nfc reader_input_rejected "$r" "$2"
    ccid remove
    [ "$(unlocks)" = "$u" ] || fail "the door unlocked after '$1'"
}
# reopened FAULT TEXT: FAULT on the next reply (the next status poll's): the reader is closed (TEXT), reopened,
# and works.
reopened() {
    d=$(reader_events nfc reader_detached "$2"); a=$(reader_events nfc reader_attached)
    ccid $1
    wait_for "the reader closed for '$2' after '$1'" 10 reader_events_above nfc reader_detached "$d" "$2"
    wait_for "the reader reopened after '$1'" 15 reader_events_above nfc reader_attached "$a"
    works "after $1"
}

works "at start"

note "a stale bSeq before the answer: ignored (logged), the read goes through"
ccid badseq
works "a stale reply first"
grep -q "ignored a reply: bSeq" /tmp/daemon.err || fail "the stale reply was not logged"

note "a time extension, and a reader slow by 400 ms: waited out"
ccid timeext
works "a time extension"
ccid delay 400
works "a slow reader"
ccid delay 0

note "Get Data refused (63 00, 6A 81) and a card that does not power on: no read, logged"
refused "apdu 6300" "63 00"
refused "apdu 6A81" "6A 81"
refused "failpower" "did not power on"
works "after the refusals"

note "a removal whose notification overtakes a status poll's answer: the removed card is not read again, the next tap is"
g=$(grants nfc)
ccid tap 04A23F1B
wait_for "a grant on the NFC reader (before the crossing)" 15 grants_above nfc "$g"
ons=$(grep -c " cmd 62" "$CCID_LOG")
ccid crosspoll
crossed() { grep -q "crosspoll: removed" "$CCID_LOG"; }
wait_for "a status poll to cross the removal" 10 crossed
polls_after_crossing() { sed -n '/crosspoll: removed/,$p' "$CCID_LOG" | grep -c " cmd 65" || true; }
polls_above() { [ "$(polls_after_crossing)" -gt "$1" ]; }
wait_for "the next status poll after the crossing" 10 polls_above 0
[ "$(grep -c " cmd 62" "$CCID_LOG")" = "$ons" ] || fail "the removed card was powered on again on the poll's stale answer"
works "the next tap after the crossing"

note "truncated and oversized replies: the reader is closed and reopened"
reopened truncate "declaring"
reopened oversize "declaring 65536"

note "a mute reader: closed for no reply, reopened with back-off, never a grant; unmuted, it works"
d=$(reader_events nfc reader_detached "no reply"); u=$(unlocks)
ccid mute
ccid tap 04A23F1B
wait_for "the mute reader closed" 10 reader_events_above nfc reader_detached "$d" "no reply"
wait_for "a second failed reopen (back-off)" 20 reader_events_above nfc reader_detached "$((d + 1))" "no reply"
retries=$(labdoorctl events --db "$LABDOOR_DB" --format csv | grep ",reader_detached,nfc," | grep "no reply" | sed -n 's/.*retrying in \([0-9]*\) s.*/\1/p' | tr '\n' ' ')
measure "mute reader: closed and retried after $retries s"
badge 1000000003
wait_for "the FIFO reader still serving while the NFC reader is mute" 10 grants_above entry 0
ccid remove
ccid unmute
wait_for "the reader back after unmute" 30 reader_attached nfc
[ "$(grants nfc)" -ge 1 ] && [ "$(unlocks)" -ge "$u" ]
works "after unmute"

note "unplugged mid-exchange: detached, no grant; plugged back, the late answer is ignored and the reader works"
g=$(grants nfc); d=$(reader_events nfc reader_detached unplugged); a=$(reader_events nfc reader_attached)
ignored=$(grep -c "ignored a reply" /tmp/daemon.err || true)
ccid stallpower 3000
c=$(grep -c " cmd 62" "$CCID_LOG")
ccid tap 04A23F1B
has_more_power_ons() { [ "$(grep -c " cmd 62" "$CCID_LOG")" -gt "$1" ]; }
wait_for "the power-on to reach the reader" 10 has_more_power_ons "$c"
ccid_unplug
wait_for "the reader detached as unplugged" 10 reader_events_above nfc reader_detached "$d" unplugged
ccid remove
ccid_plug
wait_for "the reader re-attached after replug" 15 reader_events_above nfc reader_attached "$a"
# The emulated reader's answer to the old power-on waited in its endpoint for the next host: it must not count.
has_ignored() { [ "$(grep -c "ignored a reply" /tmp/daemon.err)" -gt "$1" ]; }
wait_for "the old power-on's late answer to be ignored (bSeq of the earlier session)" 10 has_ignored "$ignored"
works "after replug"
[ "$(grants nfc)" = $((g + 1)) ] || fail "$(( $(grants nfc) - g )) grants around the unplug, expected only the one after replug"

note "20 random UIDs: the reader is locked out"
started=$(cut -d' ' -f1 /proc/uptime)
i=0
while [ $i -lt 20 ]; do
    d0=$(decisions nfc)
    ccid tap "$(od -An -N7 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
    wait_for "decision $i of the random UIDs" 10 decisions_above nfc "$d0"
    ccid remove
    i=$((i + 1))
done
ended=$(cut -d' ' -f1 /proc/uptime)
wait_for "reader_locked_out for nfc" 10 sh -c "labdoorctl events --db $LABDOOR_DB --format csv | grep -q ',reader_locked_out,nfc,'"
limited=$(labdoorctl events --db "$LABDOOR_DB" --reason rate_limited --format csv | grep -c ",nfc," || true)
measure "20 random UIDs in $(echo "$started $ended" | awk '{printf "%.1f", $2 - $1}') s: locked out, $limited refused as rate_limited"
[ "$limited" -ge 10 ] || fail "only $limited of the random UIDs were refused as rate_limited"

kill -TERM $DAEMON
wait $DAEMON
labdoorctl audit verify --db "$LABDOOR_DB" > /dev/null
modprobe pn533_usb
