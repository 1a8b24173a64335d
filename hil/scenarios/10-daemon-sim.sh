# The real labdoord in the VM (FIFO reader, simulated door): a registered badge unlocks, the relay relocks, a
# caller in no LabDoor group is refused, SIGTERM relocks and the log verifies. Proves the daemon runs on a plain
# kernel with only what a real system gives it (zone data, passwd/group, SO_PEERCRED).
. /hil/lib.sh
mkdir -p /etc/labdoor /run/labdoor
cat > /etc/labdoor/labdoor.toml <<TOML
[paths]
state_dir = "/tmp/labdoor"
socket = "/run/labdoor/control.sock"
[door]
backend = "sim"
unlock_seconds = 2
[[reader]]
name = "entry"
backend = "fifo"
path = "/run/labdoor/entry.fifo"
[clock]
trust = "always"
TOML
labdoord --check-config /etc/labdoor/labdoor.toml
labdoord --config /etc/labdoor/labdoor.toml > /tmp/daemon.out 2> /tmp/daemon.err &
daemon=$!
wait_for "the control socket" 20 labdoorctl status
labdoorctl holder add --name "Aino Virtanen" --profile staff
labdoorctl badge assign 1000000003 --holder 1
echo 1000000003 > /run/labdoor/entry.fifo
wait_for "the relay to unlock" 10 grep -q "door: relay=unlocked reason=granted holder=1" /tmp/daemon.out
wait_for "the relay to relock" 10 grep -q "door: relay=locked reason=timeout" /tmp/daemon.out
if su -s /bin/sh nobody -c "labdoorctl door unlock" > /tmp/nobody.out 2>&1; then fail "nobody was allowed to unlock"; fi
grep -q "permission denied: nobody is in neither labdoor-admin" /tmp/nobody.out || fail "refusal not explained: $(cat /tmp/nobody.out)"
kill -TERM $daemon
wait $daemon || fail "labdoord exited with $?"
tail -1 /tmp/daemon.out | grep -q "door: relay=locked reason=stop" || fail "not relocked at stop: $(tail -3 /tmp/daemon.out)"
labdoorctl audit verify --db /tmp/labdoor/labdoor.db
cat /tmp/daemon.out
