"""Shared plumbing for our HTTP servers (store, proxy, model server).

One way to run a FastAPI app in a background thread, one bearer-token check, one
body-size limit, so the three servers behave the same for users and for tests.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
import orjson
from fastapi import FastAPI
from fastapi.responses import Response

__all__ = ["BackgroundServer", "install_guards", "install_error_shape", "guard_asgi", "BodyTooLarge", "DEFAULT_HOST",
           "DEFAULT_MAX_BODY_BYTES"]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


def install_guards(
    app: FastAPI,
    *,
    token: str | None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    open_paths: tuple[str, ...] = ("/health",),
) -> None:
    """Bearer-token auth (when ``token`` is set) and a request-size cap for every route.

    A plain ASGI middleware (not a per-route dependency) so routes added later are
    covered too, an oversized body is refused before it is read, and the hot path
    pays microseconds, not the cost of Starlette's BaseHTTPMiddleware.
    """
    app.add_middleware(_Guard, token=token, max_body_bytes=max_body_bytes, open_paths=open_paths)

    async def _too_large(_request: Any, exc: Exception) -> Response:
        return Response(_error_body(str(exc), "too_large"), status_code=413, media_type="application/json")

    app.add_exception_handler(BodyTooLarge, _too_large)
    install_error_shape(app)


def install_error_shape(app: FastAPI) -> None:
    """Framework refusals (unknown route 404, wrong method 405) in the same body as ours:
    ``{"error": {"message", "type"}, "detail"}``, so every client reads one shape."""
    from starlette.exceptions import HTTPException

    async def _http_error(_request: Any, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return Response(_error_body(str(exc.detail), kind), status_code=exc.status_code,
                        media_type="application/json", headers=exc.headers)

    app.add_exception_handler(HTTPException, _http_error)


def guard_asgi(
    app: Any,
    *,
    token: str | None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    open_paths: tuple[str, ...] = ("/health",),
) -> Any:
    """The guard of ``install_guards`` around a plain ASGI app (a hot path that skips the
    framework). The app must answer ``BodyTooLarge`` from ``receive`` with a 413."""
    return _Guard(app, token=token, max_body_bytes=max_body_bytes, open_paths=open_paths)


def _error_body(message: str, kind: str) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": kind}, "detail": message})


class _Guard:
    def __init__(self, app: Any, token: str | None, max_body_bytes: int, open_paths: tuple[str, ...]) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.open_paths = open_paths

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.expected is not None and scope["path"] not in self.open_paths:
            if not hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
                await _reply(send, 401, _error_body("missing or invalid bearer token", "unauthorized"),
                             [(b"www-authenticate", b"Bearer")])
                return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _reply(send, 413, _error_body(f"request body over {self.max_body_bytes} bytes", "too_large"))
            return
        await self.app(scope, _capped(receive, self.max_body_bytes), send)


def _capped(receive: Callable[..., Any], limit: int) -> Callable[..., Any]:
    """Refuse chunked bodies that grow past the limit (no content-length to check)."""
    seen = 0

    async def wrapped() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")


async def _reply(send: Callable[..., Any], status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


class BackgroundServer:
    """Run an ASGI app with uvicorn in a daemon thread; ``url`` is known once started.

    Port 0 picks a free port. Used by the Trainer (store, proxy in-process) and tests.
    """

    def __init__(self, app: Any, host: str = DEFAULT_HOST, port: int = 0, log_level: str = "warning") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(
            app, log_level=log_level, access_log=False, lifespan="on", timeout_keep_alive=30
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    def start(self, timeout_s: float = 30.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} failed to start")
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on {self.url} did not start in {timeout_s}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=timeout_s)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
