# Suara: two commands. `make run` and `make test` create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate sandbox demo bench clean install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# A production install: the bot and its run-time dependencies only, no test or lint tools.
install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .

run: $(STAMP)
	@$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/ruff check bot tests bench scripts
	$(BIN)/ruff format --check bot tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

sandbox: $(STAMP)
	$(BIN)/python -m bot sandbox

demo: $(STAMP)
	$(BIN)/python -m bot demo

# Benchmarks report figures against their targets; they never fail. `make bench-NAME` runs
# bench/NAME.py alone (sentiment, sentiment_speed, dispatch, digest, updates, web,
# certificates).
BENCHES := sentiment sentiment_speed dispatch updates digest web certificates

bench: $(STAMP)
	@for name in $(BENCHES); do echo "== $$name"; $(BIN)/python -W ignore bench/$$name.py || exit 1; done

bench-%: $(STAMP)
	$(BIN)/python -W ignore bench/$*.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
