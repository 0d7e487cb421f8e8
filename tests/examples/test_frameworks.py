"""The in-venv framework examples (OpenAI Agents SDK, AutoGen AgentChat) through our
proxy, each with its real framework package: the scripted tool-using model (the whole
tool loop, reward 1), the real server on the tiny model, and one GRPO step. An example
whose extra is not installed is skipped with the reason. (CrewAI cannot share our
venv: tests/examples/test_crewai.py runs it as a runner process of its own.)"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from tests.examples.harness import (
    check_exactly_once,
    check_real_model_calls,
    check_tool_loop,
    grpo_step,
    llm_spans,
    run_example,
    stack,
)
from tests.llm.conftest import engine, model_server, tiny_model_dir  # noqa: F401 (fixtures)
from tests.llm.tool_llm import ToolLLM

# example module -> (framework packages it needs, the extra that installs them)
FRAMEWORKS = {
    "openai_agents": (("agents",), "the [openai-agents] extra (openai-agents) is not installed"),
    "autogen": (("autogen_agentchat", "autogen_ext.models.openai"),
                "the AutoGen packages (make install-extras: autogen-agentchat, autogen-ext[openai]) are not installed"),
}


@pytest.fixture(params=sorted(FRAMEWORKS))
def example(request: pytest.FixtureRequest) -> ModuleType:
    packages, reason = FRAMEWORKS[request.param]
    for package in packages:
        pytest.importorskip(package, reason=reason)
    return importlib.import_module(f"agl_ops.examples.{request.param}")


def test_tool_loop_with_a_scripted_model(example: ModuleType) -> None:
    llm = ToolLLM()
    with llm.serve() as server, stack(server.url) as s:
        rollouts = run_example(example.agent, example.TASKS[:4], s)
    check_exactly_once(s.store, rollouts)
    check_tool_loop(s.store, rollouts)
    assert all(len(llm_spans(s.store, r)) == 2 for r in rollouts)
    assert all(req["model"] == "tiny" for req in llm.requests)


def test_real_server_on_the_tiny_model(example: ModuleType, model_server, engine) -> None:  # noqa: F811
    with stack(model_server.url, max_tokens=8, temperature=1.0) as s:
        rollouts = run_example(example.agent, example.TASKS[:3], s)
    check_exactly_once(s.store, rollouts)
    check_real_model_calls(s.store, rollouts, engine.tokenizer)


def test_one_grpo_step(example: ModuleType, tmp_path: Path, tiny_model_dir: Path, model_server) -> None:  # noqa: F811
    result, metrics, store = grpo_step(example.agent, example.TASKS[:2], tiny_model_dir, model_server.url, tmp_path)
    assert result.steps == 1
    step = next(m for m in metrics if "train/reward_mean" in m)
    assert step["adapter/triplets"] >= 4 and step["adapter/no_token_ids"] == 0
    assert "train/loss" in step  # an update ran on the framework's transitions
    import httpx

    assert httpx.get(f"{model_server.url}/health").json()["model_version"] == "grpo-step-1"
