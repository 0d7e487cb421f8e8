"""Background span writer: producers never wait on the store.

The tracer and the LLM proxy ``put`` spans into a buffer; one thread writes them in
batches with ``add_spans``. ``flush`` blocks until everything put so far is stored,
which the runner calls before it marks an attempt finished. A failed write keeps its
spans and is retried, so nothing is dropped while the store restarts.
"""

from __future__ import annotations

import logging
import threading
import time

from agl_ops.store.base import Store
from agl_ops.types import Span

__all__ = ["SpanWriter"]

logger = logging.getLogger(__name__)


class SpanWriter:
    def __init__(self, store: Store, *, batch_size: int = 512, interval_s: float = 0.02) -> None:
        self.store = store
        self.batch_size = batch_size
        self.interval_s = interval_s
        self._buf: list[Span] = []
        self._put_count = 0
        self._written_count = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="agl-span-writer", daemon=True)
        self._thread.start()

    def put(self, span: Span) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("SpanWriter is closed")
            self._buf.append(span)
            self._put_count += 1
            if len(self._buf) >= self.batch_size:
                self._cond.notify_all()

    def flush(self, timeout_s: float | None = 60.0) -> bool:
        """Wait until every span put so far is in the store; False on timeout."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            target = self._put_count
            self._cond.notify_all()
            while self._written_count < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(timeout=remaining)
        return True

    @property
    def pending(self) -> int:
        with self._cond:
            return self._put_count - self._written_count

    def close(self, timeout_s: float | None = 60.0) -> None:
        self.flush(timeout_s)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        delay = 0.05
        while True:
            with self._cond:
                if not self._buf and not self._closed:
                    self._cond.wait(timeout=self.interval_s)
                if self._closed and not self._buf:
                    return
                batch = self._buf[: self.batch_size * 4]
            if not batch:
                continue
            try:
                self.store.add_spans(batch)
            except Exception as exc:  # store down: keep the spans, retry with backoff
                logger.warning("writing %d spans failed (%s); retrying in %.2fs", len(batch), exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.05
            with self._cond:
                del self._buf[: len(batch)]
                self._written_count += len(batch)
                self._cond.notify_all()
