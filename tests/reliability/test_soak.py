"""Soak: 10,000 rollouts of a trivial agent through the store server and runner
processes. Resident memory of each long-lived process must grow < 10% after warm-up.
Writes the curve to docs/reliability_soak.png and the figures to docs/reliability.md
when AGL_WRITE_DOCS=1."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from agl_ops.store.client import HttpStore
from tests.procs import cli, start_store_server, stop

DOCS = Path(__file__).resolve().parents[2] / "docs"


def rss_mb(proc: psutil.Process) -> float:
    return proc.memory_info().rss / 2**20


@pytest.mark.slow
@pytest.mark.timeout(900)  # 10k rollouts: ~4-5 min on 2 idle cores, more when shared
def test_soak_10k_rollouts_memory_stays_flat(tmp_path):
    total, batch, warmup = 10_000, 500, 2_000
    server, url = start_store_server(tmp_path / "store.db", log=tmp_path / "server.log")
    runner = cli("runner", "--agent", "tests.sample_agents:double_agent", "--store", url, "--n", "2",
                 log=tmp_path / "runner.log")
    store = HttpStore(url)
    samples: list[tuple[int, dict[str, float]]] = []
    start = time.monotonic()
    try:
        time.sleep(3)
        watched = {"store server": psutil.Process(server.pid)}
        children = [c for c in psutil.Process(runner.pid).children() if "resource_tracker" not in " ".join(c.cmdline())]
        for i, child in enumerate(children):
            watched[f"runner {i}"] = child
        done_total = 0
        while done_total < total:
            queued = store.enqueue_rollouts([{"x": i, "y": 2 * i} for i in range(batch)])
            finished = store.wait_for_rollouts([r.rollout_id for r in queued], timeout_s=300)
            assert len(finished) == batch and all(r.reward == 1.0 for r in finished)
            done_total += batch
            samples.append((done_total, {name: rss_mb(p) for name, p in watched.items()}))
    finally:
        stop(runner)
        stop(server)
    elapsed = time.monotonic() - start
    base = next(s for n, s in samples if n >= warmup)
    final = samples[-1][1]
    growth = {name: (final[name] - base[name]) / base[name] for name in base}
    if os.environ.get("AGL_WRITE_DOCS") == "1":
        write_docs(samples, warmup, growth, elapsed)
    assert all(g < 0.10 for g in growth.values()), f"memory growth after warm-up: {growth}"


def write_docs(samples, warmup, growth, elapsed) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name in samples[0][1]:
        ax.plot([n for n, _ in samples], [s[name] for _, s in samples], marker=".", label=name)
    ax.axvline(warmup, color="grey", linestyle="--", label="end of warm-up")
    ax.set_xlabel("rollouts completed")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_title("Soak: 10,000 rollouts through store server + 2 runner processes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(DOCS / "reliability_soak.png", dpi=110)
    rows = "\n".join(f"| {name} | {samples[-1][1][name]:.1f} | {100 * g:+.1f}% |" for name, g in growth.items())
    (DOCS / "reliability_soak.md").write_text(
        f"Soak run {time.strftime('%Y-%m-%d')}: {samples[-1][0]:,} rollouts in {elapsed:.0f}s "
        f"({samples[-1][0] / elapsed:.0f} rollouts/s)\n\n| process | final RSS (MiB) | growth after {warmup:,} |\n"
        f"|---|---:|---:|\n{rows}\n"
    )
