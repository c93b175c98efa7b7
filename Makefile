# Two entry points, each doing all of its own set-up: `make explore` and `make test`.
# Re-running is quick: pip runs again only when pyproject.toml changed (the install is editable).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: explore test regen-notebooks bench clean reset-demo badges

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-explore: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[explore]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-explore

## make explore: the sandbox with demo data + JupyterLab on notebooks/ (Ctrl-C stops both)
explore: $(VENV)/.installed-explore
	$(BIN)/telnyx-nb explore

## make reset-demo: delete the demo database (user data dir) and seed the demo afresh, e.g. after notebook 03
reset-demo: $(VENV)/.installed-explore
	$(BIN)/telnyx-nb sandbox --reset --no-serve

## make test: the whole suite (sandbox, API, panels, audit, notebooks, browser, Binder simulation)
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make regen-notebooks: execute the notebooks against a fresh demo sandbox and store their outputs
regen-notebooks: $(VENV)/.installed-test
	-$(BIN)/python -m pytest tests/test_notebooks.py --nb-force-regen

## make badges: write the README's Binder badges for this repository's GitHub remote (git remote get-url origin)
badges:
	$(PYTHON) binder/badges.py

## make bench: the benchmark scripts (ratios against peers on this machine)
bench: $(VENV)/.installed-test
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

## make clean: remove the venv and build files; the demo database is user data and stays (said where)
clean:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -c "from telnyx_nb.sandbox.cli import default_db; \
	print('make clean keeps the demo database', default_db(), '(make reset-demo reseeds it; delete it to forget it)')"; fi
	rm -rf $(VENV) build *.egg-info tests/artifacts
