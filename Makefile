# blogport: make demo | make test | make bench
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pywb (the Wayback server the web-archive tests replay from) pins libraries that clash with
# blogport's, so it gets a virtualenv of its own.
PYWB_VENV  := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed

.PHONY: env demo test bench clean

env: $(STAMP) $(PYWB_STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

$(PYWB_STAMP): requirements-pywb.lock
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-pywb.lock
	touch $(PYWB_STAMP)

demo: env
	$(BIN)/python -m fixtures.demo --out demo-output

# The tests spend much of their time waiting on child processes (blogport, Hugo, Jekyll, pywb,
# PHP, wget), so they run on every core; tests of one file share a worker and its fixtures.
test: env
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: env
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(PYWB_VENV) demo-output bench-output
