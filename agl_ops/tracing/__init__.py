"""Tracing: OpenTelemetry spans of the running attempt go to the store.

``attributes`` holds the span vocabulary (attribute keys, names, value conversion),
``tracer`` the attempt context, the OpenTelemetry processor and the ``emit_*``
helpers, ``langchain`` the LangChain / LangGraph callback handler (loaded only when
the runner installs the hook, and only if LangChain is installed).
"""

from __future__ import annotations

from agl_ops.tracing.attributes import MESSAGE_SPAN, REWARD_SPAN, SPAN_NAME_HEADER, attempt_attributes
from agl_ops.tracing.tracer import (
    AttemptContext,
    attempt_context,
    current_attempt,
    emit_message,
    emit_reward,
    get_tracer,
    install_langchain_hook,
    span,
)

__all__ = [
    "AttemptContext",
    "attempt_context",
    "current_attempt",
    "emit_reward",
    "emit_message",
    "span",
    "get_tracer",
    "install_langchain_hook",
    "attempt_attributes",
    "SPAN_NAME_HEADER",
    "REWARD_SPAN",
    "MESSAGE_SPAN",
]
