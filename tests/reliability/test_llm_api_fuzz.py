"""The model server's and the LLM proxy's HTTP APIs under hostile input (hypothesis):
malformed JSON, wrong types, huge bodies, unknown ids and routes get a clear 4xx, never
a 5xx or a crash. A request the proxy refuses writes no span; one the backend refuses is
recorded as exactly one error span of its attempt (the call happened), and nothing else
in the store changes."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agl_ops.llm.proxy import LLMProxy
from agl_ops.serving import BackgroundServer
from agl_ops.store import MemoryStore
from tests.llm.conftest import build_tiny_model

SERVE_TOKEN = "serve-s3cret-value"
PROXY_TOKEN = "proxy-s3cret-value"
MAX_BODY = 1_000_000

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
CHAT = {"model": "tiny", "messages": [{"role": "user", "content": "count rows"}], "max_tokens": 3}
COMPLETION = {"model": "tiny", "prompt": "SELECT", "max_tokens": 3}
CHAT_FIELDS = ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop",
               "seed", "stream", "stream_options", "logprobs", "top_logprobs", "return_token_ids", "ignore_eos",
               "tools"]
COMPLETION_FIELDS = ["model", "prompt", "max_tokens", "temperature", "top_p", "n", "stop", "seed", "stream",
                     "stream_options", "logprobs", "echo", "return_token_ids", "ignore_eos"]
# values that probe edges a generic JSON strategy rarely hits
edge_values = st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**30, 1e308, -0.0, "", "\x00", [], {}, [[]], [""],
                               [-5], [10**9], [[1, 2], []], [{"role": "user", "content": [{"type": "text", "text": 5}]}],
                               [{"role": "user", "content": [{"type": "image_url"}, "x"]}],
                               [{"role": 7, "content": "x"}], [{"role": "user", "content": {"a": 1}}],
                               {"include_usage": "yes"}, ["a"] * 20])
field_values = json_values | edge_values


def mutated(base: dict, fields: list[str]) -> st.SearchStrategy[dict]:
    """A valid request with 1-3 fields replaced by random values (or dropped)."""

    def apply(changes: list[tuple[str, object]]) -> dict:
        body = copy.deepcopy(base)
        for name, value in changes:
            if value is _DROP:
                body.pop(name, None)
            else:
                body[name] = value
        return body

    change = st.tuples(st.sampled_from(fields), field_values | st.just(_DROP))
    return st.lists(change, min_size=1, max_size=3).map(apply)


_DROP = object()
chat_bodies = mutated(CHAT, CHAT_FIELDS)
completion_bodies = mutated(COMPLETION, COMPLETION_FIELDS)
any_bodies = json_values | st.dictionaries(st.sampled_from(CHAT_FIELDS + COMPLETION_FIELDS), field_values, max_size=6)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("fuzz-model") / "model")


@pytest.fixture(scope="module")
def model_server(model_dir: Path) -> Iterator[BackgroundServer]:
    import torch

    from agl_ops.llm.engine import Engine, EngineConfig
    from agl_ops.llm.server import create_server_app

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    engine = Engine(EngineConfig(str(model_dir), dtype="float32", max_model_len=96)).start()
    app = create_server_app(engine, served_model_name="tiny", token=SERVE_TOKEN, default_max_tokens=4,
                            manage_engine=False)
    try:
        with BackgroundServer(app) as server:
            yield server
    finally:
        engine.stop()
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def serve(model_server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=model_server.url, headers={"Authorization": f"Bearer {SERVE_TOKEN}"},
                      timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def proxied(model_server: BackgroundServer) -> Iterator[tuple[MemoryStore, httpx.Client, str]]:
    """(store, client, path prefix of a real attempt) for a proxy with a token."""
    store = MemoryStore()
    store.enqueue_rollouts([{"q": 1}])
    attempted = store.claim_rollout("fuzz")
    assert attempted is not None
    prefix = f"/rollout/{attempted.rollout_id}/attempt/{attempted.attempt_id}/v1"
    with LLMProxy(model_server.url, store, token=PROXY_TOKEN, backend_api_key=SERVE_TOKEN) as proxy:
        proxy.writer.interval_s = 0.005
        with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {PROXY_TOKEN}"},
                          timeout=60) as client:
            yield store, client, prefix


def _spans(store: MemoryStore) -> list:
    return [s for spans in store._spans.values() for s in spans]


def _assert_clear_refusal(resp: httpx.Response) -> None:
    assert resp.status_code < 500, f"{resp.status_code}: {resp.text[:500]}"
    if resp.status_code >= 400:
        message = resp.json()["error"]["message"]
        assert isinstance(message, str) and message


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- model server ------------------------------------------------------------------------
@FUZZ
@given(body=chat_bodies)
def test_server_chat_fuzz(serve: httpx.Client, body: dict) -> None:
    _assert_clear_refusal(serve.post("/v1/chat/completions", json=body))


@FUZZ
@given(body=completion_bodies)
def test_server_completions_fuzz(serve: httpx.Client, body: dict) -> None:
    _assert_clear_refusal(serve.post("/v1/completions", json=body))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/v1/chat/completions", "/v1/completions", "/admin/reload"]),
       body=any_bodies, raw=st.none() | st.binary(max_size=200))
def test_server_random_bodies_and_bytes(serve: httpx.Client, path: str, body: object, raw: bytes | None) -> None:
    if path == "/admin/reload" and isinstance(body, dict) and not raw:
        body = {k: v for k, v in body.items() if k != "model"} | {"model_path": "/nonexistent/model"}
    resp = serve.post(path, content=raw, headers={"content-type": "application/json"}) if raw is not None \
        else serve.post(path, json=body)
    _assert_clear_refusal(resp)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.fixed_dictionaries({}, optional={"model_path": st.text(max_size=30) | edge_values,
                                                "adapter_path": st.text(max_size=30) | edge_values,
                                                "version": json_values}))
def test_server_reload_with_bad_paths(serve: httpx.Client, model_dir: Path, body: dict) -> None:
    if not isinstance(body.get("model_path"), str) or not body["model_path"]:
        body["model_path"] = "/nonexistent/model"  # never a real reload of the served model: a fuzz of paths
    resp = serve.post("/admin/reload", json=body)
    assert resp.status_code >= 400 or Path(body["model_path"]).resolve() == model_dir.resolve()
    _assert_clear_refusal(resp)


def test_server_reload_of_broken_files_is_a_400(serve: httpx.Client, model_dir: Path, tmp_path: Path) -> None:
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    torn = tmp_path / "torn"
    torn.mkdir()
    for f in model_dir.iterdir():
        (torn / f.name).write_bytes(f.read_bytes()[:1000] if f.suffix == ".safetensors" else f.read_bytes())
    version = serve.get("/health").json()["model_version"]
    for body in ({"adapter_path": str(adapter)}, {"model_path": str(torn)}):
        resp = serve.post("/admin/reload", json=body)
        assert resp.status_code == 400 and "could not load" in resp.json()["error"]["message"], resp.text
    assert serve.get("/health").json()["model_version"] == version
    assert serve.post("/v1/chat/completions", json=CHAT).status_code == 200


def test_server_unknown_routes_huge_bodies_and_auth(serve: httpx.Client, model_server: BackgroundServer,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for method, path in [("GET", "/v1/nope"), ("POST", "/v1/models"), ("GET", "/v1/chat/completions"),
                         ("DELETE", "/admin/reload"), ("GET", "/rollout/x/attempt/y/v1/models")]:
        resp = serve.request(method, path)
        assert 400 <= resp.status_code < 500, (method, path, resp.status_code)
        assert resp.json()["error"]["message"]
    huge = serve.post("/v1/chat/completions", content=b"{" + b" " * (65 * 1024 * 1024) + b"}",
                      headers={"content-type": "application/json"})
    assert huge.status_code == 413 and "over" in huge.json()["error"]["message"]
    long_prompt = serve.post("/v1/chat/completions", json={**CHAT, "messages": [{"role": "user", "content": "x " * 500}]})
    assert long_prompt.status_code == 400 and "tokens" in long_prompt.json()["error"]["message"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SERVE_TOKEN}):
        resp = httpx.post(f"{model_server.url}/v1/chat/completions", json=CHAT, headers=headers)
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
    assert serve.post("/v1/chat/completions", json=CHAT).status_code == 200  # still serving
    assert SERVE_TOKEN not in caplog.text


# -- proxy -------------------------------------------------------------------------------
@FUZZ
@given(endpoint=st.sampled_from(["chat/completions", "completions"]), data=st.data())
def test_proxy_fuzz_refusals_write_no_span(proxied, endpoint: str, data: st.DataObject) -> None:
    store, client, prefix = proxied
    body = data.draw(chat_bodies if endpoint == "chat/completions" else completion_bodies)
    before = len(_spans(store))
    resp = client.post(f"{prefix}/{endpoint}", json=body)
    _assert_clear_refusal(resp)
    assert client.post("/agl/flush").json()["flushed"] is True
    added = _spans(store)[before:]
    if resp.status_code == 200:
        assert len(added) == 1 and added[0].status == "ok"
    elif added:  # the backend refused a forwarded call: recorded once, as that call's error
        assert len(added) == 1 and added[0].status == "error"
        assert added[0].attributes["status_code"] == resp.status_code


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(["chat/completions", "completions"]), body=any_bodies,
       raw=st.none() | st.binary(max_size=200))
def test_proxy_random_bodies_and_bytes(proxied, endpoint: str, body: object, raw: bytes | None) -> None:
    store, client, prefix = proxied
    before = len(_spans(store))
    resp = client.post(f"{prefix}/{endpoint}", content=raw, headers={"content-type": "application/json"}) \
        if raw is not None else client.post(f"{prefix}/{endpoint}", json=body)
    _assert_clear_refusal(resp)
    assert client.post("/agl/flush").json()["flushed"] is True
    try:
        is_object = isinstance(json.loads(raw) if raw is not None else body, dict)
    except ValueError:
        is_object = False
    if not is_object:  # refused by the proxy itself: nothing recorded
        assert resp.status_code == 400 and len(_spans(store)) == before
    else:
        assert len(_spans(store)) - before <= 1


segment = st.text(st.characters(exclude_characters="/?#%", exclude_categories=("Cc", "Cs")), max_size=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rollout_id=segment, attempt_id=segment, rest=st.sampled_from(["chat/completions", "completions", "models", "x"]),
       span_name=st.lists(st.integers(0x21, 0x7E) | st.integers(0x80, 0xFF), max_size=12).map(bytes))
def test_proxy_unknown_ids_and_odd_headers(proxied, rollout_id: str, attempt_id: str, rest: str,
                                           span_name: bytes) -> None:
    store, client, prefix = proxied
    before = (len(_spans(store)), len(store.query_rollouts()))
    body = CHAT if rest == "chat/completions" else COMPLETION
    resp = client.post(f"/rollout/{rollout_id}/attempt/{attempt_id}/v1/{rest}", json=body,
                       headers={"x-agl-span-name": span_name})
    _assert_clear_refusal(resp)
    assert resp.status_code >= 400
    client.post("/agl/flush")
    assert (len(_spans(store)), len(store.query_rollouts())) == before
    # a real attempt with an odd span name header still works and is recorded once
    good = client.post(f"{prefix}/chat/completions", json=CHAT, headers={"x-agl-span-name": span_name})
    assert good.status_code == 200, good.text
    client.post("/agl/flush")
    assert len(_spans(store)) == before[0] + 1


def test_proxy_routes_huge_bodies_and_auth(proxied, caplog: pytest.LogCaptureFixture) -> None:
    store, client, prefix = proxied
    caplog.set_level(logging.DEBUG)
    before = len(_spans(store))
    for method, path in [("GET", "/nope"), ("POST", "/rollout/r"), ("GET", "/rollout/r/attempt/a/v2/x"),
                         ("POST", "/rollout//attempt//v1/chat/completions"), ("GET", "/agl/flush")]:
        resp = client.request(method, path)
        assert 400 <= resp.status_code < 500, (method, path, resp.status_code)
        assert resp.json()["error"]["message"]
    huge = client.post(f"{prefix}/chat/completions", content=b"{" + b" " * (65 * 1024 * 1024) + b"}",
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413 and "over" in huge.json()["error"]["message"]
    base = str(client.base_url).rstrip("/")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": PROXY_TOKEN}):
        resp = httpx.post(f"{base}{prefix}/chat/completions", json=CHAT, headers=headers)
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
        assert httpx.post(f"{base}/agl/flush", headers=headers).status_code == 401
    client.post("/agl/flush")
    assert len(_spans(store)) == before
    assert client.post(f"{prefix}/chat/completions", json=CHAT).status_code == 200
    assert PROXY_TOKEN not in caplog.text and SERVE_TOKEN not in caplog.text
