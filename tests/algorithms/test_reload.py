"""ServerReloader goes through llm.client.reload_model: one HTTP call, one error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agl_ops.algorithms.reload import ServerReloader
from agl_ops.llm.client import reload_model


def test_server_reloader_serves_the_new_version(model_server, tiny_model_dir: Path) -> None:
    assert ServerReloader(f"{model_server.url}/v1").reload(tiny_model_dir, "step-7", adapter=False) == "step-7"
    assert httpx.get(f"{model_server.url}/health").json()["model_version"] == "step-7"


def test_a_refused_reload_is_the_same_error_both_ways(model_server, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(RuntimeError) as via_reloader:
        ServerReloader(model_server.url).reload(missing, "v9", adapter=False)
    with pytest.raises(RuntimeError) as via_client:
        reload_model(model_server.url, model_path=str(missing), version="v9")
    message = str(via_reloader.value)
    assert message == str(via_client.value)
    assert f"model server {model_server.url} refused the reload (400)" in message and "does not exist" in message
    assert httpx.get(f"{model_server.url}/health").json()["model_version"] == "v0"  # still the old weights
