"""GRPO is task-free: the same algorithm trains a plain openai-client agent on another
task (arithmetic) through the real server (tiny model) and proxy, no SQL code involved."""

from __future__ import annotations

import sys
from pathlib import Path

from agl_ops.examples.openai_client import TASKS, agent
from tests.examples.harness import grpo_step


def test_one_grpo_step_on_the_arithmetic_agent(tmp_path: Path, tiny_model_dir: Path, model_server) -> None:
    result, seen, _ = grpo_step(agent, TASKS[:4], tiny_model_dir, model_server.url, tmp_path)
    assert result.steps == 1
    step = next(m for m in seen if "train/transitions" in m)
    assert step["train/transitions"] > 0 and "train/loss" in step
    assert (tmp_path / "out" / "adapter_config.json").is_file()  # the trained adapter (merge off)
