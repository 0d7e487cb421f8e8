"""Rollout spans from the store -> MLflow traces linked to the evaluation run."""

from __future__ import annotations

import time

from agl_ops.store import MemoryStore
from agl_ops.tracking import log_rollout_trace, log_rollout_traces, stage_run
from agl_ops.tracking.traces import light_attributes
from agl_ops.types import AttemptStatus, Span, SpanKind


def _spans(rollout_id: str, attempt_id: str, t0: float) -> list[Span]:
    common = {"rollout_id": rollout_id, "attempt_id": attempt_id}
    n1, l1, t1, r1 = (f"{attempt_id}-{k}" for k in ("n1", "l1", "t1", "r1"))
    node = Span(**common, span_id=n1, name="write_query", kind=SpanKind.AGENT, start_time=t0, end_time=t0 + 0.5,
                attributes={"langchain.run_type": "chain", "langchain.inputs": '{"question": "how many users"}'})
    llm = Span(**common, span_id=l1, parent_id=n1, name="chat.completions", kind=SpanKind.LLM,
               start_time=t0 + 0.1, end_time=t0 + 0.4,
               attributes={"request": {"messages": [{"role": "user", "content": "how many users?"}]},
                           "response": {"content": "SELECT count(*) FROM users"},
                           "prompt_token_ids": list(range(500)),
                           "choices": [{"text": "SELECT count(*) FROM users", "token_ids": [1, 2, 3],
                                        "logprobs": [-0.1, -0.2, -0.3]}],
                           "model_version": "v3", "latency_ms": 300.0})
    tool = Span(**common, span_id=t1, parent_id=n1, name="execute_sql", kind=SpanKind.AGENT, status="error",
                start_time=t0 + 0.41, end_time=t0 + 0.45, attributes={"langchain.run_type": "tool",
                                                                      "error": "no such table: userz"})
    reward = Span(**common, span_id=r1, name="agl.reward", kind=SpanKind.REWARD, start_time=t0 + 0.6,
                  end_time=t0 + 0.6, attributes={"reward": 1.0})
    return [reward, tool, llm, node]  # any order: parents are created first


def test_light_attributes_drop_token_ids_at_any_depth_and_cut_long_strings():
    light = light_attributes({"prompt_token_ids": [1], "choices": [{"token_ids": [1], "text": "x"}],
                              "long": "y" * 10_000, "keep": 1})
    assert light["choices"] == [{"text": "x"}] and "prompt_token_ids" not in light and light["keep"] == 1
    assert len(light["long"]) < 8100 and light["long"].endswith("chars cut]")


def test_handmade_spans_become_a_trace_linked_to_the_run(tracking):
    import mlflow

    _, experiment_id = tracking
    t0 = time.time() - 10
    with stage_run("evaluate") as run:
        trace_id = log_rollout_trace(_spans("ro-1", "at-1", t0))
        mlflow.flush_trace_async_logging()
    trace = mlflow.get_trace(trace_id)
    by_name = {s.name: s for s in trace.data.spans}
    assert set(by_name) == {"rollout ro-1", "write_query", "chat.completions", "execute_sql", "agl.reward"}
    root = by_name["rollout ro-1"]
    assert root.parent_id is None and by_name["write_query"].parent_id == root.span_id
    assert by_name["chat.completions"].parent_id == by_name["write_query"].span_id
    assert by_name["agl.reward"].parent_id == root.span_id
    assert (by_name["chat.completions"].span_type, by_name["execute_sql"].span_type,
            by_name["agl.reward"].span_type, by_name["write_query"].span_type) == ("LLM", "TOOL", "EVALUATOR", "CHAIN")
    llm = by_name["chat.completions"]
    assert llm.inputs == {"messages": [{"role": "user", "content": "how many users?"}]}
    assert llm.outputs == {"content": "SELECT count(*) FROM users"}
    assert llm.get_attribute("model_version") == "v3" and llm.get_attribute("prompt_token_ids") is None
    assert llm.get_attribute("choices") == [{"text": "SELECT count(*) FROM users"}]
    assert abs(llm.start_time_ns / 1e9 - (t0 + 0.1)) < 1e-3 and abs(llm.end_time_ns / 1e9 - (t0 + 0.4)) < 1e-3
    assert by_name["execute_sql"].status.status_code.value == "ERROR"
    assert by_name["write_query"].inputs == {"question": "how many users"}
    assert by_name["agl.reward"].outputs == {"reward": 1.0}
    assert trace.info.tags["agl.rollout_id"] == "ro-1"
    assert trace.info.request_metadata.get("mlflow.sourceRun") == run.run_id
    found = mlflow.search_traces(locations=[experiment_id], run_id=run.run_id, return_type="list")
    assert [t.info.trace_id for t in found] == [trace_id]
    assert log_rollout_trace([]) is None


def test_rollouts_from_a_store_linked_to_a_finished_run(tracking):
    import mlflow

    _, experiment_id = tracking
    store = MemoryStore()
    store.enqueue_rollouts([{"question": f"q{i}"} for i in range(3)], mode="test")
    rollouts = []
    for i in range(3):
        claimed = store.claim_rollout("w")
        store.add_spans(_spans(claimed.rollout_id, claimed.attempt_id, time.time() - 5))
        rollouts.append(store.finish_attempt(claimed.attempt_id, AttemptStatus.SUCCEEDED, reward=float(i % 2)))
    with stage_run("evaluate") as run:
        pass
    ids = log_rollout_traces(store, rollouts, limit=2, run_id=run.run_id)  # no active run: linked by id
    assert len(ids) == 2
    found = mlflow.search_traces(locations=[experiment_id], run_id=run.run_id, return_type="list")
    assert sorted(t.info.trace_id for t in found) == sorted(ids)
    root = next(s for s in mlflow.get_trace(ids[1]).data.spans if s.parent_id is None)
    assert root.inputs == {"question": "q1"} and root.outputs["reward"] == 1.0
