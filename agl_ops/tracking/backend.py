"""Where MLflow writes: the tracking URI, the artifact root, the experiment, and no telemetry.

The embedded default is a sqlite file under the project (``sqlite:///.agl/mlflow.db``)
with artifacts beside it (``.agl/mlartifacts``), so a fresh checkout tracks runs with
no server. ``MLFLOW_TRACKING_URI`` overrides params.yaml, so pointing every stage at a
remote tracking server is one environment variable. Relative sqlite paths are made
absolute once here: DVC stages, Prefect tasks and ``agl-ops ui`` then agree on the file
whatever their working directory.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from agl_ops.config import TrackingParams

__all__ = [
    "TELEMETRY_ENV",
    "DEFAULT_TRACKING_URI",
    "TrackingBackend",
    "disable_telemetry",
    "resolve_backend",
    "setup_tracking",
    "client",
]

logger = logging.getLogger(__name__)

DEFAULT_TRACKING_URI = "sqlite:///.agl/mlflow.db"
DEFAULT_EXPERIMENT = "agl-ops/text2sql"

# MLflow decides about telemetry when it is first imported (and the UI asks again at
# start-up); DO_NOT_TRACK is the cross-tool convention it also honours. The agent hint
# is a log line MLflow prints when it thinks a coding agent drives the process.
TELEMETRY_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_DISABLE_AGENT_HINT": "1",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # not telemetry: keeps stage logs readable
}


def disable_telemetry() -> None:
    """Keep MLflow off the network: set the opt-out variables (an explicit user value
    wins) and, if mlflow was imported before us, drop the telemetry client it made."""
    for key, value in TELEMETRY_ENV.items():
        os.environ.setdefault(key, value)
    import sys

    if "mlflow.telemetry" in sys.modules:
        from mlflow.telemetry import set_telemetry_client

        set_telemetry_client()  # re-reads the variables: None when disabled


@dataclass(frozen=True)
class TrackingBackend:
    """A resolved MLflow location. ``artifact_root`` is None for remote servers, which
    decide where artifacts go themselves."""

    tracking_uri: str
    artifact_root: str | None
    experiment: str

    @property
    def is_local_sqlite(self) -> bool:
        return self.tracking_uri.startswith("sqlite:///")

    @property
    def db_path(self) -> Path | None:
        return Path(self.tracking_uri.removeprefix("sqlite:///")) if self.is_local_sqlite else None


def _absolute_sqlite(uri: str, base: Path) -> str:
    if not uri.startswith("sqlite:///"):
        return uri
    path = Path(uri.removeprefix("sqlite:///"))
    if not path.is_absolute():
        path = (base / path).resolve()
    return f"sqlite:///{path}"


_SET_BY_US: str | None = None  # the URI setup_tracking exported, to tell it from a user's MLFLOW_TRACKING_URI


def resolve_backend(
    params: TrackingParams | None = None,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    project_dir: str | Path | None = None,
) -> TrackingBackend:
    """Explicit argument > ``MLFLOW_TRACKING_URI`` > params > default; pure (no I/O)."""
    base = Path(project_dir) if project_dir is not None else Path.cwd()
    env_uri = os.environ.get("MLFLOW_TRACKING_URI")
    if env_uri and env_uri == _SET_BY_US:  # mlflow.set_tracking_uri exports it: our own earlier choice, not the user's
        env_uri = None
    uri = tracking_uri or env_uri or (params.tracking_uri if params else None)
    uri = _absolute_sqlite(uri or DEFAULT_TRACKING_URI, base)
    root: str | None = params.artifact_root if params else None
    if root is not None and "://" not in root and not Path(root).is_absolute():
        root = str((base / root).resolve())
    if root is None and uri.startswith("sqlite:///"):
        root = str(Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts")
    exp = experiment or (params.experiment if params else None) or DEFAULT_EXPERIMENT
    return TrackingBackend(tracking_uri=uri, artifact_root=root, experiment=exp)


def _artifact_uri(root: str) -> str:
    return root if "://" in root else Path(root).resolve().as_uri()


def setup_tracking(
    params: TrackingParams | None = None,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    project_dir: str | Path | None = None,
) -> tuple[TrackingBackend, str]:
    """Point this process's MLflow at the backend and make the experiment active.

    Returns the backend and the experiment id. Creates the sqlite folder and the
    experiment (with its artifact location) on first use.
    """
    disable_telemetry()
    backend = resolve_backend(params, tracking_uri=tracking_uri, experiment=experiment, project_dir=project_dir)
    if backend.db_path is not None:
        backend.db_path.parent.mkdir(parents=True, exist_ok=True)
    import mlflow

    global _SET_BY_US
    user_env = os.environ.get("MLFLOW_TRACKING_URI") not in (None, _SET_BY_US)
    mlflow.set_tracking_uri(backend.tracking_uri)  # also exports MLFLOW_TRACKING_URI (stages we start inherit it)
    mlflow.set_registry_uri(backend.tracking_uri)
    if not user_env:
        _SET_BY_US = backend.tracking_uri
    mlflow_client = client()
    exp = mlflow_client.get_experiment_by_name(backend.experiment)
    if exp is None:
        location = _artifact_uri(backend.artifact_root) if backend.artifact_root else None
        experiment_id = mlflow_client.create_experiment(backend.experiment, artifact_location=location)
        logger.info("created MLflow experiment %r (artifacts: %s)", backend.experiment, location or "server default")
    else:
        if exp.lifecycle_stage == "deleted":
            mlflow_client.restore_experiment(exp.experiment_id)
        experiment_id = exp.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return backend, experiment_id


def client() -> MlflowClient:
    """An explicit-id MLflow client on the current tracking and registry URIs."""
    disable_telemetry()
    from mlflow import MlflowClient

    return MlflowClient()
