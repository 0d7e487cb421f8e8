"""The Store protocol and the rollout state machine shared by every implementation.

The life cycle rules live here as pure functions so the in-memory, SQL and HTTP stores
cannot drift apart: a store only decides *where* records live, never *what* a
transition means.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

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

__all__ = [
    "Store",
    "StoreError",
    "UnknownIdError",
    "Clock",
    "DEFAULT_HEARTBEAT_TIMEOUT_S",
    "attempt_is_stale",
    "finish_transition",
    "new_rollouts",
    "start_attempt",
    "LATEST",
]

Clock = Callable[[], float]
DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
LATEST = "latest"  # query_spans(attempt_id=LATEST): spans of the rollout's newest attempt


class StoreError(RuntimeError):
    """A store request that cannot be carried out (bad state, bad id)."""


class UnknownIdError(StoreError, KeyError):
    """A rollout, attempt or resources id that the store does not know."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown id"


@runtime_checkable
class Store(Protocol):
    """Tasks, rollouts, attempts, spans and versioned resources.

    Every method is synchronous and thread-safe. ``claim_rollout`` is atomic across
    processes: a rollout is handed to exactly one runner per attempt, and only the live
    attempt can finish it, so a runner that was declared dead cannot complete a rollout
    twice.
    """

    def enqueue_rollouts(
        self,
        inputs: Sequence[Any],
        *,
        mode: RolloutMode | None = None,
        resources_id: str | None = None,
        max_attempts: int = 1,
        timeout_s: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Rollout]: ...

    def claim_rollout(self, worker_id: str) -> AttemptedRollout | None:
        """Take the oldest queuing rollout and start a new attempt on it (or None)."""
        ...

    def heartbeat(self, attempt_id: str) -> bool:
        """Mark the attempt alive; False if it is no longer the live attempt."""
        ...

    def finish_attempt(
        self,
        attempt_id: str,
        status: AttemptStatus,
        *,
        reward: float | None = None,
        error: str | None = None,
    ) -> Rollout | None:
        """End an attempt. Returns the updated rollout, or None when the attempt was
        already ended (for example reaped after missing its heartbeats)."""
        ...

    def add_spans(self, spans: Sequence[Span]) -> int: ...

    def add_resources(
        self, resources: Mapping[str, Resource], resources_id: str | None = None
    ) -> ResourcesUpdate: ...

    def get_resources(self, resources_id: str | None = None) -> ResourcesUpdate | None:
        """A resources set by id, or the latest one when ``resources_id`` is None."""
        ...

    def query_rollouts(
        self,
        *,
        rollout_ids: Sequence[str] | None = None,
        status: Sequence[RolloutStatus] | None = None,
        mode: RolloutMode | None = None,
    ) -> list[Rollout]: ...

    def query_attempts(self, rollout_id: str) -> list[Attempt]: ...

    def query_spans(self, rollout_id: str, attempt_id: str | None = None) -> list[Span]:
        """Spans of a rollout ordered by sequence id; ``attempt_id=LATEST`` for the
        newest attempt only, None for all attempts."""
        ...

    def wait_for_rollouts(
        self, rollout_ids: Sequence[str], timeout_s: float | None = None
    ) -> list[Rollout]:
        """Block until all the rollouts have finished or the timeout expires; returns
        the finished ones."""
        ...

    def close(self) -> None: ...


def attempt_is_stale(
    attempt: Attempt, timeout_s: float | None, now: float, heartbeat_timeout_s: float
) -> bool:
    """A running attempt is dead when its heartbeats stopped, or when it ran past the
    rollout's own time limit plus one heartbeat period of grace."""
    if attempt.status is not AttemptStatus.RUNNING:
        return False
    if now - attempt.last_heartbeat > heartbeat_timeout_s:
        return True
    return timeout_s is not None and now - attempt.start_time > timeout_s + heartbeat_timeout_s


def new_rollouts(
    inputs: Sequence[Any],
    now: float,
    *,
    mode: RolloutMode | None,
    resources_id: str | None,
    max_attempts: int,
    timeout_s: float | None,
    metadata: Mapping[str, Any] | None,
) -> list[Rollout]:
    """The queued rollouts ``enqueue_rollouts`` stores, one per input."""
    if max_attempts < 1:
        raise StoreError("max_attempts must be >= 1")
    return [
        Rollout(
            rollout_id=new_id("ro"),
            input=item,
            mode=mode,
            resources_id=resources_id,
            created_at=now,
            max_attempts=max_attempts,
            timeout_s=timeout_s,
            metadata=dict(metadata or {}),
        )
        for item in inputs
    ]


def start_attempt(rollout: Rollout, worker_id: str, now: float) -> tuple[Rollout, Attempt]:
    """The running rollout and its new attempt when ``worker_id`` claims it."""
    attempt = Attempt(
        rollout_id=rollout.rollout_id,
        attempt_id=new_id("at"),
        sequence_id=rollout.attempt_count + 1,
        worker_id=worker_id,
        start_time=now,
        last_heartbeat=now,
    )
    running = rollout.model_copy(update={"status": RolloutStatus.RUNNING, "attempt_count": attempt.sequence_id})
    return running, attempt


def finish_transition(
    rollout: Rollout,
    attempt: Attempt,
    status: AttemptStatus,
    reward: float | None,
    error: str | None,
    now: float,
) -> tuple[Rollout, Attempt]:
    """The rollout and attempt after ``attempt`` ends with ``status``.

    Success finishes the rollout; a failure or timeout re-queues it while attempts are
    left, else fails it with the last error kept.
    """
    if status is AttemptStatus.RUNNING:
        raise StoreError("an attempt cannot finish with status 'running'")
    attempt = attempt.model_copy(update={"status": status, "end_time": now, "error": error})
    if status is AttemptStatus.SUCCEEDED:
        update: dict[str, Any] = {
            "status": RolloutStatus.SUCCEEDED,
            "reward": reward,
            "finished_at": now,
            "error": None,
        }
    elif rollout.attempt_count < rollout.max_attempts:
        update = {"status": RolloutStatus.QUEUING, "error": error or status.value}
    else:
        update = {"status": RolloutStatus.FAILED, "finished_at": now, "error": error or status.value}
    return rollout.model_copy(update=update), attempt


def monotonic_deadline(timeout_s: float | None) -> float | None:
    return None if timeout_s is None else time.monotonic() + timeout_s
