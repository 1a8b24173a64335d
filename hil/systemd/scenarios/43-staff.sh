# labdoorctl through the packaged daemon's socket: a member of labdoor-admin unlocks the door; a user in no
# LabDoor group is refused (exit 4, naming the group), and the relay stays locked.
. /hil/lib.sh
. /hil/systemd.lib
useradd --create-home --groups labdoor-admin aino
useradd --create-home pekka
note "aino (labdoor-admin) unlocks the door for 3 s"
runuser -u aino -- labdoorctl door unlock --for 3s || fail "a labdoor-admin member could not unlock"
wait_for "the relay to unlock" 5 line_is 0 1
wait_for "the relay to relock" 10 line_is 0 0
note "pekka (no group) is refused"
set +e
runuser -u pekka -- labdoorctl door unlock --for 3s > /tmp/pekka.out 2>&1
status=$?
set -e
cat /tmp/pekka.out
[ "$status" = 4 ] || fail "a user in no group got exit $status, not 4"
grep -q "labdoor-admin" /tmp/pekka.out || fail "the refusal does not name labdoor-admin"
expect_value 0 0
note "pekka cannot read the database either"
set +e
runuser -u pekka -- labdoorctl events --db "$LABDOOR_DB" > /tmp/pekka.out 2>&1
status=$?
set -e
[ "$status" != 0 ] || fail "a user in no group read the database"
