"""TripletAdapter on hand-made spans in the proxy's format."""

from __future__ import annotations

import time

import pytest

from agl_ops.adapter import CreditAssignment, TripletAdapter, credit_weights, episode_reward
from agl_ops.algorithms.base import Adapter
from agl_ops.types import Rollout, Span, SpanKind


def rollout(reward: float | None = 1.0, rid: str = "ro-1") -> Rollout:
    return Rollout(rollout_id=rid, input={"q": 1}, created_at=time.time(), reward=reward)


def llm_span(name: str, prompt: list[int], responses: list[list[int]], *, rid: str = "ro-1", seq: int | None = None,
             status: str = "ok", logprobs: bool = True) -> Span:
    choices = [
        {"text": "x", "token_ids": r, "logprobs": [-0.5] * len(r) if logprobs else None, "finish_reason": "stop"}
        for r in responses
    ]
    attrs = {"request": {"messages": []}, "response": {}, "prompt_token_ids": prompt, "choices": choices,
             "model_version": "v3", "latency_ms": 12.0, "status_code": 200 if status == "ok" else 500}
    if status == "error":
        attrs["error"] = "backend failed"
    extra = {"sequence_id": seq} if seq is not None else {}
    return Span(rollout_id=rid, attempt_id="at-1", name=name, kind=SpanKind.LLM, status=status, attributes=attrs, **extra)


def reward_span(value: float, seq: int | None = None) -> Span:
    extra = {"sequence_id": seq} if seq is not None else {}
    return Span(rollout_id="ro-1", attempt_id="at-1", name="agl.reward", kind=SpanKind.REWARD,
                attributes={"reward": value}, **extra)


def test_adapter_satisfies_protocol() -> None:
    assert isinstance(TripletAdapter(), Adapter)


def test_matches_only_named_calls_with_fullmatch() -> None:
    spans = [llm_span("write", [1, 2], [[3, 4]]), llm_span("check", [5], [[6]]),
             llm_span("rewrite", [7], [[8, 9]]), llm_span("rewrite_v2", [1], [[2]])]
    out = TripletAdapter("write|rewrite").adapt(rollout(1.0), spans)
    assert [t.span_name for t in out] == ["write", "rewrite"]
    assert [t.turn for t in out] == [0, 1]
    assert out[0].prompt_ids == [1, 2] and out[0].response_ids == [3, 4]
    assert out[0].response_logprobs == [-0.5, -0.5]
    assert out[1].metadata["model_version"] == "v3"
    assert len(TripletAdapter(None).adapt(rollout(1.0), spans)) == 4


def test_non_llm_spans_are_ignored() -> None:
    other = Span(rollout_id="ro-1", attempt_id="at-1", name="write", kind=SpanKind.AGENT)
    assert TripletAdapter("write").adapt(rollout(1.0), [other]) == []


def test_multi_turn_episode_gets_final_reward_on_each_call() -> None:
    spans = [llm_span("write", [1], [[2]]), llm_span("check", [1], [[2]]), llm_span("rewrite", [3], [[4]]),
             llm_span("check", [1], [[2]]), llm_span("rewrite", [5], [[6]])]
    out = TripletAdapter("write|rewrite").adapt(rollout(0.8), spans)
    assert [t.reward for t in out] == [0.8, 0.8, 0.8]
    assert [t.turn for t in out] == [0, 1, 2]
    assert all(t.metadata["n_turns"] == 3 and t.metadata["episode_reward"] == 0.8 for t in out)


def test_spans_are_ordered_by_sequence_id() -> None:
    spans = [llm_span("rewrite", [3], [[4]], seq=20), llm_span("write", [1], [[2]], seq=10)]
    out = TripletAdapter("write|rewrite").adapt(rollout(1.0), spans)
    assert [t.span_name for t in out] == ["write", "rewrite"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("final", [1.0, 1.0, 1.0]), ("discounted", [0.25, 0.5, 1.0]), ("last", [0.0, 0.0, 1.0])],
)
def test_credit_rules(rule: str, expected: list[float]) -> None:
    assert credit_weights(rule, 3, gamma=0.5) == expected
    spans = [llm_span("write", [1], [[2]]) for _ in range(3)]
    out = TripletAdapter("write", credit=rule, gamma=0.5).adapt(rollout(2.0), spans)
    assert [t.reward for t in out] == [2.0 * w for w in expected]


