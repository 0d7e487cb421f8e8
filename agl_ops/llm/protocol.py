"""OpenAI-compatible request models and response bodies (chat and legacy completions).

Extension fields follow vLLM so clients (our proxy included) work the same over both
servers: ``return_token_ids`` -> top-level ``prompt_token_ids`` and per-choice
``token_ids``; ``ignore_eos``; ``structured_outputs`` / ``guided_grammar`` /
``guided_regex`` (see :mod:`agl_ops.llm.constraint`). We add ``model_version`` (top
level, and the ``x-agl-model-version`` header) and, for constrained requests,
``constraint`` (``{"type", "sha256"}``, and the ``x-agl-constraint`` header). Unknown request fields are accepted and ignored, as
OpenAI clients send many (user, presence_penalty, ...).
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agl_ops.llm import MODEL_VERSION_HEADER
from agl_ops.llm.constraint import Constraint, parse_constraint
from agl_ops.llm.sampling import SamplingParams
from agl_ops.llm.tools import parse_tool_calls, tool_names

__all__ = [
    "ChatRequest",
    "CompletionRequest",
    "ChoiceResult",
    "chat_response",
    "completion_response",
    "chat_chunk",
    "completion_chunk",
    "message_text",
    "MODEL_VERSION_HEADER",
]



class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str | None = None
    max_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=64)
    stop: Union[str, list[str], None] = None
    seed: int | None = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    return_token_ids: bool = False
    ignore_eos: bool = False

    @field_validator("stop")
    @classmethod
    def _stops(cls, v: Union[str, list[str], None]) -> list[str] | None:
        stops = [v] if isinstance(v, str) else v
        if stops is not None and (len(stops) > 16 or any(not s for s in stops)):
            raise ValueError("stop must be up to 16 non-empty strings")
        return stops

    def sampling(self, default_max_tokens: int, top_logprobs: int) -> SamplingParams:
        return SamplingParams(
            max_tokens=self.max_tokens or default_max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stop=tuple(self.stop or ()),
            seed=self.seed,
            top_logprobs=top_logprobs,
            ignore_eos=self.ignore_eos,
        )

    def constraint(self) -> Constraint | None:
        """The decoding constraint asked for (vLLM's extra fields); ConstraintError if unsupported."""
        return parse_constraint(self.model_extra or {})

    @property
    def include_usage(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: Union[str, list[dict[str, Any]], None] = None


class ChatRequest(_Request):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)
    tools: list[dict[str, Any]] | None = None
    tool_choice: Union[str, dict[str, Any], None] = None

    @property
    def active_tools(self) -> list[dict[str, Any]] | None:
        """The tools the model is shown and whose calls are parsed (none with tool_choice 'none').
        'required' and a named function are accepted but not enforced (no constrained decoding)."""
        return self.tools if self.tools and self.tool_choice != "none" else None

    def template_messages(self) -> list[dict[str, Any]]:
        out = []
        for m in self.messages:
            d = m.model_dump(exclude_none=True)
            d["content"] = message_text(m.content)
            out.append(d)
        return out


class CompletionRequest(_Request):
    prompt: Union[str, list[str], list[int], list[list[int]]]
    logprobs: int | None = Field(None, ge=0, le=20)
    echo: bool = False

    @field_validator("prompt")
    @classmethod
    def _non_empty(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise ValueError("prompt must not be empty")
        return v

    def prompts(self) -> list[str | list[int]]:
        p = self.prompt
        if isinstance(p, str):
            return [p]
        if all(isinstance(x, int) for x in p):
            return [list(p)]  # one prompt given as token ids
        return list(p)


def message_text(content: Union[str, list[dict[str, Any]], None]) -> str:
    """Text of a message content (a string, or OpenAI content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type", "text") == "text")


class ChoiceResult(BaseModel):
    """What the server knows about one finished (or streaming) choice."""

    index: int
    text: str
    token_ids: list[int]
    tokens: list[str]
    logprobs: list[float]
    top: list[list[tuple[str, float]]] = Field(default_factory=list)
    finish_reason: str | None = None
    prompt_token_ids: list[int] | None = None
    tool_calls: list[dict[str, Any]] | None = None  # parsed from text (chat with tools)
    content: str | None = None  # the message content when tool_calls were parsed out of text


def _ids(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def _chat_logprobs(c: ChoiceResult) -> dict[str, Any]:
    content = []
    for i, (tok, lp) in enumerate(zip(c.tokens, c.logprobs)):
        top = [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in (c.top[i] if c.top else [])]
        content.append({"token": tok, "logprob": lp, "bytes": list(tok.encode()), "top_logprobs": top})
    return {"content": content, "refusal": None}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def chat_response(req: ChatRequest, model: str, version: str, prompt_ids: list[int],
                  choices: list[ChoiceResult]) -> dict[str, Any]:
    out_choices = []
    tools = req.active_tools
    for c in choices:
        if tools and c.tool_calls is None:
            parsed = parse_tool_calls(c.text, tool_names(tools))
            if parsed.tool_calls:
                c.tool_calls, c.content = parsed.tool_calls, parsed.message_content
        message = {"role": "assistant", "content": c.content if c.tool_calls else c.text, "tool_calls": c.tool_calls}
        choice: dict[str, Any] = {
            "index": c.index,
            "message": message,
            "logprobs": _chat_logprobs(c) if req.logprobs else None,
            "finish_reason": "tool_calls" if c.tool_calls else c.finish_reason,
        }
        if req.return_token_ids:
            choice["token_ids"] = c.token_ids
        out_choices.append(choice)
    body: dict[str, Any] = {
        "id": _ids("chatcmpl"), "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": out_choices, "usage": _usage(len(prompt_ids), sum(len(c.token_ids) for c in choices)),
        "model_version": version,
    }
    if req.return_token_ids:
        body["prompt_token_ids"] = prompt_ids
    return body


def _completion_logprobs(c: ChoiceResult) -> dict[str, Any]:
    offsets, pos = [], 0
    for tok in c.tokens:
        offsets.append(pos)
        pos += len(tok)
    top = [{t: v for t, v in row} for row in c.top] if c.top else None
    return {"tokens": c.tokens, "token_logprobs": c.logprobs, "top_logprobs": top, "text_offset": offsets}


def completion_response(req: CompletionRequest, model: str, version: str,
                        choices: list[ChoiceResult]) -> dict[str, Any]:
    out_choices = []
    for c in choices:
        choice: dict[str, Any] = {
            "index": c.index, "text": c.text, "finish_reason": c.finish_reason,
            "logprobs": _completion_logprobs(c) if req.logprobs is not None else None,
        }
        if req.return_token_ids:
            choice["prompt_token_ids"] = c.prompt_token_ids
            choice["token_ids"] = c.token_ids
        out_choices.append(choice)
    prompt_tokens = sum(len(c.prompt_token_ids or []) for c in choices[:: max(req.n, 1)])
    body: dict[str, Any] = {
        "id": _ids("cmpl"), "object": "text_completion", "created": int(time.time()), "model": model,
        "choices": out_choices, "usage": _usage(prompt_tokens, sum(len(c.token_ids) for c in choices)),
        "model_version": version,
    }
    if req.return_token_ids and choices:
        body["prompt_token_ids"] = choices[0].prompt_token_ids
    return body


def chat_chunk(chunk_id: str, created: int, model: str, version: str, index: int, delta: dict[str, Any],
               finish_reason: str | None, logprobs: dict[str, Any] | None = None,
               token_ids: list[int] | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}
    if token_ids is not None:
        choice["token_ids"] = token_ids
    return {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [choice], "model_version": version}


def completion_chunk(chunk_id: str, created: int, model: str, version: str, index: int, text: str,
                     finish_reason: str | None, logprobs: dict[str, Any] | None = None,
                     token_ids: list[int] | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish_reason}
    if token_ids is not None:
        choice["token_ids"] = token_ids
    return {"id": chunk_id, "object": "text_completion", "created": created, "model": model,
            "choices": [choice], "model_version": version}
