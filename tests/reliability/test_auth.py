"""Bearer tokens on a whole run: store server, model server, LLM proxy and a runner as
separate processes, each with its token set and debug logging on. Requests without or
with a wrong token get 401, the rollouts still run end to end, no token appears in
any process's log, and every server listens on 127.0.0.1 only (the default)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx
import psutil

from agl_ops.config import Params
from agl_ops.llm.client import ModelServerProcess
from agl_ops.serving import DEFAULT_HOST, BackgroundServer
from agl_ops.store.client import HttpStore
from agl_ops.types import LLM, RolloutStatus, SpanKind
from tests.llm.conftest import build_tiny_model
from tests.procs import cli, free_port, stop, wait_http

STORE_TOKEN = "store-tok-5d1e9a2b7c"
SERVE_TOKEN = "serve-tok-8b3f0c6d1e"
PROXY_TOKEN = "proxy-tok-2a7e4f9c0b"
TOKENS = (STORE_TOKEN, SERVE_TOKEN, PROXY_TOKEN)


def listen_addresses(pid: int) -> set[str]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {c.laddr.ip for p in procs for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


def test_defaults_bind_localhost() -> None:
    params = Params()
    assert params.serve.host == params.proxy.host == DEFAULT_HOST == "127.0.0.1"
    server = BackgroundServer(lambda *a: None)
    assert server.host == "127.0.0.1"
    server._sock.close()
    help_text = cli_help("store", "serve")
    assert "127.0.0.1" in help_text and "--token-env" in help_text


def cli_help(*args: str) -> str:
    import subprocess

    out = subprocess.run([sys.executable, "-m", "agl_ops.cli", *args, "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, timeout=120)
    return out.stdout


def test_tokens_enforced_and_never_logged(tmp_path: Path) -> None:
    n = 4
    model = build_tiny_model(tmp_path / "model")
    params = tmp_path / "params.yaml"
    params.write_text("seed: 0\n")
    store_port, serve_port, proxy_port = free_port(), free_port(), free_port()
    store_url, proxy_url = f"http://127.0.0.1:{store_port}", f"http://127.0.0.1:{proxy_port}"
    env = {"AGL_STORE_TOKEN": STORE_TOKEN, "AGL_SERVE_TOKEN": SERVE_TOKEN, "AGL_PROXY_TOKEN": PROXY_TOKEN,
           "OMP_NUM_THREADS": "1"}
    logs = {name: tmp_path / f"{name}.log" for name in ("store", "serve", "proxy", "runner")}
    store_proc = cli("--verbose", "store", "serve", "--params", str(params), "--url", f"sqlite:///{tmp_path}/s.db",
                     "--port", str(store_port), log=logs["store"], env=env)
    server = ModelServerProcess(command=[sys.executable, "-m", "agl_ops.cli", "--verbose", "serve", "--params",
                                         str(params), "--model", str(model), "--port", str(serve_port),
                                         "--dtype", "float32", "--threads", "1"],
                                port=serve_port, token=SERVE_TOKEN, env=env, log_path=logs["serve"],
                                startup_timeout_s=180)
    proxy = cli("--verbose", "proxy", "--params", str(params), "--backend-url", f"http://127.0.0.1:{serve_port}",
                "--store", store_url, "--port", str(proxy_port), log=logs["proxy"], env=env)
    runner = None
    try:
        server.start()
        wait_http(f"{store_url}/health")
        wait_http(f"{proxy_url}/health")
        # without or with a wrong token: 401 on every server; health stays open
        for url, path in [(store_url, "/v1/rollouts/query"), (server.url, "/v1/chat/completions"),
                          (proxy_url, "/v1/chat/completions"), (proxy_url, "/agl/flush")]:
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
                resp = httpx.post(url + path, json={}, headers=headers, timeout=30)
                assert resp.status_code == 401, (url, path, headers, resp.status_code)
                assert resp.headers["www-authenticate"] == "Bearer" and resp.json()["error"]["message"]
        assert httpx.get(f"{server.url}/v1/models", timeout=30).status_code == 401
        store = HttpStore(store_url, token=STORE_TOKEN)
        store.add_resources({"main_llm": LLM(endpoint=f"{proxy_url}/v1", model="tiny", proxied=True,
                                             api_key=PROXY_TOKEN)})
        ids = [r.rollout_id for r in store.enqueue_rollouts([{"i": i, "dir": str(tmp_path)} for i in range(n)])]
        runner = cli("--verbose", "runner", "--agent", "tests.sample_agents:llm_agent", "--store", store_url,
                     "--n", "1", log=logs["runner"], env=env)
        done = store.wait_for_rollouts(ids, timeout_s=180)
        assert len(done) == n and all(r.status is RolloutStatus.SUCCEEDED for r in done), [r.error for r in done]
        for rollout_id in ids:
            llm = [s for s in store.query_spans(rollout_id) if s.kind is SpanKind.LLM]
            assert len(llm) == 2 and all(s.status == "ok" for s in llm)
        for name, proc_pid in [("store", store_proc.pid), ("serve", server.process.pid), ("proxy", proxy.pid)]:
            assert listen_addresses(proc_pid) == {"127.0.0.1"}, name
    finally:
        if runner is not None:
            stop(runner)
        stop(proxy)
        server.stop()
        stop(store_proc)
    time.sleep(0.2)
    for name, path in logs.items():
        text = path.read_text(errors="replace")
        assert text.strip(), f"{name} wrote no log: the check below would prove nothing"
        for token in TOKENS:
            assert token not in text, f"a token appears in the {name} log"
