"""OpenAI-compatible HTTP server over the batching :class:`~agl_ops.llm.engine.Engine`.

Routes: ``/v1/chat/completions``, ``/v1/completions`` (streaming or not), ``/v1/models``,
``/health``, ``POST /admin/reload`` (hot swap of weights or LoRA adapter, new version
id), ``GET /admin/stats`` (scheduler counters: batch sizes actually used).
Every completion carries ``model_version`` and the ``x-agl-model-version`` header;
a constrained one (``structured_outputs.grammar`` etc.) also ``constraint`` and the
``x-agl-constraint`` header.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from agl_ops.llm import CONSTRAINT_HEADER
from agl_ops.llm.constraint import ConstraintError
from agl_ops.llm.engine import Engine, PromptTooLong, Sequence
from agl_ops.llm.masks import CompiledConstraint
from agl_ops.llm.prepare import ModelSourceError
from agl_ops.llm.protocol import (
    MODEL_VERSION_HEADER,
    ChatRequest,
    ChoiceResult,
    CompletionRequest,
    chat_chunk,
    chat_response,
    completion_chunk,
    completion_response,
)
from agl_ops.llm.tools import (
    ToolCallStream,
    ToolPrompt,
    ToolRequestError,
    check_tools,
    render_messages,
    template_renders_tools,
    tool_names,
)
from agl_ops.serving import install_guards

__all__ = ["create_server_app", "ReloadRequest"]

logger = logging.getLogger(__name__)


class ReloadRequest(BaseModel):
    model_path: str | None = None
    adapter_path: str | None = None
    version: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, kind: str = "invalid_request_error") -> Response:
    return _json({"error": {"message": message, "type": kind, "code": status}}, status)


async def _parse(request: Request, model: type[BaseModel]) -> Any:
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(400, f"{where}: {first['msg']}") from None


class _Stream:
    """Carries engine events for one request from the scheduler thread onto the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, every_token: bool) -> None:
        self.loop, self.every_token = loop, every_token
        self.queue: asyncio.Queue[tuple[Sequence, bool]] = asyncio.Queue()

    def __call__(self, seq: Sequence, finished: bool) -> None:
        if finished or self.every_token:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (seq, finished))


