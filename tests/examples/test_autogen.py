"""The AutoGen AgentChat example through our proxy: the scripted tool-using model (the
whole tool loop, reward 1), the real server on the tiny model, and one GRPO step."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("autogen_agentchat", reason="the [autogen] extra (autogen-agentchat, autogen-ext[openai]) is not installed")
pytest.importorskip("autogen_ext.models.openai", reason="the [autogen] extra (autogen-ext[openai]) is not installed")

from agl_ops.examples.autogen import TASKS, agent  # noqa: E402
from tests.examples.harness import (  # noqa: E402
    check_exactly_once,
    check_real_model_calls,
    check_tool_loop,
    grpo_step,
    llm_spans,
    run_example,
    stack,
)
from tests.llm.conftest import engine, model_server, tiny_model_dir  # noqa: E402,F401 (fixtures)
from tests.llm.tool_llm import ToolLLM  # noqa: E402


def test_tool_loop_with_a_scripted_model() -> None:
    llm = ToolLLM()
    with llm.serve() as server, stack(server.url) as s:
        rollouts = run_example(agent, TASKS[:4], s)
    check_exactly_once(s.store, rollouts)
    check_tool_loop(s.store, rollouts)
    assert all(len(llm_spans(s.store, r)) == 2 for r in rollouts)
    assert all(req["model"] == "tiny" for req in llm.requests)


def test_real_server_on_the_tiny_model(model_server, engine) -> None:
    with stack(model_server.url, max_tokens=8, temperature=1.0) as s:
        rollouts = run_example(agent, TASKS[:3], s)
    check_exactly_once(s.store, rollouts)
    check_real_model_calls(s.store, rollouts, engine.tokenizer)


def test_one_grpo_step(tmp_path: Path, tiny_model_dir: Path, model_server) -> None:
    result, metrics, store = grpo_step(agent, TASKS[:2], tiny_model_dir, model_server.url, tmp_path)
    assert result.steps == 1
    step = next(m for m in metrics if "train/reward_mean" in m)
    assert step["adapter/triplets"] >= 4 and step["adapter/no_token_ids"] == 0
    assert "train/loss" in step  # an update ran on the framework's transitions
    import httpx

    assert httpx.get(f"{model_server.url}/health").json()["model_version"] == "grpo-step-1"
