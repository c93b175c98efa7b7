# Two entry points, each doing all of its own set-up: `make explore` and `make test`.
# Re-running is quick: pip runs again only when pyproject.toml changed (the install is editable).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: explore test lint test-random mutate binder-constraints regen-notebooks bench clean reset-demo badges

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

## make test: the lint and the layer contracts (pyproject.toml), then the whole suite (sandbox, API, panels, audit,
## notebooks, browser, Binder simulation); a lint error or a broken layer fails before any test runs
test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff, and import-linter's contracts on who may import whom
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## make test-random: the fast part of the suite (no notebooks, browser or Binder) in a random order, then reversed;
## order dependence shows up as a failure. SEED=N replays one order (pytest prints the seed it used).
FAST_TESTS := --ignore=tests/notebooks/test_notebooks.py --ignore=tests/e2e/test_browser.py --ignore=tests/e2e/test_binder.py
SEED ?=
test-random: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(FAST_TESTS) -p random_order --random-order $(if $(SEED),--random-order-seed=$(SEED)) $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(FAST_TESTS) --reverse-order $(PYTEST_ARGS)

## make mutate [MODULES="pkce jwt"]: mutation testing (mutmut) of the modules that decide who gets in and what is
## retried, revoked or flagged; prints each module's score. Slow, not part of `make test`. MUTATE_JOBS=N workers.
MODULES ?=
mutate: $(VENV)/.installed-test
	$(BIN)/python scripts/mutate.py $(MODULES)

## make binder-constraints: pin binder/constraints.txt to the versions installed here (after upgrading packages)
binder-constraints: $(VENV)/.installed-test
	$(BIN)/python scripts/binder_constraints.py

## make regen-notebooks: execute the notebooks against a fresh demo sandbox and store their outputs
regen-notebooks: $(VENV)/.installed-test
	-$(BIN)/python -m pytest tests/notebooks/test_notebooks.py --nb-force-regen

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
