"""The Algorithm protocol and the context the Trainer hands to it.

An algorithm never talks to runners: it queues rollouts with some resources, waits
for them, reads their spans and rewards, and publishes new resources. The context
gives it exactly those verbs, so prompt search and GRPO share one way of evaluating.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agl_ops.store.base import LATEST, Store
from agl_ops.types import Resource, ResourcesUpdate, Rollout, RolloutMode, Span

__all__ = ["Algorithm", "AlgorithmContext", "Adapter"]

logger = logging.getLogger(__name__)


@runtime_checkable
class Adapter(Protocol):
    """Turns the spans of one rollout into training data (e.g. triplets)."""

    def adapt(self, rollout: Rollout, spans: Sequence[Span]) -> list[Any]: ...


@dataclass
class AlgorithmContext:
    store: Store
    resources: ResourcesUpdate | None
    adapter: Adapter | None = None
    max_attempts: int = 1
    timeout_s: float | None = None
    show_progress: bool = True

    def publish(self, resources: Mapping[str, Resource], resources_id: str | None = None) -> ResourcesUpdate:
        """Store a new resources set; rollouts queued from now on may use it."""
        update = self.store.add_resources(resources, resources_id)
        self.resources = update
        logger.info("published resources %s (version %d)", update.resources_id, update.version)
        return update

    def run_rollouts(
        self,
        tasks: Sequence[Any],
        *,
        mode: RolloutMode | None = None,
        resources_id: str | None = None,
        description: str = "rollouts",
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Rollout]:
        """Queue ``tasks`` with a resources set (default: the latest) and wait for all of
        them, with a progress bar. Returns the finished rollouts in task order."""
        rid = resources_id or (self.resources.resources_id if self.resources else None)
        queued = self.store.enqueue_rollouts(
            list(tasks), mode=mode, resources_id=rid, max_attempts=self.max_attempts,
            timeout_s=self.timeout_s, metadata=metadata,
        )
        ids = [r.rollout_id for r in queued]
        done = wait_with_progress(self.store, ids, description, self.show_progress)
        by_id = {r.rollout_id: r for r in done}
        return [by_id[i] for i in ids if i in by_id]

    def spans(self, rollout: Rollout) -> list[Span]:
        """Spans of the rollout's last attempt (the one that produced its result)."""
        return self.store.query_spans(rollout.rollout_id, LATEST)

    def adapt(self, rollouts: Sequence[Rollout]) -> list[Any]:
        if self.adapter is None:
            raise ValueError("this algorithm needs an adapter: Trainer(adapter=...)")
        out: list[Any] = []
        for r in rollouts:
            out.extend(self.adapter.adapt(r, self.spans(r)))
        return out


def wait_with_progress(store: Store, ids: Sequence[str], description: str, show: bool = True) -> list[Rollout]:
    """Wait for rollouts to finish, drawing a rich progress bar (accuracy so far too)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    ids = list(ids)
    if not show:
        return store.wait_for_rollouts(ids)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("reward {task.fields[reward]}"), TimeElapsedColumn()]
    with Progress(*columns, transient=False) as progress:
        bar = progress.add_task(description, total=len(ids), reward="-")
        while True:
            done = store.wait_for_rollouts(ids, timeout_s=1.0)
            rewards = [r.reward for r in done if r.reward is not None]
            mean = f"{sum(rewards) / len(rewards):.3f}" if rewards else "-"
            progress.update(bar, completed=len(done), reward=mean)
            if len(done) >= len(ids):
                return done


class Algorithm(Protocol):
    """Improve resources from rollouts. ``run`` returns the algorithm's result."""

    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None) -> Any: ...
