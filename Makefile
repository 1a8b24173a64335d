# LabDoor — the two commands a new machine needs: `make demo` and `make test`.
# Both install the Debian packages they need when missing (as root, with apt-get).

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
BUILD_FLAGS ?= -c $(CONFIG)
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)

# Debian packages needed to build, test and demo.
DEB_PACKAGES = pkg-config libusb-1.0-0-dev libgpiod-dev libsqlite3-dev tzdata man-db

.PHONY: all deps build generated check-generated lint format test unit-test hil hil-systemd demo bench bench-smoke report-example install uninstall deb deb-check clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make: installing Debian packages:$$missing"; \
	    if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)
	@$(MAKE) --no-print-directory generated

# Man pages and shell completions, generated from the command definitions (swift-argument-parser's
# generate-manual plugin and --generate-completion-script) into $(GENERATED).
GENERATED = .build/share
generated:
	$(SWIFT) package generate-manual --configuration $(CONFIG) >/dev/null
	@mkdir -p $(GENERATED)/man/man1 $(GENERATED)/completions
	@for tool in labdoord labdoorctl; do \
	    cp .build/plugins/GenerateManual/outputs/$$tool/$$tool.1 $(GENERATED)/man/man1/$$tool.1; \
	    for shell in bash zsh fish; do \
	        "$(BIN)/$$tool" --generate-completion-script $$shell > $(GENERATED)/completions/$$tool.$$shell; \
	    done; \
	done
	@echo "generated: man pages and bash/zsh/fish completions in $(GENERATED)"

# The generated pages render, and the completion scripts parse.
check-generated: build
	@for tool in labdoord labdoorctl; do \
	    MANWIDTH=80 man -l $(GENERATED)/man/man1/$$tool.1 2>&1 >/dev/null | grep . && { echo "man: $$tool.1 warns"; exit 1; }; \
	    MANWIDTH=80 man -l $(GENERATED)/man/man1/$$tool.1 | grep -q "$$tool" || { echo "man: $$tool.1 renders nothing"; exit 1; }; \
	    bash -n $(GENERATED)/completions/$$tool.bash || exit 1; \
	done
	@MANWIDTH=80 man -l $(GENERATED)/man/man1/labdoorctl.1 | grep -q "snapshot" || { echo "man: labdoorctl.1 lacks audit snapshot"; exit 1; }
	@echo "check-generated: man pages render, completions parse"

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests

unit-test: deps
	$(SWIFT) test $(BUILD_FLAGS)

# Hardware-in-the-loop: the real binaries on a real kernel in qemu (hil/README.md). Fails, never skips, when
# qemu cannot run.
hil: build
	bash hil/run.sh
	HIL_GPIOD=2 HIL_ONLY=gpio bash hil/run.sh

# The Debian package under real systemd in the same VM kernel (hil/systemd.sh, hil/README.md).
hil-systemd: deb
	bash hil/systemd.sh $(DEB)

test: deps lint build check-generated unit-test bench-smoke deb hil hil-systemd
	@echo "make test: all checks passed"

demo: build
	"$(BIN)/labdoord" --demo

# Benchmarks (never timed assertions in tests): bench/run.py at 2,000,000 holders / 10,000,000 events and at
# 1,000 / 10,000 in one run, plus the HIL badge-to-relay time → bench/results.json (docs/performance.md).
bench: deps
	$(SWIFT) build -c release
	BIN="$$($(SWIFT) build -c release --show-bin-path)" BENCH_HIL_RUN=1 python3 bench/run.py

# make test runs the bench tool once on tiny databases (debug build), so that it cannot rot; the figures mean nothing.
bench-smoke: build
	BIN="$(BIN)" BENCH_TINY=1 BENCH_CACHE=.build/bench-cache BENCH_OUT=.build/bench-smoke.json python3 bench/run.py

# docs/report-example.svg: `labdoorctl report --svg` over a month of generated use (the same every time).
report-example: build
	rm -rf .build/report-example && mkdir -p .build/report-example
	"$(BIN)/labdoor-logwriter" usage .build/report-example
	"$(BIN)/labdoorctl" report --db .build/report-example/labdoor.db --from 2027-01-01 --to 2027-01-31 \
	    --svg docs/report-example.svg > /dev/null

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/labdoor
UNITDIR ?= /etc/systemd/system
UDEVDIR ?= /etc/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)
# Whether to write the USB reader udev/modprobe files from /etc/labdoor/labdoor.toml (the .deb's postinst does it).
READER_FILES ?= yes

