# LabDoor hardware-in-the-loop: helpers for scenarios, run inside the VM by busybox sh.
# Every helper fails loudly (non-zero, message on stderr); scenarios run with `set -e`.

GADGET=/sys/kernel/config/usb_gadget/labdoor
SIM=/sys/kernel/config/gpio-sim/labdoor

fail() {
    echo "FAIL: $*" >&2
    if [ -s /tmp/daemon.err ]; then echo "--- labdoord stderr (last 15 lines):" >&2; tail -15 /tmp/daemon.err >&2; fi
    if [ -s /tmp/daemon.out ]; then echo "--- labdoord stdout (last 10 lines):" >&2; tail -10 /tmp/daemon.out >&2; fi
    if [ -s /tmp/ccid.log ]; then echo "--- emulated NFC reader (last 12 lines):" >&2; tail -12 /tmp/ccid.log >&2; fi
    echo "--- kernel (last 8 lines):" >&2; dmesg | tail -8 >&2
    exit 1
}
note() { echo "-- $*"; }
# busybox has usleep; a Debian root (the systemd VM) has only sleep, which takes fractions.
command -v usleep > /dev/null 2>&1 || usleep() { sleep "$(($1 / 1000000)).$(printf %06d $(($1 % 1000000)))"; }
# measure TEXT: a figure worth seeing even when the scenario passes (run.sh prints it).
measure() { echo "MEASURE: $*"; }

# wait_for DESCRIPTION TIMEOUT_S COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
    desc=$1; limit=$2; shift 2
    end=$(( $(date +%s) + limit ))
    while ! "$@" > /dev/null 2>&1; do
        [ "$(date +%s)" -ge "$end" ] && fail "timed out after ${limit}s waiting for: $desc"
        usleep 100000
    done
}

# gadget_create VID PID [SERIAL]: a USB HID boot keyboard gadget (not yet plugged in).
gadget_create() {
    if [ -d "$GADGET" ]; then
        # Already made by an earlier scenario: unplug it and set the identity (the HID function stays).
        [ -z "$(cat "$GADGET/UDC")" ] || gadget_unplug
        echo "0x$1" > "$GADGET/idVendor"
        echo "0x$2" > "$GADGET/idProduct"
        echo "${3:-HIL0001}" > "$GADGET/strings/0x409/serialnumber"
        return 0
    fi
    mkdir -p "$GADGET"
    echo "0x$1" > "$GADGET/idVendor"
    echo "0x$2" > "$GADGET/idProduct"
    mkdir -p "$GADGET/strings/0x409"
    echo "${3:-HIL0001}" > "$GADGET/strings/0x409/serialnumber"
    echo "LabDoor HIL" > "$GADGET/strings/0x409/manufacturer"
    echo "Emulated badge reader" > "$GADGET/strings/0x409/product"
    mkdir -p "$GADGET/functions/hid.usb0"
    echo 1 > "$GADGET/functions/hid.usb0/protocol"
    echo 1 > "$GADGET/functions/hid.usb0/subclass"
    echo 8 > "$GADGET/functions/hid.usb0/report_length"
    cat /hil/keyboard.desc > "$GADGET/functions/hid.usb0/report_desc"
    mkdir -p "$GADGET/configs/c.1/strings/0x409"
    echo "reader" > "$GADGET/configs/c.1/strings/0x409/configuration"
    echo 100 > "$GADGET/configs/c.1/MaxPower"
    ln -s "$GADGET/functions/hid.usb0" "$GADGET/configs/c.1/" 2> /dev/null || true
}

gadget_plug() { echo dummy_udc.0 > "$GADGET/UDC"; }
gadget_unplug() { echo "" > "$GADGET/UDC"; }

