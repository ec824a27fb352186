# OneTrip Kiosk. Two commands on a fresh Debian 12 machine: `make demo` and `make test`.
# Every target installs what it needs (apt packages, a virtual environment, pip packages)
# and can be run again at no cost.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
APT_PACKAGES := python3-venv xvfb xauth fonts-wqy-microhei libgl1 libegl1 libgles2 \
                libmtdev1 libxrender1 libxi6 libxcursor1 libxrandr2 libxss1 libxkbcommon0 \
                postgresql \
                pcscd libpcsclite-dev swig vsmartcard-vpcd vsmartcard-vpicc \
                python3-virtualsmartcard python3-pycryptodome \
                socat libzbar0 \
                cups-ipp-utils cups-daemon cups-client dbus-daemon \
                espeak-ng chromium chromium-driver
PO := $(wildcard kiosk/locale/*/LC_MESSAGES/kiosk.po central/locale/*/LC_MESSAGES/central.po)
MO := $(PO:.po=.mo)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench deps system-packages clean journey-diagram lint

demo: deps
	$(PY) -m tools.demo.run --output demo-output

test: deps lint
	$(PY) -m pytest -q

# Static checks, part of make test: ruff over the tree, mypy over the packages in
# pyproject.toml (strict where a module was written new).
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: deps
	$(PY) benchmarks/run.py --output benchmarks/results.json

# The journey's diagram, drawn from its table (kiosk/journey/table.py); a test runs this
# target into a temporary file and checks docs/journey.md is what the table draws.
JOURNEY_DIAGRAM ?= docs/journey.md
journey-diagram:
	$(PY) -m kiosk.journey.diagram $(JOURNEY_DIAGRAM)

deps: system-packages $(STAMP) $(MO)

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[ui,central,postgres,pcsc,opencv,photo,serial,metrics,test]'
	$(PY) -m pip install -q --no-deps mediapipe==0.10.14
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile -D $(basename $(notdir $<)) -i $< -o $@

clean:
	rm -rf demo-output var .pytest_cache
