"""Runners as separate OS processes sharing nothing but the HTTP store URL."""

from __future__ import annotations

from collections import Counter

from agl_ops.store.client import HttpStore
from agl_ops.types import RolloutStatus
from tests.procs import cli, start_store_server, stop


def test_four_runner_processes_complete_200_rollouts_exactly_once(tmp_path):
    server, url = start_store_server(tmp_path / "store.db", token="tok", log=tmp_path / "server.log")
    store = HttpStore(url, token="tok")
    runners = []
    try:
        rollouts = store.enqueue_rollouts([{"dir": str(tmp_path), "i": i} for i in range(200)], max_attempts=2)
        runners = [
            cli("runner", "--agent", "tests.sample_agents:counting_agent", "--store", url, "--n", "1",
                log=tmp_path / f"runner{i}.log", env={"AGL_STORE_TOKEN": "tok"})
            for i in range(4)
        ]
        done = store.wait_for_rollouts([r.rollout_id for r in rollouts], timeout_s=240)
    finally:
        for r in runners:
            stop(r)
        stop(server)
    assert len(done) == 200 and all(r.status is RolloutStatus.SUCCEEDED for r in done)
    lines = (tmp_path / "done.log").read_text().split("\n")[:-1]
    per_rollout = Counter(line.split()[0] for line in lines)
    assert set(per_rollout) == {r.rollout_id for r in rollouts}
    assert max(per_rollout.values()) == 1  # no rollout ran twice
    pids = {line.split()[2] for line in lines}
    assert len(pids) >= 2  # the work really was shared between processes
