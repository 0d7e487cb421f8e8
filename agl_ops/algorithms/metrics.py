"""Where training metrics go: one small protocol, a few sinks.

A sink is anything with ``log(metrics, step)``; a plain callable ``fn(metrics, step)``
is wrapped by :func:`as_sink`. Plugging MLflow in is one line::

    GRPO(params, sink=lambda m, step: mlflow.log_metrics(m, step=step))
    GRPO(params, sink=tracking_stage_run.metrics)  # anything with .log_metrics(m, step=) works too
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["MetricsSink", "LoggingSink", "JsonlSink", "CsvSink", "MultiSink", "as_sink", "default_sinks", "read_jsonl"]

logger = logging.getLogger(__name__)


@runtime_checkable
class MetricsSink(Protocol):
    def log(self, metrics: Mapping[str, float], step: int) -> None: ...


class _CallableSink:
    def __init__(self, fn: Callable[[Mapping[str, float], int], object]) -> None:
        self.fn = fn

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        self.fn(metrics, step)


def _finite(metrics: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}


class LoggingSink:
    """One log line per step with the headline metrics (the rest go to the files)."""

    KEYS = ("train/reward_mean", "train/loss", "train/kl", "train/entropy", "train/clipfrac",
            "train/tokens_per_s", "time/step_s", "val/accuracy")

    def __init__(self, keys: Iterable[str] | None = None) -> None:
        self.keys = tuple(keys) if keys is not None else self.KEYS

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        shown = [f"{k.split('/', 1)[-1]}={metrics[k]:.4g}" for k in self.keys if k in metrics]
        if shown:
            logger.info("step %d: %s", step, " ".join(shown))


class JsonlSink:
    """Appends ``{"step": n, **metrics}`` per call; a resumed run keeps appending."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps({"step": step, **_finite(metrics)}) + "\n")


class CsvSink:
    """Long format (step, key, value): columns never change when new metrics appear."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["step", "key", "value"])
            for k, v in _finite(metrics).items():
                writer.writerow([step, k, v])


class MultiSink:
    """Fans out to several sinks; one failing sink is logged and does not stop training."""

    def __init__(self, sinks: Iterable[MetricsSink | Callable[[Mapping[str, float], int], object]]) -> None:
        self.sinks = [as_sink(s) for s in sinks]

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        for sink in self.sinks:
            try:
                sink.log(metrics, step)
            except Exception:  # noqa: BLE001 - a metrics backend must not kill a training run
                logger.exception("metrics sink %r failed at step %d", sink, step)


def as_sink(obj: object) -> MetricsSink:
    if isinstance(obj, (list, tuple)):
        return MultiSink(obj)
    if isinstance(obj, MetricsSink):
        return obj
    if callable(getattr(obj, "log_metrics", None)):  # agl_ops.tracking's MlflowMetricSink and the like
        return _CallableSink(lambda m, step: obj.log_metrics(m, step=step))  # type: ignore[attr-defined]
    if callable(obj):
        return _CallableSink(obj)  # type: ignore[arg-type]
    raise TypeError(f"{obj!r} is not a metrics sink (needs .log(metrics, step) or to be callable)")


def default_sinks(run_dir: str | Path) -> MultiSink:
    """Logging + ``metrics.jsonl`` + ``metrics.csv`` under ``run_dir``."""
    run = Path(run_dir)
    return MultiSink([LoggingSink(), JsonlSink(run / "metrics.jsonl"), CsvSink(run / "metrics.csv")])


def read_jsonl(path: str | Path) -> list[dict[str, float]]:
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
