# make book : create .venv, install the pinned requirements and lrcore, build _build/html
# make test : lint, unit tests, then strict nbval on the notebooks the build executed
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: book test lint unit nbval bench clean

# The fast build: _config.yml translated by jupyter-book, then sphinx-build -j on all cores,
# as strict as `jupyter-book build . -W -n --keep-going` (see tools/build_book.py).
book: $(INSTALLED)
	$(BIN)/python tools/build_book.py

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $@

test: book lint unit nbval

lint: $(INSTALLED)
	$(BIN)/ruff check lrcore tests benchmarks tools book

unit: $(INSTALLED)
	$(BIN)/python -m pytest tests

nbval: $(INSTALLED)
	$(BIN)/python -m pytest -p tests.nbval_glue --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		_build/jupyter_execute

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_lrcore.py

clean:
	rm -rf _build
