# dpkg -i on a Debian 12 root under systemd: the users and groups exist, the unit is enabled and reaches
# `active` (Type=notify: READY=1 arrived), its process runs as labdoor with no capabilities at all.
. /hil/lib.sh
. /hil/systemd.lib
note "the emulated reader and the gpio-sim door exist before the package (udev rules must reach them)"
gadget_create 1209 0001 HIL0001
gadget_plug
wait_for "the host to enumerate the reader" 10 gadget_host_device
ccid_create
ccid_plug
wait_for "the host to enumerate the emulated ACR122U" 10 ccid_host_device
wait_for "udev to load pn533_usb and bind the ACR122U (what labdoord must detach)" 20 \
    test -e "$(ccid_host_device):1.0/driver"
gpiosim_create labdoor-door 6 DOOR_RELAY DOOR_CONTACT EXIT_BUTTON GREEN_LED RED_LED > /dev/null
gpiosim_pull 1 down   # contact closed
gpiosim_pull 2 up     # exit button released

note "dpkg -i"
t0=$(uptime_s)
dpkg -i /root/labdoor.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i failed"; }
measure "dpkg -i (users, tmpfiles, udev, daemon-reload, enable, start): $(since "$t0") s"
cat /tmp/dpkg.log
getent passwd labdoor > /dev/null || fail "no labdoor user"
getent group labdoor-admin > /dev/null || fail "no labdoor-admin group"
getent group labdoor-audit > /dev/null || fail "no labdoor-audit group"
[ "$(systemctl is-enabled labdoord)" = enabled ] || fail "labdoord.service is not enabled"
wait_for "labdoord active (READY=1)" 30 unit_running
main=$(main_pid)
expect_sandboxed "$main"
[ "$(stat -c %U:%G /var/lib/labdoor)" = labdoor:labdoor ] || fail "/var/lib/labdoor is $(stat -c %U:%G /var/lib/labdoor)"
[ -f /var/lib/labdoor/labdoor.db ] || fail "no database in /var/lib/labdoor"
note "the gpio chip belongs to the labdoor group (60-labdoor-gpio.rules)"
chip=$(cat "$SIM/bank0/chip_name")
[ "$(stat -c %G "/dev/$chip")" = labdoor ] || fail "/dev/$chip has group $(stat -c %G "/dev/$chip")"
labdoorctl status
