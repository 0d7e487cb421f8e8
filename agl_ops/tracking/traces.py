"""Agent traces in MLflow: a rollout's spans from the store -> one MLflow trace.

The store keeps every span of every attempt (LLM calls with token ids, framework
spans, rewards). For people reading evaluation runs, MLflow's trace view is the place:
each evaluated rollout becomes a trace under a root span named after the rollout, with
the original parent/child structure, timings, inputs/outputs and status, and is linked
to the evaluation run. Traces are kept light: token id and logprob lists are dropped
and long strings cut, since they are for reading (the store keeps the full data).

Uses ``mlflow.start_span_no_context`` with explicit start/end times, which writes to a
sqlite tracking store offline (checked on mlflow 3.17.2).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agl_ops.tracking.backend import client, disable_telemetry
from agl_ops.store.base import LATEST
from agl_ops.types import Rollout, Span, SpanKind

__all__ = ["light_attributes", "split_io", "log_rollout_trace", "log_rollout_traces"]

logger = logging.getLogger(__name__)

_DROP_KEYS = frozenset({"prompt_token_ids", "response_token_ids", "token_ids", "logprobs", "response_logprobs",
                        "top_logprobs", "prompt_logprobs"})
_MAX_STR = 8000
_INPUT_KEYS = ("request", "inputs", "input", "langchain.inputs", "message")
_OUTPUT_KEYS = ("response", "outputs", "output", "langchain.outputs", "reward")
_LANGCHAIN_TYPES = {"tool": "TOOL", "llm": "CHAT_MODEL", "chat_model": "CHAT_MODEL", "retriever": "RETRIEVER",
                    "parser": "PARSER"}
_KIND_TYPES = {SpanKind.LLM: "LLM", SpanKind.REWARD: "EVALUATOR", SpanKind.AGENT: "CHAIN",
               SpanKind.MESSAGE: "UNKNOWN", SpanKind.OTHER: "UNKNOWN"}


def light_attributes(value: Any, max_str: int = _MAX_STR) -> Any:
    """A copy without token ids / logprobs (at any depth) and with long strings cut."""
    if isinstance(value, Mapping):
        return {k: light_attributes(v, max_str) for k, v in value.items() if k not in _DROP_KEYS}
    if isinstance(value, (list, tuple)):
        return [light_attributes(v, max_str) for v in value]
    if isinstance(value, str) and len(value) > max_str:
        return value[:max_str] + f"... [{len(value) - max_str} chars cut]"
    return value


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def split_io(span: Span) -> tuple[Any, Any, dict[str, Any]]:
    """(inputs, outputs, other attributes) of a store span, light."""
    attrs = light_attributes(dict(span.attributes))
    inputs = next((_maybe_json(attrs.pop(k)) for k in _INPUT_KEYS if k in attrs), None)
    outputs = next((_maybe_json(attrs.pop(k)) for k in _OUTPUT_KEYS if k in attrs), None)
    if span.kind is SpanKind.REWARD and outputs is not None and not isinstance(outputs, Mapping):
        outputs = {"reward": outputs}
    return inputs, outputs, attrs


def _span_type(span: Span) -> str:
    if span.kind is SpanKind.AGENT:
        return _LANGCHAIN_TYPES.get(str(span.attributes.get("langchain.run_type", "")), "CHAIN")
    return _KIND_TYPES.get(span.kind, "UNKNOWN")


def _ns(seconds: float) -> int:
    return int(round(seconds * 1e9))


def _ordered(spans: Sequence[Span]) -> list[Span]:
    """Parents before children (a parent missing from the list makes a span top-level)."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        children.setdefault(s.parent_id if s.parent_id in ids else None, []).append(s)
    ordered: list[Span] = []
    stack = sorted(children.get(None, []), key=lambda s: (s.start_time, s.sequence_id), reverse=True)
    while stack:
        current = stack.pop()
        ordered.append(current)
        stack.extend(sorted(children.get(current.span_id, []), key=lambda s: (s.start_time, s.sequence_id),
                            reverse=True))
    return ordered


