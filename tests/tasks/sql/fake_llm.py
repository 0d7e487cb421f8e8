"""A scripted OpenAI-compatible endpoint (a test double of the model server only).

``script(step, prompt) -> reply`` decides each answer (a list of replies: one choice
each, as a request with ``n`` gets); every request is recorded with
its headers so tests can check span names and what the model was shown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request

from agl_ops.serving import BackgroundServer
from agl_ops.tracing import SPAN_NAME_HEADER

Script = Callable[[str, str], "str | list[str]"]


@dataclass
class Call:
    path: str
    step: str
    prompt: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeLLM:
    script: Script
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "tests"}]}

        @app.post("/{prefix:path}/chat/completions")
        async def chat(prefix: str, request: Request) -> dict[str, Any]:
            body = await request.json()
            step = request.headers.get(SPAN_NAME_HEADER, "")
            prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
            with self.lock:
                self.calls.append(Call(request.url.path, step, prompt, body, dict(request.headers)))
            replies = self.script(step, prompt)
            replies = [replies] if isinstance(replies, str) else list(replies)
            reply = replies[0]
            return {
                "id": f"chatcmpl-{len(self.calls)}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": i, "message": {"role": "assistant", "content": r}, "finish_reason": "stop"}
                            for i, r in enumerate(replies)],
                "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(reply.split()),
                          "total_tokens": len(prompt.split()) + len(reply.split())},
            }

        return app

    def serve(self) -> BackgroundServer:
        """The endpoint as a server, not started yet: ``with fake.serve() as server: ...``."""
        return BackgroundServer(self.app())
