"""params.yaml validation: one clear error naming the key, overrides by dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agl_ops.config import ConfigError, Params, load_params

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_params_yaml_is_valid():
    params = load_params(ROOT / "params.yaml")
    assert params.runner.n_runners >= 1


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("runner:\n  n_runnerz: 3\n")
    with pytest.raises(ConfigError, match=r"runner\.n_runnerz: unknown key"):
        load_params(p)


def test_wrong_type_and_bad_value_are_named(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("runner:\n  n_runners: many\n")
    with pytest.raises(ConfigError, match=r"runner\.n_runners"):
        load_params(p)
    with pytest.raises(ConfigError, match=r"runner\.backend"):
        load_params(None, ["runner.backend=gpu"])


def test_overrides_are_yaml_typed_and_applied():
    params = load_params(None, ["runner.n_runners=7", "store.url=memory", "seed=3"])
    assert (params.runner.n_runners, params.store.url, params.seed) == (7, "memory", 3)
    with pytest.raises(ConfigError, match="key.sub=value"):
        load_params(None, ["runner.n_runners"])


def test_missing_explicit_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("runner: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(bad)


def test_code_defaults_are_the_shipped_params_yaml() -> None:
    """params.yaml documents every key with its default value: the two never drift (a
    value tuned in one but not the other would make `agl-ops` and `dvc repro` differ)."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    shipped = yaml.safe_load((root / "params.yaml").read_text())

    def keys(d: dict, prefix: str = "") -> set[str]:
        out = set()
        for k, v in d.items():
            # free-form mappings (verl overrides, shaping options, splits, mixes) are values, not sections
            if isinstance(v, dict) and v and k not in {"config", "shaping_options", "splits", "difficulty_mix"}:
                out |= keys(v, f"{prefix}{k}.")
            else:
                out.add(f"{prefix}{k}")
        return out

    assert keys(shipped) == keys(Params().model_dump(mode="json"))
    assert load_params(root / "params.yaml").model_dump(mode="json") == Params().model_dump(mode="json")
