# make book : create .venv, install the pinned requirements and lrcore (Python only: MathJax and
#             axe-core come from Python packages), build _build/html
# make test : build, lint, unit tests, then the built site: its links and anchors (no browser),
#             the PDF, the browser tests (any Chromium or Chrome the machine has; .ci/run installs
#             Debian's), and last the phone profile's pages beside strict nbval of the notebooks
#             the build executed, as built and under other thread counts and CPU code path. Every
#             stage keeps every core busy (pytest-xdist; the four nbval settings side by side at
#             low priority on what the phone pages leave), with results that do not depend on it.
# make check: after an edit, the checks of what changed (tools/check_edit.py): lint, the
#             incremental build, the unit tests and strict nbval of the chapters the edit reaches,
#             the links. It says what it skipped; `make test` runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SITE := _build/html/index.html
# pytest-xdist workers, and chapters re-run at once by nbval: one per core (JOBS=1: one at a time).
JOBS ?= auto
UNIT_TESTS := tests --ignore=tests/browser --ignore=tests/test_links.py --ignore=tests/test_pdf.py

.PHONY: book test check lint unit nbval reproducible links site-weight pdf pdf-check browser browser-parallel browser-phone phone-beside-nbval nbval-every-setting bench bench-build clean fuzz assignments

# The fast build: _config.yml translated by jupyter-book, then sphinx-build -j on all cores,
# as strict as `jupyter-book build . -W -n --keep-going` (see tools/build_book.py); the build also
# makes lrcore's wheel (_build/html/_downloads/), which the first cell of every notebook the site
# offers installs, pinned by its SHA-256 (book/_ext/notebook_downloads.py; LRBOOK_BASE_URL: where
# the site is published). Then the students' exercise notebooks, published into the site
# (_build/html/_downloads/student/).
book: $(INSTALLED)
	$(BIN)/python tools/build_book.py
	$(BIN)/python tools/student_notebooks.py
	$(BIN)/python tools/build_pdf.py

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $@

# The site that `links` and `browser` test, built if there is none yet.
$(SITE):
	$(MAKE) book

# `make assignments` is not a stage: tests/test_assignments.py makes every assignment with the same
# tool and grades every chapter's solutions with its autograder (what `otter assign` runs on the way).
# The last stage runs strict nbval of every setting (`make nbval` and `make reproducible`, side by
# side) beside the phone profile's pages, at the lowest priority (phone-beside-nbval): 177 s for
# the stage, where `make nbval` (41 s) then the pages beside `make reproducible` (155 s) took 196 s.
# Beside the unit tests, `make nbval` at nice 19 made the two stages 24 s slower, not faster (a
# fresh-clone run): the unit tests leave no core idle for long.
test: book lint unit links site-weight pdf-check browser-parallel phone-beside-nbval

# $(call beside,COMMAND,TARGET): `make TARGET` at nice 19 in the background while COMMAND runs;
# TARGET's output is printed after COMMAND's, and the recipe fails if either failed. TARGET takes
# only what COMMAND leaves of the cores (nice 19 weighs 15 against 1024), and what it checks does
# not depend on its speed.
define beside
	@log=$$(mktemp); \
	echo "make $(2) at nice 19, beside: $(1) (its output follows)"; \
	nice -n 19 $(MAKE) --no-print-directory $(2) > $$log 2>&1 & background=$$!; \
	$(1); foreground=$$?; \
	wait $$background; status=$$?; cat $$log; rm -f $$log; \
	echo "$(1): exit $$foreground; make $(2): exit $$status"; \
	test $$foreground -eq 0 && test $$status -eq 0
endef


# For instructors: one otter-grader assignment per chapter with student exercises, made from the
# built site's chapter notebooks (the same source as the exercise notebooks), into
# _build/assignments/<chapter>/ (student notebook, autograder zip, solutions), not into the
# published site; `otter assign` grades the solutions on the way (tools/assignments.py). Grade a
# folder of submissions locally: tools/grade.py SUBMISSIONS --assignment <chapter> --out grades.csv.
assignments: $(INSTALLED) | $(SITE)
	$(BIN)/python tools/assignments.py

