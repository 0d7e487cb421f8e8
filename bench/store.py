"""Store throughput: rollouts enqueued/s, claimed/s and spans written/s.

Measured on a durable SQLite file (WAL) in this process, and over HTTP against
``agl-ops store serve`` (same SQLite backing) running in its own process, as runners
on other machines would see it. Each figure one-at-a-time and batched.

    python bench/store.py [--quick] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agl_ops.store.base import Store  # noqa: E402
from agl_ops.store.client import HttpStore  # noqa: E402
from agl_ops.store.sql import SqliteStore  # noqa: E402
from agl_ops.types import Span, SpanKind  # noqa: E402

BATCH = 100


def make_span(rollout_id: str, attempt_id: str, i: int) -> Span:
    # roughly the size of an agent span: a name, a short text payload and a few numbers
    return Span(
        rollout_id=rollout_id,
        attempt_id=attempt_id,
        name="write",
        kind=SpanKind.AGENT,
        attributes={"i": i, "text": "SELECT name FROM singer WHERE age > 30 ORDER BY name" * 3, "latency_ms": 12.5},
    )


def rate(n: int, fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def measure(store: Store, n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    out["enqueue_single"] = rate(n, lambda: [store.enqueue_rollouts([{"i": i}]) for i in range(n)])
    out["enqueue_batched"] = rate(n, lambda: [store.enqueue_rollouts([{"i": i} for i in range(BATCH)])
                                               for _ in range(n // BATCH)])
    out["claim_single"] = rate(n, lambda: [store.claim_rollout("bench") for _ in range(n)])
    spans = [make_span("ro-bench", "at-bench", i) for i in range(n)]
    out["spans_single"] = rate(n, lambda: [store.add_spans([s]) for s in spans])
    spans = [make_span("ro-bench", "at-bench", i) for i in range(n)]
    out["spans_batched"] = rate(n, lambda: [store.add_spans(spans[i:i + BATCH]) for i in range(0, n, BATCH)])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http_store(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agl_ops.cli", "store", "serve", "--url", f"sqlite:///{db}", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "AGL_STORE_TOKEN": ""},
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("store server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, same code path")
    parser.add_argument("--write", type=Path, help="append a results table to this markdown file")
    args = parser.parse_args()
    n = 1000 if args.quick else 5000

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteStore(Path(tmp) / "bench.db")
        results["sqlite"] = measure(sqlite, n)
        sqlite.close()
        proc, url = start_http_store(Path(tmp) / "http.db")
        try:
            client = HttpStore(url)
            results["http"] = measure(client, n)
            client.close()
        finally:
            proc.terminate()
            proc.wait(10)

    header = f"{'store':8} {'metric':18} {'ops/s':>12}"
    print(header)
    for store_name, figures in results.items():
        for metric, value in figures.items():
            print(f"{store_name:8} {metric:18} {value:12,.0f}")
    if args.write:
        write_markdown(args.write, results, n)
    print(f"store_http_spans_per_s_batched: {results['http']['spans_batched']:,.0f} spans/s (target: >= 5,000)")
    print(f"store_sqlite_spans_per_s_single: {results['sqlite']['spans_single']:,.0f} spans/s (target: >= 7,000)")
    print(f"store_sqlite_spans_per_s_batched: {results['sqlite']['spans_batched']:,.0f} spans/s (target: >= 30,000)")


def write_markdown(path: Path, results: dict[str, dict[str, float]], n: int) -> None:
    import platform

    lines = [
        f"\n### bench/store.py ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, n={n}, batch={BATCH})\n",
        "| metric | sqlite (WAL file) | http (separate server process, sqlite) |",
        "|---|---:|---:|",
    ]
    for metric in results["sqlite"]:
        lines.append(f"| {metric} | {results['sqlite'][metric]:,.0f}/s | {results['http'][metric]:,.0f}/s |")
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
