"""`agl-ops run` (what `make run` calls) runs dvc.yaml end to end on a tiny model and
tiny data in a fresh folder: set-up, every stage, metrics, MLflow runs, registries,
promotion, and DVC's view of what a parameter change reruns."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.pipeline.conftest import make_project, project_env, run

AGL = [sys.executable, "-m", "agl_ops.cli"]
# the whole pipeline on the tiny model: ~5 min on 2 cores, so it runs in `make test-slow`
pytestmark = pytest.mark.slow

STAGES = ["prepare_model", "prepare_data", "baseline_eval", "train", "optimize_prompt", "evaluate", "register"]


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> tuple[Path, str]:
    project = make_project(tmp_path_factory.mktemp("project"), tiny_model)  # no git, no .dvc: the command sets up
    proc = run([*AGL, "run"], project, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]
    return project, proc.stdout


def _mlflow(project: Path):
    from mlflow.tracking import MlflowClient

    from agl_ops import tracking
    from agl_ops.config import load_params

    # explicit URI: an MLFLOW_TRACKING_URI left by another test in this process must not redirect us
    tracking.setup_tracking(load_params(project / "params.yaml").tracking, project_dir=project,
                            tracking_uri=f"sqlite:///{project / '.agl' / 'mlflow.db'}")
    client = MlflowClient()
    experiment = client.get_experiment_by_name("agl-ops/text2sql")
    return client, experiment.experiment_id


def test_fresh_folder_is_set_up_and_every_stage_ran(done: tuple[Path, str]) -> None:
    project, out = done
    assert "set up: git init" in out and "set up: dvc init" in out
    assert (project / ".dvc").is_dir() and (project / "dvc.lock").is_file()
    for stage in STAGES:
        assert f"Running stage '{stage}'" in out
    assert (project / "models" / "base" / "config.json").is_file()
    assert (project / "models" / "grpo" / "config.json").is_file()
    assert (project / "outputs" / "prompts" / "best.json").is_file()
    assert "agl-ops ui" in out and "baseline_eval" in out.split("agl-ops pipeline")[-1]  # the summary table


def test_metrics_and_plots_files(done: tuple[Path, str]) -> None:
    project, _ = done
    for name in ("baseline", "eval"):
        doc = json.loads((project / "metrics" / f"{name}.json").read_text())
        assert set(doc) == {"val", "test", "realistic"}  # the hand-written dev set is reported by every eval stage
        assert doc["val"]["n"] == 6 and doc["test"]["n"] == 6 and doc["realistic"]["n"] == 6
        assert 0.0 <= doc["test"]["accuracy"] <= 1.0
    train = json.loads((project / "metrics" / "train.json").read_text())
    assert train["method"] == "grpo" and train["steps"] == 1
    assert json.loads((project / "metrics" / "prompt_opt.json").read_text())["val"]["best"]["n"] == 3
    promotion = json.loads((project / "metrics" / "promotion.json").read_text())
    assert promotion["promoted"] and promotion["candidate_version"] == 1
    shown = run(["dvc", "metrics", "show", "--json"], project)
    assert shown.returncode == 0 and "metrics/eval.json" in shown.stdout
    plots = run(["dvc", "plots", "show", "-o", "dvc_plots"], project)
    assert plots.returncode == 0, plots.stderr
    assert (project / "dvc_plots" / "index.html").is_file()


def test_mlflow_runs_prompt_and_model_registry(done: tuple[Path, str]) -> None:
    project, _ = done
    client, exp = _mlflow(project)
    runs = client.search_runs([exp])
    parents = [r for r in runs if r.data.tags.get("agl.run_kind") == "pipeline"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    children = {r.data.tags["agl.stage"]: r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id}
    assert {"baseline_eval", "optimize_prompt", "train", "evaluate", "register", "promote"} <= set(children)
    assert "test_accuracy" in children["evaluate"].data.metrics
    assert children["train"].data.params["grpo.lr"]  # the resolved params are on the runs
    from agl_ops import tracking

    prompt = tracking.load_prompt("text2sql-write_prompt", 1)
    assert "{question}" in prompt.template.template
    challenger = tracking.get_model_version("agl-ops-text2sql", "challenger")
    assert challenger is not None and challenger.version == 1
    assert tracking.get_model_version("agl-ops-text2sql", "champion").version == 1  # first model: no champion before


def test_promotion_refuses_worse_and_accepts_better(done: tuple[Path, str]) -> None:
    project, _ = done
    score = json.loads((project / "metrics" / "eval.json").read_text())["test"]["accuracy"]
    worse = run([*AGL, "register", "models/grpo", "--reference-only", "--metric", f"test_accuracy={score - 0.5}"], project)
    assert worse.returncode == 0, worse.stdout + worse.stderr
    refused = run([*AGL, "promote"], project)
    assert refused.returncode == 1 and "refused" in refused.stdout
    better = run([*AGL, "register", "models/grpo", "--reference-only", "--metric", f"test_accuracy={score + 0.5}"], project)
    assert better.returncode == 0
    accepted = run([*AGL, "promote"], project)
    assert accepted.returncode == 0 and "promoted" in accepted.stdout
    from agl_ops import tracking

    _mlflow(project)
    assert tracking.get_model_version("agl-ops-text2sql", "champion").version == 3


def test_a_param_change_reruns_only_what_depends_on_it(done: tuple[Path, str]) -> None:
    project, _ = done
    assert "up to date" in run(["dvc", "status"], project).stdout
    import yaml

    params = (project / "params.yaml").read_text()
    changed_lr = yaml.safe_load(params)
    changed_lr["train"]["grpo"]["lr"] = changed_lr["train"]["grpo"]["lr"] / 2
    try:
        (project / "params.yaml").write_text(yaml.safe_dump(changed_lr, sort_keys=False))
        changed = json.loads(run(["dvc", "status", "--json"], project).stdout)
        assert set(changed) == {"train"}  # DVC shows the changed stage; evaluate/register follow from its outputs
        dry = run(["dvc", "repro", "--dry"], project).stdout
        assert "Running stage 'train'" in dry  # (a dry run cannot know train's new outputs: evaluate follows for real)
        assert "Running stage 'optimize_prompt'" not in dry and "Running stage 'baseline_eval'" not in dry
    finally:
        (project / "params.yaml").write_text(params)


def test_second_run_skips_everything(done: tuple[Path, str]) -> None:
    project, _ = done
    proc = run([*AGL, "run"], project)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Running stage" not in proc.stdout


def test_bad_params_stop_before_any_stage(tmp_path: Path, tiny_model: Path) -> None:
    project = make_project(tmp_path / "p", tiny_model)
    import yaml

    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train"]["lrr"] = 1  # a typo of lr
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    proc = run([*AGL, "run"], project, env=project_env(project))
    assert proc.returncode == 2 and "train.lrr" in proc.stdout
    assert not (project / ".dvc").exists() and not (project / "models").exists()
