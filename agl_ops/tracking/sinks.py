"""Metric sinks and artifact helpers: what training loops and evaluations log through.

The MLflow :class:`~agl_ops.metrics.MetricSink` writes by run id through the client, so
it works from any thread and does not depend on which run is "active". The artifact
helpers write the formats the
MLflow UI renders: a JSON table (``mlflow.log_table``) plus a CSV for other tools, PNG
figures, and text/JSON files.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from agl_ops.metrics import numeric_metrics
from agl_ops.tracking.backend import client

__all__ = [
    "MlflowMetricSink",
    "active_run_id",
    "log_table",
    "log_figure",
    "log_text",
    "log_json",
]

logger = logging.getLogger(__name__)


def active_run_id(run_id: str | None = None) -> str:
    """``run_id``, else the active MLflow run's id; a clear error when there is none."""
    if run_id is not None:
        return run_id
    import mlflow

    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run: pass run_id, or log inside `with stage_run(...)`")
    return run.info.run_id


class MlflowMetricSink:
    """Logs metrics to one MLflow run (by id), optionally with a key prefix (``val/``)."""

    def __init__(self, run_id: str | None = None, prefix: str = "") -> None:
        self.run_id = active_run_id(run_id)
        self.prefix = prefix
        self._client = client()

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        from mlflow.entities import Metric

        values = numeric_metrics(metrics)
        if not values:
            return
        now = int(time.time() * 1000)
        batch = [Metric(f"{self.prefix}{k}", v, now, step or 0) for k, v in values.items()]
        self._client.log_batch(self.run_id, metrics=batch)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def log_table(rows: Sequence[Mapping[str, Any]], name: str, run_id: str | None = None) -> tuple[str, str]:
    """Per-example results -> ``tables/<name>.json`` (MLflow table, shown in the UI's
    evaluation view) and ``tables/<name>.csv``. Nested values become JSON strings so
    every column has one type. Returns both artifact paths."""
    import pandas as pd

    rid = active_run_id(run_id)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    frame = pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows], columns=columns)
    json_path, csv_path = f"tables/{name}.json", f"tables/{name}.csv"
    mlflow_client = client()
    mlflow_client.log_table(rid, data=frame, artifact_file=json_path)
    mlflow_client.log_text(rid, frame.to_csv(index=False), csv_path)
    return json_path, csv_path


def log_figure(figure: Any, name: str, run_id: str | None = None) -> str:
    """A matplotlib figure -> ``figures/<name>.png``."""
    path = f"figures/{name}" if name.endswith(".png") else f"figures/{name}.png"
    client().log_figure(active_run_id(run_id), figure, path)
    return path


def log_text(text: str, path: str, run_id: str | None = None) -> str:
    client().log_text(active_run_id(run_id), text, path)
    return path


def log_json(obj: Any, path: str, run_id: str | None = None) -> str:
    """Any JSON-able object (pydantic models too) -> a ``.json`` artifact."""
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    path = path if path.endswith(".json") else f"{path}.json"
    client().log_text(active_run_id(run_id), json.dumps(obj, indent=2, default=str, ensure_ascii=False), path)
    return path
