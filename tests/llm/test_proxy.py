"""The tracing proxy over the real model server (tiny model): one span per call, with
token ids that decode to the text the agent got."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from agl_ops.llm.proxy import LLMProxy
from agl_ops.serving import BackgroundServer
from agl_ops.store import MemoryStore
from agl_ops.types import LLM, SpanKind

SPAN_KEYS = {"request", "response", "prompt_token_ids", "choices", "model_version", "latency_ms", "status_code"}


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def proxy(model_server: BackgroundServer, store: MemoryStore) -> Iterator[LLMProxy]:
    with LLMProxy(model_server.url, store, token="proxy-secret") as p:
        yield p


def _rollout(store: MemoryStore) -> tuple[str, str]:
    store.enqueue_rollouts([{"q": 1}])
    attempted = store.claim_rollout("w1")
    assert attempted is not None
    return attempted.rollout_id, attempted.attempt_id


def _client(proxy: LLMProxy, rid: str, aid: str) -> openai.OpenAI:
    resource = proxy.llm_resource("tiny")
    return openai.OpenAI(base_url=resource.get_base_url(rid, aid), api_key=resource.api_key)


def test_chat_through_proxy_records_one_span(proxy: LLMProxy, store: MemoryStore, engine) -> None:
    rid, aid = _rollout(store)
    client = _client(proxy, rid, aid)
    resp = client.chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "Write SQL for: count users"}], max_tokens=12,
        temperature=0.8, seed=7, extra_headers={"x-agl-span-name": "write"})
    text = resp.choices[0].message.content
    assert resp.choices[0].logprobs is None  # the proxy asked for logprobs, the agent did not
    assert "token_ids" not in (resp.model_extra or {}) and "prompt_token_ids" not in (resp.model_extra or {})
    proxy.flush()
    spans = store.query_spans(rid, aid)
    assert len(spans) == 1
    span = spans[0]
    assert span.kind is SpanKind.LLM and span.name == "write" and span.status == "ok"
    attrs = span.attributes
    assert SPAN_KEYS <= set(attrs)
    choice = attrs["choices"][0]
    assert engine.tokenizer.decode(choice["token_ids"], skip_special_tokens=True) == text
    assert len(choice["logprobs"]) == len(choice["token_ids"]) > 0
    assert all(lp <= 0 for lp in choice["logprobs"])
    expected_prompt = engine.tokenizer.apply_chat_template(
        [{"role": "user", "content": "Write SQL for: count users"}], add_generation_prompt=True, tokenize=True,
        return_dict=False)
    assert attrs["prompt_token_ids"] == list(expected_prompt)
    assert attrs["model_version"] == engine.version
    assert attrs["status_code"] == 200 and attrs["latency_ms"] > 0
    assert attrs["request"]["messages"][0]["content"] == "Write SQL for: count users"
    assert "return_token_ids" not in attrs["request"]  # the agent's request, as sent
    assert attrs["response"]["choices"][0]["message"]["content"] == text


def test_agent_asking_for_ids_gets_them(proxy: LLMProxy, store: MemoryStore) -> None:
    rid, aid = _rollout(store)
    resp = _client(proxy, rid, aid).chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=4, logprobs=True,
        extra_body={"return_token_ids": True})
    extra = resp.model_extra or {}
    assert extra["prompt_token_ids"] and resp.choices[0].logprobs is not None
    assert len(resp.choices[0].model_extra["token_ids"]) == len(resp.choices[0].logprobs.content)


def test_streaming_through_proxy(proxy: LLMProxy, store: MemoryStore, engine) -> None:
    rid, aid = _rollout(store)
    stream = _client(proxy, rid, aid).chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "stream please"}], max_tokens=10, stream=True,
        extra_headers={"x-agl-span-name": "check"})
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert all("token_ids" not in (c or "") for c in pieces)
    proxy.flush()
    (span,) = store.query_spans(rid, aid)
    choice = span.attributes["choices"][0]
    assert span.name == "check"
    assert choice["text"] == "".join(pieces)
    assert engine.tokenizer.decode(choice["token_ids"], skip_special_tokens=True) == choice["text"]
    assert len(choice["logprobs"]) == len(choice["token_ids"]) == 10
    assert span.attributes["prompt_token_ids"]


def test_completions_endpoint_recorded(proxy: LLMProxy, store: MemoryStore, engine) -> None:
    rid, aid = _rollout(store)
    resp = _client(proxy, rid, aid).completions.create(model="tiny", prompt="SELECT", max_tokens=5, n=2)
    assert len(resp.choices) == 2 and resp.choices[0].logprobs is None
    proxy.flush()
    (span,) = store.query_spans(rid, aid)
    assert span.name == "chat"
    assert span.attributes["prompt_token_ids"] == engine.tokenizer.encode("SELECT")
    assert [len(c["token_ids"]) for c in span.attributes["choices"]] == [5, 5]


def test_plain_v1_passes_through_unrecorded(proxy: LLMProxy, store: MemoryStore) -> None:
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="proxy-secret")
    resp = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=3)
    assert resp.choices[0].message.content is not None
    assert [m.id for m in client.models.list()] == ["tiny"]
    proxy.flush()
    assert store.query_rollouts() == []  # nothing enqueued, nothing recorded
    assert proxy.writer.pending == 0 and proxy.writer._put_count == 0


def test_auth_and_malformed_requests(proxy: LLMProxy, store: MemoryStore) -> None:
    rid, aid = _rollout(store)
    url = f"{proxy.url}/rollout/{rid}/attempt/{aid}/v1/chat/completions"
    auth = {"Authorization": "Bearer proxy-secret"}
    assert httpx.post(url, json={"messages": []}).status_code == 401
    bad_json = httpx.post(url, content=b"{not json", headers=auth)
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["error"]["message"]
    no_messages = httpx.post(url, json={"model": "tiny"}, headers=auth)
    assert no_messages.status_code == 400 and "messages" in no_messages.json()["error"]["message"]
    bad_field = httpx.post(url, json={"messages": [{"role": "user", "content": "x"}], "temperature": 9}, headers=auth)
    assert bad_field.status_code == 400  # the backend's 4xx is passed on ...
    assert httpx.get(f"{proxy.url}/rollout/x/v1/chat/completions", headers=auth).status_code == 404
    proxy.flush()
    spans = store.query_spans(rid, aid)
    assert len(spans) == 1 and spans[0].status == "error"  # ... and recorded; malformed ones never reach it
    assert spans[0].attributes["status_code"] == 400 and "error" in spans[0].attributes


def test_backend_5xx_recorded_and_passed_on(store: MemoryStore) -> None:
    failing = FastAPI()

    @failing.post("/v1/chat/completions")
    async def boom() -> JSONResponse:
        return JSONResponse({"error": {"message": "out of memory", "type": "server_error"}}, status_code=503)

    rid, aid = _rollout(store)
    with BackgroundServer(failing) as backend, LLMProxy(backend.url, store) as proxy:
        client = openai.OpenAI(base_url=proxy.llm_resource("m").get_base_url(rid, aid), api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as err:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert err.value.status_code == 503
        assert httpx.post(f"{proxy.url}/agl/flush").json()["flushed"] is True
    (span,) = store.query_spans(rid, aid)
    assert span.status == "error" and span.attributes["status_code"] == 503
    assert "out of memory" in span.attributes["error"]


def test_unreachable_backend_is_502(store: MemoryStore) -> None:
    rid, aid = _rollout(store)
    with LLMProxy("http://127.0.0.1:9", store, backend_retry_s=0) as proxy:
        r = httpx.post(f"{proxy.url}/rollout/{rid}/attempt/{aid}/v1/chat/completions",
                       json={"messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 502
        proxy.flush()
    (span,) = store.query_spans(rid, aid)
    assert span.status == "error" and span.attributes["status_code"] == 502


def test_restarting_backend_is_waited_for(engine, store: MemoryStore) -> None:
    """Connections refused (a model server restarting): the call waits and then succeeds."""
    import threading

    from agl_ops.llm.client import free_port
    from agl_ops.llm.server import create_server_app

    rid, aid = _rollout(store)
    port = free_port()
    later = BackgroundServer(create_server_app(engine, manage_engine=False), port=port)
    with LLMProxy(f"http://127.0.0.1:{port}", store, backend_retry_s=30) as proxy:
        timer = threading.Timer(1.0, later.start)
        timer.start()
        try:
            r = httpx.post(f"{proxy.url}/rollout/{rid}/attempt/{aid}/v1/chat/completions", timeout=60,
                           json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
        finally:
            timer.join()
            later.stop()
        assert r.status_code == 200, r.text
        proxy.flush()
    (span,) = store.query_spans(rid, aid)
    assert span.status == "ok"


def test_langchain_chat_openai_unchanged(proxy: LLMProxy, store: MemoryStore) -> None:
    from langchain_openai import ChatOpenAI

    rid, aid = _rollout(store)
    resource: LLM = proxy.llm_resource("tiny")
    llm = ChatOpenAI(model="tiny", base_url=resource.get_base_url(rid, aid), api_key=resource.api_key,
                     max_tokens=6, default_headers={"x-agl-span-name": "rewrite"})
    reply = llm.invoke("Rewrite: SELECT 1")
    proxy.flush()
    (span,) = store.query_spans(rid, aid)
    assert span.name == "rewrite" and span.attributes["choices"][0]["text"] == reply.content


def test_runner_flush_url_shape(proxy: LLMProxy) -> None:
    resource = proxy.llm_resource("tiny")
    url = resource.endpoint.rstrip("/").removesuffix("/v1") + "/agl/flush"  # what runner.py posts
    r = httpx.post(url, headers={"Authorization": f"Bearer {resource.api_key}"})
    assert r.status_code == 200 and r.json() == {"flushed": True, "pending": 0}
