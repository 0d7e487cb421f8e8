"""Evaluation through the Trainer's runners, against the scripted fake endpoint."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from agl_ops.store import MemoryStore
from agl_ops.tasks.sql.evaluate import evaluate
from agl_ops.tasks.sql.prompts import default_resources
from agl_ops.tasks.sql.spider import SpiderDataset
from agl_ops.types import RolloutStatus
from tests.tasks.sql.fake_llm import FakeLLM

_QUESTION = re.compile(r"^Question: (.*)$", re.M)


@pytest.fixture
def val_rows(synth_dir: Path) -> list[dict]:
    return [t.to_row() for t in SpiderDataset(synth_dir).load("val", limit=16)]


def _easy_solver(rows: list[dict]):
    """Answers easy questions with their gold SQL (the test double knows the data);
    everything else gets a query with a wrong column, then a wrong but valid one."""
    answers = {r["question"]: r["query"] for r in rows if r["difficulty"] == "easy"}

    def script(step: str, prompt: str) -> str:
        question = _QUESTION.search(prompt).group(1)
        if step == "check":
            return "THE QUERY IS CORRECT" if question in answers else "Wrong table."
        if question in answers:
            return f"```sql\n{answers[question]}\n```"
        return "SELECT no_such_column FROM nowhere" if step == "write" else "SELECT 1 WHERE 0 = 1"

    return script


def test_eval_reports_accuracy_per_tier_and_spans(val_rows: list[dict], tmp_path: Path) -> None:
    fake = FakeLLM(_easy_solver(val_rows))
    store = MemoryStore()
    with fake.serve() as server:
        result = evaluate(val_rows, default_resources(server.url, "fake"), split="val", n_runners=3,
                          store=store, show_progress=False)
    n_easy = sum(r["difficulty"] == "easy" for r in val_rows)
    assert 0 < n_easy < len(val_rows)
    assert result.n == len(val_rows) and result.accuracy == pytest.approx(n_easy / len(val_rows))
    assert result.per_difficulty["easy"].accuracy == 1.0
    assert result.first_query_accuracy == result.accuracy  # the easy ones were right at the first query
    assert all(m.accuracy == 0.0 for tier, m in result.per_difficulty.items() if tier != "easy")
    assert result.error_counts["correct"] == n_easy
    assert result.error_counts["wrong_result"] == len(val_rows) - n_easy
    assert "exec_error" not in result.error_counts  # the last query that ran is the answer
    hard = [e for e in result.examples if e.difficulty != "easy"]
    assert all(e.turns == 3 and e.predicted_query == "SELECT 1 WHERE 0 = 1" for e in hard)
    assert result.mean_turns == pytest.approx((n_easy + 3 * len(hard)) / len(val_rows))
    assert {e.id for e in result.examples} == {r["id"] for r in val_rows}
    # the runner recorded the graph's node spans, the outcome and the reward for each rollout
    rollouts = store.query_rollouts()
    assert len(rollouts) == len(val_rows) and all(r.status is RolloutStatus.SUCCEEDED for r in rollouts)
    names = {s.name for s in store.query_spans(rollouts[0].rollout_id, "latest")}
    assert {"write_query", "execute_query", "check_query", "sql.outcome", "agl.reward"} <= names

    metrics = result.metrics("val_")
    assert metrics["val_accuracy"] == result.accuracy and "val_accuracy_easy" in metrics
    paths = result.write(tmp_path / "out")
    saved = json.loads(paths["metrics"].read_text())
    assert saved["accuracy"] == result.accuracy and "examples" not in saved
    with paths["csv"].open() as f:
        assert len(list(csv.DictReader(f))) == len(val_rows)
    assert len(paths["jsonl"].read_text().splitlines()) == len(val_rows)


def test_eval_counts_failed_rollouts(val_rows: list[dict]) -> None:
    # nothing listens on port 9: every model call fails, so every rollout fails
    resources = default_resources("http://127.0.0.1:9", "fake")
    from agl_ops.tasks.sql.agent import LitSQLAgent

    result = evaluate(val_rows[:3], resources, agent=LitSQLAgent(request_timeout_s=2), n_runners=2,
                      show_progress=False)
    assert result.accuracy == 0.0 and result.error_counts == {"rollout_failed": 3}
    assert all("Connection" in e.error or "connect" in e.error.lower() for e in result.examples)


def test_eval_needs_an_llm(val_rows: list[dict]) -> None:
    with pytest.raises(ValueError, match="main_llm"):
        evaluate(val_rows, default_resources())


def test_llm_spans_through_the_tracing_proxy(val_rows: list[dict]) -> None:
    """Through agl_ops.llm's proxy, each model call becomes one LLM span named after
    the agent's step, so agent_match="write|rewrite" selects the query writers."""
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.types import SpanKind

    rows = val_rows[:4]
    fake = FakeLLM(lambda step, prompt: "Wrong." if step == "check" else "SELECT 1")
    store = MemoryStore()
    with fake.serve() as backend, LLMProxy(backend.url, store) as proxy:
        resources = default_resources()
        resources["main_llm"] = proxy.llm_resource("fake")
        result = evaluate(rows, resources, n_runners=2, store=store, show_progress=False)
    assert result.error_counts.get("rollout_failed", 0) == 0
    for rollout in store.query_rollouts():
        llm_spans = [s for s in store.query_spans(rollout.rollout_id, "latest") if s.kind is SpanKind.LLM]
        assert [s.name for s in sorted(llm_spans, key=lambda s: s.start_time)] == \
            ["write", "check", "rewrite", "check", "rewrite", "check"]
        assert sum(bool(re.fullmatch("write|rewrite", s.name)) for s in llm_spans) == 3
    assert all(c.path == "/v1/chat/completions" for c in fake.calls)  # the proxy forwards to the backend


def test_eval_with_process_runners(val_rows: list[dict]) -> None:
    """The agent is pickled into spawned runner processes and builds its graph there."""
    rows = val_rows[:2]
    answers = {r["question"]: r["query"] for r in rows}
    fake = FakeLLM(lambda step, prompt: "THE QUERY IS CORRECT" if step == "check"
                   else answers[_QUESTION.search(prompt).group(1)])
    with fake.serve() as server:
        result = evaluate(rows, default_resources(server.url, "fake"), n_runners=1, runner_backend="process",
                          show_progress=False)
    assert result.accuracy == 1.0 and result.error_counts == {"correct": 2}
