"""A tiny tool-using agent with no model: checks an arithmetic claim with a tool span.

It exercises the whole runtime (store, runners, tracing, rewards) in seconds, so
``agl-ops dev --example arithmetic`` works on a fresh machine before any model exists.
"""

from __future__ import annotations

import operator
from typing import Any

import agl_ops as agl
from agl_ops.tracing import span

__all__ = ["arithmetic_agent", "TASKS"]

_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}

TASKS: list[dict[str, Any]] = [
    {"question": f"{a} {op} {b} = {claim}?", "a": a, "op": op, "b": b, "claim": claim}
    for a, op, b, claim in [
        (2, "+", 2, 4), (7, "*", 6, 42), (9, "-", 4, 6), (12, "*", 12, 144), (5, "+", 8, 13),
        (3, "*", 3, 10), (100, "-", 1, 99), (6, "+", 7, 14), (8, "*", 8, 64), (15, "-", 5, 10),
    ]
]


@agl.rollout
def arithmetic_agent(task: dict[str, Any]) -> float:
    """Reward 1 when the claimed result is right, 0 otherwise; an unknown operator fails."""
    with span("calculator", kind=agl.SpanKind.AGENT, expression=task["question"]):
        result = _OPS[task["op"]](task["a"], task["b"])
    agl.emit_message(f"computed {result}")
    return 1.0 if result == task["claim"] else 0.0
