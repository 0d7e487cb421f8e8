"""The attempt's tracer: OpenTelemetry spans of the running attempt go to the store.

The runner opens an :class:`AttemptContext` around each rollout. Inside it,
``emit_reward``, ``emit_message``, ``span(...)`` and any OpenTelemetry span made with
:func:`get_tracer` are tagged with the rollout and attempt ids and handed to a
background :class:`~agl_ops.store.writer.SpanWriter`. LangChain / LangGraph runs are
traced with no code change through a callback handler that LangChain picks up from a
context variable (see :func:`install_langchain_hook`).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from agl_ops.store.writer import SpanWriter
from agl_ops.tracing.attributes import (
    ATTEMPT_ATTR,
    KIND_ATTR,
    MESSAGE_SPAN,
    REWARD_SPAN,
    ROLLOUT_ATTR,
    otel_value,
)
from agl_ops.types import Span, SpanKind, next_sequence_id

__all__ = [
    "AttemptContext",
    "attempt_context",
    "current_attempt",
    "emit_reward",
    "emit_message",
    "span",
    "get_tracer",
    "install_langchain_hook",
]

logger = logging.getLogger(__name__)


@dataclass
class AttemptContext:
    rollout_id: str
    attempt_id: str
    writer: SpanWriter
    rewards: list[float] = field(default_factory=list)

    @property
    def last_reward(self) -> float | None:
        return self.rewards[-1] if self.rewards else None


_current: contextvars.ContextVar[AttemptContext | None] = contextvars.ContextVar("agl_attempt", default=None)
# live attempts by id: a span ending on another thread still finds its writer
_live: dict[str, AttemptContext] = {}


def current_attempt() -> AttemptContext | None:
    return _current.get()


@contextmanager
def attempt_context(ctx: AttemptContext) -> Iterator[AttemptContext]:
    token = _current.set(ctx)
    _live[ctx.attempt_id] = ctx
    lc_token = _langchain_handler.set(_make_langchain_handler(ctx)) if _hook_installed else None
    try:
        yield ctx
    finally:
        if lc_token is not None:
            _langchain_handler.reset(lc_token)
        _live.pop(ctx.attempt_id, None)
        _current.reset(token)


# -- OpenTelemetry -----------------------------------------------------------------
class _StoreSpanProcessor(SpanProcessor):
    """Tags spans with the current attempt at start and queues them at end."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        ctx = _current.get()
        if ctx is not None and ATTEMPT_ATTR not in (span.attributes or {}):
            span.set_attribute(ROLLOUT_ATTR, ctx.rollout_id)
            span.set_attribute(ATTEMPT_ATTR, ctx.attempt_id)

    def on_end(self, span: ReadableSpan) -> None:
        attrs = dict(span.attributes or {})
        rollout_id = attrs.pop(ROLLOUT_ATTR, None)
        ctx = _live.get(str(attrs.pop(ATTEMPT_ATTR, "")))
        if rollout_id is None or ctx is None:
            return  # not inside an attempt of ours (or the attempt already ended)
        kind = SpanKind(attrs.pop(KIND_ATTR, SpanKind.OTHER.value))
        sc = span.context
        parent = span.parent
        ctx.writer.put(
            Span(
                rollout_id=ctx.rollout_id,
                attempt_id=ctx.attempt_id,
                sequence_id=next_sequence_id(),
                span_id=format(sc.span_id, "016x"),
                trace_id=format(sc.trace_id, "032x"),
                parent_id=format(parent.span_id, "016x") if parent else None,
                name=span.name,
                kind=kind,
                start_time=(span.start_time or 0) / 1e9,
                end_time=(span.end_time or 0) / 1e9 if span.end_time else None,
                status="error" if span.status and not span.status.is_ok else "ok",
                attributes=attrs,
            )
        )

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        ctx = _current.get()
        return ctx.writer.flush(timeout_millis / 1000) if ctx else True


_provider = TracerProvider()
_provider.add_span_processor(_StoreSpanProcessor())


def get_tracer(name: str = "agl_ops") -> otel_trace.Tracer:
    """An OpenTelemetry tracer whose spans are recorded for the current attempt."""
    return _provider.get_tracer(name)


@contextmanager
def span(name: str, kind: SpanKind = SpanKind.OTHER, **attributes: Any) -> Iterator[Any]:
    """A custom span around a block: ``with agl.tracing.span("tool", query=q): ...``."""
    attrs = {k: otel_value(v) for k, v in attributes.items()}
    attrs[KIND_ATTR] = kind.value
    with get_tracer().start_as_current_span(name, attributes=attrs) as s:
        yield s


def emit_reward(value: float) -> None:
    """Record the rollout's reward (the last one emitted is the episode's reward)."""
    ctx = _current.get()
    if ctx is None:
        logger.warning("emit_reward(%s) called outside a rollout; ignored", value)
        return
    reward = float(value)
    ctx.rewards.append(reward)
    with span(REWARD_SPAN, SpanKind.REWARD, reward=reward):
        pass


def emit_message(message: str, **attributes: Any) -> None:
    """Record a free-form message (a log line worth keeping with the trace)."""
    if _current.get() is None:
        logger.warning("emit_message called outside a rollout; ignored")
        return
    with span(MESSAGE_SPAN, SpanKind.MESSAGE, message=message, **attributes):
        pass


# -- LangChain / LangGraph ---------------------------------------------------------
_langchain_handler: contextvars.ContextVar[Any] = contextvars.ContextVar("agl_langchain_handler", default=None)
_hook_installed = False


def install_langchain_hook() -> bool:
    """Make LangChain add our callback handler to every run inside an attempt.

    LangChain reads inheritable handlers from registered context variables, so agent
    code needs no ``callbacks=[...]``. Returns False when LangChain is not installed.
    """
    global _hook_installed
    if _hook_installed:
        return True
    try:
        from agl_ops.tracing.langchain import register_handler_var
    except ImportError as exc:
        if not (exc.name or "").startswith("langchain_core"):
            raise
        return False  # langchain_core is not installed (or too old for the hook)
    register_handler_var(_langchain_handler)
    _hook_installed = True
    return True


def _make_langchain_handler(ctx: AttemptContext) -> Any:
    from agl_ops.tracing.langchain import AglCallbackHandler

    return AglCallbackHandler(get_tracer("agl_ops.langchain"), ctx.rollout_id, ctx.attempt_id)
