"""The documented Prefect path, for real: a local Prefect server, a process work pool,
`prefect deploy` of flows/prefect.yaml, a worker, `prefect deployment run`, and the
flow run completing with the stages done through DVC and their artifacts published."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agl_ops.pipeline.run import ensure_repo
from tests.pipeline.conftest import make_project, project_env, run

# a Prefect server, a worker and the pipeline: ~2 min on 2 cores, so it runs in `make test-slow`
pytestmark = pytest.mark.slow

PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def prefect_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Prefect server of its own (own home and database) on a free local port."""
    port = _free_port()
    env = project_env(tmp_path)
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-3000:]
            time.sleep(1)
        yield env
    finally:
        _stop(server)


def test_deployment_runs_the_pipeline_through_a_worker(tmp_path: Path, tiny_model: Path,
                                                       prefect_env: dict[str, str]) -> None:
    project = make_project(tmp_path / "project", tiny_model)
    ensure_repo(project)
    env = {**prefect_env, "PWD": str(project)}
    created = run([PREFECT, "work-pool", "create", "local", "--type", "process"], project, env=env)
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "flows/prefect.yaml"], project, env=env)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    for name in ("default", "prompt-only", "training-only"):
        assert f"agl-ops-pipeline/{name}" in deployed.stdout

    worker_log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "local"], cwd=project, env=env,
                              stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        started = run([PREFECT, "deployment", "run", "agl-ops-pipeline/default", "--params",  # no overrides: dvc repro
                       json.dumps({"stages": ["prepare_model", "prepare_data"]}), "--watch", "--watch-timeout", "600"],
                      project, env=env, timeout=660)
    finally:
        _stop(worker)
    output = started.stdout + started.stderr
    assert started.returncode == 0, output[-3000:] + (tmp_path / "worker.log").read_text()[-4000:]
    assert "Completed" in output
    # the stages ran through DVC in the project folder
    lock = (project / "dvc.lock").read_text()
    assert "prepare_model:" in lock and "prepare_data:" in lock and "baseline_eval:" not in lock
    assert (project / "data" / "sql" / "train.json").is_file()
    # and published their artifacts
    artifacts = httpx.post(f"{env['PREFECT_API_URL']}/artifacts/filter", json={}, timeout=10).json()
    keys = {a.get("key") for a in artifacts}
    assert {"prepare-model", "prepare-data", "pipeline-summary"} <= keys
