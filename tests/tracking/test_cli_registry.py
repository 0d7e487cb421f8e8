"""`agl-ops register / promote / models` end to end on a temporary tracking store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agl_ops.cli import app
from agl_ops.tracking import CHAMPION, get_model_version, register_prompt_set

runner = CliRunner()


def _params(tmp_path, mlflow_root, unique) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(
        "tracking:\n"
        f"  tracking_uri: sqlite:///{mlflow_root}/mlflow.db\n"
        f"  experiment: cli/{unique}\n"
        f"  registered_model: cli-{unique}\n"
        f"  prompt_name: cli-{unique}\n"
        "  promotion_margin: 0.01\n"
    )
    return str(path)


def test_register_then_promote_refuse_and_force(tracking, mlflow_root, stub_model, tmp_path, unique):
    params = _params(tmp_path, mlflow_root, unique)
    register_prompt_set({"write": "Write SQL for {question}"}, f"cli-{unique}", alias="challenger")
    out = runner.invoke(app, ["register", str(stub_model), "--reference-only", "--metric", "test_accuracy=0.4",
                              "--params", params])
    assert out.exit_code == 0, out.output
    assert "v1 as challenger" in out.output and "test_accuracy=0.4000" in out.output
    assert get_model_version(f"cli-{unique}", 1).prompt_versions == {"write": 1}  # linked from the alias

    out = runner.invoke(app, ["promote", "--params", params])
    assert out.exit_code == 0 and "no champion yet" in out.output

    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"test": {"accuracy": 0.405}, "val": {"accuracy": 0.5}}))
    out = runner.invoke(app, ["register", str(stub_model), "--reference-only", "--metrics", str(metrics),
                              "--params", params])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["promote", "--params", params])  # +0.005 < margin 0.01
    assert out.exit_code == 1
    assert "0.4050" in out.output and "0.4000" in out.output and "refused" in out.output
    out = runner.invoke(app, ["promote", "--no-strict", "--params", params])  # a refusal as a normal outcome
    assert out.exit_code == 0 and "refused" in out.output
    out = runner.invoke(app, ["promote", "--margin", "0.001", "--params", params])
    assert out.exit_code == 0 and get_model_version(f"cli-{unique}", CHAMPION).version == 2

    out = runner.invoke(app, ["promote", "1", "--force", "--reason", "demo rollback", "--params", params])
    assert out.exit_code == 0 and "forced" in out.output
    champion = get_model_version(f"cli-{unique}", CHAMPION)
    assert champion.version == 1 and champion.tags["agl.promotion.reason"] == "demo rollback"

    out = runner.invoke(app, ["models", "--params", params])
    assert out.exit_code == 0 and "champion" in out.output and "0.4050" in out.output


def _text(output: str) -> str:
    """CLI output with rich's box drawing and line wrapping undone."""
    return " ".join(output.replace("│", " ").split())


def test_register_errors_are_clear(tracking, mlflow_root, tmp_path, unique):
    params = _params(tmp_path, mlflow_root, unique)
    out = runner.invoke(app, ["register", str(tmp_path / "nope"), "--params", params])
    assert out.exit_code == 2 and "does not exist" in _text(out.output)
    out = runner.invoke(app, ["register", str(tmp_path), "--metric", "acc", "--params", params])
    assert out.exit_code == 2 and "name=0.42" in _text(out.output)
    out = runner.invoke(app, ["register", str(tmp_path), "--params", params])  # not a model directory
    assert out.exit_code == 2 and "neither a PEFT adapter" in _text(out.output)
    out = runner.invoke(app, ["promote", "--params", params])
    assert out.exit_code == 2 and "no version" in _text(out.output)
