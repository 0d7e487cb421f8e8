"""CLI: data synth / check, eval and the SQL default of dev, against the fake endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agl_ops.cli import app
from tests.tasks.sql.fake_llm import FakeLLM

_QUESTION = re.compile(r"^Question: (.*)$", re.M)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with small synthetic data and params.yaml pointing at it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(
        "data:\n  path: data/sql\n  synth: {train_size: 40, val_size: 12, test_size: 12}\n"
        "eval:\n  output_dir: runs/eval\n  n_runners: 2\n")
    result = CliRunner().invoke(app, ["data", "synth"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_data_synth_and_check(project: Path) -> None:
    data = project / "data" / "sql"
    assert len(json.loads((data / "train.json").read_text())) == 40
    result = CliRunner().invoke(app, ["data", "check"])
    assert result.exit_code == 0, result.output
    assert "val" in result.output and "12" in result.output


def test_data_check_reports_missing_split(project: Path) -> None:
    (project / "data" / "sql" / "val.json").unlink()
    result = CliRunner().invoke(app, ["data", "check"])
    assert result.exit_code == 1 and "does not exist" in result.output


def _gold_script(project: Path):
    rows = json.loads((project / "data" / "sql" / "val.json").read_text())
    answers = {r["question"]: r["query"] for r in rows}

    def script(step: str, prompt: str) -> str:
        if step == "check":
            return "THE QUERY IS CORRECT"
        return f"```sql\n{answers[_QUESTION.search(prompt).group(1)]}\n```"

    return script


def test_eval_writes_metrics_and_examples(project: Path) -> None:
    with FakeLLM(_gold_script(project)).serve() as server:
        result = CliRunner().invoke(app, ["eval", "--split", "val", "--endpoint", server.url, "--model", "fake",
                                          "--out", "runs/eval/here"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((project / "runs" / "eval" / "here" / "metrics.json").read_text())
    assert metrics["n"] == 12 and metrics["accuracy"] == 1.0
    assert set(metrics["per_difficulty"]) == {"easy", "medium", "hard", "extra"}
    assert (project / "runs" / "eval" / "here" / "examples.csv").exists()


def test_eval_without_endpoint_or_model_is_a_clear_error(project: Path) -> None:
    # no endpoint: eval would start a local server on eval.model_path, which does not exist here
    result = CliRunner().invoke(app, ["eval"])
    assert result.exit_code == 2 and "agl-ops model prepare" in result.output


def test_dev_defaults_to_the_sql_agent(project: Path) -> None:
    with FakeLLM(_gold_script(project)).serve() as server:
        result = CliRunner().invoke(app, ["dev", "--llm-endpoint", server.url, "--limit", "4"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "4/4 succeeded, mean reward 1.000" in result.output
    assert "fake-model" in result.output  # the model name was discovered from /v1/models


@pytest.mark.slow
def test_eval_starts_a_local_model_server(project: Path) -> None:
    """No endpoint: eval starts `agl-ops serve` on eval.model_path (a tiny random model
    here), runs every rollout through it and stops it."""
    from tests.llm.conftest import build_tiny_model

    model_dir = build_tiny_model(project / "tiny-model")
    result = CliRunner().invoke(app, ["eval", "--limit", "3", "--set", f"eval.model_path={model_dir}",
                                      "--set", "agent.max_tokens=16", "--out", "runs/eval/local"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((project / "runs" / "eval" / "local" / "metrics.json").read_text())
    assert metrics["n"] == 3 and metrics["error_counts"].get("rollout_failed", 0) == 0
