"""The MLflow UI started on the project's store lists our runs (HTTP API + the page)."""

from __future__ import annotations

import socket

import httpx

from agl_ops.tracking import stage_run
from agl_ops.tracking.ui import start_ui, ui_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_command_binds_localhost_on_the_same_store(tracking):
    backend, _ = tracking
    cmd = ui_command(backend, port=5123)
    assert cmd[cmd.index("--backend-store-uri") + 1] == backend.tracking_uri
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "5123"
    assert cmd[cmd.index("--artifacts-destination") + 1] == backend.artifact_root


def test_started_ui_lists_the_runs(tracking, tmp_path):
    backend, experiment_id = tracking
    with stage_run("train") as train:
        pass
    with stage_run("evaluate") as evaluate:
        import mlflow

        mlflow.log_metric("test_accuracy", 0.5)
    with start_ui(backend, port=_free_port(), wait_s=120, log_file=tmp_path / "ui.log") as server:
        api = f"{server.url}/ajax-api/2.0/mlflow"
        exp = httpx.get(f"{api}/experiments/get-by-name", params={"experiment_name": backend.experiment}).json()
        assert exp["experiment"]["experiment_id"] == experiment_id
        runs = httpx.post(f"{api}/runs/search", json={"experiment_ids": [experiment_id]}).json()["runs"]
        names = {r["info"]["run_name"] for r in runs}
        assert names == {"pipeline", "train", "evaluate"}
        by_id = {r["info"]["run_id"]: r for r in runs}
        tags = {t["key"]: t["value"] for t in by_id[evaluate.run_id]["data"]["tags"]}
        assert tags["mlflow.parentRunId"] == train.parent_run_id
        metric = by_id[evaluate.run_id]["data"]["metrics"][0]
        assert (metric["key"], metric["value"]) == ("test_accuracy", 0.5)
        page = httpx.get(f"{server.url}/")
        assert page.status_code == 200 and "<html" in page.text.lower()
    assert server.process.poll() is not None  # stopped with its workers
