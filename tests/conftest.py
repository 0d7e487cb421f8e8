"""Shared fixtures: every store implementation behind one parametrised fixture."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


class FakeClock:
    """A clock tests move by hand, so timeouts are tested without sleeping."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


STORE_KINDS = ["memory", "sqlite", "postgres", "http-memory", "http-sqlite"]


@pytest.fixture(scope="session")
def pg_cluster():
    from tests import pg

    reason = pg.available()
    if reason:
        pytest.skip(reason)
    cluster = pg.PgCluster()
    yield cluster
    cluster.stop()


def make_store(kind: str, tmp_path: Path, clock: FakeClock | None = None, pg_url: str | None = None, **kwargs):
    """(store, cleanup) for one of STORE_KINDS."""
    from agl_ops.store import MemoryStore
    from agl_ops.store.sql import SqliteStore

    extra = {"clock": clock} if clock is not None else {}
    extra.update(kwargs)
    if kind == "memory":
        return MemoryStore(**extra), lambda: None
    if kind == "sqlite":
        store = SqliteStore(tmp_path / "store.db", **extra)
        return store, store.close
    if kind == "postgres":
        from agl_ops.store.sql import SqlStore

        store = SqlStore(pg_url, **extra)
        return store, store.close
    if kind.startswith("http-"):
        from agl_ops.serving import BackgroundServer
        from agl_ops.store.client import HttpStore
        from agl_ops.store.server import create_store_app

        backing, close_backing = make_store(kind.removeprefix("http-"), tmp_path, clock, **kwargs)
        server = BackgroundServer(create_store_app(backing, token="secret-token")).start()
        client = HttpStore(server.url, token="secret-token", retry_for_s=2.0)

        def cleanup() -> None:
            client.close()
            server.stop()
            close_backing()

        return client, cleanup
    raise ValueError(kind)


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(store_kind: str, tmp_path: Path, clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[object]:
    pg_url = request.getfixturevalue("pg_cluster").new_database() if store_kind == "postgres" else None
    s, cleanup = make_store(store_kind, tmp_path, clock, pg_url=pg_url, heartbeat_timeout_s=10.0)
    try:
        yield s
    finally:
        cleanup()
