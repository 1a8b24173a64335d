# dpkg -r while the door is held unlocked: the relay reads locked, the service is gone, the configuration and
# the database stay; installing again continues the same log, which still verifies.
. /hil/lib.sh
. /hil/systemd.lib
labdoorctl door unlock --for 10m
wait_for "relay unlocked remotely" 5 line_is 0 1
events_before=$(labdoorctl events --db "$LABDOOR_DB" --format csv | wc -l)
t0=$(uptime_s)
dpkg -r labdoor > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -r failed"; }
measure "dpkg -r: $(since "$t0") s"
expect_value 0 0
[ "$(systemctl is-active labdoord)" != active ] || fail "labdoord still active after dpkg -r"
[ ! -e /usr/bin/labdoord ] || fail "/usr/bin/labdoord still installed"
[ -f /etc/labdoor/labdoor.toml ] || fail "dpkg -r removed the configuration"
grep -q 'backend = "gpio"' /etc/labdoor/labdoor.toml || fail "dpkg -r replaced the edited configuration"
[ -f "$LABDOOR_DB" ] || fail "dpkg -r removed the database"
getent passwd labdoor > /dev/null || fail "dpkg -r removed the labdoor user (its files remain)"

note "installed again: the edited configuration and the log are kept, the door works"
dpkg -i /root/labdoor.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i (again) failed"; }
wait_for "labdoord active again" 30 unit_running
grep -q 'backend = "gpio"' /etc/labdoor/labdoor.toml || fail "reinstalling replaced the edited configuration"
wait_for "reader front attached" 20 reader_attached front
expect_value 0 0
[ "$(labdoorctl events --db "$LABDOOR_DB" --format csv | wc -l)" -gt "$events_before" ] || fail "the log did not continue"
labdoorctl audit verify --db "$LABDOOR_DB"
type_badge 1000000003
wait_for "a grant after reinstalling" 10 line_is 0 1
