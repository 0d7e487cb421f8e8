"""agl-ops: make LLM agents better from their own experience.

``import agl_ops as agl`` gives the public API; heavier parts load on first use so the
store and runners start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "LitAgent": "agl_ops.agent",
    "rollout": "agl_ops.agent",
    "LLM": "agl_ops.types",
    "PromptTemplate": "agl_ops.types",
    "Settings": "agl_ops.types",
    "Rollout": "agl_ops.types",
    "Attempt": "agl_ops.types",
    "AttemptedRollout": "agl_ops.types",
    "Span": "agl_ops.types",
    "SpanKind": "agl_ops.types",
    "Triplet": "agl_ops.types",
    "ResourcesUpdate": "agl_ops.types",
    "RolloutStatus": "agl_ops.types",
    "AttemptStatus": "agl_ops.types",
    "emit_reward": "agl_ops.tracing",
    "emit_message": "agl_ops.tracing",
    "get_tracer": "agl_ops.tracing",
    "Trainer": "agl_ops.trainer",
    "Runner": "agl_ops.runner",
    "Store": "agl_ops.store",
    "MemoryStore": "agl_ops.store",
    "open_store": "agl_ops.store",
    "AlgorithmContext": "agl_ops.algorithms.base",
    "VERL": "agl_ops.algorithms.verl",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agl_ops' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
