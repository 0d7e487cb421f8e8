"""OpenAI tool calling over a chat template: render ``tools``, parse ``tool_calls`` back.

Prompts go through the model's own chat template. A template that renders ``tools``
(Qwen2.5, Hermes, SmolLM3, ...) gets them natively, with assistant ``tool_calls`` and
``role: tool`` messages as the template expects them. A template that ignores tools
(SmolLM2-Instruct's drops them silently) gets, with ``ToolPrompt.AUTO`` or
``BUILTIN``, the Hermes convention instead: the tool schemas in the system message,
past calls as ``<tool_call>`` blocks in the assistant's text, results as user turns in
``<tool_response>`` blocks; with ``ToolPrompt.TEMPLATE`` it is a client error.

Model output is parsed from ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
blocks (the format of those templates and of the built-in prompt). All functions here
are pure; the server owns the tokenizer and the HTTP errors.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "ToolPrompt",
    "ToolRequestError",
    "ParsedOutput",
    "check_tools",
    "tool_names",
    "template_renders_tools",
    "builtin_tools_prompt",
    "render_messages",
    "parse_tool_calls",
    "stream_safe_len",
    "ToolCallStream",
    "TOOL_CALL_OPEN",
    "TOOL_CALL_CLOSE",
]

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
_BLOCK = re.compile(re.escape(TOOL_CALL_OPEN) + r"(.*?)(?:" + re.escape(TOOL_CALL_CLOSE) + r"|\Z)", re.DOTALL)
_PROBE_NAME = "agl_probe_tool_7f3a"


class ToolPrompt(str, Enum):
    """How ``tools`` reach the prompt."""

    AUTO = "auto"  # the template's own rendering when it has one, else the built-in prompt
    TEMPLATE = "template"  # the template's own rendering only; a template without one is a 400
    BUILTIN = "builtin"  # always the built-in (Hermes-style) prompt


class ToolRequestError(ValueError):
    """A request whose tools or tool messages cannot be served (the server answers 400)."""


@dataclass(frozen=True)
class ParsedOutput:
    """A completion split into text and tool calls (OpenAI ``tool_calls`` shape).

    ``content`` is the text outside valid call blocks, whitespace kept, so a stream
    that already sent a prefix can send the rest."""

    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def message_content(self) -> str | None:
        """The assistant message's ``content``: None when only tool calls remain."""
        text = self.content.strip() if self.tool_calls else self.content
        return text or (None if self.tool_calls else "")


def check_tools(tools: Sequence[Any]) -> None:
    """Only function tools with a name are served; anything else is a client error."""
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type", "function") != "function" or not isinstance(fn, dict):
            raise ToolRequestError(f"tools[{i}]: only function tools ({{'type': 'function', 'function': {{...}}}}) are supported")
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            raise ToolRequestError(f"tools[{i}].function.name: a non-empty string is required")


def tool_names(tools: Sequence[dict[str, Any]]) -> set[str]:
    return {t["function"]["name"] for t in tools}


def template_renders_tools(render: Callable[[list[dict[str, Any]], list[dict[str, Any]]], str]) -> bool:
    """Whether ``render(messages, tools)`` (the template, as text) shows a probe tool:
    a template that ignores ``tools`` would let the model answer without seeing them."""
    probe = [{"type": "function", "function": {"name": _PROBE_NAME, "description": "probe",
                                                "parameters": {"type": "object", "properties": {}}}}]
    try:
        return _PROBE_NAME in render([{"role": "user", "content": "hi"}], probe)
    except Exception:  # a template that fails on tools cannot render them
        return False


def builtin_tools_prompt(tools: Sequence[dict[str, Any]]) -> str:
    """The system-prompt section that describes ``tools`` (Hermes convention)."""
    schemas = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
    return ("You may call one or more functions to help with the user's request. The functions, as JSON schemas:\n"
            f"<tools>\n{schemas}\n</tools>\n"
            "To call a function, reply with one block per call, each holding a JSON object with the function's "
            f"name and arguments:\n{TOOL_CALL_OPEN}\n"
            '{"name": "<function name>", "arguments": {"<argument>": "<value>"}}\n'
            f"{TOOL_CALL_CLOSE}\nA function's result comes back in a <tool_response></tool_response> block.")


