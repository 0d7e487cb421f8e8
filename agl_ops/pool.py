"""A pool of runners as threads or OS processes, started and stopped as one.

Processes share nothing with the trainer but a store URL: a SQL store is opened by
URL in each child, a memory store is served over HTTP for them. Stopping sends
SIGTERM, which a child turns into a graceful stop (its running attempt is ended as
failed and re-queued), then SIGKILL for any child that does not exit in time.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
from typing import Any, Literal

from agl_ops.agent import LitAgent
from agl_ops.runner import Runner
from agl_ops.store.base import Store

__all__ = ["RunnerPool"]

logger = logging.getLogger(__name__)

Backend = Literal["thread", "process"]


def _child_main(
    agent: LitAgent,
    store_url: str,
    token: str | None,
    store_kwargs: dict[str, Any],
    worker_id: str,
    heartbeat_interval_s: float,
    log_level: int,
) -> None:
    logging.basicConfig(level=log_level, format=f"[{worker_id}] %(levelname)s %(name)s: %(message)s")
    from agl_ops.store import open_store

    _die_with_parent()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    store = open_store(store_url, token=token, **store_kwargs)
    try:
        Runner(agent, store, worker_id=worker_id, heartbeat_interval_s=heartbeat_interval_s, stop_event=stop).run()
    finally:
        store.close()
    # spans are flushed and the attempt is ended; do not wait for an agent thread that
    # overran its time limit (the interpreter would join it at exit)
    logging.shutdown()
    os._exit(0)


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this runner when its parent dies, even by SIGKILL, so a
    killed trainer leaves no orphan runners (best effort; no-op elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class RunnerPool:
    def __init__(
        self,
        agent: LitAgent,
        store: Store,
        *,
        n_runners: int = 1,
        backend: Backend = "thread",
        heartbeat_interval_s: float = 5.0,
        store_token: str | None = None,
    ) -> None:
        if n_runners < 1:
            raise ValueError("n_runners must be >= 1")
        if backend not in ("thread", "process"):
            raise ValueError(f"unknown runner backend {backend!r}: use 'thread' or 'process'")
        self.agent = agent
        self.store = store
        self.n_runners = n_runners
        self.backend = backend
        self.heartbeat_interval_s = heartbeat_interval_s
        self.store_token = store_token
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._runners: list[Runner] = []
        self._procs: list[Any] = []
        self._server: Any = None

    def start(self) -> RunnerPool:
        if self.backend == "thread":
            self._start_threads()
        else:
            self._start_processes()
        logger.info("started %d %s runner(s)", self.n_runners, self.backend)
        return self

    def _start_threads(self) -> None:
        for i in range(self.n_runners):
            runner = Runner(
                self.agent, self.store, worker_id=f"runner-{i}", heartbeat_interval_s=self.heartbeat_interval_s,
                stop_event=self._stop,
            )
            thread = threading.Thread(target=runner.run, name=f"agl-runner-{i}", daemon=True)
            thread.start()
            self._runners.append(runner)
            self._threads.append(thread)

    def _start_processes(self) -> None:
        url = getattr(self.store, "url", None)
        token = self.store_token
        store_kwargs: dict[str, Any] = {}
        if url is not None and not url.startswith("http"):
            # children open the same database; they must judge dead attempts alike
            store_kwargs["heartbeat_timeout_s"] = self.store.heartbeat_timeout_s  # type: ignore[attr-defined]
        if url is None:  # memory store: serve it to the children over HTTP
            from agl_ops.serving import BackgroundServer
            from agl_ops.store.server import create_store_app

            token = token or os.urandom(16).hex()
            self._server = BackgroundServer(create_store_app(self.store, token=token)).start()
            url = self._server.url
        ctx = mp.get_context("spawn")
        level = logging.getLogger().getEffectiveLevel()
        for i in range(self.n_runners):
            proc = ctx.Process(
                target=_child_main,
                args=(self.agent, url, token, store_kwargs, f"runner-{i}", self.heartbeat_interval_s, level),
                name=f"agl-runner-{i}",
                daemon=True,
            )
            proc.start()
            self._procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout_s)
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: graceful stop in the child
        for proc in self._procs:
            proc.join(timeout=timeout_s)
            if proc.is_alive():
                logger.warning("runner %s did not stop in %ss; killing it", proc.name, timeout_s)
                proc.kill()
                proc.join(timeout=5)
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._threads.clear()
        self._procs.clear()

    def __enter__(self) -> RunnerPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
