"""``agl-ops optimize prompt`` end to end against the scripted endpoint: outputs for DVC,
MLflow records, and a new prompt registry version with the expected tags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agl_ops.prompt_sets import read_prompt_set
from tests.algorithms.prompt_env import ScriptedModel, synth_rows
from tests.algorithms.test_apo import BAD_EDIT, GOOD_EDIT, MARK, _edits


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict]:
    from agl_ops.tasks.sql.realistic import build_realistic

    rows = synth_rows(tmp_path / "data")
    build_realistic(tmp_path / "realistic")
    params = {
        "data": {"path": str(tmp_path / "data"), "realistic_path": str(tmp_path / "realistic"),
                 "prompt_dev_databases": 4},
        "tracking": {"tracking_uri": f"sqlite:///{tmp_path}/mlflow.db", "experiment": "test/prompt-opt",
                     "prompt_name": "t2s"},
        "prompt_opt": {"minibatch_size": 6, "select_limit": 4, "val_limit": 6, "test_limit": 6, "n_runners": 4,
                       "max_tokens": 64,
                       "apo": {"rounds": 1, "beam_width": 2, "expand": 1, "branch_factor": 2}},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    for var in ("MLFLOW_TRACKING_URI", "AGL_PIPELINE_RUN_ID", "AGL_OPTIMIZER_ENDPOINT", "AGL_OPTIMIZER_MODEL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path, rows


def test_optimize_prompt_cli_writes_outputs_and_registers(project: tuple[Path, dict]) -> None:
    from agl_ops.cli import app

    root, rows = project
    model = ScriptedModel(rows, good=lambda prompt, row: MARK in prompt, optimizer=_edits(GOOD_EDIT, BAD_EDIT))
    with model.fake.serve() as server:
        res = CliRunner().invoke(app, ["optimize", "prompt", "--algorithm", "apo", "--endpoint", server.url])
    assert res.exit_code == 0, res.output

    prompts = read_prompt_set(root / "outputs/prompts/best.json")
    assert prompts["write_prompt"].template == GOOD_EDIT and {"check_prompt", "rewrite_prompt"} <= set(prompts)
    metrics = json.loads((root / "metrics/prompt_opt.json").read_text())
    assert metrics["val"]["baseline"]["accuracy"] == 0.0 and metrics["val"]["best"]["accuracy"] == 1.0
    assert metrics["test"]["gain"] == 1.0 and metrics["test"]["best"]["n"] == 6
    assert set(metrics["test"]["best"]["per_difficulty"]) <= {"easy", "medium", "hard", "extra"}

    import mlflow

    from agl_ops.tracking import client, load_prompt

    run = client().get_run(metrics["run_id"])
    assert run.data.metrics["val_gain"] == 1.0 and "apo/beam_best" in run.data.metrics
    assert json.loads(run.data.tags["agl.prompt_versions"])["write_prompt"] == metrics["prompt_versions"]["write_prompt"]
    artifacts = {a.path for a in client().list_artifacts(run.info.run_id, "tables")}
    assert {"tables/prompt_candidates.json", "tables/prompt_candidates.csv"} <= artifacts
    assert [a.path for a in client().list_artifacts(run.info.run_id, "figures")] == ["figures/prompt_scores.png"]
    registered = load_prompt("t2s-write_prompt", "challenger")
    assert registered.template.template == GOOD_EDIT
    assert registered.tags["algorithm"] == "apo" and registered.tags["run_id"] == run.info.run_id
    assert float(registered.tags["score"]) == 1.0 and registered.tags["improved"] == "true"
    assert mlflow.get_tracking_uri().endswith("mlflow.db")

    # a second run with the same best prompt registers no duplicate; the baseline roles keep version 1
    with model.fake.serve() as server:
        res = CliRunner().invoke(app, ["optimize", "prompt", "--algorithm", "apo", "--endpoint", server.url, "--no-test"])
    assert res.exit_code == 0, res.output
    again = json.loads((root / "metrics/prompt_opt.json").read_text())
    assert again["prompt_versions"] == metrics["prompt_versions"] and "test" not in again
    assert again["prompt_versions"]["check_prompt"] == 1
