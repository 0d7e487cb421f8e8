"""Runner behaviour on a real in-memory store: rewards, spans, failures, timeouts."""

from __future__ import annotations

import threading

from agl_ops.runner import Runner
from agl_ops.store import MemoryStore
from agl_ops.types import AttemptStatus, RolloutStatus, SpanKind
from tests.sample_agents import async_emitting_agent, double_agent, flaky_agent, sleepy_agent


def run_all(agent, store, n: int) -> Runner:
    runner = Runner(agent, store, heartbeat_interval_s=0.05, poll_interval_s=0.01, max_rollouts=n)
    runner.run()
    return runner


def test_returned_reward_is_recorded_as_span_and_on_rollout():
    store = MemoryStore()
    ok, bad = store.enqueue_rollouts([{"x": 2, "y": 4}, {"x": 2, "y": 5}])
    run_all(double_agent, store, 2)
    got = {r.rollout_id: r for r in store.query_rollouts()}
    assert got[ok.rollout_id].reward == 1.0 and got[bad.rollout_id].reward == 0.0
    spans = store.query_spans(ok.rollout_id)
    assert [(s.kind, s.attributes["reward"]) for s in spans] == [(SpanKind.REWARD, 1.0)]


def test_async_agent_emits_messages_and_last_reward_wins():
    store = MemoryStore()
    (r,) = store.enqueue_rollouts([{"reward": 0.75}])
    run_all(async_emitting_agent, store, 1)
    done = store.query_rollouts()[0]
    assert done.status is RolloutStatus.SUCCEEDED and done.reward == 0.75
    kinds = [s.kind for s in store.query_spans(r.rollout_id)]
    assert kinds == [SpanKind.MESSAGE, SpanKind.REWARD, SpanKind.REWARD]


def test_agent_exception_fails_the_attempt_and_is_retried(tmp_path):
    store = MemoryStore()
    (r,) = store.enqueue_rollouts([{"dir": str(tmp_path), "id": "a"}], max_attempts=2)
    runner = run_all(flaky_agent, store, 2)
    attempts = store.query_attempts(r.rollout_id)
    assert [a.status for a in attempts] == [AttemptStatus.FAILED, AttemptStatus.SUCCEEDED]
    assert "first try always fails" in attempts[0].error
    assert runner.stats.failed == 1 and runner.stats.succeeded == 1


def test_rollout_over_its_time_limit_times_out():
    store = MemoryStore()
    (r,) = store.enqueue_rollouts([{"sleep": 5}], timeout_s=0.2)
    run_all(sleepy_agent, store, 1)
    got = store.query_rollouts()[0]
    assert got.status is RolloutStatus.FAILED and "time limit" in got.error
    assert store.query_attempts(r.rollout_id)[0].status is AttemptStatus.TIMEOUT


def test_stop_during_a_rollout_requeues_it():
    store = MemoryStore()
    (r,) = store.enqueue_rollouts([{"sleep": 30}], max_attempts=3)
    stop = threading.Event()
    runner = Runner(sleepy_agent, store, heartbeat_interval_s=0.05, poll_interval_s=0.01, stop_event=stop)
    t = threading.Thread(target=runner.run)
    t.start()
    while store.query_rollouts()[0].status is not RolloutStatus.RUNNING:
        stop.wait(0.01)
    stop.set()
    t.join(timeout=10)
    assert not t.is_alive()
    got = store.query_rollouts()[0]
    assert got.status is RolloutStatus.QUEUING and "stopped" in got.error