# The host-side USB device of the gadget, e.g. /sys/bus/usb/devices/1-1.
gadget_host_device() {
    for d in /sys/bus/usb/devices/*; do
        [ -f "$d/idVendor" ] || continue
        [ "$(cat "$d/idVendor")" = "$(cat "$GADGET/idVendor" | sed 's/0x//')" ] && { echo "$d"; return 0; }
    done
    return 1
}

# hid_report MODIFIER KEYCODE: one 8-byte boot-keyboard report (numbers in decimal). A write blocks until the
# host polls, so it is bounded by a timeout.
hid_report() {
    timeout 3 sh -c "printf '\\$(printf %03o "$1")\\000\\$(printf %03o "$2")\\000\\000\\000\\000\\000' > /dev/hidg0" \
        || fail "writing a report to /dev/hidg0 timed out (is the reader being read?)"
}

# keycode CHAR: the HID usage of a digit, a-f, A-F (shifted), or "enter"/"tab"/"kpenter".
keycode() {
    case "$1" in
        [1-9]) echo $(( 29 + $1 )) ;;
        0) echo 39 ;;
        a) echo 4 ;; b) echo 5 ;; c) echo 6 ;; d) echo 7 ;; e) echo 8 ;; f) echo 9 ;;
        A) echo 4 ;; B) echo 5 ;; C) echo 6 ;; D) echo 7 ;; E) echo 8 ;; F) echo 9 ;;
        enter) echo 40 ;; tab) echo 43 ;; kpenter) echo 88 ;;
        *) fail "no keycode for $1" ;;
    esac
}

# type_badge TEXT...: for each TEXT, press and release each character, then Enter, like a wedge reader. One
# shell writes every report; each write blocks until the host polls, which paces the keys like a real reader.
type_badge() {
    script=""
    for text in "$@"; do
        i=0
        while [ $i -lt ${#text} ]; do
            c=$(echo "$text" | cut -c$((i + 1)))
            mod=0
            case "$c" in [A-F]) mod=2 ;; esac
            script="$script printf '\\$(printf %03o $mod)\\000\\$(printf %03o "$(keycode "$c")")\\000\\000\\000\\000\\000' >&3;"
            script="$script printf '\\000\\000\\000\\000\\000\\000\\000\\000' >&3;"
            i=$((i + 1))
        done
        script="$script printf '\\000\\000\\050\\000\\000\\000\\000\\000' >&3; printf '\\000\\000\\000\\000\\000\\000\\000\\000' >&3;"
    done
    timeout 120 sh -c "exec 3> /dev/hidg0; $script" || fail "typing timed out (is the reader being read?)"
}

# --- the emulated CCID (NFC) reader: probe/ccidgadget on FunctionFS, on the second dummy UDC ------------------

CCID=/sys/kernel/config/usb_gadget/ccid
CCID_LOG=/tmp/ccid.log

# ccid_create [VID PID [GADGET_OPTIONS...]]: the emulated ACR122U (072f:2200 unless given), its program running
# (log in $CCID_LOG, control FIFO /tmp/ccid.ctl); not yet plugged in. Options: --tpdu, --no-interrupt.
ccid_create() {
    vid=${1:-072f}; pid=${2:-2200}
    [ $# -ge 2 ] && shift 2 || shift $#
    ccid_destroy
    mkdir -p "$CCID/strings/0x409" "$CCID/configs/c.1/strings/0x409" "$CCID/functions/ffs.ccid"
    echo "0x$vid" > "$CCID/idVendor"
    echo "0x$pid" > "$CCID/idProduct"
    echo 0x0214 > "$CCID/bcdDevice"
    echo "ACS" > "$CCID/strings/0x409/manufacturer"
    echo "ACR122U PICC Interface" > "$CCID/strings/0x409/product"
    echo "HILNFC01" > "$CCID/strings/0x409/serialnumber"
    echo "reader" > "$CCID/configs/c.1/strings/0x409/configuration"
    echo 200 > "$CCID/configs/c.1/MaxPower"
    ln -s "$CCID/functions/ffs.ccid" "$CCID/configs/c.1/"
    mkdir -p /dev/ffs-ccid
    mount -t functionfs ccid /dev/ffs-ccid || fail "mount -t functionfs failed (usb_f_fs loaded?)"
    rm -f /tmp/ccid.ctl && mkfifo /tmp/ccid.ctl
    : > "$CCID_LOG" # each instance its own log: the wait below must see this one's "ready"
    ccidgadget /dev/ffs-ccid /tmp/ccid.ctl "$@" >> "$CCID_LOG" 2>&1 &
    CCID_PID=$!
    wait_for "the CCID gadget to write its descriptors" 5 grep -q " ready " "$CCID_LOG"
}

ccid_plug() { echo dummy_udc.1 > "$CCID/UDC"; }
ccid_unplug() { echo "" > "$CCID/UDC"; }
# ccid WORDS: one control line for the emulated reader (tap HEX, remove, mute, ...).
ccid() { echo "$*" > /tmp/ccid.ctl; }

ccid_destroy() {
    [ -d "$CCID" ] || return 0
    echo "" > "$CCID/UDC" 2> /dev/null || true
    killall -9 ccidgadget 2> /dev/null || true
    usleep 200000
    umount /dev/ffs-ccid 2> /dev/null || true
    rm -f "$CCID/configs/c.1/ffs.ccid"
    rmdir "$CCID/configs/c.1/strings/0x409" "$CCID/configs/c.1" "$CCID/functions/ffs.ccid" \
        "$CCID/strings/0x409" "$CCID" 2> /dev/null || true
}

# ccid_host_device: the host-side USB device of the emulated NFC reader, e.g. /sys/bus/usb/devices/2-1.
ccid_host_device() {
    for d in /sys/bus/usb/devices/*; do
        [ -f "$d/idVendor" ] || continue
        [ "$(cat "$d/idVendor")" = "$(sed 's/0x//' "$CCID/idVendor")" ] \
            && [ "$(cat "$d/idProduct")" = "$(sed 's/0x//' "$CCID/idProduct")" ] && { echo "$d"; return 0; }
    done
    return 1
}

# gpiosim_create LABEL NUM_LINES [NAME0 NAME1 ...]: a live gpio-sim chip; prints its gpiochip device name.
gpiosim_create() {
    label=$1; lines=$2; shift 2
    mkdir -p "$SIM/bank0"
    echo "$label" > "$SIM/bank0/label"
    echo "$lines" > "$SIM/bank0/num_lines"
    n=0
    for name in "$@"; do
        mkdir -p "$SIM/bank0/line$n"
        echo "$name" > "$SIM/bank0/line$n/name"
        n=$((n + 1))
    done
    echo 1 > "$SIM/live"
    cat "$SIM/bank0/chip_name"
}

gpiosim_destroy() {
    [ -d "$SIM" ] || return 0
    echo 0 > "$SIM/live"
    for l in "$SIM"/bank0/line*; do [ -d "$l" ] && rmdir "$l"; done
    rmdir "$SIM/bank0" "$SIM"
}

# The sysfs directory of a simulated line.
gpiosim_line() { echo "/sys/devices/platform/$(cat "$SIM/dev_name")/$(cat "$SIM/bank0/chip_name")/sim_gpio$1"; }

# gpiosim_value OFFSET: the level the consumer drives on an output line (0/1).
gpiosim_value() { cat "$(gpiosim_line "$1")/value"; }

# gpiosim_pull OFFSET up|down: drive an input line from outside (real edge events for libgpiod).
gpiosim_pull() { echo "pull-$2" > "$(gpiosim_line "$1")/pull"; }

# expect_value OFFSET VALUE: the output line reads VALUE now.
expect_value() {
    v=$(gpiosim_value "$1")
    [ "$v" = "$2" ] || fail "line $1 reads $v, expected $2"
}

# --- the daemon -----------------------------------------------------------------------------------------------

LABDOOR_DB=/tmp/labdoor/labdoor.db

# daemon_config [EXTRA_TOML_LINES...]: /etc/labdoor/labdoor.toml with a FIFO reader "entry" and the given [door].
daemon_config() {
    mkdir -p /etc/labdoor /run/labdoor
    {
        echo '[paths]'
        echo 'state_dir = "/tmp/labdoor"'
        echo 'socket = "/run/labdoor/control.sock"'
        echo '[[reader]]'
        echo 'name = "entry"'
        echo 'backend = "fifo"'
        echo 'path = "/run/labdoor/entry.fifo"'
        echo '[clock]'
        echo 'trust = "always"'
        for line in "$@"; do echo "$line"; done
    } > /etc/labdoor/labdoor.toml
}

# daemon_start: starts labdoord in the background (pid in $DAEMON), waits for its socket.
daemon_start() {
    labdoord --config /etc/labdoor/labdoor.toml >> /tmp/daemon.out 2>> /tmp/daemon.err &
    DAEMON=$!
    wait_for "the control socket" 20 labdoorctl status
}

# badge NUMBER: the FIFO reader reads a badge.
badge() { echo "$1" > /run/labdoor/entry.fifo; }

# has_event KIND: the log holds an event of KIND.
has_event() { labdoorctl events --db "$LABDOOR_DB" --format csv | cut -d, -f3 | grep -qx "$1"; }

# line_is OFFSET VALUE: for wait_for.
line_is() { [ "$(gpiosim_value "$1")" = "$2" ]; }

# event_count KIND: how many events of KIND the log holds.
event_count() { labdoorctl events --db "$LABDOOR_DB" --format csv | cut -d, -f3 | grep -cx "$1" || true; }

# events_at_least KIND N: for wait_for.
events_at_least() { [ "$(event_count "$1")" -ge "$2" ]; }

# reader_events READER KIND [TEXT]: how many events of KIND the log holds for READER (whose details hold TEXT);
# reader_events_above READER KIND N [TEXT]: for wait_for.
reader_events() {
    labdoorctl events --db "$LABDOOR_DB" --format csv | grep ",$2,$1," | grep -cF -- "${3:-}" || true
}
reader_events_above() { [ "$(reader_events "$1" "$2" "${4:-}")" -gt "$3" ]; }

# reader_attached NAME: labdoorctl status shows the reader (of any backend) attached.
reader_attached() { labdoorctl status | grep -q "Reader:  $1 ([a-z]*): attached"; }
reader_detached() { labdoorctl status | grep -q "Reader:  $1 ([a-z]*): detached"; }

# decisions READER: how many badge decisions labdoord has logged for READER; decisions_above READER N: for wait_for.
decisions() { cat /tmp/daemon.err /tmp/daemon.out 2> /dev/null | grep "badge decision" | grep -c "reader=$1" || true; }
decisions_above() { [ "$(decisions "$1")" -gt "$2" ]; }
# grants READER [HOLDER]: how many grants labdoord has logged for READER (and HOLDER); grants_above READER N [HOLDER].
grants() {
    cat /tmp/daemon.err /tmp/daemon.out 2> /dev/null | grep "badge decision" | grep "decision.reason=granted" \
        | grep -c "${2:+holder.id=$2 }reader=$1" || true
}
grants_above() { [ "$(grants "$1" "${3:-}")" -gt "$2" ]; }
# last_decision READER: the reason of READER's latest decision.
last_decision() {
    cat /tmp/daemon.err /tmp/daemon.out | grep "badge decision" | grep "reader=$1" | tail -1 \
        | sed -n 's/.*decision.reason=\([a-z_]*\).*/\1/p'
}