class _Server:
    def __init__(self, engine: Engine, served_model_name: str, default_max_tokens: int,
                 tool_prompt: ToolPrompt = ToolPrompt.AUTO) -> None:
        self.engine = engine
        self.name = served_model_name
        self.default_max_tokens = default_max_tokens
        self.tool_prompt = ToolPrompt(tool_prompt)
        self._native_tools: tuple[Any, bool] | None = None

    # -- tokenisation and results ------------------------------------------------------
    def chat_prompt(self, req: ChatRequest) -> list[int]:
        tok = self.engine.tokenizer
        if not getattr(tok, "chat_template", None):
            raise ApiError(400, "this model has no chat template; use /v1/completions")
        messages, tools = self.tool_messages(req)
        kwargs: dict[str, Any] = {"tools": tools} if tools else {}
        try:
            ids = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                          return_dict=False, **kwargs)
        except Exception as exc:  # a template that cannot render these messages
            raise ApiError(400, f"chat template failed on these messages: {exc}") from None
        return list(ids)

    def native_tools(self) -> bool:
        """Whether the model's chat template renders ``tools`` itself (checked once per tokenizer)."""
        tok = self.engine.tokenizer
        if self._native_tools is None or self._native_tools[0] is not tok:
            def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
                return tok.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=True)

            self._native_tools = (tok, template_renders_tools(render))
            if not self._native_tools[1]:
                logger.info("the chat template of %s does not render tools; tool prompt: %s", self.name, self.tool_prompt.value)
        return self._native_tools[1]

    def tool_messages(self, req: ChatRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        """The messages (and tools) for the template: tools, tool calls and tool results
        rendered natively, or as the built-in prompt (see :mod:`agl_ops.llm.tools`)."""
        messages, tools = req.template_messages(), req.active_tools
        tool_turns = any(m.get("tool_calls") or m.get("role") == "tool" for m in messages)
        if not tools and not tool_turns:
            return messages, None
        try:
            check_tools(tools or [])
            if self.tool_prompt is ToolPrompt.TEMPLATE:
                if tools and not self.native_tools():
                    raise ApiError(400, f"the chat template of {self.name} cannot render tools; serve it with the "
                                        "built-in tool prompt (serve.tool_prompt: auto or builtin) or use a model "
                                        "whose template renders tools")
                native = True
            else:
                native = self.tool_prompt is ToolPrompt.AUTO and self.native_tools()
            return render_messages(messages, tools, native)
        except ToolRequestError as exc:
            raise ApiError(400, str(exc)) from None

    def completion_prompt(self, prompt: str | list[int]) -> list[int]:
        tok = self.engine.tokenizer
        if isinstance(prompt, str):
            return list(tok.encode(prompt, add_special_tokens=True))
        vocab = len(tok)
        if any(not isinstance(t, int) or t < 0 or t >= vocab for t in prompt):
            raise ApiError(400, f"prompt token ids must be integers in [0, {vocab})")
        return list(prompt)

    def text_of(self, seq: Sequence, finished: bool, upto: int | None = None) -> str:
        ids = seq.token_ids[:upto] if upto is not None else seq.token_ids
        text = self.engine.tokenizer.decode(ids, skip_special_tokens=True)
        if finished and seq.stop_index is not None:
            return text[: seq.stop_index]
        return text

    def result(self, index: int, seq: Sequence, want_tokens: bool) -> ChoiceResult:
        tok = self.engine.tokenizer
        tokens = [tok.decode([i]) for i in seq.token_ids] if want_tokens else []
        top = [[(tok.decode([i]), lp) for i, lp in row] for row in seq.top] if want_tokens else []
        return ChoiceResult(index=index, text=self.text_of(seq, True), token_ids=list(seq.token_ids), tokens=tokens,
                            logprobs=list(seq.logprobs), top=top, finish_reason=_finish(seq),
                            prompt_token_ids=seq.prompt_ids)

    async def compiled_constraint(self, req: Any) -> CompiledConstraint | None:
        """The request's grammar, compiled off the loop (400 when unsupported or broken)."""
        try:
            constraint = req.constraint()
            if constraint is None:
                return None
            return await run_in_threadpool(self.engine.compile_constraint, constraint)
        except ConstraintError as exc:
            raise ApiError(400, str(exc)) from None

    def submit(self, prompts: list[list[int]], req: Any, top_logprobs: int, stream: _Stream,
               constraint: CompiledConstraint | None = None) -> list[Sequence]:
        params = req.sampling(self.default_max_tokens, top_logprobs)
        seqs: list[Sequence] = []
        try:
            for ids in prompts:
                for j in range(req.n):
                    p = params if params.seed is None else type(params)(**{**params.__dict__, "seed": params.seed + j})
                    seqs.append(self.engine.submit(ids, p, stream, constraint))
        except PromptTooLong as exc:
            for s in seqs:
                self.engine.cancel(s)
            raise ApiError(400, str(exc)) from None
        return seqs

    async def wait_all(self, seqs: list[Sequence], stream: _Stream) -> None:
        pending = {s.seq_id for s in seqs}
        try:
            while pending:
                seq, finished = await stream.queue.get()
                if finished:
                    pending.discard(seq.seq_id)
        except asyncio.CancelledError:
            for s in seqs:
                self.engine.cancel(s)
            raise
        failed = [s for s in seqs if s.finish_reason == "error"]
        if failed:
            raise ApiError(500, f"generation failed: {failed[0].error}", "server_error")

    def headers(self, seqs: list[Sequence], version: str | None = None) -> dict[str, str]:
        version = version or (seqs[0].model_version if seqs and seqs[0].model_version else self.engine.version)
        out = {MODEL_VERSION_HEADER: version}
        if seqs and seqs[0].constraint is not None:
            out[CONSTRAINT_HEADER] = seqs[0].constraint.header_value
        return out

    @staticmethod
    def with_constraint(body: dict[str, Any], seqs: list[Sequence]) -> dict[str, Any]:
        if seqs and seqs[0].constraint is not None:
            body["constraint"] = seqs[0].constraint.describe()
        return body

    # -- endpoints ---------------------------------------------------------------------
    async def chat(self, request: Request) -> Response:
        req: ChatRequest = await _parse(request, ChatRequest)
        if req.max_completion_tokens and not req.max_tokens:
            req.max_tokens = req.max_completion_tokens
        prompt = self.chat_prompt(req)
        top = (req.top_logprobs or 0) if req.logprobs else 0
        constraint = await self.compiled_constraint(req)
        stream = _Stream(asyncio.get_running_loop(), req.stream)
        seqs = self.submit([prompt], req, top, stream, constraint)
        if req.stream:
            return StreamingResponse(self.chat_events(req, prompt, seqs, stream), media_type="text/event-stream",
                                     headers=self.headers(seqs, self.engine.version))
        await self.wait_all(seqs, stream)
        choices = [self.result(i, s, req.logprobs) for i, s in enumerate(seqs)]
        version = seqs[0].model_version or self.engine.version
        body = self.with_constraint(chat_response(req, self.name, version, prompt, choices), seqs)
        return _json(body, headers=self.headers(seqs))

    async def completions(self, request: Request) -> Response:
        req: CompletionRequest = await _parse(request, CompletionRequest)
        if req.echo:
            raise ApiError(400, "echo is not supported")
        prompts = [self.completion_prompt(p) for p in req.prompts()]
        constraint = await self.compiled_constraint(req)
        stream = _Stream(asyncio.get_running_loop(), req.stream)
        seqs = self.submit(prompts, req, req.logprobs or 0, stream, constraint)
        if req.stream:
            return StreamingResponse(self.completion_events(req, seqs, stream), media_type="text/event-stream",
                                     headers=self.headers(seqs, self.engine.version))
        await self.wait_all(seqs, stream)
        choices = [self.result(i, s, req.logprobs is not None) for i, s in enumerate(seqs)]
        version = seqs[0].model_version or self.engine.version
        body = self.with_constraint(completion_response(req, self.name, version, choices), seqs)
        return _json(body, headers=self.headers(seqs))

    # -- streaming ---------------------------------------------------------------------
    async def _deltas(self, seqs: list[Sequence], stream: _Stream) -> AsyncIterator[tuple[int, Sequence, str, list[int], bool]]:
        """(choice index, sequence, new text, new token ids, finished) as tokens arrive."""
        index = {s.seq_id: i for i, s in enumerate(seqs)}
        sent_chars = [0] * len(seqs)
        sent_tokens = [0] * len(seqs)
        pending = set(index)
        try:
            while pending:
                seq, finished = await stream.queue.get()
                i = index[seq.seq_id]
                if seq.seq_id not in pending:
                    continue
                upto = None if finished else len(seq.token_ids)
                text = self.text_of(seq, finished, upto)
                if not finished:
                    hold = max((len(s) for s in seq.params.stop), default=1) - 1
                    text = text[: len(text) - hold] if hold else text
                    text = text.rstrip("\ufffd")  # an incomplete UTF-8 character: wait for the next token
                n_tok = len(seq.token_ids) if finished else upto
                new_ids = seq.token_ids[sent_tokens[i]:n_tok]
                delta = text[sent_chars[i]:] if len(text) > sent_chars[i] else ""
                sent_chars[i] = max(sent_chars[i], len(text))
                sent_tokens[i] = n_tok
                if finished:
                    pending.discard(seq.seq_id)
                if delta or new_ids or finished:
                    yield i, seq, delta, new_ids, finished
        finally:
            for s in seqs:
                if not s.finished:
                    self.engine.cancel(s)

    def _token_logprobs(self, seq: Sequence, start: int, ids: list[int]) -> list[tuple[str, float, list[tuple[str, float]]]]:
        tok = self.engine.tokenizer
        out = []
        for k, token_id in enumerate(ids):
            pos = start + k
            top = [(tok.decode([t]), lp) for t, lp in seq.top[pos]] if pos < len(seq.top) else []
            out.append((tok.decode([token_id]), seq.logprobs[pos], top))
        return out

    async def chat_events(self, req: ChatRequest, prompt: list[int], seqs: list[Sequence], stream: _Stream) -> AsyncIterator[bytes]:
        chunk_id, created, version = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time()), self.engine.version
        for i in range(len(seqs)):
            first = chat_chunk(chunk_id, created, self.name, version, i, {"role": "assistant", "content": ""}, None)
            if req.return_token_ids and i == 0:
                first["prompt_token_ids"] = prompt
            yield _sse(first)
        counts = [0] * len(seqs)
        tools = req.active_tools
        calls = [ToolCallStream(tool_names(tools)) for _ in seqs] if tools else None
        async for i, seq, delta, ids, finished in self._deltas(seqs, stream):
            logprobs = None
            if req.logprobs:
                logprobs = {"content": [{"token": t, "logprob": lp, "bytes": list(t.encode()),
                                         "top_logprobs": [{"token": a, "logprob": b, "bytes": list(a.encode())} for a, b in top]}
                                        for t, lp, top in self._token_logprobs(seq, counts[i], ids)], "refusal": None}
            counts[i] += len(ids)
            tool_calls: list[dict[str, Any]] = []
            if calls is not None:  # content that may be a tool call waits for the whole completion
                delta = calls[i].feed(delta)
                if finished:
                    rest, tool_calls = calls[i].finish()
                    delta += rest
            model_version = seq.model_version or version
            finish = _finish(seq) if finished and not tool_calls else None
            yield _sse(chat_chunk(chunk_id, created, self.name, model_version, i, {"content": delta} if delta else {},
                                  finish, logprobs, ids if req.return_token_ids else None))
            if tool_calls:
                yield _sse(chat_chunk(chunk_id, created, self.name, model_version, i,
                                      {"tool_calls": [{"index": k, **c} for k, c in enumerate(tool_calls)]}, "tool_calls"))
        if req.include_usage:
            yield _sse({"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": self.name,
                        "choices": [], "usage": _usage(len(prompt), sum(counts))})
        yield b"data: [DONE]\n\n"

    async def completion_events(self, req: CompletionRequest, seqs: list[Sequence], stream: _Stream) -> AsyncIterator[bytes]:
        chunk_id, created, version = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time()), self.engine.version
        counts = [0] * len(seqs)
        async for i, seq, delta, ids, finished in self._deltas(seqs, stream):
            logprobs = None
            if req.logprobs is not None:
                rows = self._token_logprobs(seq, counts[i], ids)
                logprobs = {"tokens": [t for t, _, _ in rows], "token_logprobs": [lp for _, lp, _ in rows],
                            "top_logprobs": [dict(top) for _, _, top in rows] if req.logprobs else None}
            chunk = completion_chunk(chunk_id, created, self.name, seq.model_version or version, i, delta,
                                     _finish(seq) if finished else None, logprobs,
                                     ids if req.return_token_ids else None)
            if req.return_token_ids and counts[i] == 0:
                chunk["choices"][0]["prompt_token_ids"] = seq.prompt_ids
            counts[i] += len(ids)
            yield _sse(chunk)
        if req.include_usage:
            prompt_tokens = sum(len(s.prompt_ids) for s in seqs[:: req.n])
            yield _sse({"id": chunk_id, "object": "text_completion", "created": created, "model": self.name,
                        "choices": [], "usage": _usage(prompt_tokens, sum(counts))})
        yield b"data: [DONE]\n\n"

    async def reload(self, request: Request) -> Response:
        body: ReloadRequest = await _parse(request, ReloadRequest)
        start = time.perf_counter()
        try:
            version = await run_in_threadpool(self.engine.reload, body.model_path, body.adapter_path, body.version)
        except ModelSourceError as exc:
            raise ApiError(400, str(exc)) from None
        except TimeoutError as exc:
            raise ApiError(504, str(exc), "timeout") from None
        except Exception as exc:  # files that exist but do not load (bad adapter config, torn weights)
            logger.warning("reload of %s / %s failed: %r", body.model_path, body.adapter_path, exc)
            raise ApiError(400, f"could not load {body.adapter_path or body.model_path or self.engine.model_path}: "
                                f"{type(exc).__name__}: {exc}; the served model is unchanged") from None
        return _json({"model_version": version, "model_path": self.engine.model_path,
                      "adapter_path": self.engine.adapter_path, "seconds": round(time.perf_counter() - start, 3)},
                     headers={MODEL_VERSION_HEADER: version})


