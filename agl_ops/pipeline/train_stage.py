"""The ``train`` stage around the algorithms: an identity of the run (so a checkpoint is
only resumed by the run that wrote it), the MLflow stage run GRPO logs to, ``method:
none``, and the metrics / plots files DVC reads. ``agl-ops train`` calls it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agl_ops.config import Params

__all__ = ["copy_model", "no_training", "prepare_run_dir", "run_grpo_stage", "run_identity", "write_train_outputs"]

logger = logging.getLogger(__name__)

_IDENTITY_FILE = "identity.json"
# knobs that do not change what is learned: left out of a run's identity
_RUNTIME_ONLY = {"n_runners", "output_dir", "run_dir"}
_GRPO_RUNTIME_ONLY = {"max_time_s", "keep_checkpoints"}


def _file_digest(path: Path) -> str:
    if not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run_identity(cfg: Params, prompts: str | Path | None) -> dict[str, Any]:
    """What decides the result of a training run: train params (minus runtime knobs),
    the start model, the prompt set, the data and the seed."""
    train = {k: v for k, v in cfg.train.model_dump(mode="json").items() if k not in _RUNTIME_ONLY}
    train["grpo"] = {k: v for k, v in train["grpo"].items() if k not in _GRPO_RUNTIME_ONLY}
    data = Path(cfg.data.path)
    model = Path(cfg.train.model_path)
    return {
        "train": train,
        "seed": cfg.seed,
        "agent": cfg.agent.model_dump(mode="json"),
        "model": {"path": str(model), "config": _file_digest(model / "config.json"),
                  "weights": _weights_stamp(model)},
        "prompts": _file_digest(Path(prompts)) if prompts else None,
        "data": {name: _file_digest(data / fname) for name, fname in sorted(cfg.data.splits.items())},
    }


def _weights_stamp(model: Path) -> str:
    """Sizes and mtimes of the weight files: hashing 500 MB per run would cost seconds."""
    files = sorted(model.glob("*.safetensors")) if model.is_dir() else []
    return hashlib.sha256(";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files).encode()).hexdigest()[:16]


def prepare_run_dir(run_dir: str | Path, identity: dict[str, Any], resume: bool) -> bool:
    """Make ``run_dir`` hold this run's state; return whether its checkpoints may be resumed.

    A run dir written by a different configuration (another lr, model, prompt set or
    data) is moved aside to ``<run_dir>.stale`` instead of being resumed: resuming it
    would silently report the old run as the new one (e.g. after ``dvc exp run -S
    train.lr=...``)."""
    root = Path(run_dir)
    marker = root / _IDENTITY_FILE
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    previous = json.loads(marker.read_text()).get("digest") if marker.is_file() else None
    has_state = root.exists() and any(root.iterdir())
    if has_state and (previous != digest or not resume):
        stale = root.with_name(root.name + ".stale")
        shutil.rmtree(stale, ignore_errors=True)
        root.rename(stale)
        why = "resume off" if not resume else "its configuration differs from this run's"
        logger.info("moved %s aside to %s (%s)", root, stale, why)
        has_state = False
    root.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"digest": digest, "identity": identity}, indent=1, default=str) + "\n")
    return has_state


def copy_model(source: str | Path, target: str | Path) -> Path:
    """``method: none``: the start model becomes the stage's output unchanged (hard links
    where the filesystem allows, so no second copy of the weights)."""
    src, dst = Path(source), Path(target)
    if not (src / "config.json").is_file():
        raise FileNotFoundError(f"{src} is not a model directory (no config.json); run `agl-ops model prepare`")
    from agl_ops.pipeline.files import replace_tree

    replace_tree(src, dst)
    return dst


def write_train_outputs(summary: dict[str, Any], metrics_file: str | Path | None, plots_file: str | Path | None,
                        run_dir: str | Path) -> None:
    """``summary`` as the stage's metrics JSON and the per-step curve as a wide CSV
    (one row per step, one column per metric) for ``dvc plots show``."""
    if metrics_file is not None:
        path = Path(metrics_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=1, default=str) + "\n")
    if plots_file is not None:
        import csv

        path = Path(plots_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        steps: dict[int, dict[str, Any]] = {}
        source = Path(run_dir) / "metrics.jsonl"
        if source.is_file():
            for line in source.read_text().splitlines():
                rec = json.loads(line)
                step = int(rec.get("step", 0))
                steps.setdefault(step, {"step": step}).update(
                    {k.replace("/", "_"): v for k, v in rec.items() if k != "step" and isinstance(v, (int, float))})
        columns = ["step"] + sorted({k for row in steps.values() for k in row if k != "step"})
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(steps[s] for s in sorted(steps))


@contextmanager
def tracked_sink(cfg: Params, enabled: bool) -> Iterator[Any]:
    """The metric sink of an MLflow ``train`` stage run, or None when tracking is off or
    cannot start (tracking must not stop training: the reason is logged)."""
    ctx = None
    if enabled:
        try:
            from agl_ops import tracking

            tracking.setup_tracking(cfg.tracking)
            ctx = tracking.stage_run("train", cfg.train)
            sink = ctx.__enter__().metrics
        except Exception as exc:  # noqa: BLE001 - tracking must not stop training
            logger.warning("MLflow tracking off: %s", exc)
            ctx = None
    if ctx is None:
        yield None
        return
    try:
        yield sink
    except BaseException as exc:
        ctx.__exit__(type(exc), exc, exc.__traceback__)
        raise
    ctx.__exit__(None, None, None)


def run_grpo_stage(cfg: Params, *, endpoint: str | None = None, prompts: str | Path | None = None, resume: bool = True,
                   track: bool = True, metrics: str | Path | None = None, plots: str | Path | None = None) -> Any:
    """GRPO as the pipeline's train stage: resume only this run's own checkpoints, log
    to MLflow, write the summary (metrics) and the per-step curves (plots)."""
    from agl_ops.prompt_sets import resolve_prompt_set
    from agl_ops.tasks.sql.training import train_grpo

    start_prompts = resolve_prompt_set(prompts, cfg.train.prompts)
    resume = prepare_run_dir(cfg.train.run_dir, run_identity(cfg, start_prompts), resume)
    with tracked_sink(cfg, track) as sink:
        result = train_grpo(cfg, endpoint=endpoint, prompts=prompts, sink=sink, resume=resume)
    summary = {"method": "grpo", "steps": result.steps, "steps_planned": result.planned_steps,
               "start_val_accuracy": result.start_val, "best_val_accuracy": result.best_val,
               "best_step": result.best_step, "final_val_accuracy": result.final_val, "stopped": result.stopped,
               "output_dir": str(result.output_dir) if result.output_dir else None}
    warm = Path(cfg.train.run_dir) / "warm_start" / "warm_start.json"
    if cfg.train.warm_start.enabled and warm.is_file():
        ws = json.loads(warm.read_text())
        summary.update(warm_start_steps=ws.get("steps"), warm_start_steps_planned=ws.get("planned"),
                       warm_start_stopped=ws.get("stopped"))
    write_train_outputs(summary, metrics, plots, result.run_dir)
    return result


def no_training(cfg: Params, metrics: str | Path | None = None, plots: str | Path | None = None) -> Path:
    """``method: none``: the start model is the output, so later stages read one path."""
    out = copy_model(cfg.train.model_path, cfg.train.output_dir)
    write_train_outputs({"method": "none", "steps": 0, "output_dir": str(out)}, metrics, plots, cfg.train.run_dir)
    return out
