"""vLLM backend: the command line we build (vllm itself is not installed here)."""

from __future__ import annotations

from typer.testing import CliRunner

from agl_ops.cli import app
from agl_ops.llm.vllm import VllmOptions, vllm_command, vllm_env


def test_command_with_adapter() -> None:
    opts = VllmOptions(model_path="models/base", port=8123, served_model_name="policy-base", dtype="bfloat16",
                       max_model_len=4096, adapter_path="/runs/a1", seed=7, api_key="k", extra_args=["--enforce-eager"])
    cmd = vllm_command(opts)
    assert cmd[:3] == ["vllm", "serve", "models/base"]
    flags = dict(zip(cmd[3::1], cmd[4::1]))
    assert flags["--port"] == "8123" and flags["--host"] == "127.0.0.1"
    assert flags["--served-model-name"] == "policy-base" and flags["--dtype"] == "bfloat16"
    assert flags["--max-model-len"] == "4096" and flags["--seed"] == "7" and flags["--api-key"] == "k"
    assert "--enable-lora" in cmd and flags["--lora-modules"] == "policy=/runs/a1"
    assert "--enable-prefix-caching" in cmd and cmd[-1] == "--enforce-eager"
    assert vllm_env(opts) == {"VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}


def test_command_without_adapter() -> None:
    cmd = vllm_command(VllmOptions(model_path="/m/x", prefix_caching=False))
    assert "--enable-lora" not in cmd and "--enable-prefix-caching" not in cmd
    assert cmd[cmd.index("--served-model-name") + 1] == "x"
    assert vllm_env(VllmOptions(model_path="/m/x")) == {}


def test_cli_dry_run(tmp_path) -> None:
    result = CliRunner().invoke(app, ["serve", "--params", str(tmp_path / "none.yaml"), "--backend", "vllm",
                                      "--dry-run", "--model", "/m/base", "--port", "9001"])
    assert result.exit_code == 2  # a params file that does not exist is an error
    params = tmp_path / "params.yaml"
    params.write_text("serve:\n  backend: vllm\n  vllm_args: ['--tensor-parallel-size', '2']\n")
    result = CliRunner().invoke(app, ["serve", "--params", str(params), "--dry-run", "--model", "/m/base"])
    assert result.exit_code == 0, result.output
    line = " ".join(result.output.split())
    assert line.startswith("vllm serve /m/base") and "--tensor-parallel-size 2" in line
