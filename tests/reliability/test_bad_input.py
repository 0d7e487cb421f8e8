"""Bad params.yaml, bad data rows and interrupted data generation: one clear error that
names the key (or file and row), exit code 2 (1 for `data check`), and nothing
half-written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agl_ops.cli import app

SMALL = "data:\n  path: data/sql\n  synth: {train_size: 24, val_size: 8, test_size: 8}\n"


def tree(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones too) with its content hash."""
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(SMALL)
    return tmp_path


@pytest.mark.parametrize(("args", "yaml", "key"), [
    (["data", "synth"], "data:\n  path: out/data\n  synth: {train_size: -3}\n", "data.synth.train_size"),
    (["data", "synth", "--set", "data.synth.train_sizes=3"], "", "data.synth.train_sizes"),
    (["serve"], "serve:\n  port: 99999\n", "serve.port"),
    (["proxy"], "proxy:\n  backend_retry_s: -1\n", "proxy.backend_retry_s"),
    (["store", "serve"], "store:\n  heartbeat_timeout_s: soon\n", "store.heartbeat_timeout_s"),
    (["train"], "train:\n  method: grpo\n  stepz: 3\n", "train.stepz"),
    (["eval"], "eval: [1, 2]\n", "eval"),
    (["optimize", "prompt"], "prompt_opt:\n  algorithm: magic\n", "prompt_opt.algorithm"),
    (["data", "check"], "seed: [\n", "not valid YAML"),
])
def test_bad_params_one_clear_error_nothing_written(project: Path, args: list[str], yaml: str, key: str) -> None:
    (project / "params.yaml").write_text(yaml)
    before = tree(project)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.count("error:") == 1 and key in result.output, result.output
    assert tree(project) == before, "a refused command wrote files"


def test_data_synth_interrupted_or_failing_keeps_the_previous_data(project: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from agl_ops.tasks.sql.synth import generate

    assert CliRunner().invoke(app, ["data", "synth"]).exit_code == 0
    before = tree(project)
    real_write = generate.write_database
    calls = {"n": 0}

    def dies_midway(exc: BaseException):
        def write(conn, path):  # noqa: ANN001
            calls["n"] += 1
            if calls["n"] == 3:
                raise exc
            return real_write(conn, path)
        return write

    for exc, code in [(KeyboardInterrupt(), 130), (RuntimeError("disk full"), 2)]:
        calls["n"] = 0
        monkeypatch.setattr(generate, "write_database", dies_midway(exc))
        result = CliRunner().invoke(app, ["data", "synth", "--seed", "7"])  # other seed: other content
        assert result.exit_code == code, result.output
        assert tree(project) == before, "an interrupted synth changed the data"
        assert sorted(p.name for p in (project / "data").iterdir()) == ["sql"]  # no leftovers
    monkeypatch.setattr(generate, "write_database", real_write)
    (project / "data" / ".sql.partial").mkdir()  # as a SIGKILLed run leaves it
    assert CliRunner().invoke(app, ["data", "synth", "--seed", "7"]).exit_code == 0
    assert tree(project) != before and sorted(p.name for p in (project / "data").iterdir()) == ["sql"]


def test_first_synth_interrupted_leaves_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agl_ops.tasks.sql.synth import generate

    def boom(conn, path):  # noqa: ANN001
        raise KeyboardInterrupt

    monkeypatch.setattr(generate, "write_database", boom)
    CliRunner().invoke(app, ["data", "synth"])
    assert not (project / "data" / "sql").exists()
    assert list((project / "data").iterdir()) == []


def test_bad_rows_are_named(project: Path) -> None:
    assert CliRunner().invoke(app, ["data", "synth"]).exit_code == 0
    val = project / "data" / "sql" / "val.json"
    rows = json.loads(val.read_text())
    rows[3]["query"] = 5
    val.write_text(json.dumps(rows))
    before = tree(project)
    result = CliRunner().invoke(app, ["data", "check"])
    assert result.exit_code == 1 and result.output.count("error:") == 1
    assert "val.json row 3" in result.output.replace("\n", "") and "query" in result.output
    assert tree(project) == before
    tasks = project / "tasks.jsonl"
    tasks.write_text('{"x": 1, "y": 2}\n{"x": 2, "y": \n')
    result = CliRunner().invoke(app, ["dev", "--agent", "tests.sample_agents:double_agent", "--data", str(tasks)])
    assert result.exit_code == 2 and "line 2" in result.output, result.output