# Installs everything under $(DESTDIR): the binaries (static Swift runtime), the units with this $(BINDIR) in
# them, sysusers/tmpfiles snippets, udev rule, man pages, completions and docs. `make uninstall` removes it all
# (never /etc/labdoor or /var/lib/labdoor).
install: deps
	@# Man pages and completions from the debug build's command definitions (the same as the release's): the
	@# manual plugin builds the products it documents with its own flags, which would undo a static link.
	$(MAKE) --no-print-directory build CONFIG=debug
	$(SWIFT) build -c release --static-swift-stdlib
	install -D -m 0755 "$(RELEASE_BIN)/labdoord" $(DESTDIR)$(BINDIR)/labdoord
	install -D -m 0755 "$(RELEASE_BIN)/labdoorctl" $(DESTDIR)$(BINDIR)/labdoorctl
	@for unit in labdoord.service labdoor-alarm.socket labdoor-alarm@.service; do \
	    mkdir -p $(DESTDIR)$(UNITDIR); \
	    sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/labdoor|$(DOCDIR)|g' systemd/$$unit \
	        > $(DESTDIR)$(UNITDIR)/$$unit; chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit; \
	done
	install -D -m 0644 systemd/labdoor.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/labdoor.conf
	install -D -m 0644 systemd/labdoor.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/labdoor.conf
	install -D -m 0644 udev/60-labdoor-gpio.rules $(DESTDIR)$(UDEVDIR)/60-labdoor-gpio.rules
	@for tool in labdoord labdoorctl; do \
	    install -D -m 0644 $(GENERATED)/man/man1/$$tool.1 $(DESTDIR)$(MANDIR)/man1/$$tool.1; \
	    install -D -m 0644 $(GENERATED)/completions/$$tool.bash $(DESTDIR)$(BASHCOMPDIR)/$$tool; \
	    install -D -m 0644 $(GENERATED)/completions/$$tool.zsh $(DESTDIR)$(ZSHCOMPDIR)/_$$tool; \
	    install -D -m 0644 $(GENERATED)/completions/$$tool.fish $(DESTDIR)$(FISHCOMPDIR)/$$tool.fish; \
	done
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@for doc in docs/*.md docs/report-example.svg; do install -D -m 0644 $$doc $(DESTDIR)$(DOCDIR)/$$doc; done
	@if [ "$(READER_FILES)" = yes ] && [ -f $(DESTDIR)/etc/labdoor/labdoor.toml ]; then \
	    mkdir -p $(DESTDIR)/etc/modprobe.d $(DESTDIR)$(UDEVDIR); \
	    $(DESTDIR)$(BINDIR)/labdoord --config $(DESTDIR)/etc/labdoor/labdoor.toml --modprobe-conf > $(DESTDIR)/etc/modprobe.d/labdoor-readers.conf; \
	    $(DESTDIR)$(BINDIR)/labdoord --config $(DESTDIR)/etc/labdoor/labdoor.toml --udev-rules > $(DESTDIR)$(UDEVDIR)/60-labdoor-readers.rules; \
	    echo "installed modprobe.d and udev rules for the configured USB readers (rerun make install after changing them)"; \
	elif [ "$(READER_FILES)" = yes ]; then \
	    echo "no /etc/labdoor/labdoor.toml yet: write it (example: packaging/labdoor.toml), then rerun make install for the USB reader files"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/labdoord $(DESTDIR)$(BINDIR)/labdoorctl
	rm -f $(DESTDIR)$(UNITDIR)/labdoord.service $(DESTDIR)$(UNITDIR)/labdoor-alarm.socket \
	    $(DESTDIR)$(UNITDIR)/labdoor-alarm@.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/labdoor.conf $(DESTDIR)$(TMPFILESDIR)/labdoor.conf
	rm -f $(DESTDIR)$(UDEVDIR)/60-labdoor-gpio.rules $(DESTDIR)$(UDEVDIR)/60-labdoor-readers.rules \
	    $(DESTDIR)/etc/modprobe.d/labdoor-readers.conf
	@for tool in labdoord labdoorctl; do \
	    rm -f $(DESTDIR)$(MANDIR)/man1/$$tool.1 $(DESTDIR)$(BASHCOMPDIR)/$$tool $(DESTDIR)$(ZSHCOMPDIR)/_$$tool \
	        $(DESTDIR)$(FISHCOMPDIR)/$$tool.fish; \
	done
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "uninstalled; /etc/labdoor and /var/lib/labdoor (the configuration and the event log) are kept"

# The Debian package (../shared/DESIGN.md, "Installing on a device"): `make install` into a staging tree with
# Debian's paths, the example configuration as a conffile, maintainer scripts from packaging/deb, Depends from
# the libraries the binaries link. Writes $(DEB) and checks its file list against packaging/deb/files.txt.
ARCH = $(shell dpkg --print-architecture)
VERSION = $(shell sed -n 's/.*version = "\(.*\)".*/\1/p' Sources/LabDoorCore/LabDoorRelease.swift)
DEB = .build/labdoor_$(VERSION)_$(ARCH).deb
DEB_ROOT = .build/deb-root
deb: deps
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr UNITDIR=/lib/systemd/system \
	    UDEVDIR=/lib/udev/rules.d ZSHCOMPDIR=/usr/share/zsh/vendor-completions READER_FILES=no
	gzip -9n $(DEB_ROOT)/usr/share/man/man1/*.1
	strip --strip-debug $(DEB_ROOT)/usr/bin/labdoord $(DEB_ROOT)/usr/bin/labdoorctl
	install -D -m 0644 packaging/labdoor.toml $(DEB_ROOT)/etc/labdoor/labdoor.toml
	install -D -m 0644 packaging/deb/copyright $(DEB_ROOT)/usr/share/doc/labdoor/copyright
	mkdir -p $(DEB_ROOT)/DEBIAN
	install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm $(DEB_ROOT)/DEBIAN/
	install -m 0644 packaging/deb/conffiles $(DEB_ROOT)/DEBIAN/
	@# Every library the binaries link must come from a Debian package (the Swift runtime is linked in).
	for lib in $$(ldd $(DEB_ROOT)/usr/bin/labdoord $(DEB_ROOT)/usr/bin/labdoorctl | awk '/=> \//{print $$3}' | sort -u); do \
	    dpkg -S "$$(readlink -f $$lib)" >/dev/null 2>&1 || dpkg -S "$$lib" >/dev/null 2>&1 || \
	        { echo "deb: the binaries link $$lib, which no Debian package provides"; exit 1; }; \
	done
	depends="$$(for lib in $$(ldd $(DEB_ROOT)/usr/bin/labdoord $(DEB_ROOT)/usr/bin/labdoorctl | awk '/=> \//{print $$3}'); do \
	        dpkg -S "$$(readlink -f $$lib)" 2>/dev/null || dpkg -S "$$lib" 2>/dev/null; done \
	        | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')"; \
	sed -e "s/@VERSION@/$(VERSION)/" -e "s/@ARCH@/$(ARCH)/" -e "s/@DEPENDS@/$$depends, tzdata, systemd/" \
	    -e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)/" packaging/deb/control.in > $(DEB_ROOT)/DEBIAN/control
	dpkg-deb --root-owner-group -Zzstd -z9 --build $(DEB_ROOT) $(DEB)
	@$(MAKE) --no-print-directory deb-check

# The package holds exactly the expected files, and its unit verifies and scores ≤ 1.5 in systemd-analyze.
deb-check:
	dpkg-deb -c $(DEB) | awk '{print $$6}' | sed 's|^\./|/|; s|/$$||' | grep -v '^$$' | sort > .build/deb-files.txt
	diff -u packaging/deb/files.txt .build/deb-files.txt || { echo "deb: the file list differs from packaging/deb/files.txt"; exit 1; }
	@# verify checks that ExecStart= binaries exist: point a copy of the unit at the staged ones.
	@rm -rf .build/deb-verify && mkdir -p .build/deb-verify
	@for unit in labdoord.service labdoor-alarm.socket labdoor-alarm@.service; do \
	    sed 's|/usr/bin/|$(CURDIR)/$(DEB_ROOT)/usr/bin/|g' $(DEB_ROOT)/lib/systemd/system/$$unit > .build/deb-verify/$$unit; \
	done
	systemd-analyze verify .build/deb-verify/labdoord.service .build/deb-verify/labdoor-alarm.socket
	@score="$$(systemd-analyze security --offline=yes --root=$(DEB_ROOT) labdoord.service 2>/dev/null | sed -n 's/.*Overall exposure level for labdoord.service: \([0-9.]*\).*/\1/p')"; \
	echo "deb: systemd-analyze security: $$score"; \
	awk -v s="$$score" 'BEGIN { exit !(s != "" && s <= 1.5) }' || { echo "deb: exposure $$score is above 1.5"; exit 1; }
	@echo "deb: $(DEB) checked"

clean:
	rm -rf .build
