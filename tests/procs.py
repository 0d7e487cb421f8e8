"""Start our servers and runners as real OS processes for multi-process tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, log: Path | None = None, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "agl_ops.cli", *args], stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})


def wait_http(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout_s}s")


def start_store_server(db: Path, port: int | None = None, token: str = "", log: Path | None = None):
    port = port or free_port()
    proc = cli("store", "serve", "--url", f"sqlite:///{db}", "--port", str(port), log=log,
               env={"AGL_STORE_TOKEN": token})
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health")
    return proc, url


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
