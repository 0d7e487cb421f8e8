"""Child commands that are stopped together with us: a stop (Ctrl-C, SIGTERM, Prefect's
cancel) reaches the child's whole process group with time to clean up, instead of a
SIGKILL that would leave the servers the child started running as orphans."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["run_in_group", "stop_process_group"]


def run_in_group(argv: Sequence[str], *, cwd: str | Path, env: dict[str, str], capture_output: bool = False,
                 grace_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a command (a stage, ``dvc repro``) in its own process group. When this process
    is stopped meanwhile (Ctrl-C, SIGTERM, Prefect's cancel), the whole group gets
    SIGTERM and ``grace_s`` to exit, so a running stage stops the servers it started
    instead of being killed and leaving them orphaned; then the stop goes on."""
    pipe = subprocess.PIPE if capture_output else None
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=pipe, stderr=pipe, text=True, start_new_session=True)
    try:
        out, err = proc.communicate()
    except BaseException:
        stop_process_group(proc, grace_s)
        raise
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def stop_process_group(proc: subprocess.Popen[bytes], grace_s: float = 60.0) -> None:
    """SIGTERM to ``proc``'s process group, SIGKILL after ``grace_s`` if it is still there."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
