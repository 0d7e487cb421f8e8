"""A throwaway copy of the project with a tiny random model and tiny data, so the real
pipeline (dvc.yaml, params.yaml, every stage's command) runs in about a minute."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def tiny_params(params: dict, model_source: Path) -> dict:
    """The project's params.yaml scaled down: every section kept, only sizes changed."""
    params["model"]["source"] = str(model_source)
    params["data"]["synth"].update(train_size=24, val_size=6, test_size=6)
    params["eval"].update(n_runners=2, limit=None, split_limits={"realistic": 6})
    params["agent"].update(max_tokens=8, max_turns=1)
    po = params["prompt_opt"]
    po.update(minibatch_size=2, select_limit=1, val_limit=3, test_limit=3, max_tokens=16, n_runners=2)
    po["optimizer"]["max_tokens"] = 16
    po["search"].update(n_trials=2, bootstrap_size=2, max_demos=1, proposed_instructions=0)
    params["train"].update(method="grpo", agent_max_tokens=8, n_runners=4)
    params["train"]["policy"]["dtype"] = "float32"
    params["train"]["adapter"]["max_response_length"] = 16
    params["train"]["grpo"].update(batch_size=2, n_rollouts=2, total_steps=1, max_time_s=None, val_limit=3,
                                   micro_batch_size=2, mini_batch_size=4, val_every=1, save_every=1)
    params["train"]["warm_start"].update(enabled=True, steps=2, batch_size=2, micro_batch_size=2, max_time_s=None)
    params["runner"]["n_runners"] = 1
    return params


def make_project(dest: Path, model_source: Path) -> Path:
    """dvc.yaml, params.yaml (tiny), the package folders the stages depend on, flows/."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", ".dvcignore"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("agl_ops", "flows"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (dest / "params.yaml").write_text(yaml.safe_dump(tiny_params(params, model_source), sort_keys=False))
    return dest


def project_env(project: Path) -> dict[str, str]:
    """This venv's tools first; nothing of the developer's MLflow/Prefect set-up leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AGL_", "PREFECT_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", DVC_NO_ANALYTICS="1", OMP_NUM_THREADS="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t",
               PWD=str(project))
    return env


def run(argv: list[str], project: Path, timeout: float = 600, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=False, cwd=project, env=kw.pop("env", None) or project_env(project), capture_output=True,
                          text=True, timeout=timeout, **kw)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.llm.conftest import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
