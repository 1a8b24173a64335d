#!/usr/bin/env bash
# LabDoor hardware-in-the-loop: boot Debian 12's kernel in qemu with an emulated USB badge reader (HID gadget on
# dummy_hcd) and a simulated GPIO chip (gpio-sim, built out of tree), run the scenarios in hil/scenarios against
# the real binaries, and fail on any failure. Recipe and pitfalls: ../shared/HIL.md (summarised in hil/README.md).
#
# Caches the kernel, gpio-sim.ko and udevd under ${HIL_CACHE:-~/.cache/labdoor-hil}/KVER; works without it.
set -euo pipefail
started=$(date +%s)
HIL=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HIL")
say() { echo "hil: $*"; }
die() { echo "hil: FAILED: $*" >&2; exit 1; }

. "$HIL/host.sh"

# --- the programs under test -----------------------------------------------------------------------------------
say "building probes and binaries"
gcc -O2 -Wall -Wextra -Werror -o "$WORK/usbprobe" "$HIL/probe/usbprobe.c" $(pkg-config --cflags --libs libusb-1.0)
gcc -O2 -Wall -Wextra -Werror -o "$WORK/gpioprobe" "$HIL/probe/gpioprobe.c" $(pkg-config --cflags --libs libgpiod)
gcc -O2 -Wall -Wextra -Werror -o "$WORK/badgetime" "$HIL/probe/badgetime.c"
gcc -O2 -Wall -Wextra -Werror -pthread -o "$WORK/ccidgadget" "$HIL/probe/ccidgadget.c"
GPIOD=${HIL_GPIOD:-1}
G2LIB=""
if [ "$GPIOD" = 2 ]; then
    # libgpiod 2.x (Debian 13) without changing this machine: the trixie packages unpacked into a private prefix.
    G2=${HIL_CACHE:-$HOME/.cache/labdoor-hil}/gpiod2
    G2LIB="$G2/root/usr/lib/x86_64-linux-gnu"
    if [ ! -f "$G2LIB/pkgconfig/libgpiod.pc" ]; then
        say "fetching libgpiod 2.x from trixie"
        rm -rf "$G2" && mkdir -p "$G2/lists/partial" "$G2/cache/archives/partial" "$G2/root"
        sources=/etc/apt/sources.list.d/debian.sources
        uri=$(awk '/^URIs:/ {print $2; exit}' "$sources" 2> /dev/null || true)
        key=$(awk '/^Signed-By:/ {print $2; exit}' "$sources" 2> /dev/null || true)
        echo "deb [signed-by=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}] ${uri:-http://deb.debian.org/debian} trixie main" > "$G2/trixie.list"
        apt_private=(-o "Dir::Etc::SourceList=$G2/trixie.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$G2/lists" -o "Dir::Cache=$G2/cache")
        apt-get "${apt_private[@]}" update > /dev/null
        (cd "$G2" && apt-get "${apt_private[@]}" download libgpiod-dev libgpiod3 > /dev/null 2>&1)
        for deb in "$G2"/*.deb; do dpkg-deb -x "$deb" "$G2/root"; done
        sed -i "s|^prefix=/usr\$|prefix=$G2/root/usr|" "$G2LIB/pkgconfig/libgpiod.pc"
    fi
fi
if [ -z "${HIL_SKIP_SWIFT:-}" ]; then
    # The debug build (for libgpiod 1.6 the one `make test` already made), linked dynamically: the VM gets the
    # Swift runtime's shared libraries through the ldd closure. (--static-swift-stdlib fails to link Foundation
    # with Swift 6.3.1 here: undefined swift_udat_applyPattern / _stringshims_strncasecmp_clocale.)
    # For libgpiod 2.x the same build folder, with the private prefix's pkg-config: SwiftPM rebuilds only what
    # the changed flags touch (≈ 25 s here; a separate --scratch-path rebuilt every package, ≈ 230 s), and the
    # libgpiod 1.6 products are rebuilt once the binaries are copied (below).
    scratch=.build
    say "building labdoord and labdoorctl (libgpiod $GPIOD.x)"
    (cd "$ROOT" && PKG_CONFIG_PATH="${G2LIB:+$G2LIB/pkgconfig}" swift build --scratch-path "$scratch" --product labdoord > "$WORK/swift.log" 2>&1 \
        && PKG_CONFIG_PATH="${G2LIB:+$G2LIB/pkgconfig}" swift build --scratch-path "$scratch" --product labdoorctl >> "$WORK/swift.log" 2>&1 \
        && PKG_CONFIG_PATH="${G2LIB:+$G2LIB/pkgconfig}" swift build --scratch-path "$scratch" --product labdoor-gpio-stress >> "$WORK/swift.log" 2>&1) \
        || { tail -30 "$WORK/swift.log"; die "swift build"; }
    SWIFT_BIN=$(cd "$ROOT" && swift build --scratch-path "$scratch" --show-bin-path)
    api=$(LD_LIBRARY_PATH="$G2LIB" "$SWIFT_BIN/labdoord" --version)
    say "$api"
    case "$api" in *"(API $GPIOD)"*) ;; *) die "labdoord was built against the wrong libgpiod: $api" ;; esac
fi

# --- the initramfs ---------------------------------------------------------------------------------------------
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,run,hil/scenarios,lib/systemd,usr/share/zoneinfo/Europe,var/lib}
cp /bin/busybox "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list); do [ -e "$R/bin/$applet" ] || ln -s busybox "$R/bin/$applet"; done
# copy_with_libs FILE DEST: a program and the shared libraries ldd lists.
copy_with_libs() {
    install -D -m 0755 "$1" "$R$2"
    LD_LIBRARY_PATH="$G2LIB" ldd "$1" | awk '/=> \// {print $3} /^\t\// {print $1}' | while read -r lib; do
        dest=$lib
        # Libraries from the private libgpiod 2.x prefix go where the VM's loader looks.
        [ -n "$G2LIB" ] && case "$lib" in "$G2LIB"/*) dest=/lib/x86_64-linux-gnu/$(basename "$lib") ;; esac
        [ -e "$R$dest" ] || install -D -m 0755 "$(readlink -f "$lib")" "$R$dest"
    done
}
copy_with_libs "$CACHE/udevadm" /bin/udevadm
ln -sf /bin/udevadm "$R/lib/systemd/systemd-udevd"
copy_with_libs "$WORK/usbprobe" /bin/usbprobe
copy_with_libs "$WORK/gpioprobe" /bin/gpioprobe
copy_with_libs "$WORK/badgetime" /bin/badgetime
copy_with_libs "$WORK/ccidgadget" /bin/ccidgadget
if [ -n "${SWIFT_BIN:-}" ]; then
    copy_with_libs "$SWIFT_BIN/labdoord" /bin/labdoord
    copy_with_libs "$SWIFT_BIN/labdoorctl" /bin/labdoorctl
    copy_with_libs "$SWIFT_BIN/labdoor-gpio-stress" /bin/labdoor-gpio-stress
    if [ "$GPIOD" = 2 ]; then
        # .build back to this machine's libgpiod, so that no binary in it needs the private prefix.
        say "rebuilding labdoord, labdoorctl and labdoor-gpio-stress for libgpiod 1.x"
        (cd "$ROOT" && for product in labdoord labdoorctl labdoor-gpio-stress; do
            swift build --scratch-path "$scratch" --product "$product" || exit 1
        done) >> "$WORK/swift.log" 2>&1 || { tail -30 "$WORK/swift.log"; die "swift build (back to libgpiod 1.x)"; }
        "$SWIFT_BIN/labdoord" --version | grep -q "(API 1)" || die "labdoord in .build still needs libgpiod 2.x"
    fi
fi
# The modules the scenarios need, with their dependencies.
add_modules "$R" configfs usb-common usbcore udc-core dummy_hcd libcomposite usb_f_hid usb_f_fs hid usbhid hid-generic evdev pn533_usb
# What a real system gives the daemon: zone data, users and groups.
cp /usr/share/zoneinfo/Europe/Helsinki "$R/usr/share/zoneinfo/Europe/"
cp /usr/share/zoneinfo/UTC "$R/usr/share/zoneinfo/"
ln -sf /usr/share/zoneinfo/UTC "$R/etc/localtime"
printf 'root:x:0:0:root:/root:/bin/sh\nlabdoor:x:990:990:LabDoor:/var/lib/labdoor:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
printf 'root:x:0:\nlabdoor:x:990:\nlabdoor-admin:x:991:\nlabdoor-audit:x:992:\nnogroup:x:65534:\n' > "$R/etc/group"
# The standard boot-keyboard report descriptor (USB HID 1.11, appendix B.1), for the gadget.
printf '\005\001\011\006\241\001\005\007\031\340\051\347\025\000\045\001\165\001\225\010\201\002\225\001\165\010\201\003\225\005\165\001\005\010\031\001\051\005\221\002\225\001\165\003\221\003\225\006\165\010\025\000\045\145\005\007\031\000\051\145\201\000\300' > "$R/hil/keyboard.desc"
cp "$HIL/init" "$R/init"
chmod 0755 "$R/init"
cp "$HIL/lib.sh" "$R/hil/"
only=${HIL_ONLY:-}
for s in "$HIL"/scenarios/*.sh; do
    [ -z "$only" ] || [[ "$(basename "$s")" == *"$only"* ]] || continue
    cp "$s" "$R/hil/scenarios/"
done
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"

# --- boot ------------------------------------------------------------------------------------------------------
boot_and_report "$WORK/initrd.gz" 1024 "quiet loglevel=3"
