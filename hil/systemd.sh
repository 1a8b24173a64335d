#!/usr/bin/env bash
# LabDoor under real systemd, on the real kernel of the hardware-in-the-loop VM: a Debian 12 root (mmdebstrap
# from the package mirror, cached) boots in qemu with systemd as PID 1, the emulated USB reader (HID gadget on
# dummy_hcd) and gpio-sim; the scenarios in hil/systemd/scenarios install the .deb with dpkg -i and check the
# real unit, its sandbox, udev rules, restarts and watchdog, and removal (hil/README.md).
#
# Usage: hil/systemd.sh PACKAGE.deb. Caches the root under ${SYSROOT_CACHE:-~/.cache/labdoor-sysroot}, keyed by
# its package list; the kernel as run.sh does.
set -euo pipefail
started=$(date +%s)
HIL=$(cd "$(dirname "$0")" && pwd)
say() { echo "hil-systemd: $*"; }
die() { echo "hil-systemd: FAILED: $*" >&2; exit 1; }
DEB=${1:-}
[ -f "$DEB" ] || die "no package ${DEB:-given}: make deb first (make hil-systemd does)"
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")

HIL_EXTRA_PACKAGES="mmdebstrap"
. "$HIL/host.sh"

# --- the Debian root -------------------------------------------------------------------------------------------
# systemd and udev, what the maintainer scripts use, and exactly the package's Depends: dpkg -i fails if the
# control file forgets one.
depends=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep . | paste -sd,)
packages="systemd,systemd-sysv,udev,dbus,kmod,passwd,debconf,$depends"
sources=/etc/apt/sources.list.d/debian.sources
mirror=$(awk '/^URIs:/ {print $2; exit}' "$sources" 2> /dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
SYSROOT=${SYSROOT_CACHE:-$HOME/.cache/labdoor-sysroot}
key=$(echo "bookworm $mirror $packages" | sha256sum | cut -c1-12)
tarball="$SYSROOT/bookworm-$key.tar"
if [ ! -f "$tarball" ]; then
    say "building a Debian 12 root with mmdebstrap ($packages)"
    mkdir -p "$SYSROOT"
    rm -rf "$SYSROOT/partial.tar"   # mmdebstrap picks the format by the name's extension
    mmdebstrap --quiet --variant=minbase --include="$packages" bookworm "$SYSROOT/partial.tar" "$mirror" \
        > "$WORK/mmdebstrap.log" 2>&1 || { tail -30 "$WORK/mmdebstrap.log"; die "mmdebstrap"; }
    mv "$SYSROOT/partial.tar" "$tarball"
    # Roots for other package lists are stale.
    find "$SYSROOT" -name 'bookworm-*.tar' ! -name "bookworm-$key.tar" -delete
fi

say "assembling the root ($(basename "$tarball"), $(basename "$DEB"))"
R="$WORK/root"
mkdir -p "$R"
tar -C "$R" -xf "$tarball"
# What the VM never reads: documentation, translations, the hardware database (≈ 60 MB of the initramfs).
rm -rf "$R"/usr/share/{doc,man,info,locale,i18n} "$R"/usr/lib/udev/hwdb.bin "$R"/usr/lib/udev/hwdb.d \
    "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/*_Packages
add_modules "$R" configfs usb-common usbcore udc-core dummy_hcd libcomposite usb_f_hid usb_f_fs hid usbhid hid-generic \
    evdev pn533_usb
printf '%s\n' configfs dummy_hcd libcomposite usb_f_hid usb_f_fs gpio-sim > "$R/etc/modules-load.d/labdoor-hil.conf"
# Two emulated host controllers: the keyboard-wedge reader on the first, the NFC (CCID) reader on the second.
# pn533_usb is not loaded here: udev loads it for the ACR122U, as on a real machine.
echo "options dummy_hcd num=2" > "$R/etc/modprobe.d/labdoor-hil.conf"
echo labdoor-hil > "$R/etc/hostname"
echo 6c61626400000000000000000000d00a > "$R/etc/machine-id"   # fixed: no first-boot work
: > "$R/etc/fstab"
ln -sf /usr/lib/systemd/systemd "$R/init"
# Nothing else on the console or the CPU: no logins, no apt timers.
for unit in getty@.service serial-getty@.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
    e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer; do
    ln -sf /dev/null "$R/etc/systemd/system/$unit"
done
mkdir -p "$R/hil/scenarios" "$R/root"
cp "$HIL/lib.sh" "$HIL/systemd/runner" "$HIL/systemd/systemd.lib" "$R/hil/"
for s in "$HIL"/systemd/scenarios/*.sh; do
    [ -z "${HIL_ONLY:-}" ] || [[ "$(basename "$s")" == *"$HIL_ONLY"* ]] || continue
    cp "$s" "$R/hil/scenarios/"
done
chmod 0755 "$R/hil/runner"
printf '\005\001\011\006\241\001\005\007\031\340\051\347\025\000\045\001\165\001\225\010\201\002\225\001\165\010\201\003\225\005\165\001\005\010\031\001\051\005\221\002\225\001\165\003\221\003\225\006\165\010\025\000\045\145\005\007\031\000\051\145\201\000\300' > "$R/hil/keyboard.desc"
gcc -O2 -Wall -Wextra -Werror -o "$R/hil/clocksync" "$HIL/probe/clocksync.c"
gcc -O2 -Wall -Wextra -Werror -pthread -o "$R/usr/bin/ccidgadget" "$HIL/probe/ccidgadget.c"   # on the runner's PATH
cp "$DEB" "$R/root/labdoor.deb"
install -m 0644 "$HIL/systemd/labdoor-hil.service" "$R/etc/systemd/system/"
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -sf ../labdoor-hil.service "$R/etc/systemd/system/multi-user.target.wants/labdoor-hil.service"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"
say "initramfs $(( $(stat -c %s "$WORK/initrd.gz") / 1048576 )) MB"

# --- boot ------------------------------------------------------------------------------------------------------
# The root lives in the initramfs (RAM): 3 GB leaves room for it unpacked and the daemon.
boot_and_report "$WORK/initrd.gz" 3072 "quiet loglevel=3 systemd.show_status=0"
