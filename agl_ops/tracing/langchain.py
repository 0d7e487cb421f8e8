"""LangChain / LangGraph callback handler that turns runs into OpenTelemetry spans.

Installed automatically inside every attempt (see :func:`~agl_ops.tracing.tracer.install_langchain_hook`):
each chain, LangGraph node, tool and chat-model run becomes one span named after the
run, nested like the runs are. LLM token ids are recorded by the proxy, not here. The
only module that imports ``langchain_core``; the tracer loads it when the hook is installed.
"""

from __future__ import annotations

import contextvars
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.context import register_configure_hook
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Status, StatusCode

from agl_ops.tracing.attributes import KIND_ATTR, attempt_attributes, otel_value
from agl_ops.types import SpanKind

__all__ = ["AglCallbackHandler", "register_handler_var"]

_MAX_ATTR_CHARS = 4000


def register_handler_var(var: contextvars.ContextVar[Any]) -> None:
    """Have LangChain add the handler held in ``var`` to every run (inheritable), so agent
    code needs no ``callbacks=[...]``."""
    register_configure_hook(var, inheritable=True)


def _short(value: Any) -> Any:
    v = otel_value(value)
    return v[:_MAX_ATTR_CHARS] if isinstance(v, str) else v


class AglCallbackHandler(BaseCallbackHandler):
    """One span per LangChain run, parented like the runs."""

    raise_error = False
    run_inline = True  # keep span start/end order, no executor hop

    def __init__(self, tracer: otel_trace.Tracer, rollout_id: str, attempt_id: str) -> None:
        self._tracer = tracer
        self._attrs = attempt_attributes(rollout_id, attempt_id)
        self._spans: dict[UUID, Any] = {}

    def _start(self, run_id: UUID, parent_run_id: UUID | None, name: str, run_type: str, inputs: Any) -> None:
        parent = self._spans.get(parent_run_id) if parent_run_id else None
        ctx = otel_trace.set_span_in_context(parent) if parent is not None else None
        attrs = dict(self._attrs)
        attrs[KIND_ATTR] = SpanKind.AGENT.value
        attrs["langchain.run_type"] = run_type
        attrs["langchain.inputs"] = _short(inputs)
        self._spans[run_id] = self._tracer.start_span(name, context=ctx, attributes=attrs)

    def _end(self, run_id: UUID, outputs: Any = None, error: BaseException | None = None) -> None:
        s = self._spans.pop(run_id, None)
        if s is None:
            return
        if error is not None:
            s.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            s.set_attribute("error", f"{type(error).__name__}: {error}"[:_MAX_ATTR_CHARS])
        elif outputs is not None:
            s.set_attribute("langchain.outputs", _short(outputs))
        s.end()

    @staticmethod
    def _name(serialized: dict[str, Any] | None, kwargs: dict[str, Any], default: str) -> str:
        if kwargs.get("name"):
            return str(kwargs["name"])
        if serialized:
            return str(serialized.get("name") or (serialized.get("id") or [default])[-1])
        return default

    # chains (LangGraph graphs and nodes are chains)
    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID,
                       parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, self._name(serialized, kwargs, "chain"), "chain", inputs)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # chat models / LLMs
    def on_chat_model_start(self, serialized: dict[str, Any] | None, messages: list[list[Any]], *, run_id: UUID,
                            parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        rendered = [[{"role": getattr(m, "type", "?"), "content": getattr(m, "content", str(m))} for m in batch]
                    for batch in messages]
        self._start(run_id, parent_run_id, self._name(serialized, kwargs, "chat_model"), "chat_model", rendered)

    def on_llm_start(self, serialized: dict[str, Any] | None, prompts: list[str], *, run_id: UUID,
                     parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, self._name(serialized, kwargs, "llm"), "llm", prompts)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        texts = [[g.text for g in gens] for gens in getattr(response, "generations", [])]
        self._end(run_id, texts)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # tools
    def on_tool_start(self, serialized: dict[str, Any] | None, input_str: str, *, run_id: UUID,
                      parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, self._name(serialized, kwargs, "tool"), "tool", input_str)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)
