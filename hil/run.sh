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

# --- host packages -------------------------------------------------------------------------------------------
need=(qemu-system-x86 busybox-static cpio kmod xz-utils gcc make pkg-config libusb-1.0-0-dev libgpiod-dev tzdata)
missing=()
for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { apt-get update -qq; apt_updated=1; }; }
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
command -v qemu-system-x86_64 > /dev/null || die "qemu-system-x86_64 is not available on this machine"

# --- the kernel ------------------------------------------------------------------------------------------------
KVER=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\([0-9].*\)/\1/p' | head -1)
if [ -z "$KVER" ]; then apt_update; KVER=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\([0-9].*\)/\1/p' | head -1); fi
[ -n "$KVER" ] || die "cannot resolve Debian's linux-image-amd64 to a kernel version"
SERIES=$(echo "$KVER" | cut -d. -f1-2)
CACHE=${HIL_CACHE:-$HOME/.cache/labdoor-hil}/$KVER
mkdir -p "$CACHE"
WORK=$(mktemp -d /tmp/labdoor-hil-XXXXXX)
[ -n "${HIL_KEEP:-}" ] && echo "hil: keeping $WORK" || trap 'rm -rf "$WORK"' EXIT
say "kernel $KVER, cache $CACHE"

download() { (cd "$WORK" && apt-get download "$@" > /dev/null 2>&1) || { apt_update; (cd "$WORK" && apt-get download "$@" > /dev/null); }; }

MODTREE="$CACHE/tree"   # $MODTREE/lib/modules/$KVER, with a modules.dep (the .deb ships none)
if [ ! -f "$CACHE/vmlinuz" ] || [ ! -f "$MODTREE/lib/modules/$KVER/modules.dep" ]; then
    say "fetching linux-image-$KVER"
    download "linux-image-$KVER"
    mkdir -p "$WORK/kernel"
    dpkg-deb -x "$WORK"/linux-image-"$KVER"_*.deb "$WORK/kernel"
    rm -rf "$MODTREE"
    mkdir -p "$MODTREE/lib/modules"
    mv "$WORK/kernel/lib/modules/$KVER" "$MODTREE/lib/modules/$KVER"
    depmod -b "$MODTREE" "$KVER"
    cp "$WORK/kernel/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"
fi

if [ ! -f "$CACHE/gpio-sim.ko" ]; then
    # Debian builds neither GPIO_SIM nor IRQ_SIM: build both into one module against the headers.
    dpkg-query -W -f='${Status}' "linux-headers-$KVER" 2>/dev/null | grep -q "install ok installed" || {
        say "installing linux-headers-$KVER"
        apt_update
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" > /dev/null
    }
    say "fetching linux-source-$SERIES for gpio-sim"
    download "linux-source-$SERIES"
    mkdir -p "$WORK/src" "$WORK/mod"
    # tar stops after the three files (--occurrence); the pipe's writer then gets SIGPIPE, which is expected.
    (dpkg-deb --fsys-tarfile "$WORK"/linux-source-"$SERIES"_*.deb | tar -xO "./usr/src/linux-source-$SERIES.tar.xz" \
        | tar -xJ -C "$WORK/src" --occurrence=1 "linux-source-$SERIES/drivers/gpio/gpio-sim.c" \
            "linux-source-$SERIES/drivers/gpio/gpiolib.h" "linux-source-$SERIES/kernel/irq/irq_sim.c") 2> /dev/null || true
    s="$WORK/src/linux-source-$SERIES"
    [ -f "$s/drivers/gpio/gpio-sim.c" ] && [ -f "$s/kernel/irq/irq_sim.c" ] || die "gpio-sim sources not found in linux-source-$SERIES"
    cp "$s/drivers/gpio/gpio-sim.c" "$WORK/mod/gpio-sim-main.c"
    cp "$s/drivers/gpio/gpiolib.h" "$s/kernel/irq/irq_sim.c" "$WORK/mod/"
    # irq_to_desc is not exported to modules; the domain handler does the same.
    sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_domain_irq(work_ctx->domain, offset);/' "$WORK/mod/irq_sim.c"
    printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\nccflags-y := -Wno-unused-variable\n' > "$WORK/mod/Makefile"
    make -s -C "/usr/src/linux-headers-$KVER" M="$WORK/mod" modules > "$WORK/mod/build.log" 2>&1 || { cat "$WORK/mod/build.log"; die "building gpio-sim.ko"; }
    cp "$WORK/mod/gpio-sim.ko" "$CACHE/gpio-sim.ko"
