"""Load: 64 concurrent clients against `agl-ops proxy` (over a fast stub backend) and
against `agl-ops store serve`, each for a bounded number of requests, bearer token on.
Asserts 0 errors and that every request was recorded exactly once; latencies are
reported (never asserted: the machine is shared). With AGL_WRITE_DOCS=1 the figures
go to docs/reliability_load.md."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson

from agl_ops.store.client import HttpStore
from agl_ops.store.sql import SqliteStore
from agl_ops.types import AttemptStatus, RolloutStatus, Span, SpanKind
from tests.procs import cli, free_port, start_store_server, stop, wait_http

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "lib"))
from asynchttp import Connection  # noqa: E402

CLIENTS = 64
TOKEN = "load-test-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def _backend_body() -> bytes:
    """A model server's answer with return_token_ids + logprobs: 200 prompt ids, 32 tokens."""
    tokens = [f" t{i}" for i in range(32)]
    return orjson.dumps({
        "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "m", "model_version": "v0",
        "prompt_token_ids": list(range(1000, 1200)),
        "choices": [{"index": 0, "finish_reason": "length", "token_ids": list(range(2000, 2032)),
                     "message": {"role": "assistant", "content": "".join(tokens)},
                     "logprobs": {"content": [{"token": t, "logprob": -0.5, "bytes": [], "top_logprobs": []}
                                              for t in tokens]}}],
        "usage": {"prompt_tokens": 200, "completion_tokens": 32, "total_tokens": 232}})


def _run_stub(port: int) -> None:
    from asynchttp import serve_stub

    body = _backend_body()
    serve_stub(port, lambda path, request: body)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def record(name: str, row: str) -> None:
    """Keep one table row per check in docs/reliability_load.md (AGL_WRITE_DOCS=1)."""
    if os.environ.get("AGL_WRITE_DOCS") != "1":
        return
    doc = ROOT / "docs" / "reliability_load.md"
    header = ("| check | requests | errors | recorded | throughput | p50 | p99 | when, machine |\n"
              "|---|---:|---:|---|---:|---:|---:|---|\n")
    lines = [ln for ln in (doc.read_text().splitlines() if doc.exists() else []) if ln.startswith("| ")
             and not ln.startswith(("| check", f"| {name} |"))]
    when = f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()}-core {platform.machine()}"
    lines.append(f"| {name} | {row} | {when} |")
    doc.write_text(header + "\n".join(sorted(lines)) + "\n")


async def _clients(port: int, jobs: list[list[tuple[str, bytes]]]) -> tuple[float, list[float], Counter]:
    """One keep-alive connection per client, each posting its jobs in order."""

    async def client(my_jobs: list[tuple[str, bytes]]) -> tuple[list[float], Counter]:
        conn = await Connection("127.0.0.1", port).open()
        latencies, statuses = [], Counter()
        for path, body in my_jobs:
            status, _, seconds = await conn.post(path, body, {**AUTH, "x-agl-span-name": "write"})
            latencies.append(seconds)
            statuses[status] += 1
        await conn.close()
        return latencies, statuses

    start = time.perf_counter()
    results = await asyncio.gather(*(client(j) for j in jobs))
    elapsed = time.perf_counter() - start
    return elapsed, [x for lat, _ in results for x in lat], sum((s for _, s in results), Counter())


