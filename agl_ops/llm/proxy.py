"""The tracing LLM proxy: agents call it as their OpenAI endpoint; it records each call.

``/rollout/{rollout_id}/attempt/{attempt_id}/v1/...`` is forwarded to the backend (our
model server or vLLM) with ``return_token_ids`` and ``logprobs`` switched on, and ONE
``SpanKind.LLM`` span per call is queued for that attempt: prompt and completion token
ids exactly as the model saw them, their logprobs, the model version. The agent gets a
normal OpenAI response (extension fields removed unless it asked for them). A rollout
or attempt id the store does not know is a 404 (the store is asked once per attempt).
Plain ``/v1/...`` passes through unrecorded. ``POST /agl/flush`` returns once every queued
span is stored (the runner calls it before finishing an attempt). While the backend
refuses connections (a model server restarting after a crash) calls wait for it, up to
``backend_retry_s``, instead of failing the agent's rollout.

Span attributes (the RL adapter relies on exactly these keys): ``request``,
``response``, ``prompt_token_ids``, ``choices`` (list of ``{text, token_ids, logprobs,
finish_reason}``, plus ``tool_calls`` when the model called tools), ``model_version``, ``latency_ms``, ``status_code`` and ``error`` on
failure; for a constrained call (``structured_outputs.grammar``/``regex``,
``guided_grammar``/``guided_regex``) also ``constraint``: ``{type, sha256, text}``, the
grammar as the server applied it, so a trainer can rebuild the masked distribution
(``agl_ops.llm.masks.allowed_token_masks``).

The hot path is a plain ASGI handler (no per-route framework work) with one pooled
keep-alive aiohttp client session; spans are written by a background SpanWriter.
Why aiohttp and not httpx: on this 2-core machine an ``httpx.AsyncClient`` managed
~430 req/s sequential and ~80 req/s with 64 concurrent requests against a stub (its
connection pool serialises), aiohttp 1,200 and 2,700 (docs/serving.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from agl_ops.llm import MODEL_VERSION_HEADER
from agl_ops.llm.constraint import ConstraintError, parse_constraint
from agl_ops.serving import BackgroundServer, BodyTooLarge, guard_asgi, install_error_shape
from agl_ops.store.base import Store, UnknownIdError
from agl_ops.store.writer import SpanWriter
from agl_ops.tracing import SPAN_NAME_HEADER
from agl_ops.types import LLM, Span, SpanKind

__all__ = ["LLMProxy", "DEFAULT_SPAN_NAME", "RECORDED_ENDPOINTS"]

logger = logging.getLogger(__name__)

DEFAULT_SPAN_NAME = "chat"
RECORDED_ENDPOINTS = ("chat/completions", "completions")
_SPAN_HEADER = SPAN_NAME_HEADER.encode()
_VERSION_HEADER = MODEL_VERSION_HEADER.encode()
_JSON = [(b"content-type", b"application/json")]
Send = Callable[[dict[str, Any]], Any]


def _error_body(status: int, message: str, kind: str = "invalid_request_error") -> bytes:
    return orjson.dumps({"error": {"message": message, "type": kind, "code": status}})


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    hdrs = (headers or _JSON) + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Callable[[], Any]) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class _Call:
    """What the proxy knows about one recorded call while it runs."""

    __slots__ = ("rollout_id", "attempt_id", "name", "request", "endpoint", "start", "t0")

    def __init__(self, rollout_id: str, attempt_id: str, name: str, request: dict[str, Any], endpoint: str) -> None:
        self.rollout_id, self.attempt_id, self.name = rollout_id, attempt_id, name
        self.request, self.endpoint = request, endpoint
        self.start, self.t0 = time.time(), time.perf_counter()


class _KnownAttempts:
    """Attempts the store has confirmed, so a call naming an unknown one is refused and
    the store is asked once per attempt, not once per call. A store that cannot answer
    lets the call through: recording never blocks the agent (the writer retries)."""

    def __init__(self, store: Store, limit: int = 100_000) -> None:
        self.store, self.limit = store, limit
        self._known: set[tuple[str, str]] = set()

    async def problem(self, rollout_id: str, attempt_id: str) -> str | None:
        key = (rollout_id, attempt_id)
        if key in self._known:
            return None
        try:
            attempts = await run_in_threadpool(self.store.query_attempts, rollout_id)
        except UnknownIdError:
            attempts = []
        except Exception as exc:
            logger.warning("could not check attempt %s with the store (%s); recording anyway", attempt_id, exc)
            return None
        if not any(a.attempt_id == attempt_id for a in attempts):
            return (f"unknown rollout {rollout_id!r} or attempt {attempt_id!r}: call the URL the runner hands "
                    "the agent (LLM.get_base_url(rollout_id, attempt_id))")
        if len(self._known) >= self.limit:
            self._known.clear()
        self._known.add(key)
        return None


class LLMProxy:
    """Recording proxy in front of an OpenAI-compatible ``backend_url``.

    ``app`` is an ASGI app (run it with uvicorn or :class:`BackgroundServer`);
    ``start()``/``stop()`` do that in a background thread. ``model_version`` is the
    version recorded when the backend does not report one (vLLM).
    """

    def __init__(self, backend_url: str, store: Store | None = None, *, token: str | None = None,
                 backend_api_key: str | None = None, model_version: str | None = None,
                 writer: SpanWriter | None = None, timeout_s: float = 600.0, max_connections: int = 256,
                 backend_retry_s: float = 60.0) -> None:
        if writer is None and store is None:
            raise ValueError("LLMProxy needs a store (or a SpanWriter) to record spans into")
        self.backend_url = backend_url.rstrip("/").removesuffix("/v1")
        self.writer = writer or SpanWriter(store)  # type: ignore[arg-type]
        self._owns_writer = writer is None
        self._attempts = _KnownAttempts(self.writer.store)
        self.token = token
        self.model_version = model_version
        self._backend_headers = {"content-type": "application/json"}
        if backend_api_key:
            self._backend_headers["authorization"] = f"Bearer {backend_api_key}"
        # no total timeout: its per-request timer cost ~10% of the proxy's CPU; a stalled read still fails
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=timeout_s)
        self._max_connections = max_connections
        self.backend_retry_s = backend_retry_s
        self._client: aiohttp.ClientSession | None = None
        self._server: BackgroundServer | None = None
        self.app = self._build_app()

    # -- lifecycle -------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> LLMProxy:
        self._server = BackgroundServer(self.app, host=host, port=port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._owns_writer:
            self.writer.close()
        else:
            self.writer.flush()

    def __enter__(self) -> LLMProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not started; call start()")
        return self._server.url

    def llm_resource(self, model: str, **sampling: Any) -> LLM:
        """The resource to hand agents: each attempt gets its own URL via ``get_base_url``."""
        return LLM(endpoint=f"{self.url}/v1", model=model, sampling_parameters=sampling, proxied=True,
                   api_key=self.token or "agl-ops")

    def flush(self, timeout_s: float | None = 60.0) -> bool:
        return self.writer.flush(timeout_s)

    # -- app -------------------------------------------------------------------------
    def _build_app(self) -> Any:
        """Hot paths (``/rollout/...``, ``/v1/...``) are served by a plain ASGI handler
        behind the same auth/size guard; the rest (health, flush) by FastAPI."""

        @asynccontextmanager
        async def lifespan(_app: FastAPI):
            self._client = aiohttp.ClientSession(  # headers set once: per-request header merging is costly
                connector=aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=60),
                timeout=self._timeout, auto_decompress=False, headers=self._backend_headers,
                skip_auto_headers=("User-Agent",))
            try:
                yield
            finally:
                await self._client.close()
                await run_in_threadpool(self.writer.flush, 30.0)

        admin = FastAPI(title="agl-ops LLM proxy", version="1", lifespan=lifespan)
        install_error_shape(admin)

        @admin.get("/health")
        async def health() -> Response:
            return Response(orjson.dumps({"status": "ok", "backend": self.backend_url}), media_type="application/json")

        @admin.post("/agl/flush")
        async def flush() -> Response:
            ok = await run_in_threadpool(self.writer.flush, 60.0)
            body = {"flushed": ok, "pending": self.writer.pending}
            return Response(orjson.dumps(body), status_code=200 if ok else 504, media_type="application/json")

        async def dispatch(scope: dict[str, Any], receive: Callable[[], Any], send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(("/rollout/", "/v1/")):
                try:
                    await self._asgi(scope, receive, send)
                except BodyTooLarge as exc:
                    await _respond(send, 413, _error_body(413, str(exc), "too_large"))
                return
            await admin(scope, receive, send)

        return guard_asgi(dispatch, token=self.token)

    async def _asgi(self, scope: dict[str, Any], receive: Callable[[], Any], send: Send) -> None:
        path: str = scope["path"]
        if path.startswith("/rollout/"):
            parts = path.split("/", 6)  # '', rollout, rid, attempt, aid, v1, rest
            if len(parts) < 7 or parts[3] != "attempt" or parts[5] != "v1" or not parts[2] or not parts[4]:
                await _respond(send, 404, _error_body(404, "use /rollout/{rollout_id}/attempt/{attempt_id}/v1/...", "not_found"))
                return
            problem = await self._attempts.problem(parts[2], parts[4])
            if problem:
                await _respond(send, 404, _error_body(404, problem, "not_found"))
                return
            rest = parts[6]
            if scope["method"] == "POST" and rest in RECORDED_ENDPOINTS:
                await self._recorded(scope, receive, send, parts[2], parts[4], rest)
                return
            await self._passthrough(scope, receive, send, rest)
        else:
            await self._passthrough(scope, receive, send, path[4:])

    # -- forwarding ------------------------------------------------------------------
    async def _send(self, method: str, url: str, data: bytes | None) -> aiohttp.ClientResponse:
        """The backend's response. A backend that refuses connections (a model server
        restarting) is retried with backoff for ``backend_retry_s``: such a request never
        reached it, so repeating it is safe, and agents see a slow call instead of a failure."""
        assert self._client is not None
        deadline = time.monotonic() + self.backend_retry_s
        delay = 0.05
        while True:
            try:
                return await self._client.request(method, url, data=data)
            except aiohttp.ClientConnectorError as exc:
                if time.monotonic() + delay > deadline:
                    raise
                if delay == 0.05:
                    logger.warning("backend %s refuses connections (%s); retrying for up to %.0fs",
                                   self.backend_url, exc, self.backend_retry_s)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _passthrough(self, scope: dict[str, Any], receive: Callable[[], Any], send: Send, rest: str) -> None:
        body = await _read_body(receive)
        url = f"{self.backend_url}/v1/{rest}"
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode()
        try:
            async with await self._send(scope["method"], url, body or None) as resp:
                headers = [(b"content-type", resp.headers.get("content-type", "application/json").encode())]
                await send({"type": "http.response.start", "status": resp.status, "headers": headers})
                async for chunk in resp.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except (aiohttp.ClientError, TimeoutError) as exc:
            await _respond(send, 502, _error_body(502, f"backend {self.backend_url} unreachable: {exc!r}", "bad_gateway"))

    async def _recorded(self, scope: dict[str, Any], receive: Callable[[], Any], send: Send,
                        rollout_id: str, attempt_id: str, endpoint: str) -> None:
        body = await _read_body(receive)
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            await _respond(send, 400, _error_body(400, f"request body is not valid JSON: {exc}"))
            return
        problem = _check_request(request, endpoint)
        if problem:
            await _respond(send, 400, _error_body(400, problem))
            return
        name = DEFAULT_SPAN_NAME
        for key, value in scope["headers"]:
            if key == _SPAN_HEADER:  # any bytes may arrive: never fail the call over its name
                name = value.decode(errors="replace")[:200] or DEFAULT_SPAN_NAME
                break
        call = _Call(rollout_id, attempt_id, name, request, endpoint)
        forwarded = dict(request)
        forwarded["return_token_ids"] = True
        if endpoint == "chat/completions":
            forwarded["logprobs"] = True
        elif request.get("logprobs") is None:
            forwarded["logprobs"] = 0
        if request.get("stream"):
            await self._recorded_stream(call, forwarded, send)
        else:
            await self._recorded_unary(call, forwarded, send)

    async def _recorded_unary(self, call: _Call, forwarded: dict[str, Any], send: Send) -> None:
        try:
            async with await self._send("POST", f"{self.backend_url}/v1/{call.endpoint}",
                                        orjson.dumps(forwarded)) as resp:
                status, content = resp.status, await resp.read()
                version = resp.headers.get(MODEL_VERSION_HEADER)
        except (aiohttp.ClientError, TimeoutError) as exc:
            await self._unreachable(call, send, exc)
            return
        headers = list(_JSON)
        if status != 200:
            self._record(call, status, None, version, error=content.decode(errors="replace")[:2000])
            await _respond(send, status, content, headers)
            return
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            self._record(call, 502, None, version, error="backend returned invalid JSON")
            await _respond(send, 502, _error_body(502, "backend returned invalid JSON", "bad_gateway"))
            return
        version = data.get("model_version") or version or self.model_version
        choices = _choices_of(data, call.endpoint)
        prompt_ids = data.get("prompt_token_ids")
        if prompt_ids is None and data.get("choices"):
            prompt_ids = data["choices"][0].get("prompt_token_ids")
        _strip(data, call.request, call.endpoint)
        out = orjson.dumps(data)
        if version:
            headers.append((_VERSION_HEADER, str(version).encode()))
        # queued before the agent sees the answer: a flush right after it includes this span
        self._record(call, 200, data, version, prompt_ids=prompt_ids, choices=choices)
        await _respond(send, 200, out, headers)

    async def _unreachable(self, call: _Call, send: Send, exc: BaseException) -> None:
        message = f"backend {self.backend_url} unreachable: {type(exc).__name__}: {exc}"
        self._record(call, 502, None, None, error=message)
        await _respond(send, 502, _error_body(502, message, "bad_gateway"))

    async def _recorded_stream(self, call: _Call, forwarded: dict[str, Any], send: Send) -> None:
        started = False
        try:
            async with await self._send("POST", f"{self.backend_url}/v1/{call.endpoint}",
                                        orjson.dumps(forwarded)) as resp:
                version = resp.headers.get(MODEL_VERSION_HEADER)
                if resp.status != 200:
                    content = await resp.read()
                    self._record(call, resp.status, None, version, error=content.decode(errors="replace")[:2000])
                    await _respond(send, resp.status, content, list(_JSON))
                    return
                headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
                if version:
                    headers.append((_VERSION_HEADER, version.encode()))
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                started = True
                await self._relay_events(call, resp, send, version)
        except (aiohttp.ClientError, TimeoutError) as exc:
            if not started:
                await self._unreachable(call, send, exc)
                return
            self._record(call, 502, None, None, error=f"stream broken: {type(exc).__name__}: {exc}")
            await send({"type": "http.response.body", "body": b""})

    async def _relay_events(self, call: _Call, resp: aiohttp.ClientResponse, send: Send, version: str | None) -> None:
        acc = _StreamAccumulator(call.endpoint)
        buffer = b""
        recorded = False
        async for chunk in resp.content.iter_any():
            buffer += chunk
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                out = acc.feed(event, call.request)
                if out == b"data: [DONE]" and not recorded:  # record before the agent sees the end
                    recorded = True
                    self._record(call, 200, acc.response(), acc.version or version,
                                 prompt_ids=acc.prompt_ids, choices=acc.choices())
                if out is not None:
                    await send({"type": "http.response.body", "body": out + b"\n\n", "more_body": True})
        if not recorded:
            self._record(call, 200, acc.response(), acc.version or version, prompt_ids=acc.prompt_ids,
                         choices=acc.choices(), error=None if acc.choices() else "stream ended without data")
        await send({"type": "http.response.body", "body": b""})

    def _record(self, call: _Call, status_code: int, response: dict[str, Any] | None, version: str | None, *,
                prompt_ids: list[int] | None = None, choices: list[dict[str, Any]] | None = None,
                error: str | None = None) -> None:
        attributes: dict[str, Any] = {
            "request": call.request,
            "response": response,
            "prompt_token_ids": prompt_ids or [],
            "choices": choices or [],
            "model_version": version or self.model_version,
            "latency_ms": round((time.perf_counter() - call.t0) * 1000, 3),
            "status_code": status_code,
        }
        if error is not None:
            attributes["error"] = error
        constraint = _constraint_of(call.request)
        if constraint is not None:
            attributes["constraint"] = constraint
        span = Span(rollout_id=call.rollout_id, attempt_id=call.attempt_id, name=call.name, kind=SpanKind.LLM,
                    start_time=call.start, end_time=time.time(), status="error" if error is not None else "ok",
                    attributes=attributes)
        try:
            self.writer.put(span)
        except RuntimeError:
            logger.warning("span of %s dropped: the span writer is closed", call.attempt_id)


def _constraint_of(request: dict[str, Any]) -> dict[str, str] | None:
    try:
        constraint = parse_constraint(request)
    except ConstraintError:
        return None  # the backend refuses it (a 400, recorded with its error)
    return {**constraint.describe(), "text": constraint.text} if constraint is not None else None


def _check_request(request: Any, endpoint: str) -> str | None:
    if not isinstance(request, dict):
        return "request body must be a JSON object"
    if endpoint == "chat/completions":
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages: a non-empty list of messages is required"
        if not all(isinstance(m, dict) and "role" in m for m in messages):
            return "messages: every message must be an object with a role"
    elif "prompt" not in request:
        return "prompt: required"
    return None


def _logprob_list(choice: dict[str, Any], endpoint: str) -> list[float]:
    lp = choice.get("logprobs")
    if not lp:
        return []
    if endpoint == "chat/completions":
        return [c.get("logprob") for c in lp.get("content") or []]
    return list(lp.get("token_logprobs") or [])


def _choices_of(data: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
    out = []
    for choice in data.get("choices") or []:
        tool_calls = None
        if endpoint == "chat/completions":
            message = choice.get("message") or {}
            text, tool_calls = message.get("content") or "", message.get("tool_calls") or None
        else:
            text = choice.get("text") or ""
        out.append({"text": text, "token_ids": choice.get("token_ids") or [],
                    "logprobs": _logprob_list(choice, endpoint), "finish_reason": choice.get("finish_reason")})
        if tool_calls:
            out[-1]["tool_calls"] = tool_calls
    return out


def _add_tool_call_deltas(acc: dict[int, dict[str, Any]], deltas: list[dict[str, Any]]) -> None:
    """Streamed ``tool_calls`` deltas (by index; id, name once, arguments in pieces) into whole calls."""
    for d in deltas:
        call = acc.setdefault(d.get("index", len(acc)), {"id": None, "type": "function",
                                                         "function": {"name": "", "arguments": ""}})
        call["id"] = d.get("id") or call["id"]
        fn = d.get("function") or {}
        call["function"]["name"] += fn.get("name") or ""
        call["function"]["arguments"] += fn.get("arguments") or ""


def _strip(data: dict[str, Any], request: dict[str, Any], endpoint: str) -> None:
    """Remove what the proxy asked for on the agent's behalf."""
    if not request.get("return_token_ids"):
        data.pop("prompt_token_ids", None)
        for choice in data.get("choices") or []:
            choice.pop("token_ids", None)
            choice.pop("prompt_token_ids", None)
    asked = request.get("logprobs")
    if not asked and (endpoint == "chat/completions" or asked is None):
        for choice in data.get("choices") or []:
            if "logprobs" in choice:
                choice["logprobs"] = None


