"""`agl-ops serve` (tiny model) SIGKILLed in the middle of a batch of rollouts and
restarted on the same port: the batch finishes with no lost or duplicated rollout, and
every span acknowledged before the kill is still in the store.

All parts are separate processes, as on separate machines: store server, model
server, LLM proxy, and runner processes running an agent that calls the model twice
through the proxy. Calls cut off by the kill get a 502 that the agent's OpenAI client
retries; while the model server is down the proxy holds calls until it is back
(``proxy.backend_retry_s``), so rollouts are not failed for it."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from agl_ops.llm.client import ModelServerProcess
from agl_ops.store.client import HttpStore
from agl_ops.store.sql import SqliteStore
from agl_ops.types import LLM, RolloutStatus, SpanKind
from tests.llm.conftest import build_tiny_model
from tests.procs import cli, free_port, start_store_server, stop, wait_http


@pytest.mark.slow
def test_model_server_killed_and_restarted_mid_batch(tmp_path: Path) -> None:
    n = 40
    model = build_tiny_model(tmp_path / "model")
    params = tmp_path / "params.yaml"
    params.write_text("seed: 0\n")
    db = tmp_path / "store.db"
    store_proc, store_url = start_store_server(db, log=tmp_path / "store.log")
    serve_port, proxy_port = free_port(), free_port()
    serve_args = ["--params", str(params), "--dtype", "float32", "--threads", "1"]
    env = {"OMP_NUM_THREADS": "1"}
    server = ModelServerProcess(model, port=serve_port, extra_args=serve_args, env=env, startup_timeout_s=180,
                                log_path=tmp_path / "serve.log").start()
    proxy = cli("proxy", "--params", str(params), "--backend-url", server.url, "--store", store_url,
                "--port", str(proxy_port), log=tmp_path / "proxy.log")
    store = HttpStore(store_url)
    runners = []
    try:
        wait_http(f"http://127.0.0.1:{proxy_port}/health")
        store.add_resources({"main_llm": LLM(endpoint=f"http://127.0.0.1:{proxy_port}/v1", model="tiny",
                                             proxied=True)})
        queued = store.enqueue_rollouts([{"i": i, "dir": str(tmp_path), "sleep": 0.1} for i in range(n)],
                                        max_attempts=3)
        ids = [r.rollout_id for r in queued]
        runners = [cli("runner", "--agent", "tests.sample_agents:llm_agent", "--store", store_url, "--n", "2",
                       "--heartbeat-interval-s", "1", log=tmp_path / f"runner{i}.log") for i in range(2)]
        deadline = time.monotonic() + 180
        while len(store.query_rollouts(rollout_ids=ids, status=[RolloutStatus.SUCCEEDED])) < n // 4:
            assert time.monotonic() < deadline, "the batch did not start"
            time.sleep(0.05)
        acked = {s.span_id for i in ids for s in store.query_spans(i)}
        succeeded_before = len(store.query_rollouts(rollout_ids=ids, status=[RolloutStatus.SUCCEEDED]))
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        killed_at = time.monotonic()
        time.sleep(1.0)  # runners keep calling a dead model server
        server = ModelServerProcess(model, port=serve_port, extra_args=serve_args, env=env, startup_timeout_s=180,
                                    log_path=tmp_path / "serve.log").start()
        downtime = time.monotonic() - killed_at
        done = store.wait_for_rollouts(ids, timeout_s=300)
    finally:
        for r in runners:
            stop(r)
        stop(proxy)
        server.stop()
        stop(store_proc)
    assert len(done) == n and all(r.status is RolloutStatus.SUCCEEDED for r in done), \
        Counter(r.status.value for r in done)
    direct = SqliteStore(db)
    try:
        spans = {i: direct.query_spans(i) for i in ids}
        assert acked <= {s.span_id for v in spans.values() for s in v}, "an acknowledged span was lost"
        failed_calls = retried = 0
        for rollout_id in ids:
            attempts = direct.query_attempts(rollout_id)
            (ok,) = [a for a in attempts if a.status.value == "succeeded"]  # exactly one success per rollout
            retried += len(attempts) - 1
            llm = [s for s in spans[rollout_id] if s.kind is SpanKind.LLM and s.attempt_id == ok.attempt_id]
            good = [s for s in llm if s.status == "ok"]
            assert sorted(s.name for s in good) == ["check", "write"]  # each call recorded once
            failed_calls += sum(s.status == "error" for s in spans[rollout_id] if s.kind is SpanKind.LLM)
    finally:
        direct.close()
    finished = Counter(line.split()[0] for line in (tmp_path / "done.log").read_text().splitlines())
    assert set(finished) == set(ids) and max(finished.values()) == 1, "a rollout ran to the end twice"
    print(f"model server kill: {n} rollouts, {succeeded_before} done before the kill, down {downtime:.1f}s; "
          f"{len(acked)} acknowledged spans kept; {failed_calls} LLM calls cut off (502, recorded as error spans "
          f"and retried by the client), {retried} attempts retried; 0 lost, 0 duplicated")
