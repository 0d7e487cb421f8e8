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
    metrics = json.loads((project / "runs" / "eval" / "here" / "val" / "metrics.json").read_text())
    assert metrics["n"] == 12 and metrics["accuracy"] == 1.0
    assert set(metrics["per_difficulty"]) == {"easy", "medium", "hard", "extra"}
    assert (project / "runs" / "eval" / "here" / "val" / "examples.csv").exists()


def _save_prompts(path: Path, marker: str) -> None:
    from agl_ops.prompt_sets import write_prompt_set
    from agl_ops.tasks.sql.prompts import default_prompts

    prompts = {k: v.template for k, v in default_prompts().items()}
    prompts["write_prompt"] = marker + "\n" + prompts["write_prompt"]
    write_prompt_set(path, prompts, algorithm="test")


def test_eval_stage_splits_prompts_metrics_plots_and_mlflow(project: Path) -> None:
    """What the pipeline's evaluate stage relies on: both splits with one server, the
    optimized prompt set actually used, a metrics file per split for DVC, a plots CSV,
    and an MLflow stage run with per-split metrics and traces."""
    import csv

    from mlflow.tracking import MlflowClient

    from agl_ops import tracking
    from agl_ops.config import load_params

    _save_prompts(project / "best.json", "MARKER-7731")
    val = {r["question"]: r["query"] for r in json.loads((project / "data/sql/val.json").read_text())}
    seen: list[str] = []

    def script(step: str, prompt: str) -> str:
        seen.append(prompt)
        if step == "check":
            return "THE QUERY IS CORRECT"
        q = _QUESTION.search(prompt).group(1)
        return f"SELECT {val[q][len('SELECT '):]}" if q in val else "SELECT 1"  # val right, test wrong

    with FakeLLM(script).serve() as server:
        result = CliRunner().invoke(app, [
            "eval", "--split", "val", "--split", "test", "--endpoint", server.url, "--model", "fake",
            "--prompts", "best.json", "--out", "runs/final", "--metrics", "metrics/eval.json",
            "--plots", "plots/eval.csv", "--stage", "evaluate"])
    assert result.exit_code == 0, result.output
    assert any("MARKER-7731" in p for p in seen)
    doc = json.loads((project / "metrics/eval.json").read_text())
    assert doc["val"]["accuracy"] == 1.0 and doc["val"]["n"] == 12
    assert doc["test"]["accuracy"] == 0.0 and set(doc["test"]["per_tier"]) <= {"easy", "medium", "hard", "extra"}
    assert (project / "runs/final/test/examples.jsonl").exists()
    rows = list(csv.DictReader((project / "plots/eval.csv").open()))
    assert {(r["split"], r["tier"]) for r in rows} >= {("val", "all"), ("test", "all")}

    tracking.setup_tracking(load_params(project / "params.yaml").tracking, project_dir=project)
    runs = MlflowClient().search_runs([tracking.client().get_experiment_by_name("agl-ops/text2sql").experiment_id],
                                      filter_string="tags.`agl.stage` = 'evaluate'")
    assert len(runs) == 1
    assert runs[0].data.metrics["val_accuracy"] == 1.0 and runs[0].data.metrics["test_accuracy"] == 0.0
    assert runs[0].data.tags["agl.eval.prompts"] == "best.json"
    traces = MlflowClient().search_traces(locations=[runs[0].info.experiment_id], run_id=runs[0].info.run_id)
    assert len(traces) > 0


def test_eval_with_a_missing_prompt_set_is_a_clear_error(project: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--endpoint", "http://127.0.0.1:9", "--prompts", "nope.json"])
    assert result.exit_code == 2 and "nope.json does not exist" in result.output


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
    # the calls went through the tracing proxy: every row counts its LLM spans
    rows = [line.split("│") for line in result.output.splitlines() if "succeeded" in line and "│" in line]
    assert len(rows) == 4 and all(int(row[-3]) >= 1 for row in rows)


@pytest.mark.slow
def test_eval_starts_a_local_model_server(project: Path) -> None:
    """No endpoint: eval starts `agl-ops serve` on eval.model_path (a tiny random model
    here), runs every rollout through it and stops it."""
    from tests.llm.conftest import build_tiny_model

    model_dir = build_tiny_model(project / "tiny-model")
    result = CliRunner().invoke(app, ["eval", "--limit", "3", "--set", f"eval.model_path={model_dir}",
                                      "--set", "agent.max_tokens=16", "--out", "runs/eval/local"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((project / "runs" / "eval" / "local" / "val" / "metrics.json").read_text())
    assert metrics["n"] == 3 and metrics["error_counts"].get("rollout_failed", 0) == 0
