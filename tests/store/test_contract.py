"""One contract, every store: memory, sqlite, and HTTP in front of each."""

from __future__ import annotations

import threading

import pytest

from agl_ops.store import LATEST, UnknownIdError
from agl_ops.store.base import StoreError
from agl_ops.types import AttemptStatus, LLM, PromptTemplate, RolloutStatus, Span


def test_enqueue_keeps_input_mode_and_metadata(store):
    rows = store.enqueue_rollouts([{"q": "a", "n": [1, 2]}, "plain"], mode="train", metadata={"tag": "x"})
    assert [r.status for r in rows] == [RolloutStatus.QUEUING] * 2
    got = store.query_rollouts(rollout_ids=[r.rollout_id for r in rows])
    assert [g.input for g in got] == [{"q": "a", "n": [1, 2]}, "plain"]
    assert all(g.mode == "train" and g.metadata == {"tag": "x"} for g in got)


def test_claim_is_oldest_first_and_none_when_empty(store):
    assert store.claim_rollout("w") is None
    first, second = store.enqueue_rollouts([1, 2])
    a = store.claim_rollout("w")
    assert a.rollout.rollout_id == first.rollout_id
    assert a.rollout.status is RolloutStatus.RUNNING and a.attempt.sequence_id == 1
    assert store.claim_rollout("w").rollout.rollout_id == second.rollout_id
    assert store.claim_rollout("w") is None


