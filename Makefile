# blogport: make demo | make test | make bench
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: env demo test bench clean

env: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: env
	$(BIN)/python -m fixtures.demo --out demo-output

test: env
	$(BIN)/python -m pytest -q

bench: env
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) demo-output bench-output
