"""A scripted OpenAI chat endpoint that uses tools like a capable model (a test double of
the model server only: the tiny random model never writes a valid tool call).

Asked a question ``a op b`` with a tool offered, it calls the first tool with the
expression (under the tool's first parameter name); once the last message is a tool
result, it answers ``The answer is <result>.``. Like our server it returns token ids
and logprobs when asked (``return_token_ids``), streaming or not, so spans recorded
through the proxy hold ids. Every request body is kept in ``requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from agl_ops.serving import BackgroundServer

__all__ = ["ToolLLM", "fake_ids"]

_QUESTION = re.compile(r"(-?\d+)\s*([-+*/])\s*(-?\d+)")


def fake_ids(text: str) -> list[int]:
    """Stand-in token ids: one per character (ids >= 3, below the tiny vocab)."""
    return [3 + ord(c) % 1000 for c in text] or [3]


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


@dataclass
class ToolLLM:
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        messages = body.get("messages") or []
        tools = [t["function"] for t in body.get("tools") or [] if t.get("type") == "function"]
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            return f"The answer is {_text(last.get('content')).strip()}.", []
        user = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
        found = _QUESTION.findall(user)
        if not tools or not found:
            return "I need a calculator for that.", []
        a, op, b = found[-1]
        tool = tools[0]
        param = next(iter((tool.get("parameters") or {}).get("properties") or {"expression": None}))
        with self.lock:
            n = len(self.requests)
        call = {"id": f"call_{n}", "type": "function",
                "function": {"name": tool["name"], "arguments": json.dumps({param: f"{a} {op} {b}"})}}
        return None, [call]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/{prefix:path}/models")
        async def models(prefix: str) -> dict[str, Any]:
            return {"object": "list", "data": [{"id": "tiny", "object": "model", "owned_by": "tests"}]}

        @app.post("/{prefix:path}/chat/completions")
        async def chat(prefix: str, request: Request) -> Any:
            body = await request.json()
            with self.lock:
                self.requests.append(body)
            content, calls = self.reply(body)
            raw = (content or "") + "".join(f"<tool_call>{c['function']['arguments']}</tool_call>" for c in calls)
            ids = fake_ids(raw)
            if body.get("stream"):
                return StreamingResponse(self._events(body, content, calls, ids), media_type="text/event-stream")
            choice: dict[str, Any] = {"index": 0, "finish_reason": "tool_calls" if calls else "stop",
                                      "message": {"role": "assistant", "content": content, "tool_calls": calls or None},
                                      "logprobs": self._logprobs(ids) if body.get("logprobs") else None}
            out: dict[str, Any] = {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
                                   "created": int(time.time()), "model": body.get("model", "tiny"), "choices": [choice],
                                   "usage": {"prompt_tokens": 5, "completion_tokens": len(ids), "total_tokens": 5 + len(ids)},
                                   "model_version": "scripted"}
            if body.get("return_token_ids"):
                choice["token_ids"], out["prompt_token_ids"] = ids, fake_ids(json.dumps(body.get("messages")))[:64]
            return JSONResponse(out)

        return app

    @staticmethod
    def _logprobs(ids: list[int]) -> dict[str, Any]:
        return {"content": [{"token": "x", "logprob": -0.5, "bytes": [120], "top_logprobs": []} for _ in ids]}

    def _events(self, body: dict[str, Any], content: str | None, calls: list[dict[str, Any]],
                ids: list[int]) -> Iterator[bytes]:
        base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", "tiny"), "model_version": "scripted"}

        def chunk(delta: dict[str, Any], finish: str | None, token_ids: list[int] | None, **top: Any) -> bytes:
            choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish,
                                      "logprobs": self._logprobs(token_ids) if body.get("logprobs") and token_ids else None}
            if body.get("return_token_ids") and token_ids is not None:
                choice["token_ids"] = token_ids
            return b"data: " + json.dumps({**base, **top, "choices": [choice]}).encode() + b"\n\n"

        first: dict[str, Any] = {"prompt_token_ids": [5, 6, 7]} if body.get("return_token_ids") else {}
        yield chunk({"role": "assistant", "content": ""}, None, [], **first)
        half = len(ids) // 2
        if content:
            yield chunk({"content": content}, None, ids[:half])
        for k, call in enumerate(calls):  # the name first, the arguments in two pieces, as OpenAI streams them
            args = call["function"]["arguments"]
            yield chunk({"tool_calls": [{"index": k, "id": call["id"], "type": "function",
                                         "function": {"name": call["function"]["name"], "arguments": ""}}]}, None, [])
            yield chunk({"tool_calls": [{"index": k, "function": {"arguments": args[:5]}}]}, None, [])
            yield chunk({"tool_calls": [{"index": k, "function": {"arguments": args[5:]}}]}, None, [])
        yield chunk({}, "tool_calls" if calls else "stop", ids[half:] if content else ids)
        yield b"data: [DONE]\n\n"

    def serve(self) -> BackgroundServer:
        return BackgroundServer(self.app())