def test_concurrent_claims_hand_each_rollout_to_one_runner(store):
    ids = {r.rollout_id for r in store.enqueue_rollouts(list(range(40)))}
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (a := store.claim_rollout(name)) is not None:
            with lock:
                claimed.append(a.rollout.rollout_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # every rollout once, none twice


def test_success_finishes_once(store):
    store.enqueue_rollouts(["t"])
    a = store.claim_rollout("w")
    done = store.finish_attempt(a.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=0.5)
    assert done.status is RolloutStatus.SUCCEEDED and done.reward == 0.5
    assert store.finish_attempt(a.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=1.0) is None
    assert store.query_rollouts(rollout_ids=[a.rollout.rollout_id])[0].reward == 0.5
    with pytest.raises(UnknownIdError):
        store.finish_attempt("at-nope", AttemptStatus.SUCCEEDED)


def test_failure_requeues_until_max_attempts_then_keeps_last_error(store):
    (r,) = store.enqueue_rollouts(["t"], max_attempts=2)
    a1 = store.claim_rollout("w")
    after1 = store.finish_attempt(a1.attempt.attempt_id, AttemptStatus.FAILED, error="boom 1")
    assert after1.status is RolloutStatus.QUEUING
    a2 = store.claim_rollout("w")
    assert a2.rollout.rollout_id == r.rollout_id and a2.attempt.sequence_id == 2
    after2 = store.finish_attempt(a2.attempt.attempt_id, AttemptStatus.FAILED, error="boom 2")
    assert after2.status is RolloutStatus.FAILED and after2.error == "boom 2"
    assert store.claim_rollout("w") is None
    attempts = store.query_attempts(r.rollout_id)
    assert [x.sequence_id for x in attempts] == [1, 2]
    assert [x.status for x in attempts] == [AttemptStatus.FAILED, AttemptStatus.FAILED]


def test_missed_heartbeats_time_out_the_attempt_and_retry_it(store, clock):
    (r,) = store.enqueue_rollouts(["t"], max_attempts=2)
    dead = store.claim_rollout("dead-runner")
    clock.advance(5)
    assert store.heartbeat(dead.attempt.attempt_id) is True
    clock.advance(11)  # heartbeat_timeout_s is 10 in the fixture
    retry = store.claim_rollout("live-runner")
    assert retry is not None and retry.rollout.rollout_id == r.rollout_id
    assert retry.attempt.sequence_id == 2
    # the dead runner coming back can neither heartbeat nor finish the rollout
    assert store.heartbeat(dead.attempt.attempt_id) is False
    assert store.finish_attempt(dead.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=1) is None
    final = store.finish_attempt(retry.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=0.25)
    assert final.status is RolloutStatus.SUCCEEDED and final.reward == 0.25
    statuses = [a.status for a in store.query_attempts(r.rollout_id)]
    assert statuses == [AttemptStatus.TIMEOUT, AttemptStatus.SUCCEEDED]


def test_rollout_time_limit_is_enforced_even_with_heartbeats(store, clock):
    (r,) = store.enqueue_rollouts(["t"], timeout_s=30, max_attempts=1)
    a = store.claim_rollout("w")
    for _ in range(5):  # keeps heartbeating but runs 45s > 30s + 10s grace
        clock.advance(9)
        store.heartbeat(a.attempt.attempt_id)
    assert store.claim_rollout("w") is None  # reaps; no attempts left
    got = store.query_rollouts(rollout_ids=[r.rollout_id])[0]
    assert got.status is RolloutStatus.FAILED and "timed out" in got.error


def test_spans_are_ordered_filtered_by_attempt_and_deduplicated(store):
    store.enqueue_rollouts(["t"], max_attempts=2)
    a1 = store.claim_rollout("w")
    rid, aid1 = a1.rollout.rollout_id, a1.attempt.attempt_id
    spans = [Span(rollout_id=rid, attempt_id=aid1, sequence_id=i, name=f"s{i}", attributes={"i": i}) for i in (3, 1, 2)]
    assert store.add_spans(spans) == 3
    store.add_spans(spans[:1])  # re-sent after a lost reply: stored once
    store.finish_attempt(aid1, AttemptStatus.FAILED, error="x")
    a2 = store.claim_rollout("w")
    store.add_spans([Span(rollout_id=rid, attempt_id=a2.attempt.attempt_id, sequence_id=9, name="retry")])
    assert [s.name for s in store.query_spans(rid)] == ["s1", "s2", "s3", "retry"]
    assert [s.name for s in store.query_spans(rid, aid1)] == ["s1", "s2", "s3"]
    assert [s.name for s in store.query_spans(rid, LATEST)] == ["retry"]
    assert store.query_spans(rid, aid1)[0].attributes == {"i": 1}
    assert store.query_spans("ro-unknown", LATEST) == []


def test_resources_are_versioned_and_immutable(store):
    assert store.get_resources() is None
    v1 = store.add_resources({"p": PromptTemplate(template="a {x}")})
    v2 = store.add_resources(
        {"p": PromptTemplate(template="b {x}"), "llm": LLM(endpoint="http://h:1", model="m")}, resources_id="named"
    )
    assert v2.version > v1.version and v2.resources_id == "named"
    assert store.get_resources().resources_id == "named"
    assert store.get_resources(v1.resources_id).resources["p"].format(x=1) == "a 1"
    assert isinstance(store.get_resources("named").resources["llm"], LLM)
    with pytest.raises(UnknownIdError):
        store.get_resources("nope")
    with pytest.raises(StoreError):
        store.add_resources({"p": PromptTemplate(template="c")}, resources_id="named")


def test_query_filters_by_status_and_mode(store):
    train = store.enqueue_rollouts([1, 2], mode="train")
    store.enqueue_rollouts([3], mode="val")
    a = store.claim_rollout("w")
    store.finish_attempt(a.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=1)
    assert {r.rollout_id for r in store.query_rollouts(mode="train")} == {r.rollout_id for r in train}
    done = store.query_rollouts(status=[RolloutStatus.SUCCEEDED])
    assert [r.rollout_id for r in done] == [train[0].rollout_id]
    assert len(store.query_rollouts(status=[RolloutStatus.QUEUING])) == 2


def test_wait_returns_finished_rollouts_or_times_out(store):
    r1, r2 = store.enqueue_rollouts(["a", "b"])
    a = store.claim_rollout("w")
    store.finish_attempt(a.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=1)
    partial = store.wait_for_rollouts([r1.rollout_id, r2.rollout_id], timeout_s=0.2)
    assert [r.rollout_id for r in partial] == [r1.rollout_id]

    def finish_later() -> None:
        b = store.claim_rollout("w2")
        store.finish_attempt(b.attempt.attempt_id, AttemptStatus.SUCCEEDED, reward=0)

    t = threading.Timer(0.2, finish_later)
    t.start()
    done = store.wait_for_rollouts([r1.rollout_id, r2.rollout_id], timeout_s=10)
    t.join()
    assert {r.rollout_id for r in done} == {r1.rollout_id, r2.rollout_id}


def test_unknown_attempt_heartbeat_raises(store):
    with pytest.raises(UnknownIdError):
        store.heartbeat("at-missing")
