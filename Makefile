# Thin wrapper: every target creates .venv the first time.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: site test serve bench check lint system-deps clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[ml,test,scale]"
	touch $(STAMP)

site: $(STAMP) system-deps
	$(BIN)/dlip build

serve: $(STAMP)
	$(BIN)/dlip serve

check: $(STAMP)
	$(BIN)/dlip check

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks code

# Debian packages: Chromium for the browser tests (Google Chrome also does), full Fashion-MNIST
# for milestones 001-002.
# Installed only where this machine can (root with apt-get, or passwordless sudo on CI);
# otherwise the tests say what is missing.
system-deps:
	@need=""; command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || need="chromium"; \
	[ -d /usr/share/datasets/fashion-mnist ] || need="$$need dataset-fashion-mnist"; \
	if [ -n "$$need" ]; then \
	  su=""; [ "$$(id -u)" = 0 ] || { [ "$$CI" = true ] && sudo -n true 2>/dev/null && su="sudo -n"; }; \
	  if { [ "$$(id -u)" = 0 ] || [ -n "$$su" ]; } && command -v apt-get >/dev/null 2>&1; then \
	    { $$su apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$su apt-get install -y -qq $$need >/dev/null; } \
	      || echo "could not install:$$need (the tests that need them will say so)"; \
	  else echo "missing Debian packages:$$need (install them to run every test)"; fi; fi

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests benchmarks code
	$(BIN)/python -m pytest

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf site build .dlip
