"""Trainer: wires an agent, runners, a store and an algorithm together.

``fit`` starts the runners and hands the algorithm an :class:`AlgorithmContext`;
``dev`` is the dry run users try first: a few tasks with the initial resources and a
table of what happened, so a broken agent shows up before an hour of training.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from agl_ops.agent import LitAgent
from agl_ops.algorithms.base import Adapter, Algorithm, AlgorithmContext
from agl_ops.pool import Backend, RunnerPool
from agl_ops.store import MemoryStore, Store
from agl_ops.types import Resource, ResourcesUpdate, Rollout, RolloutStatus, SpanKind

__all__ = ["Trainer", "DevReport", "DevRow"]

logger = logging.getLogger(__name__)


@dataclass
class DevRow:
    rollout_id: str
    task: str
    status: RolloutStatus
    reward: float | None
    attempts: int
    spans: int
    llm_calls: int
    error: str | None


@dataclass
class DevReport:
    rows: list[DevRow] = field(default_factory=list)

    @property
    def all_failed(self) -> bool:
        return bool(self.rows) and all(r.status is not RolloutStatus.SUCCEEDED for r in self.rows)

    @property
    def mean_reward(self) -> float | None:
        rewards = [r.reward for r in self.rows if r.reward is not None]
        return sum(rewards) / len(rewards) if rewards else None

    def table(self, title: str = "agl-ops dev: dry run") -> Table:
        table = Table(title=title, show_lines=False)
        for col, kw in [("rollout", {}), ("task", {"max_width": 40}), ("status", {}), ("reward", {"justify": "right"}),
                        ("attempts", {"justify": "right"}), ("spans", {"justify": "right"}),
                        ("llm calls", {"justify": "right"}), ("error", {"max_width": 50})]:
            table.add_column(col, overflow="ellipsis", no_wrap=True, **kw)
        for r in self.rows:
            color = "green" if r.status is RolloutStatus.SUCCEEDED else "red"
            table.add_row(
                r.rollout_id[-8:], r.task, f"[{color}]{r.status.value}[/]",
                "-" if r.reward is None else f"{r.reward:.3f}", str(r.attempts), str(r.spans),
                str(r.llm_calls), (r.error or "").splitlines()[0] if r.error else "",
            )
        n_ok = sum(r.status is RolloutStatus.SUCCEEDED for r in self.rows)
        mean = self.mean_reward
        table.caption = f"{n_ok}/{len(self.rows)} succeeded, mean reward {'-' if mean is None else f'{mean:.3f}'}"
        return table


class Trainer:
    def __init__(
        self,
        algorithm: Algorithm | None = None,
        n_runners: int = 1,
        adapter: Adapter | None = None,
        initial_resources: Mapping[str, Resource] | None = None,
        store: Store | None = None,
        max_attempts: int = 1,
        timeout_s: float | None = None,
        *,
        runner_backend: Backend = "thread",
        heartbeat_interval_s: float = 5.0,
        store_token: str | None = None,
        show_progress: bool = True,
    ) -> None:
        self.algorithm = algorithm
        self.n_runners = n_runners
        self.adapter = adapter
        self.initial_resources = dict(initial_resources or {})
        self.store = store if store is not None else MemoryStore()
        self.max_attempts = max_attempts
        self.timeout_s = timeout_s
        self.runner_backend = runner_backend
        self.heartbeat_interval_s = heartbeat_interval_s
        self.store_token = store_token
        self.show_progress = show_progress

    def _publish_initial(self) -> ResourcesUpdate | None:
        if self.initial_resources:
            return self.store.add_resources(self.initial_resources)
        return self.store.get_resources()

    def _pool(self, agent: LitAgent) -> RunnerPool:
        return RunnerPool(
            agent, self.store, n_runners=self.n_runners, backend=self.runner_backend,
            heartbeat_interval_s=self.heartbeat_interval_s, store_token=self.store_token,
        )

    def _context(self) -> AlgorithmContext:
        return AlgorithmContext(
            store=self.store, resources=self._publish_initial(), adapter=self.adapter,
            max_attempts=self.max_attempts, timeout_s=self.timeout_s, show_progress=self.show_progress,
        )

    def fit(self, agent: LitAgent, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None = None) -> Any:
        """Run the algorithm with runners in the background; without an algorithm, roll
        out the train (and val) data once with the initial resources."""
        ctx = self._context()
        with self._pool(agent):
            if self.algorithm is None:
                result = {"train": ctx.run_rollouts(train_dataset, mode="train", description="train rollouts")}
                if val_dataset:
                    result["val"] = ctx.run_rollouts(val_dataset, mode="val", description="val rollouts")
                return result
            return self.algorithm.run(ctx, train_dataset, val_dataset)

    def dev(
        self, agent: LitAgent, dev_dataset: Sequence[Any], *, limit: int | None = 10,
        console: Console | None = None,
    ) -> DevReport:
        """Dry run: the first ``limit`` tasks with the initial resources, then a table."""
        tasks = list(dev_dataset)[:limit] if limit else list(dev_dataset)
        ctx = self._context()
        with self._pool(agent):
            rollouts = ctx.run_rollouts(tasks, mode="val", description="dev rollouts")
        report = DevReport([self._dev_row(r) for r in rollouts])
        (console or Console()).print(report.table())
        return report

    def _dev_row(self, rollout: Rollout) -> DevRow:
        spans = self.store.query_spans(rollout.rollout_id, "latest")
        return DevRow(
            rollout_id=rollout.rollout_id,
            task=_summarize(rollout.input),
            status=rollout.status,
            reward=rollout.reward,
            attempts=rollout.attempt_count,
            spans=len(spans),
            llm_calls=sum(s.kind is SpanKind.LLM for s in spans),
            error=rollout.error,
        )


def _summarize(task: Any) -> str:
    if isinstance(task, Mapping):
        for key in ("question", "prompt", "input", "task", "id"):
            if key in task:
                return str(task[key])
    return str(task)