def test_unknown_credit_rule_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="final, discounted, last"):
        TripletAdapter("write", credit="magic")
    assert CreditAssignment("final") is CreditAssignment.FINAL


def test_missing_reward_skips_rollout_and_counts() -> None:
    adapter = TripletAdapter("write")
    assert adapter.adapt(rollout(None), [llm_span("write", [1], [[2]])]) == []
    assert adapter.stats.missing_reward == 1 and adapter.stats.matched_calls == 1
    # a default reward can be supplied instead
    out = TripletAdapter("write", missing_reward=0.0).adapt(rollout(None), [llm_span("write", [1], [[2]])])
    assert [t.reward for t in out] == [0.0]


def test_reward_span_used_when_rollout_has_no_reward() -> None:
    spans = [llm_span("write", [1], [[2]]), reward_span(0.3, seq=5), reward_span(0.7, seq=9)]
    assert episode_reward(rollout(None), spans) == 0.7
    out = TripletAdapter("write").adapt(rollout(None), spans)
    assert [t.reward for t in out] == [0.7]
    # the rollout's own reward wins over spans
    assert episode_reward(rollout(0.0), spans) == 0.0


def test_truncation_keeps_prompt_tail_and_response_head() -> None:
    adapter = TripletAdapter("write", max_prompt_length=3, max_response_length=2)
    out = adapter.adapt(rollout(1.0), [llm_span("write", [1, 2, 3, 4, 5], [[6, 7, 8]])])
    assert out[0].prompt_ids == [3, 4, 5]
    assert out[0].response_ids == [6, 7]
    assert out[0].response_logprobs == [-0.5, -0.5]
    assert out[0].metadata["truncated"] is True
    stats = adapter.reset_stats()
    assert (stats.truncated_prompts, stats.truncated_responses, stats.dropped_overlong) == (1, 1, 0)
    assert adapter.stats.truncated_prompts == 0  # reset


def test_drop_overlong_counts() -> None:
    adapter = TripletAdapter("write", max_response_length=2, overlong="drop")
    spans = [llm_span("write", [1], [[6, 7, 8]]), llm_span("write", [1], [[6]])]
    out = adapter.adapt(rollout(1.0), spans)
    assert [t.response_ids for t in out] == [[6]]
    assert adapter.stats.dropped_overlong == 1
    assert adapter.stats.as_metrics()["adapter/dropped_overlong"] == 1.0


def test_failed_calls_and_calls_without_ids_are_skipped() -> None:
    bad = llm_span("write", [1], [[2]], status="error")
    bare = Span(rollout_id="ro-1", attempt_id="at-1", name="write", kind=SpanKind.LLM, attributes={"request": {}})
    good = llm_span("write", [1], [[2]])
    adapter = TripletAdapter("write")
    out = adapter.adapt(rollout(1.0), [bad, bare, good])
    assert len(out) == 1 and out[0].turn == 0
    assert adapter.stats.error_calls == 1 and adapter.stats.no_token_ids == 1


def test_several_choices_give_several_triplets_and_missing_logprobs_are_none() -> None:
    out = TripletAdapter("write").adapt(rollout(1.0), [llm_span("write", [1], [[2], [3, 4], []], logprobs=False)])
    assert [t.response_ids for t in out] == [[2], [3, 4]]
    assert [t.metadata["choice"] for t in out] == [0, 1]
    assert all(t.response_logprobs is None for t in out)


def test_constrained_calls_keep_their_constraint_for_training() -> None:
    """The grammar a call was decoded under travels in the metadata (JSON-friendly), so
    training can replay the response under it; unconstrained calls say None."""
    import json

    grammar = 'root ::= "SELECT " [a-z]+ ";"'
    constrained = llm_span("write", [1, 2], [[3, 4]])
    constrained.attributes["constraint"] = {"type": "grammar", "sha256": "ab12", "text": grammar}
    spans = [constrained, llm_span("rewrite", [5], [[6]])]
    first, second = TripletAdapter("write|rewrite").adapt(rollout(1.0), spans)
    assert first.metadata["constraint"] == {"type": "grammar", "sha256": "ab12", "text": grammar}
    assert second.metadata["constraint"] is None
    assert json.loads(first.model_dump_json())["metadata"]["constraint"]["text"] == grammar
