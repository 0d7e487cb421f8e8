"""A runner process killed with SIGKILL mid-rollout: the rollout is retried and
completed exactly once."""

from __future__ import annotations

import os
import signal
import time

from agl_ops.pool import RunnerPool
from agl_ops.store.sql import SqliteStore
from agl_ops.types import AttemptStatus, RolloutStatus
from tests.sample_agents import logging_agent


def wait_until(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_sigkilled_runner_rollout_is_retried_and_completed_once(tmp_path):
    store = SqliteStore(tmp_path / "store.db", heartbeat_timeout_s=1.0)
    hold = tmp_path / "hold"
    hold.write_text("")
    log = tmp_path / "starts.log"
    (rollout,) = store.enqueue_rollouts([{"dir": str(tmp_path)}], max_attempts=3)

    first = RunnerPool(logging_agent, store, n_runners=1, backend="process", heartbeat_interval_s=0.2).start()
    wait_until(lambda: log.exists() and log.read_text().strip())
    (victim,) = first.pids
    assert log.read_text().split() == [str(victim)]
    os.kill(victim, signal.SIGKILL)
    first.stop()

    hold.unlink()
    with RunnerPool(logging_agent, store, n_runners=1, backend="process", heartbeat_interval_s=0.2):
        (done,) = store.wait_for_rollouts([rollout.rollout_id], timeout_s=60)

    assert done.status is RolloutStatus.SUCCEEDED and done.reward == 1.0
    attempts = store.query_attempts(rollout.rollout_id)
    assert [a.status for a in attempts] == [AttemptStatus.TIMEOUT, AttemptStatus.SUCCEEDED]
    starts = log.read_text().split()
    assert len(starts) == 2 and starts[0] == str(victim) and starts[1] != str(victim)
    store.close()
