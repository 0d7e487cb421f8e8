"""Added latency and throughput of the tracing LLM proxy over a fast stub backend.

The proxy runs as `agl-ops proxy` in its own process (spans on, written to a SQLite
store); the stub backend and the load client are minimal asyncio HTTP so they leave
the 2 cores to the proxy. Sequential: 500 calls alternating direct-to-stub and
through-proxy on keep-alive connections; added latency = median(proxy) - median(direct).
Concurrent: 64 clients with keep-alive connections. Afterwards every call must have
exactly one LLM span in the store. Reference: Agent Lightning 0.3's LiteLLM proxy added
33 ms median and served 26 req/s at 64 concurrent.

    python bench/proxy.py [--quick] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from asynchttp import Connection, serve_stub  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _agent_request() -> bytes:
    schema = "".join(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, value REAL);\n" for i in range(20))
    return json.dumps({"model": "m", "max_tokens": 64, "temperature": 0.7, "messages": [
        {"role": "system", "content": "You write SQLite queries.\n" + schema},
        {"role": "user", "content": "How many rows of t3 have value above 10?"}]}).encode()


def _backend_body() -> bytes:
    """What a model server answers with return_token_ids + logprobs: 300 prompt ids, 64 tokens."""
    tokens = [f" tok{i}" for i in range(64)]
    return json.dumps({
        "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "m", "model_version": "v0",
        "prompt_token_ids": list(range(1000, 1300)),
        "choices": [{"index": 0, "finish_reason": "length", "token_ids": list(range(2000, 2064)),
                     "message": {"role": "assistant", "content": "".join(tokens)},
                     "logprobs": {"content": [{"token": t, "logprob": -0.5, "bytes": list(t.encode()), "top_logprobs": []}
                                              for t in tokens]}}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 64, "total_tokens": 364}}).encode()


_BODY = _backend_body()


def _stub_main(port: int) -> None:
    serve_stub(port, lambda path, body: _BODY)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


async def _sequential(proxy_port: int, stub_port: int, paths: list[str], body: bytes) -> tuple[list[float], list[float], int]:
    direct = await Connection("127.0.0.1", stub_port).open()
    proxied = await Connection("127.0.0.1", proxy_port).open()
    d_lat, p_lat, errors = [], [], 0
    for i, path in enumerate(paths):
        s, _, dt = await direct.post("/v1/chat/completions", body)
        d_lat.append(dt)
        s2, _, pt = await proxied.post(path, body, {"x-agl-span-name": "write"})
        p_lat.append(pt)
        errors += (s != 200) + (s2 != 200)
    await direct.close()
    await proxied.close()
    return d_lat, p_lat, errors


async def _concurrent(port: int, paths: list[list[str]], body: bytes) -> tuple[float, list[float], int]:
    async def client(my_paths: list[str]) -> tuple[list[float], int]:
        conn = await Connection("127.0.0.1", port).open()
        lat, errors = [], 0
        for path in my_paths:
            status, _, dt = await conn.post(path, body, {"x-agl-span-name": "check"})
            lat.append(dt)
            errors += status != 200
        await conn.close()
        return lat, errors

    start = time.perf_counter()
    results = await asyncio.gather(*(client(p) for p in paths))
    elapsed = time.perf_counter() - start
    return elapsed, [x for lat, _ in results for x in lat], sum(e for _, e in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer calls (< 1 min)")
    ap.add_argument("--sequential", type=int, default=500)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--per-client", type=int, default=40)
    ap.add_argument("--write-docs", action="store_true", help="append the figures to docs/benchmarks.md")
    args = ap.parse_args()
    if args.quick:
        args.sequential, args.per_client = 200, 20
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    from agl_ops.store.sql import SqliteStore
    from agl_ops.types import SpanKind

    tmp = Path(tempfile.mkdtemp(prefix="agl-bench-proxy-"))
    db = tmp / "store.db"
    store = SqliteStore(db)
    store.enqueue_rollouts([{"i": i} for i in range(args.clients)])
    attempts = [store.claim_rollout("bench") for _ in range(args.clients)]
    stub_port, proxy_port = _free_port(), _free_port()
    stub = mp.get_context("spawn").Process(target=_stub_main, args=(stub_port,), daemon=True)
    stub.start()
    (tmp / "params.yaml").write_text("seed: 0\n")
    proxy = subprocess.Popen([sys.executable, "-m", "agl_ops.cli", "proxy", "--params", str(tmp / "params.yaml"),
                              "--backend-url", f"http://127.0.0.1:{stub_port}", "--store", os.environ.get("BENCH_PROXY_STORE", f"sqlite:///{db}"),
                              "--port", str(proxy_port)], cwd=ROOT, env={**os.environ, "AGL_PROXY_TOKEN": ""},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(f"http://127.0.0.1:{proxy_port}/health")
        body = _agent_request()
        expected: dict[str, int] = {}

        def path(i: int) -> str:
            a = attempts[i % len(attempts)]
            expected[a.attempt_id] = expected.get(a.attempt_id, 0) + 1
            return f"/rollout/{a.rollout_id}/attempt/{a.attempt_id}/v1/chat/completions"

        asyncio.run(_sequential(proxy_port, stub_port, [path(i) for i in range(20)], body))  # warm-up
        d_lat, p_lat, seq_errors = asyncio.run(_sequential(proxy_port, stub_port, [path(i) for i in range(args.sequential)], body))
        direct_s, _, _ = asyncio.run(_concurrent(stub_port, [["/v1/chat/completions"] * args.per_client
                                                             for _ in range(args.clients)], body))
        asyncio.run(_concurrent(proxy_port, [[path(c)] for c in range(args.clients)], body))  # open the pools
        conc_paths = [[path(c) for _ in range(args.per_client)] for c in range(args.clients)]
        elapsed, lat, conc_errors = asyncio.run(_concurrent(proxy_port, conc_paths, body))
        flush = httpx.post(f"http://127.0.0.1:{proxy_port}/agl/flush", timeout=120).json()
        counts: dict[str, int] = {}
        for a in attempts:
            for span in store.query_spans(a.rollout_id, a.attempt_id):
                if span.kind is SpanKind.LLM:
                    counts[a.attempt_id] = counts.get(a.attempt_id, 0) + 1
        total_calls = sum(expected.values())
        n_conc = args.clients * args.per_client
    finally:
        proxy.terminate()
        proxy.wait(timeout=20)
        stub.terminate()
        store.close()
    added_ms = (statistics.median(p_lat) - statistics.median(d_lat)) * 1000
    p99_added = (sorted(p_lat)[int(len(p_lat) * 0.99)] - sorted(d_lat)[int(len(d_lat) * 0.99)]) * 1000
    rps = n_conc / elapsed
    spans_ok = counts == expected
    print(f"sequential calls: {len(p_lat)} (+20 warm-up)  direct median {statistics.median(d_lat) * 1000:.2f} ms, "
          f"through proxy {statistics.median(p_lat) * 1000:.2f} ms (p99 added {p99_added:.2f} ms)")
    print(f"concurrent: {args.clients} clients x {args.per_client} calls = {n_conc} in {elapsed:.2f}s: {rps:.0f} req/s "
          f"through the proxy (stub alone: {n_conc / direct_s:.0f} req/s), p50 {statistics.median(lat) * 1000:.1f} ms, "
          f"p99 {sorted(lat)[int(len(lat) * 0.99)] * 1000:.1f} ms")
    print(f"errors: {seq_errors + conc_errors}; flush: {flush}; LLM spans stored: {sum(counts.values())} "
          f"for {total_calls} calls; exactly one per call per attempt: {spans_ok}")
    print(f"proxy_rps_64: {rps:.0f} req/s (target: >= 1000)")
    if args.write_docs:
        _write_docs(added_ms, p99_added, rps, seq_errors + conc_errors, spans_ok, total_calls, args)
    print(f"proxy_added_ms_median: {added_ms:.2f} ms (target: <= 2 ms)")


def _write_docs(added: float, p99: float, rps: float, errors: int, spans_ok: bool, calls: int, args) -> None:  # noqa: ANN001
    import platform

    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    text += (f"\n## LLM proxy (bench/proxy.py) — {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores\n\n"
             f"| measure | value | target |\n|---|---|---|\n"
             f"| added latency, median ({args.sequential} sequential calls) | {added:.2f} ms | <= 2 ms |\n"
             f"| added latency, p99 | {p99:.2f} ms | |\n"
             f"| throughput, {args.clients} concurrent clients | {rps:.0f} req/s | >= 1000 |\n"
             f"| errors | {errors} | 0 |\n| one LLM span per call ({calls} calls) | {spans_ok} | true |\n")
    doc.write_text(text)


if __name__ == "__main__":
    main()
