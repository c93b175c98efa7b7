# Two entry points, each doing all of its own set-up: `make explore` and `make test`.
# Re-running is quick: the install runs again only when pyproject.toml or its lock changed (the install is editable).
# Versions come from the lock files in requirements/ (`make lock` refreshes them), so every machine installs the
# same set. The installer is uv, put into the venv by pip (several times faster than pip at resolving and
# installing ~130 packages); where uv cannot be installed, pip installs from the same lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
LOCKS  := requirements

.PHONY: explore test lint test-random mutate binder-constraints lock regen-notebooks bench clean reset-demo badges

# uv (put into the venv by pip on first use, also in a venv made before uv was used) when it can be had, else pip;
# the same arguments either way
INSTALL = sh -c '[ -x "$(BIN)/uv" ] || "$(BIN)/python" -m pip install --quiet uv \
	|| echo "uv could not be installed: pip installs instead (slower)"; \
	if [ -x "$(BIN)/uv" ]; then exec "$(BIN)/uv" pip install --quiet --python "$(BIN)/python" "$$@"; \
	else exec "$(BIN)/python" -m pip install --quiet "$$@"; fi' install

# The venv starts without pip (ensurepip costs seconds of CPU): the system's pip (22.3+: --python) puts uv in, and
# uv puts pip in (so %pip works in notebooks). Where that fails, ensurepip gives the venv pip as usual.
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet uv && $(BIN)/uv pip install --quiet --python $(BIN)/python pip \
		|| $(BIN)/python -m ensurepip --default-pip >/dev/null

$(VENV)/.installed-explore: pyproject.toml $(LOCKS)/explore.txt | $(BIN)/python
	$(INSTALL) -c $(LOCKS)/explore.txt -e '.[explore]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCKS)/test.txt | $(BIN)/python
	$(INSTALL) -c $(LOCKS)/test.txt -e '.[test]'
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

## make lint: ruff, import-linter's contracts on who may import whom, and mypy (strict on core and the API module)
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## make test-random: the fast part of the suite (no notebooks, browser or Binder) in a random order, then reversed;
## order dependence shows up as a failure. SEED=N replays one order (pytest prints the seed it used).
FAST_TESTS := --ignore=tests/notebooks/test_notebooks.py --ignore=tests/e2e/test_browser.py --ignore=tests/e2e/test_binder.py \
	--ignore=tests/e2e/test_newcomer_path.py
SEED ?=
test-random: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(FAST_TESTS) -p random_order --random-order $(if $(SEED),--random-order-seed=$(SEED)) $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(FAST_TESTS) --reverse-order $(PYTEST_ARGS)

## make mutate [MODULES="pkce jwt"]: mutation testing (mutmut) of the modules that decide who gets in and what is
## retried, revoked or flagged; prints each module's score. Slow, not part of `make test`. MUTATE_JOBS=N workers.
MODULES ?=
mutate: $(VENV)/.installed-test
	$(BIN)/python scripts/mutate.py $(MODULES)

## make lock [UPGRADE=1]: after editing pyproject.toml's dependencies, write the lock files again (uv, in the venv):
## requirements/test.txt, then requirements/explore.txt within its versions (explore installs what CI tested), then
## binder/constraints.txt. Pins are kept where they still fit; UPGRADE=1 moves everything to the newest versions.
## requirements/held-back.txt caps the few packages the locks hold back, each with its reason.
LOCK_ARGS = --quiet --universal --python-version 3.11.5 --custom-compile-command "make lock" \
	-c $(LOCKS)/held-back.txt $(if $(UPGRADE),--upgrade)
lock: $(BIN)/python
	@[ -x $(BIN)/uv ] || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test $(LOCK_ARGS) -o $(LOCKS)/test.txt
	$(BIN)/uv pip compile pyproject.toml --extra explore -c $(LOCKS)/test.txt $(LOCK_ARGS) -o $(LOCKS)/explore.txt
	$(MAKE) binder-constraints

## make binder-constraints: copy the explore lock's pins to binder/constraints.txt (what Binder installs)
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
