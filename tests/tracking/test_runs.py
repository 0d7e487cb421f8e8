"""Runs: parent pipeline run + child stage runs, resumable across processes, with the
resolved params and the source identity (git, DVC) attached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agl_ops.config import Params, load_params
from agl_ops.tracking import (
    PIPELINE_RUN_ENV,
    client,
    current_pipeline_run,
    end_pipeline_run,
    flatten_params,
    source_tags,
    stage_run,
    start_pipeline_run,
)
from agl_ops.tracking.runs import dvc_data_hash, git_tags

ROOT = Path(__file__).resolve().parents[2]


def test_flatten_params_dotted_strings():
    flat = flatten_params(load_params(None, ["runner.n_runners=3", "tracking.promotion_margin=0.02"]))
    assert flat["runner.n_runners"] == "3"
    assert flat["tracking.promotion_margin"] == "0.02"
    assert flat["seed"] == "0" and flat["tracking.artifact_root"] == "null"
    assert flatten_params({"a": {"b": [1, 2], "c": {"d": "x" * 7000}}, "e": {}}) == {
        "a.b": "[1, 2]", "a.c.d": "x" * 6000, "e": "{}"}


def test_stage_runs_nest_under_one_pipeline_run_with_params_and_tags(tracking, tmp_path):
    _, experiment_id = tracking
    params = Params()
    with stage_run("prepare_data", params) as first:
        first.metrics.log_metrics({"rows": 120, "bad": "x"}, step=0)
    with stage_run("train", params, tags={"agl.method": "grpo"}) as second:
        import mlflow

        assert mlflow.active_run().info.run_id == second.run_id
        mlflow.log_metric("loss", 1.5)
    assert first.parent_run_id == second.parent_run_id == os.environ[PIPELINE_RUN_ENV]
    assert json.loads((tmp_path / ".agl/pipeline_run.json").read_text())["run_id"] == first.parent_run_id

    c = client()
    parent = c.get_run(first.parent_run_id)
    child = c.get_run(second.run_id)
    assert parent.data.tags["agl.run_kind"] == "pipeline" and parent.info.status == "RUNNING"
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.tags["agl.stage"] == "train" and child.data.tags["agl.method"] == "grpo"
    assert child.info.run_name == "train" and child.info.status == "FINISHED"
    assert child.data.params["runner.n_runners"] == parent.data.params["runner.n_runners"] == "2"
    assert child.data.metrics["loss"] == 1.5
    assert c.get_run(first.run_id).data.metrics == {"rows": 120.0}
    children = c.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert {r.info.run_name for r in children} == {"prepare_data", "train"}

    assert end_pipeline_run() == parent.info.run_id
    assert c.get_run(parent.info.run_id).info.status == "FINISHED"
    assert current_pipeline_run() is None and not (tmp_path / ".agl/pipeline_run.json").exists()
    with stage_run("evaluate") as third:  # after the end: a new pipeline run
        pass
    assert third.parent_run_id != parent.info.run_id


def test_failed_stage_is_marked_failed(tracking):
    with pytest.raises(RuntimeError):
        with stage_run("train") as run:
            raise RuntimeError("boom")
    assert client().get_run(run.run_id).info.status == "FAILED"


def test_stage_in_another_process_resumes_the_pipeline_run_from_the_file(tracking, tmp_path, monkeypatch):
    backend, experiment_id = tracking
    parent = start_pipeline_run(Params(), experiment_id=experiment_id)
    monkeypatch.delenv(PIPELINE_RUN_ENV)  # as when `dvc repro` starts the stage: only the file is shared
    code = (
        "from agl_ops.tracking import setup_tracking, stage_run\n"
        f"setup_tracking(experiment={backend.experiment!r})\n"
        "with stage_run('evaluate') as run:\n"
        "    print(run.run_id, run.parent_run_id)\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": backend.tracking_uri}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    run_id, parent_seen = out.stdout.split()[-2:]
    assert parent_seen == parent
    assert client().get_run(run_id).data.tags["mlflow.parentRunId"] == parent


def test_source_tags_git_and_dvc(tmp_path):
    assert source_tags(tmp_path) == {}  # neither git nor dvc: nothing, no error
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "f.txt").write_text("x")
    subprocess.run(["git", "add", "f.txt"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init"], cwd=tmp_path,
                   check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    tags = git_tags(tmp_path)
    assert tags["agl.git.commit"] == head == tags["mlflow.source.git.commit"] and tags["agl.git.dirty"] == "false"
    (tmp_path / "f.txt").write_text("y")
    assert git_tags(tmp_path)["agl.git.dirty"] == "true"

    assert dvc_data_hash(tmp_path) is None
    lock = {"schema": "2.0", "stages": {"prepare_data": {"cmd": "x", "outs": [
        {"path": "data/train.jsonl", "md5": "aaa"}, {"path": "models/base", "md5": "bbb.dir"}]}}}
    (tmp_path / "dvc.lock").write_text(json.dumps(lock))  # JSON is YAML
    first = dvc_data_hash(tmp_path)
    assert first is not None and source_tags(tmp_path)["agl.dvc.data_md5"] == first
    lock["stages"]["prepare_data"]["outs"][1]["md5"] = "ccc.dir"  # not data: same hash
    (tmp_path / "dvc.lock").write_text(json.dumps(lock))
    assert dvc_data_hash(tmp_path) == first
    lock["stages"]["prepare_data"]["outs"][0]["md5"] = "ddd"
    (tmp_path / "dvc.lock").write_text(json.dumps(lock))
    assert dvc_data_hash(tmp_path) != first
