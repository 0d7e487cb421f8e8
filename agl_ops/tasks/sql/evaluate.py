"""Evaluate the SQL agent on a split through the Trainer's runners.

Every task becomes a rollout in a store, runners execute the agent with the given
resources, and the result is read back from the rollouts and their ``sql.outcome``
spans: execution accuracy overall and per difficulty tier, mean turns and model
calls, and a count of how the wrong answers failed. ``EvalResult`` is plain data
(``metrics()`` is flat, ready for MLflow) and ``write`` saves it to a folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agl_ops.agent import LitAgent
from agl_ops.algorithms.base import AlgorithmContext
from agl_ops.tasks.sql.agent import OUTCOME_SPAN
from agl_ops.tasks.sql.spider import DIFFICULTIES
from agl_ops.types import LLM, Resource, Rollout, RolloutMode, RolloutStatus, Span, SpanKind

__all__ = ["EvalResult", "ExampleResult", "TierMetrics", "evaluate", "summarize", "error_kind"]

logger = logging.getLogger(__name__)

_EXEC_ERROR_KINDS = ("no such column", "no such table", "syntax error", "incomplete input", "timed out",
                     "not authorized", "only SELECT", "no SQL query found", "ambiguous column", "misuse of aggregate",
                     "no such function", "more than")


class ExampleResult(BaseModel):
    id: str
    db_id: str
    difficulty: str
    question: str
    gold_query: str
    predicted_query: str = ""
    reward: float = 0.0
    first_reward: float = 0.0  # the write step's query alone (no check/rewrite)
    turns: int = 0
    llm_calls: int = 0
    error_kind: str  # correct | wrong_result | exec_error | no_sql | rollout_failed
    error: str = ""
    status: str = ""


class TierMetrics(BaseModel):
    n: int
    correct: int
    accuracy: float


class EvalResult(BaseModel):
    split: str
    n: int
    accuracy: float
    first_query_accuracy: float  # accuracy of the write step alone: what check + rewrite add is the difference
    per_difficulty: dict[str, TierMetrics]
    mean_turns: float
    mean_llm_calls: float
    error_counts: dict[str, int]
    model: str | None = None
    endpoint: str | None = None
    started_at: str
    elapsed_s: float
    examples: list[ExampleResult]

    def metrics(self, prefix: str = "") -> dict[str, float]:
        """Flat numeric metrics (``{prefix}accuracy``, ``{prefix}accuracy_easy``, ...)."""
        out = {f"{prefix}accuracy": self.accuracy, f"{prefix}first_query_accuracy": self.first_query_accuracy,
               f"{prefix}n": float(self.n),
               f"{prefix}mean_turns": self.mean_turns, f"{prefix}mean_llm_calls": self.mean_llm_calls}
        out.update({f"{prefix}accuracy_{tier}": m.accuracy for tier, m in self.per_difficulty.items()})
        out.update({f"{prefix}errors_{k.replace(' ', '_')}": float(v) for k, v in self.error_counts.items()})
        return out

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """``metrics.json`` (everything but the examples), ``examples.jsonl`` and ``examples.csv``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"metrics": out / "metrics.json", "jsonl": out / "examples.jsonl", "csv": out / "examples.csv"}
        paths["metrics"].write_text(json.dumps(self.model_dump(exclude={"examples"}), indent=1) + "\n")
        with paths["jsonl"].open("w") as f:
            for ex in self.examples:
                f.write(ex.model_dump_json() + "\n")
        with paths["csv"].open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(ExampleResult.model_fields))
            writer.writeheader()
            for ex in self.examples:
                writer.writerow(ex.model_dump())
        return paths

    def table(self) -> Any:
        """A rich table: accuracy per tier, for the console."""
        from rich.table import Table

        table = Table(title=f"SQL agent on {self.split}: execution accuracy {self.accuracy:.1%} ({self.n} tasks)")
        for col in ("tier", "tasks", "correct", "accuracy"):
            table.add_column(col, justify="left" if col == "tier" else "right")
        for tier, m in self.per_difficulty.items():
            table.add_row(tier, str(m.n), str(m.correct), f"{m.accuracy:.1%}")
        errors = ", ".join(f"{k}: {v}" for k, v in self.error_counts.items() if "/" not in k)
        table.caption = (f"first query alone {self.first_query_accuracy:.1%}; mean turns {self.mean_turns:.2f}, "
                         f"mean model calls {self.mean_llm_calls:.2f}; {errors}")
        return table


def error_kind(reward: float, status: RolloutStatus, outcome: Mapping[str, Any] | None) -> str:
    if status is not RolloutStatus.SUCCEEDED or outcome is None:
        return "rollout_failed"
    if reward >= 1.0:
        return "correct"
    if not outcome.get("final_query"):
        return "no_sql"
    return "wrong_result" if outcome.get("exec_ok") else "exec_error"


def _exec_error_kind(message: str) -> str:
    for kind in _EXEC_ERROR_KINDS:
        if kind.lower() in message.lower():
            return kind
    return "other"


def _outcome(spans: Sequence[Span]) -> dict[str, Any] | None:
    for s in reversed(spans):
        if s.name == OUTCOME_SPAN and s.kind is SpanKind.MESSAGE:
            return dict(s.attributes)
    return None


