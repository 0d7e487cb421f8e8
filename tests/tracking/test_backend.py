"""Backend resolution and telemetry: where MLflow writes, and that it stays offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agl_ops.config import TrackingParams
from agl_ops.tracking import DEFAULT_TRACKING_URI, resolve_backend

# variables that make MLflow skip telemetry by themselves (CI markers, pytest, opt-outs)
_QUIET = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK")


def test_resolution_order_and_absolute_sqlite(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    backend = resolve_backend(TrackingParams(), project_dir=tmp_path)
    assert DEFAULT_TRACKING_URI == "sqlite:///.agl/mlflow.db"
    assert backend.tracking_uri == f"sqlite:///{tmp_path.resolve()}/.agl/mlflow.db"
    assert backend.artifact_root == str(tmp_path.resolve() / ".agl" / "mlartifacts")
    assert backend.experiment == "agl-ops/text2sql"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    remote = resolve_backend(TrackingParams(), project_dir=tmp_path)
    assert remote.tracking_uri == "http://tracking.example:5000" and remote.artifact_root is None
    assert not remote.is_local_sqlite
    explicit = resolve_backend(TrackingParams(artifact_root="arts"), tracking_uri="sqlite:////abs/x.db",
                               experiment="e", project_dir=tmp_path)
    assert (explicit.tracking_uri, explicit.artifact_root, explicit.experiment) == (
        "sqlite:////abs/x.db", str(tmp_path.resolve() / "arts"), "e")


def test_no_telemetry_client_when_imported_through_agl_ops():
    """Without CI markers or user opt-outs (where MLflow would make a telemetry client
    and contact its server), importing agl_ops.tracking first keeps it off. Importing
    mlflow *before* agl_ops is not tested: it would reach the network."""
    env = {k: v for k, v in os.environ.items() if k not in _QUIET}
    code = ("import agl_ops.tracking, os, mlflow\n"
            "from mlflow.telemetry import get_telemetry_client\n"
            "from mlflow.telemetry.utils import is_telemetry_disabled\n"
            "print(get_telemetry_client() is None, is_telemetry_disabled(), os.environ['MLFLOW_DISABLE_TELEMETRY'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True True true"


def test_a_second_project_in_one_process_gets_its_own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI; that must not pin every later
    setup_tracking of the process to the first project's store (a user's variable still wins)."""
    from agl_ops.config import TrackingParams
    from agl_ops.tracking import setup_tracking

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    first, _ = setup_tracking(TrackingParams(), project_dir=tmp_path / "a")
    second, _ = setup_tracking(TrackingParams(), project_dir=tmp_path / "b")
    assert first.tracking_uri != second.tracking_uri and str(tmp_path / "b") in second.tracking_uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'user.db'}")
    chosen, _ = setup_tracking(TrackingParams(), project_dir=tmp_path / "c")
    assert chosen.tracking_uri == f"sqlite:///{tmp_path / 'user.db'}"
