"""The span vocabulary shared by the tracer, the LangChain handler and the LLM proxy.

Spans carry their kind and attempt as attributes while they are open (an OpenTelemetry
span has no other place for them); the tracer's processor reads them back when the
span ends and turns them into :class:`~agl_ops.types.Span` fields.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = [
    "SPAN_NAME_HEADER",
    "REWARD_SPAN",
    "MESSAGE_SPAN",
    "KIND_ATTR",
    "ROLLOUT_ATTR",
    "ATTEMPT_ATTR",
    "otel_value",
    "attempt_attributes",
]

SPAN_NAME_HEADER = "x-agl-span-name"  # agents name their LLM calls for the proxy with it
REWARD_SPAN = "agl.reward"
MESSAGE_SPAN = "agl.message"
KIND_ATTR = "agl.kind"
ROLLOUT_ATTR = "agl.rollout_id"
ATTEMPT_ATTR = "agl.attempt_id"


def otel_value(value: Any) -> Any:
    """``value`` as an OpenTelemetry attribute: scalars and flat scalar lists as they
    are, anything else as JSON text."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, bool, int, float)) for v in value):
        return list(value)
    return orjson.dumps(value, default=str).decode()


def attempt_attributes(rollout_id: str, attempt_id: str) -> dict[str, str]:
    """Attributes that bind a span started on any thread to its attempt."""
    return {ROLLOUT_ATTR: rollout_id, ATTEMPT_ATTR: attempt_id}
