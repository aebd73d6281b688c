# make book : create .venv, install the pinned requirements and lrcore, `npm ci` (MathJax, which
#             the site serves itself, and axe-core, for the browser tests), build _build/html
# make test : build, lint, unit tests, strict nbval on the notebooks the build executed, then the
#             built site: its links and anchors (no browser), and the browser tests (Debian's
#             Chromium; .ci/run installs it where missing)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
SITE := _build/html/index.html

.PHONY: book test lint unit nbval links browser bench bench-build clean

# The fast build: _config.yml translated by jupyter-book, then sphinx-build -j on all cores,
# as strict as `jupyter-book build . -W -n --keep-going` (see tools/build_book.py); then the
# students' exercise notebooks, published into the site (_build/html/_downloads/student/), and lrcore's
# wheel, which the first cell of every notebook the site offers installs (_build/html/_downloads/).
book: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python tools/build_book.py
	$(BIN)/python -m build --wheel --no-isolation --outdir _build/html/_downloads .
	$(BIN)/python tools/student_notebooks.py

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $@

# Exactly the versions of package-lock.json; node_modules/ is not committed.
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The site that `links` and `browser` test, built if there is none yet.
$(SITE):
	$(MAKE) book

test: book lint unit nbval links browser

lint: $(INSTALLED)
	$(BIN)/ruff check lrcore tests benchmarks tools book

unit: $(INSTALLED)
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/test_links.py

nbval: $(INSTALLED)
	$(BIN)/python -m pytest -p tests.nbval_glue --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		_build/jupyter_execute

# Every internal link and anchor of the built site resolves (LRBOOK_BUILD_DIR: another build).
links: $(INSTALLED) | $(SITE)
	$(BIN)/python -m pytest tests/test_links.py

# The built site in Chromium, served on 127.0.0.1 with every other host cut off; screenshots
# go to _build/screenshots/. --confcutdir: the unit tests' conftest (torch, sklearn) is not needed.
browser: $(INSTALLED) $(NODE_INSTALLED) | $(SITE)
	$(BIN)/python -m pytest --confcutdir=tests/browser tests/browser

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_lrcore.py

# Clean parallel build against plain `jupyter-book build .`, three rounds each, then the
# incremental rebuilds (about 15 minutes on 2 cores).
bench-build: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python benchmarks/bench_build.py --rounds 3

clean:
	rm -rf _build