def log_rollout_trace(
    spans: Sequence[Span],
    *,
    rollout: Rollout | None = None,
    experiment_id: str | None = None,
    run_id: str | None = None,
    link: bool = True,
) -> str | None:
    """Write one rollout's spans as an MLflow trace; return its trace id (None if no spans).

    The trace goes to ``experiment_id`` (default: the active experiment) and is linked
    to ``run_id`` (default: the active run, which MLflow links by itself).
    """
    if not spans:
        return None
    disable_telemetry()
    import mlflow

    spans = sorted(spans, key=lambda s: (s.start_time, s.sequence_id))
    start = min(s.start_time for s in spans)
    end = max(s.end_time or s.start_time for s in spans)
    rollout_id = rollout.rollout_id if rollout else spans[0].rollout_id
    tags = {"agl.rollout_id": rollout_id, "agl.attempt_id": spans[-1].attempt_id}
    outputs: dict[str, Any] = {}
    if rollout is not None:
        tags.update({"agl.mode": str(rollout.mode), "agl.status": rollout.status.value})
        outputs = {"reward": rollout.reward, "status": rollout.status.value, "error": rollout.error}
    root = mlflow.start_span_no_context(
        f"rollout {rollout_id}", span_type="AGENT", inputs=light_attributes(rollout.input) if rollout else None,
        tags=tags, experiment_id=experiment_id, start_time_ns=_ns(start),
    )
    live: dict[str, Any] = {}
    for span in _ordered(spans):
        inputs, span_outputs, attrs = split_io(span)
        child = mlflow.start_span_no_context(
            span.name, span_type=_span_type(span), parent_span=live.get(span.parent_id or "", root),
            inputs=inputs, attributes={"agl.span_id": span.span_id, "agl.kind": span.kind.value, **attrs},
            start_time_ns=_ns(span.start_time),
        )
        live[span.span_id] = child
        child.end(outputs=span_outputs, status="ERROR" if span.status == "error" else "OK",
                  end_time_ns=_ns(span.end_time or span.start_time))
    failed = rollout is not None and rollout.status.value == "failed"
    root.end(outputs=outputs or None, status="ERROR" if failed else "OK", end_time_ns=_ns(end))
    if link:
        _link([root.trace_id], run_id)
    return root.trace_id


def _link(trace_ids: Sequence[str], run_id: str | None) -> None:
    """Link traces to ``run_id`` unless it is the active run (MLflow links those itself).
    Traces are written asynchronously, so flush first; one flush per batch."""
    import mlflow

    active = mlflow.active_run()
    if run_id is None or not trace_ids or (active is not None and active.info.run_id == run_id):
        return
    mlflow.flush_trace_async_logging()
    for start in range(0, len(trace_ids), 100):  # the API's limit per call
        client().link_traces_to_run(list(trace_ids[start:start + 100]), run_id)


def log_rollout_traces(
    store: Any,
    rollouts: Iterable[Rollout],
    *,
    limit: int | None = 50,
    experiment_id: str | None = None,
    run_id: str | None = None,
) -> list[str]:
    """Traces for up to ``limit`` rollouts (latest attempt each), read from ``store``."""
    import mlflow

    trace_ids: list[str] = []
    for rollout in rollouts:
        if limit is not None and len(trace_ids) >= limit:
            break
        spans = store.query_spans(rollout.rollout_id, LATEST)
        trace_id = log_rollout_trace(spans, rollout=rollout, experiment_id=experiment_id, run_id=run_id, link=False)
        if trace_id:
            trace_ids.append(trace_id)
    _link(trace_ids, run_id)
    mlflow.flush_trace_async_logging()
    logger.info("logged %d rollout traces to MLflow", len(trace_ids))
    return trace_ids
