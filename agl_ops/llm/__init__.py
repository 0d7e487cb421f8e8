"""The model side: preparation, the batching OpenAI-compatible server, the tracing proxy,
and the vLLM backend. Import the submodules you need (``agl_ops.llm.proxy`` does not
load torch; the server and engine do)."""

from __future__ import annotations

__all__ = ["MODEL_VERSION_HEADER", "CONSTRAINT_HEADER"]

MODEL_VERSION_HEADER = "x-agl-model-version"  # every completion response carries the served version
CONSTRAINT_HEADER = "x-agl-constraint"  # constrained responses: "<grammar|regex> sha256=<hex of the text>"
