"""Evaluation as a pipeline stage: several splits, one prompt set, one model.

``baseline_eval`` and ``evaluate`` in dvc.yaml both run this through ``agl-ops eval``:
every split is evaluated with the same agent, prompts and model server, and the result
is written where DVC expects it:

* ``<out>/<split>/`` metrics.json, examples.jsonl/.csv (per example, for reading failures);
* a metrics file ``{split: {accuracy, first_query_accuracy, n, per_tier: {...}}}`` for
  ``dvc metrics show`` / ``dvc metrics diff``;
* a plots file (one row per split and tier) for ``dvc plots show``;
* with a stage name, an MLflow child run of the pipeline run with the metrics
  (``val_accuracy``, ``test_accuracy_easy``, ...), per-example tables and agent traces.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agl_ops.config import Params
from agl_ops.tasks.sql.evaluate import EvalResult, evaluate

__all__ = ["SplitEval", "metrics_document", "plot_rows", "run_evaluation", "write_outputs"]

logger = logging.getLogger(__name__)


class SplitEval:
    """One split's result plus the store its rollouts live in (for traces)."""

    def __init__(self, result: EvalResult, store: Any) -> None:
        self.result, self.store = result, store


def run_evaluation(
    cfg: Params, splits: Sequence[str], *, endpoint: str | None = None, model: str | None = None,
    prompts: str | Path | None = None, limit: int | None = None, n_runners: int | None = None,
    params_path: str | None = None,
) -> dict[str, SplitEval]:
    """Evaluate the SQL agent on every split with one model server (started once).

    ``prompts``: a prompt set file (must exist; default: ``eval.prompts`` when that file
    exists, else the shipped prompts)."""
    from agl_ops.llm.client import discover_model
    from agl_ops.llm.endpoint import model_endpoint
    from agl_ops.prompt_sets import resolve_prompt_set
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.wiring import agent_from_params, prompt_resources, tasks_from_params

    e = cfg.eval
    tasks = {split: tasks_from_params(cfg, split, limit or e.split_limits.get(split, e.limit))  # data errors first
             for split in splits}
    resources = prompt_resources(resolve_prompt_set(prompts, cfg.eval.prompts))  # prompt errors before a slow start
    out: dict[str, SplitEval] = {}
    server_args = ["--params", params_path] if params_path else []
    with model_endpoint(cfg.eval.model_path, endpoint or cfg.eval.endpoint, server_args=server_args) as ep:
        name = model or cfg.eval.model or discover_model(ep.model_url)
        resources["main_llm"] = ep.llm_resource(name, temperature=cfg.eval.temperature)
        for split in splits:
            store = MemoryStore()
            logger.info("evaluating %d %s tasks with %s at %s", len(tasks[split]), split, name, ep.url)
            result = evaluate(tasks[split], resources, agent=agent_from_params(cfg), split=split, store=store,
                              n_runners=n_runners or cfg.eval.n_runners, timeout_s=cfg.runner.timeout_s)
            out[split] = SplitEval(result, store)
    return out


def metrics_document(results: Mapping[str, EvalResult]) -> dict[str, Any]:
    """The metrics file: one block per split, small enough to read in `dvc metrics show`."""
    doc: dict[str, Any] = {}
    for split, r in results.items():
        doc[split] = {
            "accuracy": round(r.accuracy, 4),
            "first_query_accuracy": round(r.first_query_accuracy, 4),
            "n": r.n,
            "per_tier": {tier: round(m.accuracy, 4) for tier, m in r.per_difficulty.items()},
            "exec_errors": r.error_counts.get("exec_error", 0),
        }
    return doc


def plot_rows(results: Mapping[str, EvalResult]) -> list[dict[str, Any]]:
    """Rows ``{split, tier, accuracy, n}`` (tier "all" included) for a bar plot."""
    rows: list[dict[str, Any]] = []
    for split, r in results.items():
        rows.append({"split": split, "tier": "all", "accuracy": round(r.accuracy, 4), "n": r.n})
        rows += [{"split": split, "tier": tier, "accuracy": round(m.accuracy, 4), "n": m.n}
                 for tier, m in r.per_difficulty.items()]
    return rows


def write_outputs(results: Mapping[str, EvalResult], out_dir: str | Path, metrics_file: str | Path | None = None,
                  plots_file: str | Path | None = None) -> dict[str, Path]:
    """Per-split folders under ``out_dir`` plus the metrics and plots files."""
    import csv

    written: dict[str, Path] = {}
    for split, r in results.items():
        written[split] = r.write(Path(out_dir) / split)["metrics"]
    if metrics_file is not None:
        path = Path(metrics_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(metrics_document(results), indent=1) + "\n")
        written["metrics"] = path
    if plots_file is not None:
        path = Path(plots_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["split", "tier", "accuracy", "n"])
            writer.writeheader()
            writer.writerows(plot_rows(results))
        written["plots"] = path
    return written


@contextmanager
def evaluation_run(cfg: Params, stage: str | None, *, tags: Mapping[str, str]) -> Iterator[Any]:
    """An MLflow child run of the pipeline for the whole stage (so its duration is the
    evaluation's), or nothing when ``stage`` is None."""
    if stage is None:
        yield None
        return
    from agl_ops import tracking

    tracking.setup_tracking(cfg.tracking)
    with tracking.stage_run(stage, cfg, tags=dict(tags)) as run:
        yield run


def log_evaluation(cfg: Params, run: Any, evals: Mapping[str, SplitEval]) -> None:
    """Metrics per split (``val_accuracy``, ``test_accuracy_easy``, ...), example tables, traces."""
    from agl_ops import tracking

    metrics: dict[str, float] = {}
    for split, ev in evals.items():
        metrics.update(ev.result.metrics(prefix=f"{split}_"))
        metrics[f"{split}_elapsed_s"] = ev.result.elapsed_s
    run.metrics.log_metrics(metrics, step=0)
    per_split = max(1, cfg.tracking.max_traces // max(1, len(evals)))
    for split, ev in evals.items():
        tracking.log_table([e.model_dump() for e in ev.result.examples], f"{split}_examples", run_id=run.run_id)
        tracking.log_json(ev.result.model_dump(exclude={"examples"}), f"metrics/{split}.json", run_id=run.run_id)
        tracking.log_rollout_traces(ev.store, ev.store.query_rollouts(), limit=per_split, run_id=run.run_id)
