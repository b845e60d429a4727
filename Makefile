# One-command set-up and runs. `make demo`: the main job end to end, offline.
# `make test`: the whole test suite (core and every plugin). Both create .venv first.
PYTHON ?= python3.11
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP := $(VENV)/.installed
# what mypy checks: the core and each plugin's package (plugins/*/<package>/, the example's too)
TYPED := dnallm_zoo $(patsubst %/__init__.py,%,$(wildcard plugins/*/*/__init__.py examples/*/*/__init__.py))

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml $(addsuffix pyproject.toml,$(PLUGINS))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[test,finetune,ray,plot,variants,interpret]" $(addprefix -e ,$(PLUGINS))
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/dnallm-zoo embed examples/phix174.fa --model dnabert-demo -o phix174.parquet
	$(BIN)/python -c "import pyarrow.parquet as pq; t = pq.read_table('phix174.parquet'); \
	v = t['embedding'].combine_chunks().flatten().to_numpy().reshape(t.num_rows, -1); \
	print(t['id'][0], t['length'][0], 'bp ->', v.shape, v.dtype, v[0, :4])"

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

# mypy (config: pyproject's [tool.mypy]) rather than pyright: it installs and runs offline from pip
lint: $(STAMP)
	$(BIN)/ruff check dnallm_zoo plugins tests benchmarks scripts examples
	$(BIN)/mypy $(TYPED)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) phix174.parquet .pytest_cache
