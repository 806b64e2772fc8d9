# The two commands: `make demo` and `make test` (CI adds `make fuzz` and `make lint`).
# Everything else: `python -m wangge <command>`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
VENDOR := wangge/static/vendor/.copied
export DJANGO_SETTINGS_MODULE ?= wangge.settings

.PHONY: demo test fuzz lint install vendor serve bench clean

# Served as a deployment serves it (WANGGE_DEBUG=0: hashed, compressed static files cached for a year, no debug
# pages); WANGGE_DEBUG=1 make demo for the development server's behaviour.
SERVE = WANGGE_DEBUG=$${WANGGE_DEBUG:-0} $(BIN)/python -m wangge serve

demo: install vendor
	$(BIN)/python -m wangge migrate --noinput -v0
	$(BIN)/python -m wangge load_demo
	$(BIN)/python -m wangge collectstatic --noinput -v0
	$(SERVE) --demo

# Two workers (pytest-xdist): CI machines have two cores, and the suite is run this way on both databases.
# The one test that asserts a time (the portal's map on a throttled network) runs afterwards on its own, with no
# other test competing for the two cores; "no test ran" (status 5: no chromium here) is not a failure.
# The fault tests (marker `faults`: PostgreSQL crashed and restarted under ingestion; the server restarted is one
# the test starts itself, from the PostgreSQL server programs) run last, alone, in the PostgreSQL pass only.
test: $(TEST_INSTALLED) vendor
	$(BIN)/python -m pytest -n 2 -m "not timing and not faults" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m timing $(PYTEST_ARGS); status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]
	case "$$DATABASE_URL" in postgres*) $(BIN)/python -m pytest -m faults $(PYTEST_ARGS);; esac

# schemathesis over every API operation as three roles; no answer may be a 5xx (fuzz/test_api_fuzz.py).
# WANGGE_FUZZ_EXAMPLES (default 12 per operation) searches harder, WANGGE_FUZZ_RANDOM=1 tries new inputs.
fuzz: $(TEST_INSTALLED)
	$(BIN)/python -m pytest fuzz -n 2 $(PYTEST_ARGS)

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check .

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $@

$(TEST_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

vendor: $(VENDOR)

# Front-end packages come from npm and are copied into static files; none are committed.
$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p wangge/static/vendor
	cp node_modules/echarts/dist/echarts.min.js node_modules/htmx.org/dist/htmx.min.js wangge/static/vendor/
	mkdir -p wangge/static/vendor/leaflet
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map \
		node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images wangge/static/vendor/leaflet/
	touch $@

serve: install vendor
	$(SERVE)

bench: install
	$(BIN)/python bench/locate.py
	$(BIN)/python bench/http_locate.py
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) node_modules wangge/static/vendor staticfiles