def _example(task: Mapping[str, Any], rollout: Rollout | None, spans: Sequence[Span]) -> ExampleResult:
    outcome = _outcome(spans)
    status = rollout.status if rollout else RolloutStatus.FAILED
    reward = float(rollout.reward or 0.0) if rollout and status is RolloutStatus.SUCCEEDED else 0.0
    kind = error_kind(reward, status, outcome)
    outcome = outcome or {}
    error = (rollout.error or "") if kind == "rollout_failed" and rollout else str(outcome.get("exec_error") or "")
    return ExampleResult(
        id=str(task.get("id", "")), db_id=str(task.get("db_id", "")), difficulty=str(task.get("difficulty", "")),
        question=str(task.get("question", "")), gold_query=str(task.get("query", "")),
        predicted_query=str(outcome.get("final_query", "")), reward=reward,
        first_reward=float(outcome.get("first_reward", 0.0)) if kind != "rollout_failed" else 0.0,
        turns=int(outcome.get("turns", 0)),
        llm_calls=int(outcome.get("llm_calls", 0)), error_kind=kind, error=error.splitlines()[0][:300] if error else "",
        status=status.value,
    )


def summarize(examples: Sequence[ExampleResult], split: str, *, started_at: str, elapsed_s: float,
              model: str | None = None, endpoint: str | None = None) -> EvalResult:
    """Aggregate per-example results into an :class:`EvalResult`."""
    n = len(examples)
    tiers: dict[str, list[ExampleResult]] = defaultdict(list)
    for ex in examples:
        tiers[ex.difficulty].append(ex)
    order = [t for t in DIFFICULTIES if t in tiers] + sorted(t for t in tiers if t not in DIFFICULTIES)
    per = {t: TierMetrics(n=len(tiers[t]), correct=int(sum(e.reward for e in tiers[t])),
                          accuracy=sum(e.reward for e in tiers[t]) / len(tiers[t])) for t in order}
    counts = Counter(ex.error_kind for ex in examples)
    counts.update(f"exec_error/{_exec_error_kind(ex.error)}" for ex in examples if ex.error_kind == "exec_error")
    ran = [ex for ex in examples if ex.error_kind != "rollout_failed"]
    return EvalResult(
        split=split, n=n, accuracy=sum(e.reward for e in examples) / n if n else 0.0,
        first_query_accuracy=sum(e.first_reward for e in examples) / n if n else 0.0, per_difficulty=per,
        mean_turns=sum(e.turns for e in ran) / len(ran) if ran else 0.0,
        mean_llm_calls=sum(e.llm_calls for e in ran) / len(ran) if ran else 0.0,
        error_counts=dict(sorted(counts.items())), model=model, endpoint=endpoint, started_at=started_at,
        elapsed_s=round(elapsed_s, 2), examples=list(examples),
    )


class _EvalAlgorithm:
    """Roll out every task once with the current resources; no update."""

    def __init__(self, mode: RolloutMode, description: str) -> None:
        self.mode, self.description = mode, description

    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None) -> Any:
        rollouts = ctx.run_rollouts(train_dataset, mode=self.mode, description=self.description)
        return [(r, ctx.spans(r)) for r in rollouts]


def evaluate(
    tasks: Sequence[Mapping[str, Any]], resources: Mapping[str, Resource], *, agent: LitAgent | None = None,
    split: str = "val", n_runners: int = 4, runner_backend: str = "thread", timeout_s: float | None = 600.0,
    max_attempts: int = 1, show_progress: bool = True, store: Any = None,
) -> EvalResult:
    """Run ``agent`` (default: ``LitSQLAgent()``) over ``tasks`` (rows as from
    ``SqlTask.to_row()``) with ``resources`` and summarize. ``resources["main_llm"]``
    must be set (see :func:`~agl_ops.tasks.sql.prompts.default_resources`)."""
    from agl_ops.tasks.sql.agent import LitSQLAgent
    from agl_ops.trainer import Trainer

    llm = resources.get("main_llm")
    if not isinstance(llm, LLM):
        raise ValueError("resources must include main_llm (an LLM); e.g. default_resources(endpoint)")
    rows = [dict(t) for t in tasks]
    mode: RolloutMode = split if split in ("train", "val", "test") else "val"  # type: ignore[assignment]
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    start = time.perf_counter()
    trainer = Trainer(
        algorithm=_EvalAlgorithm(mode, f"eval {split}"), n_runners=n_runners, initial_resources=resources,
        store=store, max_attempts=max_attempts, timeout_s=timeout_s, runner_backend=runner_backend,  # type: ignore[arg-type]
        show_progress=show_progress,
    )
    results = trainer.fit(agent or LitSQLAgent(), rows) if rows else []
    if len(results) != len(rows):
        raise RuntimeError(f"{len(rows)} tasks queued but {len(results)} rollouts came back")
    examples = [_example(task, r, spans) for task, (r, spans) in zip(rows, results)]
    result = summarize(examples, split, started_at=started, elapsed_s=time.perf_counter() - start,
                       model=llm.model, endpoint=llm.endpoint)
    logger.info("eval %s: accuracy %.3f over %d tasks", split, result.accuracy, result.n)
    return result
