"""The store's HTTP API under hostile input: malformed JSON, wrong types, huge bodies,
unknown ids and missing or wrong tokens get a clear 4xx, never a 5xx, and a refused
request changes nothing."""

from __future__ import annotations

import logging

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agl_ops.serving import BackgroundServer
from agl_ops.store import MemoryStore
from agl_ops.store.server import create_store_app

TOKEN = "s3cret-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# bodies shaped like the real ones, with fields of random types
field_names = st.sampled_from(["inputs", "mode", "max_attempts", "timeout_s", "worker_id", "status", "reward",
                               "error", "resources", "resources_id", "rollout_ids", "rollout_id", "attempt_id",
                               "name", "sequence_id", "attributes", "metadata"])
bodies = json_values | st.dictionaries(field_names, json_values, max_size=6) | st.lists(
    st.dictionaries(field_names, json_values, max_size=6), max_size=3)
POSTS = ["/v1/rollouts", "/v1/rollouts/claim", "/v1/rollouts/query", "/v1/rollouts/wait", "/v1/spans",
         "/v1/resources", "/v1/attempts/at-unknown/finish", "/v1/attempts/at-unknown/heartbeat"]


@pytest.fixture(scope="module")
def server():
    store = MemoryStore()
    with BackgroundServer(create_store_app(store, token=TOKEN, max_body_bytes=1_000_000)) as srv:
        with httpx.Client(base_url=srv.url, headers=AUTH, timeout=30) as client:
            yield store, client


def snapshot(store: MemoryStore) -> tuple[int, int, int]:
    return (len(store.query_rollouts()), sum(len(v) for v in store._spans.values()), len(store._resources))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(POSTS), body=bodies)
def test_random_bodies_never_cause_a_server_error(server, path, body):
    store, client = server
    before = snapshot(store)
    resp = client.post(path, json=body)
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        assert snapshot(store) == before, "a refused request changed the store"
        assert resp.json()["error"]["message"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(POSTS), raw=st.binary(max_size=200))
def test_malformed_json_is_a_4xx(server, path, raw):
    store, client = server
    before = snapshot(store)
    resp = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert resp.status_code < 500
    if resp.status_code >= 400:
        assert snapshot(store) == before


def test_unknown_ids_are_404_with_a_message(server):
    _, client = server
    for method, path in [("GET", "/v1/resources/rs-nope"), ("POST", "/v1/attempts/at-nope/heartbeat"),
                         ("GET", "/v1/rollouts/ro-nope/spans")]:
        resp = client.request(method, path)
        assert resp.status_code in (200, 404)
        if resp.status_code == 404:
            assert "unknown" in resp.json()["error"]["message"]
    resp = client.post("/v1/attempts/at-nope/finish", json={"status": "succeeded"})
    assert resp.status_code == 404 and "at-nope" in resp.json()["error"]["message"]


def test_huge_body_is_refused_before_it_is_read(server):
    store, client = server
    before = snapshot(store)
    resp = client.post("/v1/rollouts", content=b"[" + b"1," * 600_000 + b"1]",
                       headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "over" in resp.json()["error"]["message"]

    def chunks():  # no content-length: the cap applies while streaming
        for _ in range(200):
            yield b" " * 10_000

    resp = client.post("/v1/spans", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert snapshot(store) == before


def test_missing_or_wrong_token_is_401_and_never_logged(server, caplog):
    store, client = server
    caplog.set_level(logging.DEBUG)
    before = snapshot(store)
    base = str(client.base_url).rstrip("/")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        resp = httpx.post(f"{base}/v1/rollouts", json={"inputs": [1]}, headers=headers)
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{base}/health").status_code == 200  # health stays open
    assert snapshot(store) == before
    assert TOKEN not in caplog.text
