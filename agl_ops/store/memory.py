"""In-memory store: one process, threads only. Fast, and the reference for the others."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from agl_ops.store.base import (
    DEFAULT_HEARTBEAT_TIMEOUT_S,
    LATEST,
    Clock,
    StoreError,
    UnknownIdError,
    attempt_is_stale,
    finish_transition,
    monotonic_deadline,
    new_rollouts,
    start_attempt,
)
from agl_ops.types import (
    Attempt,
    AttemptedRollout,
    AttemptStatus,
    Resource,
    ResourcesUpdate,
    Rollout,
    RolloutMode,
    RolloutStatus,
    Span,
    new_id,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    def __init__(
        self, *, heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S, clock: Clock = time.time
    ) -> None:
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self._clock = clock
        self._cond = threading.Condition()
        self._rollouts: dict[str, Rollout] = {}
        self._queue: OrderedDict[str, None] = OrderedDict()  # queuing rollout ids, oldest first
        self._attempts: dict[str, Attempt] = {}
        self._attempts_by_rollout: dict[str, list[str]] = {}
        self._running: set[str] = set()  # live attempt ids, so reaping is O(running)
        self._spans: dict[str, list[Span]] = {}
        self._span_ids: set[str] = set()  # a re-sent span is stored once
        self._resources: dict[str, ResourcesUpdate] = {}
        self._latest_resources: str | None = None

    # -- rollouts -------------------------------------------------------------------
    def enqueue_rollouts(
        self,
        inputs: Sequence[Any],
        *,
        mode: RolloutMode | None = None,
        resources_id: str | None = None,
        max_attempts: int = 1,
        timeout_s: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Rollout]:
        rollouts = new_rollouts(
            inputs, self._clock(), mode=mode, resources_id=resources_id, max_attempts=max_attempts,
            timeout_s=timeout_s, metadata=metadata,
        )
        with self._cond:
            for r in rollouts:
                self._rollouts[r.rollout_id] = r
                self._queue[r.rollout_id] = None
        return rollouts

    def claim_rollout(self, worker_id: str) -> AttemptedRollout | None:
        with self._cond:
            self._reap_locked()
            if not self._queue:
                return None
            rollout_id, _ = self._queue.popitem(last=False)
            rollout, attempt = start_attempt(self._rollouts[rollout_id], worker_id, self._clock())
            self._rollouts[rollout_id] = rollout
            self._attempts[attempt.attempt_id] = attempt
            self._running.add(attempt.attempt_id)
            self._attempts_by_rollout.setdefault(rollout_id, []).append(attempt.attempt_id)
            return AttemptedRollout(rollout=rollout, attempt=attempt)

    def heartbeat(self, attempt_id: str) -> bool:
        with self._cond:
            attempt = self._get_attempt(attempt_id)
            if attempt.status is not AttemptStatus.RUNNING:
                return False
            self._attempts[attempt_id] = attempt.model_copy(update={"last_heartbeat": self._clock()})
            return True

    def finish_attempt(
        self,
        attempt_id: str,
        status: AttemptStatus,
        *,
        reward: float | None = None,
        error: str | None = None,
    ) -> Rollout | None:
        with self._cond:
            attempt = self._get_attempt(attempt_id)
            if attempt.status is not AttemptStatus.RUNNING:
                return None
            return self._finish_locked(attempt, status, reward, error)

    def _finish_locked(
        self, attempt: Attempt, status: AttemptStatus, reward: float | None, error: str | None
    ) -> Rollout:
        rollout, attempt = finish_transition(
            self._rollouts[attempt.rollout_id], attempt, status, reward, error, self._clock()
        )
        self._rollouts[rollout.rollout_id] = rollout
        self._attempts[attempt.attempt_id] = attempt
        self._running.discard(attempt.attempt_id)
        if rollout.status is RolloutStatus.QUEUING:
            self._queue[rollout.rollout_id] = None
        self._cond.notify_all()
        return rollout

    def _reap_locked(self) -> None:
        now = self._clock()
        for attempt_id in list(self._running):
            attempt = self._attempts[attempt_id]
            rollout = self._rollouts[attempt.rollout_id]
            if attempt_is_stale(attempt, rollout.timeout_s, now, self.heartbeat_timeout_s):
                self._finish_locked(attempt, AttemptStatus.TIMEOUT, None, "attempt timed out")

    def _get_attempt(self, attempt_id: str) -> Attempt:
        try:
            return self._attempts[attempt_id]
        except KeyError:
            raise UnknownIdError(f"unknown attempt_id {attempt_id!r}") from None

    # -- spans ----------------------------------------------------------------------
    def add_spans(self, spans: Sequence[Span]) -> int:
        with self._cond:
            for span in spans:
                if span.span_id not in self._span_ids:
                    self._span_ids.add(span.span_id)
                    self._spans.setdefault(span.rollout_id, []).append(span)
        return len(spans)

    def query_spans(self, rollout_id: str, attempt_id: str | None = None) -> list[Span]:
        with self._cond:
            spans = list(self._spans.get(rollout_id, ()))
            if attempt_id == LATEST:
                ids = self._attempts_by_rollout.get(rollout_id)
                attempt_id = ids[-1] if ids else None
                if attempt_id is None:
                    return []
        if attempt_id is not None:
            spans = [s for s in spans if s.attempt_id == attempt_id]
        return sorted(spans, key=lambda s: s.sequence_id)

    # -- resources ------------------------------------------------------------------
    def add_resources(
        self, resources: Mapping[str, Resource], resources_id: str | None = None
    ) -> ResourcesUpdate:
        with self._cond:
            if resources_id is not None and resources_id in self._resources:
                raise StoreError(f"resources_id {resources_id!r} already exists; resources are immutable")
            update = ResourcesUpdate(
                resources_id=resources_id or new_id("rs"),
                version=len(self._resources) + 1,
                created_at=self._clock(),
                resources=dict(resources),
            )
            self._resources[update.resources_id] = update
            self._latest_resources = update.resources_id
            return update

    def get_resources(self, resources_id: str | None = None) -> ResourcesUpdate | None:
        with self._cond:
            key = resources_id or self._latest_resources
            if key is None:
                return None
            if key not in self._resources:
                raise UnknownIdError(f"unknown resources_id {key!r}")
            return self._resources[key]

    # -- queries --------------------------------------------------------------------
    def query_rollouts(
        self,
        *,
        rollout_ids: Sequence[str] | None = None,
        status: Sequence[RolloutStatus] | None = None,
        mode: RolloutMode | None = None,
    ) -> list[Rollout]:
        with self._cond:
            self._reap_locked()
            if rollout_ids is None:
                rows = list(self._rollouts.values())
            else:
                rows = [self._rollouts[i] for i in rollout_ids if i in self._rollouts]
        return [
            r
            for r in rows
            if (status is None or r.status in status) and (mode is None or r.mode == mode)
        ]

    def query_attempts(self, rollout_id: str) -> list[Attempt]:
        with self._cond:
            return [self._attempts[a] for a in self._attempts_by_rollout.get(rollout_id, [])]

    def wait_for_rollouts(
        self, rollout_ids: Sequence[str], timeout_s: float | None = None
    ) -> list[Rollout]:
        deadline = monotonic_deadline(timeout_s)
        ids = list(rollout_ids)
        with self._cond:
            while True:
                self._reap_locked()
                done = [self._rollouts[i] for i in ids if i in self._rollouts and self._rollouts[i].status.finished]
                remaining = None if deadline is None else deadline - time.monotonic()
                if len(done) == len(ids) or (remaining is not None and remaining <= 0):
                    return done
                # wake up periodically so stale attempts get reaped even with no runner
                self._cond.wait(timeout=min(remaining or 1.0, 1.0))

    def close(self) -> None:
        """Nothing to release; kept for the protocol."""
