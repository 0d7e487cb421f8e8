"""`agl-ops dev --agent agl_ops.examples.<framework>:agent` prints the dry-run table with the
LLM spans the proxy recorded (the scripted tool-using model, and the tiny model)."""

from __future__ import annotations

import importlib.util
import re

import pytest
from typer.testing import CliRunner

from agl_ops.cli import app
from tests.llm.conftest import engine, model_server, tiny_model_dir  # noqa: F401 (fixtures)
from tests.llm.tool_llm import ToolLLM

EXAMPLES = [
    pytest.param("openai_agents", marks=pytest.mark.skipif(importlib.util.find_spec("agents") is None,
                                                           reason="the [openai-agents] extra is not installed")),
    pytest.param("autogen", marks=pytest.mark.skipif(importlib.util.find_spec("autogen_agentchat") is None,
                                                     reason="the [autogen] extra is not installed")),
]


def _rows(output: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines() if re.match(r"^│ \w{8} ", line)]


@pytest.mark.parametrize("framework", EXAMPLES)
def test_dev_table_counts_llm_spans(framework: str) -> None:
    with ToolLLM().serve() as server:
        result = CliRunner().invoke(app, ["dev", "--agent", f"agl_ops.examples.{framework}:agent",
                                          "--llm-endpoint", server.url, "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert len(rows) == 3 and "3/3 succeeded, mean reward 1.000" in result.output
    # columns: rollout, task, status, reward, attempts, spans, llm calls, error
    assert all(r[2] == "succeeded" and r[3] == "1.000" and r[6] == "2" for r in rows), result.output


def test_dev_on_the_tiny_model(model_server) -> None:
    pytest.importorskip("agents", reason="the [openai-agents] extra is not installed")
    result = CliRunner().invoke(app, ["dev", "--agent", "agl_ops.examples.openai_agents:agent",
                                      "--llm-endpoint", model_server.url, "--limit", "2"])
    rows = _rows(result.output)
    assert len(rows) == 2 and all(int(r[6]) >= 1 for r in rows), result.output
    assert "with tiny at" in result.output  # the model name came from /v1/models