# The whole book as one PDF (tools/build_pdf.py: Sphinx's single page printed by Chromium, from the
# site build's execution cache) into _build/html/_downloads/lrcore-book.pdf, where the site links
# it; `make book` makes it too. Then its tests (tests/test_pdf.py).
pdf: $(INSTALLED) | $(SITE)
	$(BIN)/python tools/build_pdf.py
	$(MAKE) pdf-check

pdf-check: $(INSTALLED) | $(SITE)
	$(BIN)/python -m pytest tests/test_pdf.py

lint: $(INSTALLED)
	$(BIN)/ruff check lrcore tests benchmarks tools book assignments

# Over pytest-xdist, one worker per core; a module's costly module-scoped fixture on one worker,
# and those groups sent first (tests/conftest.py, tests/xdist_groups.py).
unit: $(INSTALLED)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup --no-loadscope-reorder $(UNIT_TESTS)

# After an edit (tools/check_edit.py; BASE=<commit> to compare with another commit than HEAD).
BASE ?= HEAD
check: $(INSTALLED)
	$(BIN)/python tools/check_edit.py --base $(BASE) --jobs $(JOBS)

# Strict nbval (tests/nbval_book.py) on the notebooks the build executed, as it executed them,
# $(JOBS) chapters at a time, each in its own one-thread kernel.
nbval: $(INSTALLED)
	$(BIN)/python tools/check_reproducible.py --variant as-built --jobs $(JOBS)

# Strict nbval again with 2 and 4 threads and with ATEN_CPU_CAPABILITY=default: what a chapter
# shows must not depend on the thread count or the CPU (tools/check_reproducible.py).
reproducible: $(INSTALLED)
	$(BIN)/python tools/check_reproducible.py --jobs $(JOBS)

# `make nbval` and `make reproducible` in one run: the four settings side by side.
nbval-every-setting: $(INSTALLED)
	$(BIN)/python tools/check_reproducible.py --every-setting --jobs $(JOBS)

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
# browser-parallel: over pytest-xdist, each worker serving the site on a port of its own; the tests
# of the page audit and of the fresh environment stay on one worker each (xdist_group,
# tests/browser/conftest.py), sent first. browser-phone: the phone profile's pages, alone (see
# phone-beside-nbval).
BROWSER_PYTEST := $(BIN)/python -m pytest --confcutdir=tests/browser -p no:hypothesispytest
PHONE_TESTS := tests/browser/test_mobile_performance.py
browser: browser-parallel browser-phone

browser-parallel: $(INSTALLED) | $(SITE)
	$(BIN)/python tests/browser/book_site.py
	$(BROWSER_PYTEST) -n $(JOBS) --dist loadgroup --no-loadscope-reorder --ignore=$(PHONE_TESTS) tests/browser

browser-phone: $(INSTALLED) | $(SITE)
	$(BROWSER_PYTEST) $(PHONE_TESTS)

# The phone profile's pages keep one core busy: Chromium's 4x CPU slowdown makes the page's main
# thread wait by spinning. Beside other work at the same priority (another page, or a fresh
# environment running every chapter), a page's load under the slowdown sometimes never finished
# (120-second limit; 1 run in 4 with two pages at once, in two fresh-clone runs beside the fresh
# environment). So strict nbval of every setting runs beside them at the lowest priority (nice
# 19): it takes what the pages leave (`beside`).
phone-beside-nbval: $(INSTALLED) | $(SITE)
	$(call beside,$(MAKE) --no-print-directory browser-phone,nbval-every-setting)

# lrcore's contract, deeper: the property-based tests of tests/test_properties*.py with fresh random
# examples, 2000 per property in test_properties.py and 50 times `make unit`'s count in the others
# (`make unit` runs the same properties derandomized: 30 each there, 1 to 30 in the others).
fuzz: $(INSTALLED)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_properties.py tests/test_properties_api.py tests/test_properties_figures.py

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_lrcore.py

# Clean parallel build against plain `jupyter-book build .`, three rounds each, then the
# incremental rebuilds (about 15 minutes on 2 cores).
bench-build: $(INSTALLED)
	$(BIN)/python benchmarks/bench_build.py --rounds 3

clean:
	rm -rf _build
