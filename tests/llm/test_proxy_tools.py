"""Tool calls through the tracing proxy: recorded in the span (unary and streamed), passed
on to the agent unchanged, and turned into transitions by the adapter."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from agl_ops.adapter import TripletAdapter
from agl_ops.llm.proxy import LLMProxy
from agl_ops.store import MemoryStore
from agl_ops.types import AttemptStatus, SpanKind
from tests.llm.tool_llm import ToolLLM, fake_ids

CALC = {"type": "function", "function": {"name": "calculator", "parameters": {
    "type": "object", "properties": {"expression": {"type": "string"}}}}}


@pytest.fixture
def scripted() -> Iterator[tuple[ToolLLM, LLMProxy, MemoryStore]]:
    llm, store = ToolLLM(), MemoryStore()
    with llm.serve() as server, LLMProxy(server.url, store) as proxy:
        yield llm, proxy, store


def _attempt(store: MemoryStore) -> tuple[str, str]:
    store.enqueue_rollouts([{"question": "What is 6 * 7?"}])
    attempted = store.claim_rollout("w")
    assert attempted is not None
    return attempted.rollout_id, attempted.attempt_id


def _client(proxy: LLMProxy, rid: str, aid: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.llm_resource("tiny").get_base_url(rid, aid), api_key="x", max_retries=0)


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_are_recorded_and_returned(scripted, stream: bool) -> None:
    llm, proxy, store = scripted
    rid, aid = _attempt(store)
    client = _client(proxy, rid, aid)
    kw = dict(model="tiny", messages=[{"role": "user", "content": "What is 6 * 7?"}], tools=[CALC])
    if stream:
        chunks = list(client.chat.completions.create(stream=True, **kw))
        deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
        assert deltas[0].function.name == "calculator"
        arguments = "".join(d.function.arguments or "" for d in deltas)
        assert chunks[-1].choices[0].finish_reason == "tool_calls"
    else:
        message = client.chat.completions.create(**kw).choices[0].message
        assert message.content is None and message.tool_calls[0].function.name == "calculator"
        arguments = message.tool_calls[0].function.arguments
    assert json.loads(arguments) == {"expression": "6 * 7"}
    assert llm.requests[-1]["return_token_ids"] is True  # the proxy asked for ids on the agent's behalf
    proxy.flush()
    (span,) = store.query_spans(rid, aid)
    assert span.kind is SpanKind.LLM and span.attributes["request"]["tools"] == [CALC]
    choice = span.attributes["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["tool_calls"][0]["function"] == {"name": "calculator", "arguments": arguments}
    assert choice["token_ids"] == fake_ids(f"<tool_call>{arguments}</tool_call>")
    assert len(choice["logprobs"]) == len(choice["token_ids"])
    if stream:
        assert span.attributes["response"]["choices"][0]["message"]["tool_calls"] == choice["tool_calls"]


def test_a_tool_loop_gives_one_transition_per_call(scripted) -> None:
    """Call -> tool result -> answer: two LLM spans, both transitions, the first a tool call."""
    _, proxy, store = scripted
    rid, aid = _attempt(store)
    client = _client(proxy, rid, aid)
    messages = [{"role": "user", "content": "What is 6 * 7?"}]
    first = client.chat.completions.create(model="tiny", messages=messages, tools=[CALC]).choices[0].message
    messages += [first.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": "42"}]
    answer = client.chat.completions.create(model="tiny", messages=messages, tools=[CALC]).choices[0].message
    assert answer.content == "The answer is 42."
    proxy.flush()
    rollout = store.finish_attempt(aid, AttemptStatus.SUCCEEDED, reward=1.0)
    spans = store.query_spans(rid, aid)
    assert [s.attributes["request"]["messages"][-1]["role"] for s in spans] == ["user", "tool"]
    triplets = TripletAdapter().adapt(rollout, spans)
    assert [t.metadata["tool_calls"] for t in triplets] == [["calculator"], []]
    assert [t.metadata["finish_reason"] for t in triplets] == ["tool_calls", "stop"]
    assert all(t.response_ids and t.reward == 1.0 for t in triplets)
