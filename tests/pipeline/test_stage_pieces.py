"""The pieces the pipeline stages add around the algorithms: data prepare from a local
Spider copy, train.method none, and resuming only the run that wrote a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agl_ops.cli import app
from agl_ops.pipeline.train_stage import prepare_run_dir


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("data:\n  synth: {train_size: 20, val_size: 6, test_size: 6}\n")
    result = CliRunner().invoke(app, ["data", "synth", "--out", "spider-copy"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_data_prepare_copies_a_local_spider_folder(project: Path) -> None:
    result = CliRunner().invoke(app, ["data", "prepare", "--set", "data.source=spider-copy"])
    assert result.exit_code == 0, result.output
    assert json.loads((project / "data/sql/val.json").read_text()) == json.loads((project / "spider-copy/val.json").read_text())
    assert "train 20" in result.output


def test_data_prepare_refuses_a_broken_copy_and_keeps_the_old_data(project: Path) -> None:
    assert CliRunner().invoke(app, ["data", "prepare"]).exit_code == 0  # synth into data/sql
    before = (project / "data/sql/train.json").read_text()
    (project / "spider-copy/test.json").unlink()
    result = CliRunner().invoke(app, ["data", "prepare", "--set", "data.source=spider-copy"])
    assert result.exit_code == 2 and "test.json" in result.output
    assert (project / "data/sql/train.json").read_text() == before


def test_train_method_none_passes_the_start_model_on(project: Path) -> None:
    start = project / "start-model"
    start.mkdir()
    (start / "config.json").write_text('{"model_type": "llama"}')
    (start / "model.safetensors").write_bytes(b"weights")
    result = CliRunner().invoke(app, ["train", "--method", "none", "--set", "train.model_path=start-model",
                                      "--set", "train.output_dir=models/out", "--metrics", "metrics/train.json"])
    assert result.exit_code == 0, result.output
    assert (project / "models/out/model.safetensors").read_bytes() == b"weights"
    assert json.loads((project / "metrics/train.json").read_text())["method"] == "none"
    bad = CliRunner().invoke(app, ["train", "--method", "none", "--set", "train.model_path=nowhere"])
    assert bad.exit_code == 2 and "not a model directory" in bad.output


def test_a_checkpoint_is_resumed_only_by_the_run_that_wrote_it(tmp_path: Path) -> None:
    run_dir = tmp_path / "train"
    assert prepare_run_dir(run_dir, {"lr": 1e-4}, resume=True) is False  # nothing to resume yet
    (run_dir / "ckpt-1").mkdir()
    assert prepare_run_dir(run_dir, {"lr": 1e-4}, resume=True) is True  # same run: continue
    assert prepare_run_dir(run_dir, {"lr": 5e-5}, resume=True) is False  # another lr: start over
    assert (tmp_path / "train.stale" / "ckpt-1").is_dir() and not (run_dir / "ckpt-1").exists()


def test_data_prepare_takes_spider_s_own_release_layout(project: Path) -> None:
    """A real Spider copy (train_spider.json + dev.json + database/) works with the default
    params: its dev set becomes val and test by database, train_spider is train."""
    spider = project / "spider-release"
    CliRunner().invoke(app, ["data", "synth", "--out", str(spider)])
    for name in ("train", "val", "test"):
        rows = json.loads((spider / f"{name}.json").read_text())
        for r in rows:  # Spider's rows carry more fields; the loader needs only its own
            r.update(query_toks=r["query"].split(), sql={})
        (spider / f"{name}.json").unlink()
        (spider / f"{name}.json.rows").write_text(json.dumps(rows))
    (spider / "train.json.rows").rename(spider / "train_spider.json")
    dev = json.loads((spider / "val.json.rows").read_text()) + json.loads((spider / "test.json.rows").read_text())
    (spider / "dev.json").write_text(json.dumps(dev))
    for leftover in spider.glob("*.rows"):
        leftover.unlink()
    result = CliRunner().invoke(app, ["data", "prepare", "--set", f"data.source={spider}"])
    assert result.exit_code == 0, result.output
    assert "Spider release" in result.output
    val = json.loads((project / "data/sql/val.json").read_text())
    test = json.loads((project / "data/sql/test.json").read_text())
    assert len(val) + len(test) == len(dev) and val and test
    assert not {r["db_id"] for r in val} & {r["db_id"] for r in test}  # whole databases, as in Spider
    assert len(json.loads((project / "data/sql/train.json").read_text())) == 20
    assert not (spider / "train.json").exists()  # the user's copy is left as it was
    checked = CliRunner().invoke(app, ["data", "check"])  # every split loads, every gold query runs
    assert checked.exit_code == 0, checked.output


def test_prompt_optimization_starts_from_the_prompts_and_decoding_the_model_trained_with(tmp_path: Path) -> None:
    """The search's baseline is the shipped model's own prompt set (train.prompts), and
    a trial that keeps the baseline's decoding keeps that prompt set's, not agent.constrained."""
    from agl_ops.config import Params
    from agl_ops.pipeline.optimize_stage import _start_prompts
    from agl_ops.prompt_sets import write_prompt_set
    from agl_ops.types import SETTINGS_RESOURCE, PromptTemplate

    shipped, shipped_decoding = _start_prompts(Params.model_validate({"agent": {"constrained": False, "samples": 3}}))
    assert shipped_decoding == {"constrained": False, "samples": 3} and SETTINGS_RESOURCE not in shipped

    path = tmp_path / "trained_with.json"
    write_prompt_set(path, {"write_prompt": "Schema: {schema}\nQ: {question}\nSQL:"}, {"constrained": True})
    cfg = Params.model_validate({"agent": {"constrained": False}, "train": {"prompts": str(path)}})
    resources, decoding = _start_prompts(cfg)
    assert decoding == {"constrained": True, "samples": 1}
    write = resources["write_prompt"]
    assert isinstance(write, PromptTemplate) and write.template.startswith("Schema: {schema}")
    assert resources["check_prompt"].template == shipped["check_prompt"].template  # the rest: shipped


def test_the_prompt_search_knows_the_demos_the_shipped_model_was_trained_with() -> None:
    from agl_ops.config import load_params
    from agl_ops.pipeline.optimize_stage import _trained_demos

    assert _trained_demos(load_params(None, overrides=["train.warm_start.demo_share=0"])) is None  # trained without
    cfg = load_params(None, overrides=["train.warm_start.demo_share=0.5", "train.warm_start.demos=3"])
    assert _trained_demos(cfg) == (3, "columns")
    assert _trained_demos(load_params(None, overrides=["train.warm_start.demo_share=0.5", "train.method=none"])) is None
