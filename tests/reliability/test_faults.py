"""Processes killed with SIGKILL in the middle of a batch: after restart the batch
finishes with no lost or duplicated rollouts, and acknowledged spans survive."""

from __future__ import annotations

import signal
import time
from collections import Counter

from agl_ops.store.client import HttpStore
from agl_ops.store.sql import SqliteStore
from agl_ops.types import RolloutStatus, SpanKind
from tests.procs import cli, start_store_server, stop


def test_store_server_killed_and_restarted_mid_batch(tmp_path):
    db = tmp_path / "store.db"
    server, url = start_store_server(db, log=tmp_path / "server.log")
    port = int(url.rsplit(":", 1)[1])
    store = HttpStore(url, retry_for_s=120)
    n = 60
    rollouts = store.enqueue_rollouts([{"dir": str(tmp_path), "sleep": 0.1} for _ in range(n)], max_attempts=3)
    ids = [r.rollout_id for r in rollouts]
    runners = [cli("runner", "--agent", "tests.sample_agents:counting_agent", "--store", url, "--n", "1",
                   "--heartbeat-interval-s", "0.5", log=tmp_path / f"runner{i}.log") for i in range(3)]
    try:
        deadline = time.monotonic() + 120
        while len(store.query_rollouts(rollout_ids=ids, status=[RolloutStatus.SUCCEEDED])) < n // 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        acked = {s.span_id for i in ids for s in store.query_spans(i)}
        assert acked
        stop(server, signal.SIGKILL)
        time.sleep(1.0)  # runners keep working and retrying against a dead store
        server, _ = start_store_server(db, port=port, log=tmp_path / "server.log")
        done = store.wait_for_rollouts(ids, timeout_s=180)
    finally:
        for r in runners:
            stop(r)
        stop(server)
    assert len(done) == n and all(r.status is RolloutStatus.SUCCEEDED for r in done)
    direct = SqliteStore(db)  # read the result from the file itself
    spans = {i: direct.query_spans(i) for i in ids}
    assert acked <= {s.span_id for v in spans.values() for s in v}, "an acknowledged span was lost"
    for rollout_id, rollout_spans in spans.items():
        succeeded = [a for a in direct.query_attempts(rollout_id) if a.status.value == "succeeded"]
        assert len(succeeded) == 1
        reward_spans = [s for s in rollout_spans if s.kind is SpanKind.REWARD
                        and s.attempt_id == succeeded[0].attempt_id]
        assert len(reward_spans) == 1  # re-sent spans are not duplicated
    finished = Counter(line.split()[0] for line in (tmp_path / "done.log").read_text().splitlines())
    assert set(finished) == set(ids)
    direct.close()
