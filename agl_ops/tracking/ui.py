"""The MLflow UI on the project's tracking store (``agl-ops ui``).

Runs ``mlflow ui`` (the tracking server) in its own process group on 127.0.0.1, with
telemetry off and server-side job execution off (it is for GenAI jobs we do not use
and more than doubles the start-up time: ~25 s -> ~11 s here).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from agl_ops.tracking.backend import TELEMETRY_ENV, TrackingBackend

__all__ = ["UIServer", "ui_command", "ui_env", "start_ui", "wait_until_up"]

logger = logging.getLogger(__name__)


def ui_command(backend: TrackingBackend, host: str = "127.0.0.1", port: int = 5000, workers: int = 1) -> list[str]:
    """The ``mlflow ui`` command line for a local backend (same store, same artifacts)."""
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", backend.tracking_uri,
           "--host", host, "--port", str(port), "--workers", str(workers)]
    if backend.artifact_root:
        cmd += ["--artifacts-destination", backend.artifact_root]
    return cmd


def ui_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in TELEMETRY_ENV.items():
        env.setdefault(key, value)
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    return env


def wait_until_up(url: str, timeout_s: float = 60.0, process: subprocess.Popen | None = None) -> None:
    """Poll ``<url>/health`` until it answers 200; raise with the reason otherwise."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"mlflow ui exited with status {process.returncode} before answering at {url}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"mlflow ui did not answer at {url} within {timeout_s:.0f}s")


@dataclass
class UIServer:
    process: subprocess.Popen
    url: str

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server and its workers (the whole process group we started)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout_s)
        except ProcessLookupError:
            pass

    def __enter__(self) -> UIServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_ui(
    backend: TrackingBackend, host: str = "127.0.0.1", port: int = 5000, *,
    wait_s: float | None = 60.0, log_file: str | Path | None = None,
) -> UIServer:
    """Start ``mlflow ui`` in the background (own process group); wait until it answers."""
    if backend.db_path is not None:
        backend.db_path.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 (lives with the process)
    process = subprocess.Popen(ui_command(backend, host, port), env=ui_env(), stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    server = UIServer(process=process, url=f"http://{host}:{port}")
    if wait_s:
        try:
            wait_until_up(server.url, wait_s, process)
        except BaseException:
            server.stop()
            raise
    return server
