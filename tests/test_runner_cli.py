"""`agl-ops runner` stops cleanly on Ctrl-C: no orphan processes, the running attempt
is ended and its rollout re-queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from agl_ops.store.sql import SqliteStore
from agl_ops.types import RolloutStatus
from tests.test_runner_kill import wait_until


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split()[2] != "Z"


def test_ctrl_c_stops_runner_processes_and_requeues(tmp_path):
    db = tmp_path / "store.db"
    store = SqliteStore(db)
    (tmp_path / "hold").write_text("")
    (rollout,) = store.enqueue_rollouts([{"dir": str(tmp_path)}], max_attempts=3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "agl_ops.cli", "runner", "--agent", "tests.sample_agents:logging_agent",
         "--store", f"sqlite:///{db}", "--n", "2", "--heartbeat-interval-s", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    log = tmp_path / "starts.log"
    wait_until(lambda: log.exists() and log.read_text().strip())
    child = int(log.read_text().split()[0])
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out.decode()
    time.sleep(0.2)
    assert not alive(child), "runner child outlived its parent"
    got = store.query_rollouts(rollout_ids=[rollout.rollout_id])[0]
    assert got.status is RolloutStatus.QUEUING and "stopped" in got.error
    store.close()