# --- the runner ------------------------------------------------------------------------------------------------

# run_scenarios DIR [AFTER_EACH]: every DIR/*.sh in order (sh -e, in /tmp, 240 s each), one HIL-RESULT line per
# scenario on standard output, its MEASURE lines, the log of a failed one, and the HIL-SUMMARY line run.sh
# reads. AFTER_EACH (a function) runs after each scenario.
run_scenarios() {
    passed=0; failed=0
    for scenario in "$1"/*.sh; do
        name=$(basename "$scenario" .sh)
        start=$(date +%s)
        if (cd /tmp && timeout 240 sh -e "$scenario") > "/tmp/$name.log" 2>&1; then
            echo "HIL-RESULT $name PASS $(( $(date +%s) - start ))s"
            sed -n "s/^MEASURE: /HIL-MEASURE $name: /p" "/tmp/$name.log"
            passed=$((passed + 1))
        else
            echo "HIL-RESULT $name FAIL $(( $(date +%s) - start ))s"
            echo "HIL-LOG-BEGIN $name"
            cat "/tmp/$name.log"
            echo "HIL-LOG-END $name"
            failed=$((failed + 1))
        fi
        [ -z "${2:-}" ] || "$2"
    done
    echo "HIL-SUMMARY $passed passed, $failed failed"
}