def _arguments(raw: Any) -> Any:
    """OpenAI sends arguments as a JSON string; templates want the object."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _call_text(call: dict[str, Any]) -> str:
    fn = call["function"]
    body = json.dumps({"name": fn.get("name"), "arguments": _arguments(fn.get("arguments", {}))}, ensure_ascii=False)
    return f"{TOOL_CALL_OPEN}\n{body}\n{TOOL_CALL_CLOSE}"


def render_messages(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None,
                    native: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """``(messages, tools)`` to hand ``apply_chat_template``.

    ``native``: the template renders tools itself; tool-call arguments become objects.
    Otherwise calls, results and the tool schemas are written into the messages as
    text (the built-in prompt) and no ``tools`` are passed."""
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        m = dict(m)
        calls = m.get("tool_calls") or []
        if not isinstance(calls, list) or not all(
                isinstance(c, dict) and isinstance(c.get("function"), dict) and isinstance(c["function"].get("name"), str)
                for c in calls):
            raise ToolRequestError(f"messages[{i}].tool_calls: a list of {{'function': {{'name', 'arguments'}}}} "
                                   "objects is required")
        if native:
            if calls:
                m["tool_calls"] = [{**c, "function": {**c["function"], "arguments": _arguments(c["function"].get("arguments", {}))}}
                                   for c in calls]
            out.append(m)
        elif m.get("role") == "tool":
            out.append({"role": "user", "content": f"<tool_response>\n{m.get('content') or ''}\n</tool_response>"})
        else:
            m.pop("tool_calls", None)
            if calls:
                text = m.get("content") or ""
                m["content"] = "\n".join([text, *map(_call_text, calls)] if text else map(_call_text, calls))
            out.append(m)
    if native or not tools:
        return out, list(tools) if (native and tools) else None
    section = builtin_tools_prompt(tools)
    if out and out[0].get("role") == "system":
        out[0] = {**out[0], "content": f"{out[0].get('content') or ''}\n\n{section}".lstrip()}
    else:
        out.insert(0, {"role": "system", "content": section})
    return out, None


def _new_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _calls_in(block: str, allowed: Collection[str] | None) -> list[tuple[str, Any]] | None:
    """``(name, arguments)`` of the calls in one block, or None if it is not a valid call."""
    try:
        data = json.loads(block.strip())
    except json.JSONDecodeError:
        return None
    items = data if isinstance(data, list) else [data]
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        if allowed is not None and item["name"] not in allowed:
            return None
        args = item.get("arguments", item.get("parameters", {}))
        calls.append((item["name"], args))
    return calls or None


def parse_tool_calls(text: str, allowed: Collection[str] | None = None,
                     new_id: Callable[[], str] = _new_id) -> ParsedOutput:
    """Split ``text`` into content and ``tool_calls``.

    A ``<tool_call>`` block (closed, or running to the end of the text: the model may
    stop right after the JSON) holding a JSON object with ``name`` and ``arguments``
    (or ``parameters``), or a list of them, is a call when every name is in ``allowed``
    (None: any name). Anything else, malformed blocks included, stays in the content."""
    calls: list[dict[str, Any]] = []
    kept: list[str] = []
    pos = 0
    for match in _BLOCK.finditer(text):
        found = _calls_in(match.group(1), allowed)
        if found is None:
            continue
        kept.append(text[pos:match.start()])
        pos = match.end()
        for name, args in found:
            arguments = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            calls.append({"id": new_id(), "type": "function", "function": {"name": name, "arguments": arguments}})
    kept.append(text[pos:])
    return ParsedOutput("".join(kept) if calls else text, calls)


def stream_safe_len(text: str) -> int:
    """How much of a partial completion can be streamed as content: everything before
    a ``<tool_call>`` (or before a tail that may be the start of one)."""
    at = text.find(TOOL_CALL_OPEN)
    if at >= 0:
        return at
    for k in range(min(len(TOOL_CALL_OPEN) - 1, len(text)), 0, -1):
        if text.endswith(TOOL_CALL_OPEN[:k]):
            return len(text) - k
    return len(text)


class ToolCallStream:
    """Streaming with tools: holds back content that may be a tool call; at the end,
    the rest of the content and the calls (parsed from the whole completion)."""

    def __init__(self, allowed: Collection[str] | None) -> None:
        self.allowed = allowed
        self.text = ""
        self.sent = 0

    def feed(self, delta: str) -> str:
        """The content that can be sent now, after ``delta`` arrived."""
        self.text += delta
        safe = stream_safe_len(self.text)
        out = self.text[self.sent:safe] if safe > self.sent else ""
        self.sent = max(self.sent, safe)
        return out

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        """``(content not sent yet, tool calls)`` once the completion is complete."""
        parsed = parse_tool_calls(self.text, self.allowed)
        rest = parsed.content[self.sent:]
        if parsed.tool_calls:
            rest = rest.rstrip() if rest.strip() else ""
        self.sent = len(self.text)
        return rest, parsed.tool_calls
