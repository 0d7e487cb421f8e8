"""Client helpers: start a model server as a subprocess, wait for it, reload its weights.

``ModelServerProcess`` is how the Trainer / pipeline runs ``agl-ops serve`` (our
transformers server or vLLM) beside itself: ``with ModelServerProcess(cfg) as s:
s.url``. ``reload_model`` is what the GRPO trainer calls after each update.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["ModelServerProcess", "discover_model", "reload_model", "wait_for_health", "free_port", "ServerStartError"]

logger = logging.getLogger(__name__)


class ServerStartError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def wait_for_health(url: str, timeout_s: float = 5.0, *, token: str | None = None,
                    process: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
    """Poll ``{url}/health`` until it answers 200; its JSON. Fails fast if ``process`` dies."""
    base = url.rstrip("/").removesuffix("/v1")
    deadline = time.monotonic() + timeout_s
    last: Exception | str = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerStartError(f"model server exited with code {process.returncode}")
        try:
            r = httpx.get(f"{base}/health", headers=_headers(token), timeout=2.0)
            if r.status_code == 200:
                return r.json()
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{base}/health did not answer within {timeout_s}s ({last})")


def discover_model(endpoint: str, timeout_s: float = 10.0) -> str:
    """The first model an OpenAI-compatible endpoint lists (``GET /v1/models``)."""
    url = endpoint.rstrip("/").removesuffix("/v1") + "/v1/models"
    try:
        response = httpx.get(url, timeout=timeout_s)
        response.raise_for_status()
        models = response.json().get("data") or []
    except (httpx.HTTPError, ValueError) as exc:
        raise ConnectionError(f"cannot list models at {url}: {exc}") from exc
    if not models:
        raise ConnectionError(f"{url} lists no models")
    return str(models[0]["id"])


def reload_model(url: str, *, model_path: str | None = None, adapter_path: str | None = None,
                 version: str | None = None, token: str | None = None, timeout_s: float = 600.0) -> str:
    """Hot-reload weights on a running ``agl-ops serve``; returns the new model version.

    ``adapter_path``: a peft LoRA adapter merged into the server's base model.
    ``model_path``: a full model directory replacing the base. The call returns once
    requests already running have finished on the old weights and the new ones serve.
    The one place that calls ``/admin/reload``; a refusal is a RuntimeError with the
    server's answer.
    """
    if not model_path and not adapter_path:
        raise ValueError("reload_model needs model_path or adapter_path")
    base = url.rstrip("/").removesuffix("/v1")
    body = {"model_path": model_path, "adapter_path": adapter_path, "version": version}
    r = httpx.post(f"{base}/admin/reload", json=body, headers=_headers(token), timeout=timeout_s)
    if r.status_code != 200:
        raise RuntimeError(f"model server {base} refused the reload ({r.status_code}): {r.text[:500]}")
    served = r.json().get("model_version", version)
    if served is None:
        raise RuntimeError(f"model server {base} reloaded but reported no model_version")
    return str(served)


class ModelServerProcess:
    """``agl-ops serve`` (or any server command) as a child process with a known URL.

    ``command`` defaults to our server for ``model_path``; pass the vLLM command from
    :func:`agl_ops.llm.vllm.vllm_command` to run vLLM instead. The child's output goes
    to a log file whose tail is shown if it fails to start.
    """

    def __init__(self, model_path: str | Path | None = None, *, host: str = "127.0.0.1", port: int | None = None,
                 extra_args: list[str] | None = None, command: list[str] | None = None, token: str | None = None,
                 startup_timeout_s: float = 300.0, env: dict[str, str] | None = None,
                 log_path: str | Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        if command is None:
            if model_path is None:
                raise ValueError("ModelServerProcess needs model_path or command")
            command = [sys.executable, "-m", "agl_ops.cli", "serve", "--model", str(model_path),
                       "--host", host, "--port", str(self.port), *(extra_args or [])]
        self.command = command
        self.token = token
        self.startup_timeout_s = startup_timeout_s
        self.env = {**os.environ, **(env or {})}
        if token:
            self.env.setdefault("AGL_SERVE_TOKEN", token)
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="agl-serve-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ModelServerProcess:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                        start_new_session=True)
        log.close()
        try:
            wait_for_health(self.url, self.startup_timeout_s, token=self.token, process=self.process)
        except (ServerStartError, TimeoutError) as exc:
            self.stop()
            raise ServerStartError(f"{exc}; command: {' '.join(self.command)}\n--- log tail ---\n{self.log_tail()}") from None
        except BaseException:  # Ctrl-C or SIGTERM while it loads: no orphan
            self.stop()
            raise
        logger.info("model server on %s (pid %d)", self.url, self.process.pid)
        return self

    def log_tail(self, n_chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return ""

    def reload(self, **kwargs: Any) -> str:
        return reload_model(self.url, token=self.token, **kwargs)

    def stop(self, timeout_s: float = 20.0) -> None:
        from agl_ops.subprocesses import stop_process_group

        if self.process is not None and self.process.poll() is None:
            stop_process_group(self.process, timeout_s)

    def __enter__(self) -> ModelServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