def test_proxy_64_clients_no_errors_every_call_recorded(tmp_path: Path) -> None:
    per_client = 100
    db = tmp_path / "store.db"
    store = SqliteStore(db)
    store.enqueue_rollouts([{"i": i} for i in range(CLIENTS)])
    attempts = [store.claim_rollout("load") for _ in range(CLIENTS)]
    stub_port, proxy_port = free_port(), free_port()
    stub = mp.get_context("spawn").Process(target=_run_stub, args=(stub_port,), daemon=True)
    stub.start()
    (tmp_path / "params.yaml").write_text("seed: 0\n")
    proxy = cli("proxy", "--params", str(tmp_path / "params.yaml"), "--backend-url", f"http://127.0.0.1:{stub_port}",
                "--store", f"sqlite:///{db}", "--port", str(proxy_port), log=tmp_path / "proxy.log",
                env={"AGL_PROXY_TOKEN": TOKEN})
    request = orjson.dumps({"model": "m", "max_tokens": 32, "messages": [
        {"role": "system", "content": "You write SQLite queries. " * 20},
        {"role": "user", "content": "How many rows of t3 have value above 10?"}]})
    jobs = [[(f"/rollout/{a.rollout_id}/attempt/{a.attempt_id}/v1/chat/completions", request)] * per_client
            for a in attempts]
    try:
        wait_http(f"http://127.0.0.1:{proxy_port}/health")
        elapsed, latencies, statuses = asyncio.run(_clients(proxy_port, jobs))
        flushed = httpx.post(f"http://127.0.0.1:{proxy_port}/agl/flush", headers=AUTH, timeout=120).json()
    finally:
        stop(proxy)
        stub.terminate()
    total = CLIENTS * per_client
    spans = {a.attempt_id: [s for s in store.query_spans(a.rollout_id, a.attempt_id) if s.kind is SpanKind.LLM]
             for a in attempts}
    store.close()
    assert statuses == Counter({200: total}), f"errors under load: {statuses}"
    assert flushed["flushed"] is True
    assert all(len(v) == per_client and all(s.status == "ok" for s in v) for v in spans.values())
    assert len({s.span_id for v in spans.values() for s in v}) == total
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(f"proxy: {CLIENTS} clients x {per_client} = {total} calls in {elapsed:.2f}s ({total / elapsed:.0f} req/s), "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, 0 errors, {total} LLM spans")
    record(f"LLM proxy, {CLIENTS} clients (stub backend, SQLite spans)",
           f"{total} | 0 | {total}/{total} spans | {total / elapsed:.0f} req/s | {p50:.1f} ms | {p99:.1f} ms")


def test_store_server_64_clients_no_errors_every_request_recorded(tmp_path: Path) -> None:
    per_client = 16  # rollouts each client claims, writes 2 spans for, finishes and queries
    db = tmp_path / "store.db"
    server, url = start_store_server(db, token=TOKEN, log=tmp_path / "server.log")
    port = int(url.rsplit(":", 1)[1])
    queued = HttpStore(url, token=TOKEN).enqueue_rollouts([{"i": i} for i in range(CLIENTS * per_client)])
    by_op: dict[str, list[float]] = {"claim": [], "add_spans": [], "finish": [], "query": []}
    statuses: Counter = Counter()
    claimed: list[str] = []

    async def client(worker: int) -> None:
        conn = await Connection("127.0.0.1", port).open()

        async def post(op: str, path: str, body: object) -> bytes:
            status, data, seconds = await conn.post(path, orjson.dumps(body), AUTH)
            by_op[op].append(seconds)
            statuses[status] += 1
            return data

        while True:
            attempted = orjson.loads(await post("claim", "/v1/rollouts/claim", {"worker_id": f"w{worker}"}))
            if attempted is None:
                break
            rid, aid = attempted["rollout"]["rollout_id"], attempted["attempt"]["attempt_id"]
            claimed.append(rid)
            spans = [orjson.loads(Span(rollout_id=rid, attempt_id=aid, name=f"step{k}", kind=SpanKind.AGENT,
                                       attributes={"k": k, "text": "SELECT 1" * 20}).model_dump_json())
                     for k in range(2)]
            await post("add_spans", "/v1/spans", spans)
            await post("finish", f"/v1/attempts/{aid}/finish", {"status": "succeeded", "reward": 1.0})
            await post("query", "/v1/rollouts/query", {"rollout_ids": [rid]})
        await conn.close()

    async def run_all() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(client(w) for w in range(CLIENTS)))
        return time.perf_counter() - start

    try:
        elapsed = asyncio.run(run_all())
    finally:
        stop(server)
    total = sum(len(v) for v in by_op.values())
    assert set(statuses) == {200}, f"errors under load: {statuses}"
    ids = [r.rollout_id for r in queued]
    assert sorted(claimed) == sorted(ids), "a rollout was claimed twice or never"
    direct = SqliteStore(db)
    try:
        done = direct.query_rollouts(rollout_ids=ids)
        assert all(r.status is RolloutStatus.SUCCEEDED and r.reward == 1.0 for r in done) and len(done) == len(ids)
        for rid in ids:
            (attempt,) = direct.query_attempts(rid)
            assert attempt.status is AttemptStatus.SUCCEEDED
            assert sorted(s.name for s in direct.query_spans(rid)) == ["step0", "step1"]
    finally:
        direct.close()
    lat = [x for v in by_op.values() for x in v]
    p50, p99 = percentile(lat, 0.5) * 1000, percentile(lat, 0.99) * 1000
    per_op = ", ".join(f"{op} p50 {percentile(v, 0.5) * 1000:.1f} / p99 {percentile(v, 0.99) * 1000:.1f} ms"
                       for op, v in by_op.items())
    print(f"store server: {CLIENTS} clients, {len(ids)} rollouts, {total} requests in {elapsed:.2f}s "
          f"({total / elapsed:.0f} req/s), p50 {p50:.1f} ms, p99 {p99:.1f} ms; {per_op}")
    record(f"store server, {CLIENTS} clients (claim + add_spans + finish + query, SQLite)",
           f"{total} | 0 | {len(ids)}/{len(ids)} rollouts once, {2 * len(ids)} spans | {total / elapsed:.0f} req/s "
           f"| {p50:.1f} ms | {p99:.1f} ms")
