"""SIGTERM (what `kill`, Prefect cancel and CI timeouts send) and SIGINT to every command
that starts a model server or proxy: the command exits and leaves no child running.

Each command runs as a real process on a small project (tiny model, synthetic data);
the signal goes out once the command's model server (a child process) is up, i.e.
mid-run; every descendant seen at that moment must be gone shortly after the command
exits (an orphaned server would keep a CPU busy forever).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from tests.pipeline.conftest import ROOT, project_env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agl_ops.tasks.sql.realistic import build_realistic
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset
    from tests.llm.conftest import build_tiny_model

    root = tmp_path_factory.mktemp("sigterm")
    build_tiny_model(root / "models" / "base")
    generate_dataset(root / "data" / "sql", SynthParams(seed=1, train_size=40, val_size=30, test_size=30))
    build_realistic(root / "data" / "realistic")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["tracking"]["tracking_uri"] = f"sqlite:///{root}/mlflow.db"
    params["eval"].update(limit=None, n_runners=2)
    params["train"]["grpo"].update(batch_size=2, n_rollouts=2, total_steps=50, max_time_s=None, val_limit=4)
    params["train"]["policy"]["dtype"] = "float32"
    params["train"]["warm_start"].update(steps=1, batch_size=2, micro_batch_size=2, max_time_s=None,
                                         output_dir=str(root / "models" / "sft"))
    # 40 train tasks leave 4 on the held-out prompt_dev databases: a search that fits them
    params["prompt_opt"].update(minibatch_size=2, select_limit=1, model_path="models/base")  # no trained model here
    params["prompt_opt"]["search"].update(study_path=str(root / "study.db"), proposed_instructions=0)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return root


def _model_server(proc: psutil.Process) -> psutil.Process | None:
    for child in proc.children(recursive=True):
        try:
            if "serve" in child.cmdline():
                return child
        except psutil.Error:
            continue
    return None


def _signal_mid_run(project: Path, argv: list[str], sig: int) -> tuple[int, list[psutil.Process]]:
    proc = subprocess.Popen([sys.executable, "-m", "agl_ops.cli", *argv], cwd=project, env=project_env(project),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ps = psutil.Process(proc.pid)
    deadline = time.monotonic() + 240
    try:
        while _model_server(ps) is None:
            if proc.poll() is not None:
                pytest.fail(f"{argv} ended before its server started:\n{proc.stdout.read().decode()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"{argv}: no model server after 240 s")
            time.sleep(0.2)
        time.sleep(1.0)  # mid-run: the server is up and the command is using it
        children = ps.children(recursive=True)
        proc.send_signal(sig)
        code = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    return code, children


def _survivors(children: list[psutil.Process], wait_s: float = 30.0) -> list[str]:
    _, alive = psutil.wait_procs(children, timeout=wait_s)
    out = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(" ".join(p.cmdline())[:200])
                p.kill()
        except psutil.Error:
            continue
    return out


COMMANDS = {
    "eval": ["eval", "--split", "val", "--split", "test", "--no-track"],
    "dev": ["dev", "--limit", "30"],
    "optimize prompt": ["optimize", "prompt", "--no-tracking"],
    "train": ["train", "--no-track", "--no-resume"],
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "eval" else pytest.mark.slow) for n in COMMANDS])
def test_sigterm_mid_run_leaves_no_child(project: Path, name: str) -> None:
    code, children = _signal_mid_run(project, COMMANDS[name], signal.SIGTERM)
    assert children, "the command had started its model server"
    assert _survivors(children) == []
    assert code == 128 + signal.SIGTERM


@pytest.mark.slow
def test_sigint_mid_run_leaves_no_child(project: Path) -> None:
    code, children = _signal_mid_run(project, COMMANDS["eval"], signal.SIGINT)
    assert _survivors(children) == [] and code != 0


@pytest.mark.slow
def test_sigterm_to_the_pipeline_stops_its_stages_and_their_servers(tmp_path: Path, project: Path) -> None:
    """`agl-ops run` (dvc repro): the stage running when SIGTERM arrives is stopped too."""
    from tests.pipeline.conftest import make_project

    root = make_project(tmp_path / "p", project / "models" / "base")
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["data"]["synth"].update(train_size=40, val_size=30, test_size=30)
    params["agent"].update(max_tokens=64)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    code, children = _signal_mid_run(root, ["run"], signal.SIGTERM)
    assert children and _survivors(children) == []
    assert code != 0
