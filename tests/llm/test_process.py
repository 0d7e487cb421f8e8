"""``agl-ops serve`` as a subprocess (ModelServerProcess) and ``model prepare`` errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agl_ops.cli import app
from agl_ops.llm.client import ModelServerProcess, ServerStartError


def test_server_subprocess_serves_and_reloads(tiny_model_dir: Path, tiny_model_dir_2: Path) -> None:
    with ModelServerProcess(tiny_model_dir, extra_args=["--dtype", "float32", "--served-model-name", "tiny"],
                            token="tok", startup_timeout_s=120) as server:
        headers = {"Authorization": "Bearer tok"}
        r = httpx.post(f"{server.url}/v1/chat/completions", headers=headers, timeout=30,
                       json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})
        assert r.status_code == 200 and r.json()["model"] == "tiny"
        assert httpx.post(f"{server.url}/v1/completions", json={"prompt": "x"}).status_code == 401
        assert server.reload(model_path=str(tiny_model_dir_2), version="trained") == "trained"
    assert server.process is not None and server.process.poll() is not None  # stopped


def test_server_subprocess_reports_bad_model(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError, match="does not exist"):
        ModelServerProcess(tmp_path / "missing", startup_timeout_s=60).start()


def test_prepare_cli_clear_error(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("seed: 0\n")
    result = CliRunner().invoke(app, ["model", "prepare", "--params", str(tmp_path / "p.yaml"), "--source",
                                      str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "model directory" in " ".join(result.output.split()) and "does not exist" in result.output
