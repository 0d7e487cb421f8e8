"""Runs: one parent pipeline run, one child run per stage, across processes.

DVC runs every stage as its own process, so the parent run cannot live in a Python
context manager. Its id travels instead: ``AGL_PIPELINE_RUN_ID`` in the environment
(what a Prefect flow or a wrapper exports), else a small JSON file
(``.agl/pipeline_run.json``) written by :func:`start_pipeline_run` and removed by
:func:`end_pipeline_run`. A stage with neither starts a fresh parent, so a stage run
alone still lands in a tree. Every run carries the resolved parameters (flattened to
dotted keys) and the source identity (git commit, DVC data hash) as tags, so runs from
different commits, data or parameters compare side by side in the UI.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agl_ops.tracking.backend import client
from agl_ops.redact import redact_values
from agl_ops.tracking.sinks import MlflowMetricSink

__all__ = [
    "PIPELINE_RUN_ENV",
    "DEFAULT_RUN_FILE",
    "StageRun",
    "flatten_params",
    "git_tags",
    "dvc_data_hash",
    "source_tags",
    "start_pipeline_run",
    "current_pipeline_run",
    "end_pipeline_run",
    "stage_run",
]

logger = logging.getLogger(__name__)

PIPELINE_RUN_ENV = "AGL_PIPELINE_RUN_ID"
DEFAULT_RUN_FILE = Path(".agl/pipeline_run.json")
_MAX_PARAM_CHARS = 6000  # MLflow's limit on one param value
_MAX_TAG_CHARS = 8000


def flatten_params(params: BaseModel | Mapping[str, Any] | None, prefix: str = "") -> dict[str, str]:
    """``Params`` (or a nested dict) -> ``{"runner.n_runners": "2", ...}`` as MLflow wants
    them: dotted keys, string values, lists as JSON, long values cut to MLflow's limit."""
    if params is None:
        return {}
    data = params.model_dump(mode="json") if isinstance(params, BaseModel) else dict(params)
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, prefix=f"{name}."))
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        flat[name] = text[:_MAX_PARAM_CHARS]
    return flat


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_tags(project_dir: str | Path | None = None) -> dict[str, str]:
    """Commit, branch and dirty flag of the project's git checkout; {} outside git."""
    cwd = Path(project_dir or Path.cwd())
    commit = _git(["rev-parse", "HEAD"], cwd)
    if not commit:
        return {}
    tags = {"agl.git.commit": commit, "mlflow.source.git.commit": commit}
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    if branch:
        tags["agl.git.branch"] = branch
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    tags["agl.git.dirty"] = "true" if status else "false"
    return tags


def dvc_data_hash(project_dir: str | Path | None = None, prefixes: tuple[str, ...] = ("data",)) -> str | None:
    """One hash of the DVC-tracked data: the md5s that dvc.lock (and ``*.dvc`` files)
    record for outputs under ``prefixes``. None when the project has no DVC data yet.

    Read from the files DVC writes, not by running dvc: fast, and no repo lock taken
    while a ``dvc repro`` is running the very stage that calls this.
    """
    import yaml

    root = Path(project_dir or Path.cwd())
    entries: list[tuple[str, str]] = []

    def collect(outs: Any) -> None:
        for out in outs or []:
            path, md5 = str(out.get("path", "")), out.get("md5") or out.get("hash")
            if md5 and any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes):
                entries.append((path, str(md5)))

    lock = root / "dvc.lock"
    try:
        if lock.is_file():
            for stage in (yaml.safe_load(lock.read_text()) or {}).get("stages", {}).values():
                collect(stage.get("outs"))
        for dvc_file in root.glob("*.dvc"):
            collect((yaml.safe_load(dvc_file.read_text()) or {}).get("outs"))
        for prefix in prefixes:
            for dvc_file in (root / prefix).glob("*.dvc") if (root / prefix).is_dir() else []:
                outs = (yaml.safe_load(dvc_file.read_text()) or {}).get("outs") or []
                collect([{**o, "path": f"{prefix}/{o.get('path', '')}"} for o in outs])
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        logger.debug("no DVC data hash: %s", exc)
        return None
    if not entries:
        return None
    digest = hashlib.md5("\n".join(f"{p} {h}" for p, h in sorted(set(entries))).encode())
    return digest.hexdigest()


def source_tags(project_dir: str | Path | None = None) -> dict[str, str]:
    """Git and DVC identity of the code and data a run used (only what is available)."""
    tags = git_tags(project_dir)
    data_hash = dvc_data_hash(project_dir)
    if data_hash:
        tags["agl.dvc.data_md5"] = data_hash
    return tags


def _run_file(run_file: str | Path | None, project_dir: str | Path | None) -> Path | None:
    if run_file is None:
        return None
    path = Path(run_file)
    return path if path.is_absolute() else Path(project_dir or Path.cwd()) / path


def _str_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    return {k: str(v)[:_MAX_TAG_CHARS] for k, v in (tags or {}).items() if v is not None}


