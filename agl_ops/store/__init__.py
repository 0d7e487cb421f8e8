"""Stores: where rollouts, attempts, spans and resources live.

``open_store(url)`` builds one from a URL so every process (trainer, runners, proxy)
can be pointed at the same store with one string:
``memory``, ``sqlite:///path.db`` (or a bare ``*.db`` path), ``postgresql+psycopg://...``,
``http://host:port`` (a running ``agl-ops store serve``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agl_ops.store.base import LATEST, Store, StoreError, UnknownIdError
from agl_ops.store.memory import MemoryStore

__all__ = ["Store", "StoreError", "UnknownIdError", "LATEST", "MemoryStore", "open_store", "store_url"]


def open_store(url: str, *, token: str | None = None, **kwargs: Any) -> Store:
    """The store behind ``url``; HTTP stores read their token from ``AGL_STORE_TOKEN`` if not given."""
    if url == "memory":
        return MemoryStore(**kwargs)
    if url.startswith(("http://", "https://")):
        from agl_ops.store.client import HttpStore

        return HttpStore(url, token=token or os.environ.get("AGL_STORE_TOKEN"), **kwargs)
    if url.startswith(("sqlite:", "postgresql")):
        from agl_ops.store.sql import SqlStore

        return SqlStore(url, **kwargs)
    if url.endswith((".db", ".sqlite", ".sqlite3")):
        from agl_ops.store.sql import SqliteStore

        return SqliteStore(Path(url), **kwargs)
    raise StoreError(
        f"cannot open store {url!r}: use 'memory', 'sqlite:///path.db', a .db path, "
        "'postgresql+psycopg://...' or 'http://host:port'"
    )


def store_url(store: Store) -> str | None:
    """The URL another process can use to reach ``store`` (None for a memory store)."""
    return getattr(store, "url", None)