class _StreamAccumulator:
    """Rebuilds the whole response from SSE chunks while passing them on (stripped)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.prompt_ids: list[int] | None = None
        self.version: str | None = None
        self.meta: dict[str, Any] = {}
        self.usage: dict[str, Any] | None = None
        self._choices: dict[int, dict[str, Any]] = {}

    def feed(self, event: bytes, request: dict[str, Any]) -> bytes | None:
        if not event.startswith(b"data:"):
            return event if event.strip() else None
        payload = event[5:].strip()
        if payload == b"[DONE]":
            return b"data: [DONE]"
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return event
        if not self.meta:
            self.meta = {k: chunk.get(k) for k in ("id", "created", "model")}
        self.version = chunk.get("model_version") or self.version
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        if self.prompt_ids is None:
            self.prompt_ids = chunk.get("prompt_token_ids")
        for choice in chunk.get("choices") or []:
            if self.prompt_ids is None and choice.get("prompt_token_ids"):
                self.prompt_ids = choice["prompt_token_ids"]
            acc = self._choices.setdefault(choice.get("index", 0), {"text": [], "token_ids": [], "logprobs": [],
                                                                    "finish_reason": None, "tool_calls": {}})
            delta = choice.get("delta") or {}
            text = delta.get("content") if self.endpoint == "chat/completions" else choice.get("text")
            if text:
                acc["text"].append(text)
            if delta.get("tool_calls"):
                _add_tool_call_deltas(acc["tool_calls"], delta["tool_calls"])
            acc["token_ids"].extend(choice.get("token_ids") or [])
            acc["logprobs"].extend(_logprob_list(choice, self.endpoint))
            if choice.get("finish_reason"):
                acc["finish_reason"] = choice["finish_reason"]
        _strip(chunk, request, self.endpoint)
        return b"data: " + orjson.dumps(chunk)

    def choices(self) -> list[dict[str, Any]]:
        out = []
        for _, c in sorted(self._choices.items()):
            out.append({"text": "".join(c["text"]), "token_ids": c["token_ids"], "logprobs": c["logprobs"],
                        "finish_reason": c["finish_reason"]})
            if c["tool_calls"]:
                out[-1]["tool_calls"] = [call for _, call in sorted(c["tool_calls"].items())]
        return out

    def response(self) -> dict[str, Any]:
        chat = self.endpoint == "chat/completions"
        choices = []
        for i, c in enumerate(self.choices()):
            if chat:
                message = {"role": "assistant", "content": c["text"], "tool_calls": c.get("tool_calls")}
                choices.append({"index": i, "message": message, "finish_reason": c["finish_reason"]})
            else:
                choices.append({"index": i, "text": c["text"], "finish_reason": c["finish_reason"]})
        return {**self.meta, "object": "chat.completion" if chat else "text_completion", "choices": choices,
                "usage": self.usage, "stream": True}
