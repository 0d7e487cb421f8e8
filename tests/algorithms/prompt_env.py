"""Shared pieces of the prompt optimization tests: a small synthetic Spider dataset, a
scripted OpenAI endpoint (the only test double) and a Trainer around an algorithm.

The scripted model answers the SQL agent's ``write`` step with the gold query when the
prompt passes a test (``good(prompt)``), else with a valid but wrong query; the checker
always approves, so each rollout is one write and one check. Optimizer calls (span
name ``optimizer``) are answered by ``optimizer(prompt)``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.prompts import default_resources
from agl_ops.trainer import Trainer
from tests.tasks.sql.fake_llm import FakeLLM

_QUESTION = re.compile(r"^Question: (.*)$", re.M)
WRONG = "```sql\nSELECT 1 WHERE 0 = 1\n```"


def synth_rows(root: Path) -> dict[str, list[dict[str, Any]]]:
    from agl_ops.tasks.sql.spider import SpiderDataset
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    generate_dataset(root, SynthParams(seed=5, train_size=60, val_size=16, test_size=16))
    ds = SpiderDataset(root)
    return {split: [t.to_row() for t in ds.load(split)] for split in ("train", "val", "test")}


def last_question(prompt: str) -> str:
    """The task's question: the last ``Question:`` line (demos come before it)."""
    found = _QUESTION.findall(prompt)
    return found[-1].strip() if found else ""


class ScriptedModel:
    def __init__(self, rows: dict[str, list[dict[str, Any]]], good: Callable[[str, dict[str, Any]], bool],
                 optimizer: Callable[[str], str] | None = None) -> None:
        self.answers = {r["question"]: r for split in rows.values() for r in split}
        self.good, self.optimizer = good, optimizer
        self.optimizer_prompts: list[str] = []
        self.lock = threading.Lock()
        self.fake = FakeLLM(self.script)

    def script(self, step: str, prompt: str) -> str:
        if step == "optimizer":
            with self.lock:
                self.optimizer_prompts.append(prompt)
            return self.optimizer(prompt) if self.optimizer else "no idea"
        if step == "check":
            return "THE QUERY IS CORRECT"
        row = self.answers.get(last_question(prompt))
        if row is not None and self.good(prompt, row):
            return f"```sql\n{row['query']}\n```"
        return WRONG

    def write_prompts(self) -> list[str]:
        return [c.prompt for c in self.fake.calls if c.step == "write"]


def fit(algorithm: Any, url: str, rows: dict[str, list[dict[str, Any]]], n_runners: int = 4) -> Any:
    resources = default_resources(url, "fake-model")
    trainer = Trainer(algorithm=algorithm, n_runners=n_runners, initial_resources=resources, runner_backend="thread",
                      show_progress=False, timeout_s=60)
    return trainer.fit(LitSQLAgent(max_turns=1), rows["train"], rows["val"])
