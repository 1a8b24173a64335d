# LabDoor — the two commands a new machine needs: `make demo` and `make test`.
# Both install the Debian packages they need when missing (as root, with apt-get).

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
BUILD_FLAGS ?= -c $(CONFIG)
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)

# Debian packages needed to build, test and demo.
DEB_PACKAGES = pkg-config libusb-1.0-0-dev libgpiod-dev libsqlite3-dev tzdata man-db

.PHONY: all deps build generated check-generated lint format test unit-test hil demo bench report-example install clean

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

test: deps lint build check-generated unit-test hil
	@echo "make test: all checks passed"

demo: build
	"$(BIN)/labdoord" --demo

# Benchmarks (never timed assertions in tests): memory over a long run of badge reads; badge-to-relay latency,
# alone and while auditors follow a 100,000-event log.
bench: deps
	$(SWIFT) build -c release
	BIN="$$($(SWIFT) build -c release --show-bin-path)" bench/memory.sh
	BIN="$$($(SWIFT) build -c release --show-bin-path)" python3 bench/latency.py
	BIN="$$($(SWIFT) build -c release --show-bin-path)" python3 bench/followers.py
	BIN="$$($(SWIFT) build -c release --show-bin-path)" python3 bench/staff.py

# docs/report-example.svg: `labdoorctl report --svg` over a month of generated use (the same every time).
report-example: build
	rm -rf .build/report-example && mkdir -p .build/report-example
	"$(BIN)/labdoor-logwriter" usage .build/report-example
	"$(BIN)/labdoorctl" report --db .build/report-example/labdoor.db --from 2027-01-01 --to 2027-01-31 \
	    --svg docs/report-example.svg > /dev/null

PREFIX ?= /usr/local
install: deps
	$(SWIFT) build -c release --static-swift-stdlib
	install -D -m 0755 "$$($(SWIFT) build -c release --show-bin-path)/labdoord" $(DESTDIR)$(PREFIX)/bin/labdoord
	install -D -m 0755 "$$($(SWIFT) build -c release --show-bin-path)/labdoorctl" $(DESTDIR)$(PREFIX)/bin/labdoorctl
	install -D -m 0644 systemd/labdoord.service $(DESTDIR)/etc/systemd/system/labdoord.service
	install -D -m 0644 systemd/labdoor.sysusers.conf $(DESTDIR)/usr/lib/sysusers.d/labdoor.conf
	install -D -m 0644 systemd/labdoor.tmpfiles.conf $(DESTDIR)/usr/lib/tmpfiles.d/labdoor.conf
	install -D -m 0644 systemd/labdoor-alarm.socket $(DESTDIR)/etc/systemd/system/labdoor-alarm.socket
	install -D -m 0644 systemd/labdoor-alarm@.service $(DESTDIR)/etc/systemd/system/labdoor-alarm@.service
	install -D -m 0644 udev/60-labdoor-gpio.rules $(DESTDIR)/etc/udev/rules.d/60-labdoor-gpio.rules
	@if [ -f $(DESTDIR)/etc/labdoor/labdoor.toml ]; then \
	    $(DESTDIR)$(PREFIX)/bin/labdoord --config $(DESTDIR)/etc/labdoor/labdoor.toml --modprobe-conf > $(DESTDIR)/etc/modprobe.d/labdoor-readers.conf; \
	    $(DESTDIR)$(PREFIX)/bin/labdoord --config $(DESTDIR)/etc/labdoor/labdoor.toml --udev-rules > $(DESTDIR)/etc/udev/rules.d/60-labdoor-readers.rules; \
	    echo "installed modprobe.d and udev rules for the configured USB readers (rerun make install after changing them)"; \
	else echo "no /etc/labdoor/labdoor.toml yet: write it, then rerun make install for the USB reader files"; fi
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/labdoor/README.md
	$(MAKE) --no-print-directory generated CONFIG=release
	@for tool in labdoord labdoorctl; do \
	    install -D -m 0644 $(GENERATED)/man/man1/$$tool.1 $(DESTDIR)$(PREFIX)/share/man/man1/$$tool.1; \
	    install -D -m 0644 $(GENERATED)/completions/$$tool.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$tool; \
	    install -D -m 0644 $(GENERATED)/completions/$$tool.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$tool; \
	    install -D -m 0644 $(GENERATED)/completions/$$tool.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$tool.fish; \
	done

clean:
	rm -rf .build
