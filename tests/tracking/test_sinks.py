"""Metric sinks and artifact helpers against the real (sqlite) store."""

from __future__ import annotations

import csv
import io
import json

import pytest

from agl_ops.tracking import (
    ListSink,
    MetricSink,
    MlflowMetricSink,
    client,
    log_figure,
    log_json,
    log_table,
    log_text,
    stage_run,
)


def test_mlflow_sink_logs_steps_by_run_id_and_skips_non_numbers(tracking):
    with stage_run("train") as run:
        sink = MlflowMetricSink(prefix="train/")
        assert isinstance(sink, MetricSink)
        for step in range(3):
            sink.log_metrics({"loss": 1.0 / (step + 1), "lr": 1e-4, "note": "x", "nan": float("nan"), "flag": True},
                             step=step)
    history = client().get_metric_history(run.run_id, "train/loss")
    assert [(m.step, round(m.value, 3)) for m in history] == [(0, 1.0), (1, 0.5), (2, 0.333)]
    assert set(client().get_run(run.run_id).data.metrics) == {"train/loss", "train/lr"}
    # by id, after the run ended, from no active run
    MlflowMetricSink(run.run_id).log_metrics({"late": 2}, step=7)
    assert client().get_metric_history(run.run_id, "late")[0].step == 7
    with pytest.raises(RuntimeError, match="no active MLflow run"):
        MlflowMetricSink()


def test_list_sink():
    sink = ListSink()
    sink.log_metrics({"a": 1, "b": "no"}, step=1)
    sink.log_metrics({"a": 2.5}, step=2)
    assert sink.history == [(1, {"a": 1.0}), (2, {"a": 2.5})] and sink.last("a") == 2.5 and sink.last("b") is None


def test_table_figure_text_json_artifacts(tracking, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [{"id": 1, "question": "how many users", "reward": 1.0, "sql": "SELECT count(*) FROM users"},
            {"id": 2, "question": "names", "reward": 0.0, "error": "no such column", "meta": {"tier": "hard"}}]
    with stage_run("evaluate") as run:
        json_path, csv_path = log_table(rows, "test_results")
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0.2, 0.4])
        assert log_figure(fig, "reward_curve") == "figures/reward_curve.png"
        plt.close(fig)
        log_text("hello", "notes/readme.txt")
        assert log_json({"val_accuracy": 0.4}, "metrics/summary") == "metrics/summary.json"
    c = client()
    local = c.download_artifacts(run.run_id, "", str(tmp_path))
    table = json.loads(open(f"{local}/{json_path}").read())
    assert table["columns"] == ["id", "question", "reward", "sql", "error", "meta"]
    assert len(table["data"]) == 2
    with open(f"{local}/{csv_path}") as f:
        parsed = list(csv.DictReader(io.StringIO(f.read())))
    assert parsed[1]["meta"] == '{"tier": "hard"}' and parsed[0]["sql"] == "SELECT count(*) FROM users"
    assert open(f"{local}/figures/reward_curve.png", "rb").read(4) == b"\x89PNG"
    assert open(f"{local}/notes/readme.txt").read() == "hello"
    assert json.loads(open(f"{local}/metrics/summary.json").read()) == {"val_accuracy": 0.4}