fi

if [ ! -f "$CACHE/udevadm" ]; then
    say "fetching udev"
    download udev
    mkdir -p "$WORK/udev"
    dpkg-deb -x "$WORK"/udev_*.deb "$WORK/udev"
    cp "$WORK/udev/bin/udevadm" "$CACHE/udevadm"
fi

# --- the programs under test -----------------------------------------------------------------------------------
say "building probes and binaries"
gcc -O2 -Wall -Wextra -Werror -o "$WORK/usbprobe" "$HIL/probe/usbprobe.c" $(pkg-config --cflags --libs libusb-1.0)
gcc -O2 -Wall -Wextra -Werror -o "$WORK/gpioprobe" "$HIL/probe/gpioprobe.c" $(pkg-config --cflags --libs libgpiod)
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
    scratch=.build
    [ "$GPIOD" = 2 ] && scratch=.build-gpiod2
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
if [ -n "${SWIFT_BIN:-}" ]; then
    copy_with_libs "$SWIFT_BIN/labdoord" /bin/labdoord
    copy_with_libs "$SWIFT_BIN/labdoorctl" /bin/labdoorctl
    copy_with_libs "$SWIFT_BIN/labdoor-gpio-stress" /bin/labdoor-gpio-stress
fi
# The modules the scenarios need, with their dependencies, and a fresh modules.dep.
M="$R/lib/modules/$KVER"
mkdir -p "$M/extra"
cp "$MODTREE/lib/modules/$KVER/modules.order" "$MODTREE/lib/modules/$KVER/modules.builtin" \
    "$MODTREE/lib/modules/$KVER/modules.builtin.modinfo" "$M/" 2> /dev/null || true
add_module() {
    local path
    path=$(modinfo -b "$MODTREE" -k "$KVER" -n "$1" 2> /dev/null) || { echo "hil: no module $1" >&2; return 1; }
    case "$path" in (builtin*|"") return 0 ;; esac
    local rel=${path#"$MODTREE/lib/modules/$KVER/"}
    [ -e "$M/$rel" ] && return 0
    install -D -m 0644 "$path" "$M/$rel"
    for dep in $(modinfo -F depends "$path" | tr ',' ' '); do add_module "$dep"; done
}
for m in configfs usb-common usbcore udc-core dummy_hcd libcomposite usb_f_hid hid usbhid hid-generic evdev; do add_module "$m"; done
cp "$CACHE/gpio-sim.ko" "$M/extra/"
depmod -b "$R" "$KVER"
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
accel="tcg,thread=multi"; cpu=max
if grep -qE '^kvm_(intel|amd) ' /proc/modules 2> /dev/null && [ -w /dev/kvm ]; then accel=kvm; cpu=host; fi
say "booting ($accel)"
console="$WORK/console.log"
boot_started=$(date +%s)
set +e
timeout 600 qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$CACHE/vmlinuz" -initrd "$WORK/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3 ${HIL_KERNEL_ARGS:-}" > "$console" 2>&1
qemu_status=$?
set -e
[ "$qemu_status" = 124 ] && { cat "$console"; die "the VM did not finish within 600 s"; }
grep -q "HIL-BOOTED" "$console" || { cat "$console"; die "the VM did not boot (qemu status $qemu_status)"; }

# --- results ---------------------------------------------------------------------------------------------------
grep "^HIL: " "$console" || true
grep "^HIL-RESULT" "$console" | sed 's/^HIL-RESULT /  /'
grep "^HIL-MEASURE" "$console" | sed 's/^HIL-MEASURE /  measured: /' || true
if grep -q "^HIL-RESULT .* FAIL" "$console"; then
    sed -n '/^HIL-LOG-BEGIN/,/^HIL-LOG-END/p' "$console"
fi
summary=$(grep "^HIL-SUMMARY" "$console" | sed 's/^HIL-SUMMARY //')
[ -n "$summary" ] || { cat "$console"; die "the VM ended before reporting a summary"; }
echo "hil: $summary"
echo "hil: total $(( $(date +%s) - started )) s (VM $(( $(date +%s) - boot_started )) s)"
case "$summary" in *" 0 failed"*) exit 0 ;; *) exit 1 ;; esac
