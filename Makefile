# virtdeck — developer entry points. Works from a fresh clone (as root for
# the system tier: tests/testbed installs packages and starts libvirtd/sshd).

SHELL   := /bin/bash
VENV    := .venv
PY      := $(VENV)/bin/python
PYTEST  := $(PY) -m pytest -q
TESTBED := tests/testbed
ARGS    ?=
# Tiers of `make test` (only those present: git keeps no empty directories).
TIERS   := $(wildcard tests/unit tests/app tests/snapshots tests/system tests/terminal)

# pytest exits 5 when a tier has no tests yet; that is not a failure here.
ALLOW_EMPTY := || [ $$? -eq 5 ]
# $(call tier,DIR): run one tier's tests; a tier with no tests yet passes.
tier = if [ -d $(1) ]; then $(PYTEST) $(1) $(ALLOW_EMPTY); else echo "$(1): no tests yet"; fi

.PHONY: setup setup-run run testbed test test-unit test-app test-snapshots \
        test-system test-terminal bench screenshots clean distclean

## setup: system packages + .venv with the test extras
setup:
	bash $(TESTBED)/setup.sh

## setup-run: only what running the app needs
setup-run:
	bash $(TESTBED)/setup.sh --run

## run: start virtdeck, e.g. make run ARGS='--connect test:///default'
run: setup-run
	$(VENV)/bin/virtdeck $(ARGS)

## testbed: libvirtd + virtlogd + sshd on 127.0.0.1, and the tiny guest
testbed: setup
	bash $(TESTBED)/services.sh start
	bash $(TESTBED)/guest.sh

## test: every tier except the benchmarks
test: testbed
	$(PYTEST) $(TIERS)

test-unit: setup
	$(call tier,tests/unit)

test-app: setup
	$(call tier,tests/app)

test-snapshots: setup
	$(call tier,tests/snapshots)

test-system: testbed
	$(call tier,tests/system)

## test-terminal: the installed wheel in a real pty (its libvirtd case needs the test bed)
test-terminal: testbed
	$(call tier,tests/terminal)

## bench: benchmarks print their figures; they never fail on slowness
bench: setup
	@if [ -f tests/benchmarks/run.py ]; then \
	    $(PY) tests/benchmarks/run.py; \
	else \
	    $(PY) -m pytest -q -s tests/benchmarks $(ALLOW_EMPTY); \
	fi

## screenshots: SVGs of the main screens into screenshots/ (the console one
## needs a real guest, so this starts the test bed), and the kitty graphics
## picture as a kitty terminal draws it (PNG)
screenshots: testbed
	$(PY) -m tests.snapshots.make_screenshots
	$(PY) -m tests.snapshots.console_screenshot
	$(PY) -m tests.snapshots.kitty_screenshot

## clean: caches, build metadata and the test bed's sshd + state dir
clean:
	-bash $(TESTBED)/services.sh stop 2>/dev/null
	rm -rf .pytest_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf "$${VIRTDECK_TESTBED:-/tmp/virtdeck-testbed}"

## distclean: clean, plus the venv and the tiny guest's kernel/initrd
distclean: clean
	rm -rf $(VENV) /var/lib/libvirt/images/virtdeck-test
