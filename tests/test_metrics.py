"""The one metric-sink protocol: files, fan-out, callables, what is not a metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from agl_ops.metrics import ListSink, MetricSink, as_sink, default_sinks, read_jsonl


def test_default_sinks_write_jsonl_and_csv_and_skip_non_numbers(tmp_path: Path) -> None:
    sink = default_sinks(tmp_path)
    sink.log_metrics({"train/loss": 0.5, "note": "x", "nan": float("nan"), "flag": True}, 3)
    assert read_jsonl(tmp_path / "metrics.jsonl") == [{"step": 3, "train/loss": 0.5}]
    assert (tmp_path / "metrics.csv").read_text().splitlines() == ["step,key,value", "3,train/loss,0.5"]


def test_a_failing_sink_does_not_stop_the_others() -> None:
    class Broken:
        def log_metrics(self, metrics, step=None):  # noqa: ANN001, ANN201
            raise RuntimeError("backend down")

    kept = ListSink()
    calls: list[tuple[dict, int]] = []
    sink = as_sink([Broken(), kept, lambda m, step: calls.append((dict(m), step))])
    sink.log_metrics({"a": 1}, 2)
    assert kept.history == [(2, {"a": 1.0})] and calls == [({"a": 1}, 2)]
    assert isinstance(sink, MetricSink)


def test_not_a_sink() -> None:
    with pytest.raises(TypeError, match="not a metrics sink"):
        as_sink(42)
