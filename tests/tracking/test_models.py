"""Model registry: a model directory -> a registered pyfunc version with tags and alias."""

from __future__ import annotations

from pathlib import Path

import pytest

from agl_ops.tracking import (
    CHALLENGER,
    client,
    flatten_metrics,
    get_model_version,
    load_model,
    mlflow_version,
    register_model,
    stage_run,
    version_number,
)


def _artifact_files(info) -> set[str]:
    """Relative paths of the files logged for a model version."""
    import mlflow

    local = Path(mlflow.artifacts.download_artifacts(f"models:/{info.name}/{info.version}"))
    return {str(p.relative_to(local)) for p in local.rglob("*") if p.is_file()}


def test_version_conversion_is_one_place():
    assert mlflow_version(3) == "3" and version_number("3") == 3 and mlflow_version("4") == "4"
    assert flatten_metrics({"test": {"accuracy": 0.5, "n": 10}, "val_accuracy": 0.4, "tier": "x"}) == {
        "test_accuracy": 0.5, "test_n": 10.0, "val_accuracy": 0.4}


def test_adapter_registered_as_challenger_with_tags_and_it_generates(tracking, tiny_model, unique):
    base, adapter = tiny_model
    name = f"agl-ops-test-{unique}"
    with stage_run("register") as run:
        info = register_model(adapter, name, metrics={"test": {"accuracy": 0.42}}, prompt_versions={"write": 2},
                              prompt_prefix="text2sql", base_model=base)
    assert info.version == 1 and isinstance(info.version, int)
    assert info.aliases == (CHALLENGER,) and info.run_id == run.run_id
    assert info.metrics == {"test_accuracy": 0.42} and info.prompt_versions == {"write": 2}
    assert info.tags["agl.model_kind"] == "adapter" and info.tags["agl.base_model"] == str(base.resolve())
    assert get_model_version(name, CHALLENGER).version == 1
    assert int(client().get_model_version_by_alias(name, CHALLENGER).version) == 1  # MLflow's own view
    assert client().get_run(run.run_id).data.metrics["test_accuracy"] == 0.42
    files = _artifact_files(info)
    assert any(f.endswith("adapter_model.safetensors") for f in files)
    assert not any(f.endswith("/model.safetensors") for f in files)  # the base is referenced, not copied

    model = load_model(name, CHALLENGER)
    out = model.predict(["how many users", "select name from users"], params={"max_new_tokens": 3})
    assert len(out) == 2 and all(isinstance(t, str) for t in out)


def test_full_model_copied_or_referenced(tracking, tiny_model, unique):
    base, adapter = tiny_model
    name = f"agl-ops-test-{unique}"
    with stage_run("register"):
        copied = register_model(base, name, metrics={"test_accuracy": 0.1})
        referenced = register_model(base, name, reference_only=True, alias=None)
        bundled = register_model(adapter, name, base_model=base, include_base=True, alias=None)
    assert (copied.version, referenced.version, bundled.version) == (1, 2, 3)
    assert get_model_version(name, CHALLENGER).version == 1 and referenced.aliases == ()
    assert any(f.endswith("model.safetensors") for f in _artifact_files(copied))
    assert not any(f.endswith(".safetensors") for f in _artifact_files(referenced))
    assert referenced.tags["agl.model_path"] == str(base.resolve())
    bundled_files = _artifact_files(bundled)
    assert any(f.endswith("adapter_model.safetensors") for f in bundled_files)
    assert any(f.endswith("base/model.safetensors") for f in bundled_files)


def test_bad_model_dir_and_missing_run(tracking, tmp_path, tiny_model, unique):
    with stage_run("register"):
        with pytest.raises(ValueError, match="neither a PEFT adapter"):
            register_model(tmp_path, f"m-{unique}")
    with pytest.raises(RuntimeError, match="active run"):
        register_model(tiny_model[0], f"m-{unique}")
    assert get_model_version(f"missing-{unique}", CHALLENGER) is None
