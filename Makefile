# The two commands of the README: `make demo` and `make test`. Both bootstrap .venv with the
# pinned dependencies and the package (built by its own build backend) on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.pidkit-installed

.PHONY: demo test test-all bench lint figures notebooks docs docs-notebooks wheel clean

demo: $(STAMP)
	$(BIN)/pidkit demo

test: $(STAMP)
	$(BIN)/pytest -n 2

test-all: $(STAMP)
	$(BIN)/pytest -n 2 -m ""

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_exact.py

lint: $(STAMP)
	$(BIN)/ruff check pidkit tests benchmarks notebooks docs

figures: $(STAMP)
	$(BIN)/python docs/make_figures.py

notebooks: $(STAMP)
	$(BIN)/jupytext --to ipynb --update notebooks/[0-9][0-9]_*.py

# the documentation site in docs/_build/html (open index.html); any Sphinx warning fails the build.
# tests/test_docs.py runs the same build, with these options, into a temporary folder.
SPHINXOPTS := -b html -W --keep-going -q
docs: $(STAMP)
	$(BIN)/python -m sphinx $(SPHINXOPTS) docs docs/_build/html

# run the notebooks and store the copies with outputs that the site shows (docs/notebooks/)
docs-notebooks: $(STAMP)
	$(BIN)/python docs/run_notebooks.py

# a wheel in dist/ (compiled kernels and package data inside): pip install dist/pidkit-*.whl elsewhere
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation -w dist .

$(STAMP): pyproject.toml requirements-dev.txt CMakeLists.txt $(wildcard pidkit/kernels/*.cpp pidkit/kernels/*.hpp pidkit/kernels/native/*.hpp)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) build dist .pytest_cache docs/_build docs/api docs/jupyter_execute
