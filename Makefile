# make book : create .venv, install the pinned requirements and lrcore (Python only: MathJax and
#             axe-core come from Python packages), build _build/html
# make test : build, lint, unit tests, strict nbval on the notebooks the build executed, the same
#             again under other thread counts and CPU code path (reproducible), then the built
#             site: its links and anchors (no browser), and the browser tests (any Chromium or
#             Chrome the machine has; .ci/run installs Debian's)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SITE := _build/html/index.html

.PHONY: book test lint unit nbval reproducible links site-weight pdf pdf-check browser bench bench-build clean fuzz

# The fast build: _config.yml translated by jupyter-book, then sphinx-build -j on all cores,
# as strict as `jupyter-book build . -W -n --keep-going` (see tools/build_book.py); then the
# students' exercise notebooks, published into the site (_build/html/_downloads/student/), and lrcore's
# wheel, which the first cell of every notebook the site offers installs (_build/html/_downloads/).
book: $(INSTALLED)
	$(BIN)/python tools/build_book.py
	$(BIN)/python -m build --wheel --no-isolation --outdir _build/html/_downloads .
	$(BIN)/python tools/student_notebooks.py
	$(BIN)/python tools/build_pdf.py

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $@

# The site that `links` and `browser` test, built if there is none yet.
$(SITE):
	$(MAKE) book

test: book lint unit nbval reproducible links site-weight pdf-check browser

# The whole book as one PDF (tools/build_pdf.py: Sphinx's single page printed by Chromium, from the
# site build's execution cache) into _build/html/_downloads/lrcore-book.pdf, where the site links
# it; `make book` makes it too. Then its tests (tests/test_pdf.py).
pdf: $(INSTALLED) | $(SITE)
	$(BIN)/python tools/build_pdf.py
	$(MAKE) pdf-check

pdf-check: $(INSTALLED) | $(SITE)
	$(BIN)/python -m pytest tests/test_pdf.py

lint: $(INSTALLED)
	$(BIN)/ruff check lrcore tests benchmarks tools book

unit: $(INSTALLED)
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/test_links.py --ignore=tests/test_pdf.py

# Strict nbval (tests/nbval_book.py) on the notebooks the build executed, as it executed them.
nbval: $(INSTALLED)
	$(BIN)/python tools/check_reproducible.py --variant as-built

# Strict nbval again with 2 and 4 threads and with ATEN_CPU_CAPABILITY=default: what a chapter
# shows must not depend on the thread count or the CPU (tools/check_reproducible.py).
reproducible: $(INSTALLED)
	$(BIN)/python tools/check_reproducible.py

# Every internal link and anchor of the built site resolves (LRBOOK_BUILD_DIR: another build).
links: $(INSTALLED) | $(SITE)
	$(BIN)/python -m pytest tests/test_links.py

# Every page's raw and gzipped size; fails if a page with an interactive figure weighs more than
# 1.5 x its static version (the same page with the figures' fallback only) and more than 300 KiB.
site-weight: $(INSTALLED) | $(SITE)
	$(BIN)/python tools/site_weight.py

# The built site in Chromium, served on 127.0.0.1 with every other host cut off; screenshots
# go to _build/screenshots/. --confcutdir: the unit tests' conftest (torch, sklearn) is not needed;
# no hypothesis plugin: importing it at the end, beside Playwright's greenlets, crashed CPython 3.11's compiler.
browser: $(INSTALLED) | $(SITE)
	$(BIN)/python tests/browser/book_site.py
	$(BIN)/python -m pytest --confcutdir=tests/browser -p no:hypothesispytest tests/browser

# lrcore's contract, deeper: the property-based tests of tests/test_properties.py with fresh random
# examples, 2000 per property (`make unit` runs the same properties derandomized, 30 each).
fuzz: $(INSTALLED)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_properties.py

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_lrcore.py

# Clean parallel build against plain `jupyter-book build .`, three rounds each, then the
# incremental rebuilds (about 15 minutes on 2 cores).
bench-build: $(INSTALLED)
	$(BIN)/python benchmarks/bench_build.py --rounds 3

clean:
	rm -rf _build