def _create_run(experiment_id: str, name: str, tags: Mapping[str, str], params: Mapping[str, str]) -> str:
    from mlflow.entities import Param
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME, MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE, MLFLOW_USER

    mlflow_client = client()
    source = Path(sys.argv[0]).name if sys.argv and sys.argv[0] not in ("", "-c") else "python"
    all_tags = {MLFLOW_RUN_NAME: name, MLFLOW_USER: getpass.getuser(), MLFLOW_SOURCE_NAME: source,
                MLFLOW_SOURCE_TYPE: "LOCAL", **redact_values(tags)}
    params = redact_values(params)  # no password, token or API key in MLflow (agl_ops.redact)
    run = mlflow_client.create_run(experiment_id, tags=all_tags, run_name=name)
    if params:
        mlflow_client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in params.items()])
    return run.info.run_id


def _experiment_id(experiment_id: str | None) -> str:
    if experiment_id is not None:
        return experiment_id
    from mlflow.tracking.fluent import _get_experiment_id

    return _get_experiment_id()


def start_pipeline_run(
    params: BaseModel | Mapping[str, Any] | None = None,
    *,
    name: str = "pipeline",
    tags: Mapping[str, Any] | None = None,
    experiment_id: str | None = None,
    run_file: str | Path | None = DEFAULT_RUN_FILE,
    project_dir: str | Path | None = None,
) -> str:
    """Create the parent run (left RUNNING), publish its id in ``AGL_PIPELINE_RUN_ID``
    and the run file, and return it. Call :func:`setup_tracking` first."""
    import mlflow

    all_tags = {"agl.run_kind": "pipeline", **source_tags(project_dir), **_str_tags(tags)}
    run_id = _create_run(_experiment_id(experiment_id), name, all_tags, flatten_params(params))
    os.environ[PIPELINE_RUN_ENV] = run_id
    path = _run_file(run_file, project_dir)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"run_id": run_id, "tracking_uri": mlflow.get_tracking_uri()}))
    logger.info("pipeline run %s started", run_id)
    return run_id


def _live_run(run_id: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        info = client().get_run(run_id).info
    except MlflowException:
        return False
    return info.lifecycle_stage == "active" and info.status == "RUNNING"


def current_pipeline_run(
    run_file: str | Path | None = DEFAULT_RUN_FILE, project_dir: str | Path | None = None,
) -> str | None:
    """The running parent run of this pipeline: the environment variable, else the run
    file (only if it names a RUNNING run of the current tracking store), else None."""
    import mlflow

    env_id = os.environ.get(PIPELINE_RUN_ENV)
    if env_id and _live_run(env_id):
        return env_id
    path = _run_file(run_file, project_dir)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    run_id = data.get("run_id")
    if data.get("tracking_uri") != mlflow.get_tracking_uri() or not run_id:
        return None
    return run_id if _live_run(run_id) else None


def end_pipeline_run(
    run_id: str | None = None, status: str = "FINISHED", *,
    run_file: str | Path | None = DEFAULT_RUN_FILE, project_dir: str | Path | None = None,
) -> str | None:
    """Finish the parent run (FINISHED, FAILED or KILLED) and forget its id."""
    run_id = run_id or current_pipeline_run(run_file, project_dir)
    if run_id is not None:
        client().set_terminated(run_id, status=status)
    if os.environ.get(PIPELINE_RUN_ENV) == run_id:
        os.environ.pop(PIPELINE_RUN_ENV, None)
    path = _run_file(run_file, project_dir)
    if path is not None and path.is_file():
        path.unlink()
    return run_id


@dataclass(frozen=True)
class StageRun:
    """The active child run of one stage; ``metrics`` logs step metrics to it."""

    stage: str
    run_id: str
    parent_run_id: str
    experiment_id: str

    @property
    def metrics(self) -> MlflowMetricSink:
        return MlflowMetricSink(self.run_id)


@contextmanager
def stage_run(
    stage: str,
    params: BaseModel | Mapping[str, Any] | None = None,
    *,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    experiment_id: str | None = None,
    run_file: str | Path | None = DEFAULT_RUN_FILE,
    project_dir: str | Path | None = None,
) -> Iterator[StageRun]:
    """A child run of the pipeline run, active (fluent ``mlflow.log_*`` and traces land
    in it) for the ``with`` body; FAILED if the body raises, FINISHED otherwise."""
    import mlflow

    exp_id = _experiment_id(experiment_id)
    parent = parent_run_id or current_pipeline_run(run_file, project_dir)
    if parent is None:
        parent = start_pipeline_run(params, experiment_id=exp_id, run_file=run_file, project_dir=project_dir)
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    all_tags = {MLFLOW_PARENT_RUN_ID: parent, "agl.stage": stage, "agl.run_kind": "stage",
                **source_tags(project_dir), **_str_tags(tags)}
    run_id = _create_run(exp_id, stage, all_tags, flatten_params(params))
    with mlflow.start_run(run_id=run_id, nested=mlflow.active_run() is not None):
        yield StageRun(stage=stage, run_id=run_id, parent_run_id=parent, experiment_id=exp_id)
