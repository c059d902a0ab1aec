# The two commands of the README: `make demo` and `make test`. Both bootstrap .venv with the
# pinned dependencies and the package (built by its own build backend) on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.pidkit-installed

.PHONY: demo test test-all bench lint figures notebooks clean

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
	$(BIN)/python notebooks/sync.py

$(STAMP): pyproject.toml requirements-dev.txt CMakeLists.txt $(wildcard pidkit/kernels/*.cpp pidkit/kernels/*.hpp pidkit/kernels/native/*.hpp)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) build .pytest_cache