def _finish(seq: Sequence) -> str:
    return {"abort": "stop", "error": "stop"}.get(seq.finish_reason or "stop", seq.finish_reason or "stop")


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _sse(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def create_server_app(engine: Engine, *, served_model_name: str | None = None, token: str | None = None,
                      default_max_tokens: int = 512, manage_engine: bool = True,
                      tool_prompt: ToolPrompt | str = ToolPrompt.AUTO) -> FastAPI:
    """The model server app. With ``manage_engine`` the app starts and stops the engine
    with its lifespan. ``tool_prompt``: how chat ``tools`` reach the prompt
    (:class:`~agl_ops.llm.tools.ToolPrompt`)."""
    from contextlib import asynccontextmanager

    server = _Server(engine, served_model_name or engine.model_name, default_max_tokens, ToolPrompt(tool_prompt))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_engine and engine._thread is None:
            engine.start()
        yield
        if manage_engine:
            await run_in_threadpool(engine.stop)

    app = FastAPI(title="agl-ops model server", version="1", lifespan=lifespan)
    install_guards(app, token=token)
    app.state.engine = engine

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.message, exc.kind)

    @app.get("/health")
    async def health() -> Response:
        return _json({"status": "ok", "model": server.name, "model_version": engine.version,
                      "dtype": str(engine.dtype).removeprefix("torch.")})

    @app.get("/v1/models")
    async def models() -> Response:
        return _json({"object": "list", "data": [{"id": server.name, "object": "model", "created": 0,
                                                  "owned_by": "agl-ops", "model_version": engine.version,
                                                  "max_model_len": engine.config.max_model_len}]})

    app.add_api_route("/v1/chat/completions", server.chat, methods=["POST"])
    app.add_api_route("/v1/completions", server.completions, methods=["POST"])
    app.add_api_route("/admin/reload", server.reload, methods=["POST"])

    @app.get("/admin/stats")
    async def stats() -> Response:
        return _json({**engine.stats.as_dict(), "waiting": engine.n_waiting, "model_version": engine.version})

    return app
