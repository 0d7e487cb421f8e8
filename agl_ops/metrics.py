"""Where metrics go: one small protocol and the sinks every loop logs through.

A sink is anything with ``log_metrics(metrics, step=None)`` (MLflow's own verb); a
plain callable ``fn(metrics, step)`` is wrapped by :func:`as_sink`. Values that are
not finite numbers (strings, bools, NaN) are skipped by every sink. The MLflow sink is
:class:`agl_ops.tracking.MlflowMetricSink`; plugging it into GRPO is one argument::

    GRPO(params, ..., sink=tracking_stage_run.metrics)
    GRPO(params, ..., sink=lambda m, step: print(step, m))
"""

from __future__ import annotations

import csv
import json
import logging
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["MetricSink", "LoggingSink", "JsonlSink", "CsvSink", "ListSink", "MultiSink", "as_sink", "default_sinks",
           "numeric_metrics", "read_jsonl"]

logger = logging.getLogger(__name__)


@runtime_checkable
class MetricSink(Protocol):
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Record numeric metrics at ``step``; non-numeric or non-finite values are skipped."""
        ...


def numeric_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers of ``metrics`` as floats (bools and strings are not metrics)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            logger.debug("metric %s=%r is not a finite number: skipped", key, value)
            continue
        out[key] = float(value)
    return out


class _CallableSink:
    def __init__(self, fn: Callable[[Mapping[str, float], int], object]) -> None:
        self.fn = fn

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        self.fn(metrics, step or 0)


class LoggingSink:
    """One log line per step with the headline metrics (the rest go to the files)."""

    KEYS = ("train/reward_mean", "train/loss", "train/kl", "train/entropy", "train/clipfrac",
            "train/tokens_per_s", "time/step_s", "val/accuracy")

    def __init__(self, keys: Iterable[str] | None = None) -> None:
        self.keys = tuple(keys) if keys is not None else self.KEYS

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        shown = [f"{k.split('/', 1)[-1]}={metrics[k]:.4g}" for k in self.keys if k in metrics]
        if shown:
            logger.info("step %d: %s", step or 0, " ".join(shown))


class JsonlSink:
    """Appends ``{"step": n, **metrics}`` per call; a resumed run keeps appending."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps({"step": step or 0, **numeric_metrics(metrics)}) + "\n")


class CsvSink:
    """Long format (step, key, value): columns never change when new metrics appear."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["step", "key", "value"])
            for k, v in numeric_metrics(metrics).items():
                writer.writerow([step or 0, k, v])


@dataclass
class ListSink:
    """In-memory sink: ``history`` holds ``(step, {key: value})`` in logging order."""

    history: list[tuple[int, dict[str, float]]] = field(default_factory=list)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        values = numeric_metrics(metrics)
        if values:
            self.history.append((step or 0, values))

    def last(self, key: str) -> float | None:
        for _, values in reversed(self.history):
            if key in values:
                return values[key]
        return None


class MultiSink:
    """Fans out to several sinks; one failing sink is logged and does not stop training."""

    def __init__(self, sinks: Iterable[MetricSink | Callable[[Mapping[str, float], int], object]]) -> None:
        self.sinks = [as_sink(s) for s in sinks]

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        for sink in self.sinks:
            try:
                sink.log_metrics(metrics, step)
            except Exception:  # noqa: BLE001 - a metrics backend must not kill a training run
                logger.exception("metrics sink %r failed at step %s", sink, step)


def as_sink(obj: object) -> MetricSink:
    """A sink from a sink, a list of them, or a callable ``fn(metrics, step)``."""
    if isinstance(obj, (list, tuple)):
        return MultiSink(obj)
    if isinstance(obj, MetricSink):
        return obj
    if callable(obj):
        return _CallableSink(obj)  # type: ignore[arg-type]
    raise TypeError(f"{obj!r} is not a metrics sink (needs .log_metrics(metrics, step) or to be callable)")


def default_sinks(run_dir: str | Path) -> MultiSink:
    """Logging + ``metrics.jsonl`` + ``metrics.csv`` under ``run_dir``."""
    run = Path(run_dir)
    return MultiSink([LoggingSink(), JsonlSink(run / "metrics.jsonl"), CsvSink(run / "metrics.csv")])


def read_jsonl(path: str | Path) -> list[dict[str, float]]:
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
