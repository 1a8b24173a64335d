# LabDoor hardware-in-the-loop, host side, shared by run.sh (busybox VM) and systemd.sh (Debian VM): the host
# packages, Debian 12's kernel with its module tree, gpio-sim.ko and udevadm, cached under
# ${HIL_CACHE:-~/.cache/labdoor-hil}/KVER. Sourced (bash, set -euo pipefail); the caller defines say/die and may
# set HIL_EXTRA_PACKAGES. Defines KVER, CACHE, MODTREE, WORK (removed at exit unless HIL_KEEP), download,
# apt_update and add_modules ROOT MODULE....
# --- host packages -------------------------------------------------------------------------------------------
need=(qemu-system-x86 busybox-static cpio kmod xz-utils gcc make pkg-config libusb-1.0-0-dev libgpiod-dev tzdata ${HIL_EXTRA_PACKAGES:-})
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

# add_modules ROOT MODULE...: the modules (with their dependencies) and gpio-sim.ko into ROOT/lib/modules/KVER,
# with a fresh modules.dep.
add_modules() {
    local root=$1; shift
    local m="$root/lib/modules/$KVER"
    mkdir -p "$m/extra"
    cp "$MODTREE/lib/modules/$KVER/modules.order" "$MODTREE/lib/modules/$KVER/modules.builtin" \
        "$MODTREE/lib/modules/$KVER/modules.builtin.modinfo" "$m/" 2> /dev/null || true
    for name in "$@"; do add_module "$m" "$name"; done
    cp "$CACHE/gpio-sim.ko" "$m/extra/"
    depmod -b "$root" "$KVER"
}
add_module() {
    local m=$1 path
    path=$(modinfo -b "$MODTREE" -k "$KVER" -n "$2" 2> /dev/null) || { echo "hil: no module $2" >&2; return 1; }
    case "$path" in (builtin*|"") return 0 ;; esac
    local rel=${path#"$MODTREE/lib/modules/$KVER/"}
    [ -e "$m/$rel" ] && return 0
    install -D -m 0644 "$path" "$m/$rel"
    for dep in $(modinfo -F depends "$path" | tr ',' ' '); do add_module "$m" "$dep"; done
}

# boot_and_report INITRD MEMORY_MB KERNEL_ARGS: boots the kernel with INITRD (its /init reports HIL-* lines on
# the serial console), prints the results and exits with the scenarios' verdict. Never skips: no qemu, no VM,
# no summary are failures.
boot_and_report() {
    local accel="tcg,thread=multi" cpu=max console="$WORK/console.log" boot_started qemu_status summary
    if grep -qE '^kvm_(intel|amd) ' /proc/modules 2> /dev/null && [ -w /dev/kvm ]; then accel=kvm; cpu=host; fi
    say "booting ($accel)"
    boot_started=$(date +%s)
    set +e
    timeout 600 qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$2" -smp 2 -nographic -no-reboot \
        -kernel "$CACHE/vmlinuz" -initrd "$1" \
        -append "console=ttyS0 panic=-1 $3 ${HIL_KERNEL_ARGS:-}" > "$console" 2>&1
    qemu_status=$?
    set -e
    [ "$qemu_status" = 124 ] && { cat "$console"; die "the VM did not finish within 600 s"; }
    grep -q "HIL-BOOTED" "$console" || { cat "$console"; die "the VM did not boot (qemu status $qemu_status)"; }

    grep "^HIL: " "$console" || true
    grep "^HIL-RESULT" "$console" | sed 's/^HIL-RESULT /  /'
    grep "^HIL-MEASURE" "$console" | sed 's/^HIL-MEASURE /  measured: /' || true
    if grep -q "^HIL-RESULT .* FAIL" "$console"; then
        sed -n '/^HIL-LOG-BEGIN/,/^HIL-LOG-END/p' "$console"
    fi
    summary=$(grep "^HIL-SUMMARY" "$console" | sed 's/^HIL-SUMMARY //')
    [ -n "$summary" ] || { cat "$console"; die "the VM ended before reporting a summary"; }
    say "$summary"
    say "total $(( $(date +%s) - started )) s (VM $(( $(date +%s) - boot_started )) s)"
    case "$summary" in *" 0 failed"*) exit 0 ;; *) exit 1 ;; esac
}
