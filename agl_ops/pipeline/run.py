"""``agl-ops run``: the DVC pipeline of dvc.yaml inside one MLflow pipeline run.

The parent MLflow run is started here and its id exported (``AGL_PIPELINE_RUN_ID``), so
every stage DVC starts as its own process logs a child run under it; the register stage
closes it, or this module does when a stage fails or nothing had to run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agl_ops.subprocesses import run_in_group

__all__ = ["ensure_repo", "pipeline_env", "read_json", "repro_command", "run_pipeline", "summary_rows", "tool"]

logger = logging.getLogger(__name__)


def tool(name: str) -> str:
    """An executable of this interpreter's environment (the venv), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def pipeline_env() -> dict[str, str]:
    """Stages call ``agl-ops`` and ``dvc`` by name: put this environment's bin first."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    return env


def ensure_repo(root: Path) -> list[str]:
    """``git init`` and ``dvc init`` where a fresh checkout (or an unpacked archive)
    lacks them; returns what was done. DVC needs a git repository for experiments."""
    done: list[str] = []
    env = pipeline_env()
    inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True, check=False)
    if inside.returncode != 0:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
        done.append("git init")
    if not (root / ".dvc").is_dir():
        subprocess.run([tool("dvc"), "init", "-q"], cwd=root, check=True, env=env)
        subprocess.run([tool("dvc"), "config", "core.analytics", "false"], cwd=root, check=True, env=env)
        done.append("dvc init")
    return done


def repro_command(stages: Sequence[str] = (), force: bool = False) -> list[str]:
    cmd = [tool("dvc"), "repro"]
    if force:
        cmd.append("--force")
    return cmd + list(stages)


def run_pipeline(root: Path, stages: Sequence[str] = (), *, force: bool = False, track: bool = True) -> int:
    """``dvc repro`` in ``root`` under a fresh MLflow parent run; returns its exit code."""
    from agl_ops import tracking
    from agl_ops.config import load_params

    env = pipeline_env()
    run_id = None
    if track:
        params = load_params(root / "params.yaml")
        tracking.setup_tracking(params.tracking, project_dir=root)
        stale = tracking.current_pipeline_run(project_dir=root)
        if stale:  # a run left open by an interrupted `dvc repro`: close it, do not mix two runs
            tracking.end_pipeline_run(stale, status="KILLED", project_dir=root)
        run_id = tracking.start_pipeline_run(params, tags={"agl.entry": "agl-ops run"}, project_dir=root)
        env[tracking.PIPELINE_RUN_ENV] = run_id
    cmd = repro_command(stages, force)
    logger.info("running %s", " ".join(cmd))
    try:
        code = run_in_group(cmd, cwd=root, env=env).returncode
    except (KeyboardInterrupt, SystemExit) as exc:  # passed on to dvc and the running stage
        code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 130
    if run_id is not None and tracking.client().get_run(run_id).info.status == "RUNNING":  # register did not close it
        status = "FINISHED" if code == 0 else ("KILLED" if code == 130 else "FAILED")
        tracking.end_pipeline_run(run_id, status=status, project_dir=root)
    return code


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "-"


def _splits(doc: dict[str, Any]) -> tuple[str, str, str]:
    return tuple(_pct(doc.get(s, {}).get("accuracy")) for s in ("val", "test", "realistic"))  # type: ignore[return-value]


def summary_rows(root: Path) -> list[tuple[str, ...]]:
    """(stage, what, val, test, realistic) rows from the metrics files the stages wrote."""
    rows: list[tuple[str, ...]] = []
    base = read_json(root / "metrics" / "baseline.json") or {}
    if base:
        rows.append(("baseline_eval", "shipped prompts, base model", *_splits(base)))
    from agl_ops.config import load_params

    try:
        params = load_params(root / "params.yaml")
        prompt_metrics = read_json(root / params.prompt_opt.metrics_file) or {}
    except Exception:  # noqa: BLE001 - a summary must not fail the run
        prompt_metrics = {}
    if prompt_metrics:
        def change(split: str) -> str:
            got = prompt_metrics.get(split, {})
            return f"{_pct(got.get('baseline', {}).get('accuracy'))} -> {_pct(got.get('best', {}).get('accuracy'))}"

        n = "/".join(str(prompt_metrics.get(s, {}).get("best", {}).get("n", "-")) for s in ("val", "test", "realistic"))
        what = f"shipped -> best prompts, trained model ({prompt_metrics.get('algorithm', '?')}; n={n})"
        rows.append(("optimize_prompt", what, change("val"), change("test"), change("realistic")))
    train = read_json(root / "metrics" / "train.json") or {}
    if train:
        what = f"{train.get('method')} ({train.get('steps', 0)} steps)"
        val = (f"{_pct(train.get('start_val_accuracy'))} -> {_pct(train.get('best_val_accuracy'))}"
               if train.get("method") == "grpo" else "-")
        rows.append(("train", what, val, "-", "-"))
    final = read_json(root / "metrics" / "eval.json") or {}
    if final:
        rows.append(("evaluate", "best prompts, trained model", *_splits(final)))
    promotion = read_json(root / "metrics" / "promotion.json") or {}
    if promotion:
        rows.append(("register", promotion.get("message", ""), "", "", ""))
    return rows
