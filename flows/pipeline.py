"""Prefect flows over the stages of dvc.yaml.

DVC and Prefect run the same stages: each Prefect task is one stage of dvc.yaml.

* Without overrides a task runs ``dvc repro --single-item <stage>``: DVC skips it when
  its inputs did not change and keeps dvc.lock true, so `dvc repro` and Prefect agree.
* With overrides (``section.key=value``, as deployment parameters) a task runs the
  stage's own command(s) with ``--set`` appended, i.e. an ad-hoc variant that does not
  touch params.yaml or dvc.lock (for a recorded variant use ``dvc exp run -S``).

Tasks are cached by their inputs (command, overrides, params.yaml and the stage's
dependencies), retried where a retry helps (training resumes from its last
checkpoint), and publish their metrics as Prefect markdown artifacts with a link to
the MLflow pipeline run, which the flow opens and every stage logs under.

    prefect deployment run 'agl-ops-pipeline/default'
    python flows/pipeline.py --stages prepare_data --set data.synth.train_size=50
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import INPUTS

PROJECT = Path(__file__).resolve().parents[1]
PROMPT_STAGES = ("optimize_prompt",)
TRAINING_STAGES = ("train",)
RETRIES = {"prepare_model": 1, "prepare_data": 1, "baseline_eval": 1, "train": 1, "evaluate": 1}
_TEMPLATE = re.compile(r"\$\{\s*([\w.]+)\s*\}")


def load_stages(workdir: Path) -> dict[str, dict[str, Any]]:
    """Stages of dvc.yaml in pipeline order."""
    spec = yaml.safe_load((workdir / "dvc.yaml").read_text())
    return dict(spec.get("stages", {}))


def resolved_params(workdir: Path, overrides: list[str]) -> dict[str, Any]:
    """params.yaml with the overrides applied and validated (clear error on a bad key)."""
    from agl_ops.config import load_params

    return load_params(workdir / "params.yaml", overrides).model_dump(mode="json")


def interpolate(text: str, params: dict[str, Any]) -> str:
    """DVC's ``${section.key}`` templating over the (overridden) params."""
    def value(match: re.Match[str]) -> str:
        node: Any = params
        for part in match.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"dvc.yaml refers to ${{{match.group(1)}}}, which params.yaml does not define")
            node = node[part]
        return str(node)

    return _TEMPLATE.sub(value, text)


def _paths(entries: list[Any] | None, params: dict[str, Any]) -> list[str]:
    """dvc.yaml lists entries as strings or as {path: options} mappings."""
    out: list[str] = []
    for entry in entries or []:
        out.extend([entry] if isinstance(entry, str) else list(entry))
    return [interpolate(p, params) for p in out]


def _fingerprint_path(path: Path) -> str:
    """Cheap content identity of a dependency: sizes and mtimes of its files."""
    if not path.exists():
        return f"{path}:missing"
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for f in files:
        st = f.stat()
        digest.update(f"{f.relative_to(path.parent)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()


def stage_fingerprint(workdir: Path, stage: dict[str, Any], overrides: list[str]) -> str:
    params = resolved_params(workdir, overrides)
    digest = hashlib.sha256()
    digest.update(json.dumps([stage.get("cmd"), overrides, params], sort_keys=True).encode())
    for dep in _paths(stage.get("deps"), params):
        digest.update(_fingerprint_path(workdir / dep).encode())
    return digest.hexdigest()


def _agl_ops_argv(command: str, overrides: list[str]) -> list[str]:
    argv = shlex.split(command)
    if argv and argv[0] == "agl-ops":  # the agl-ops of this interpreter, wherever PATH points
        argv = [sys.executable, "-m", "agl_ops.cli", *argv[1:]]
    for item in overrides:
        argv += ["--set", item]
    return argv


def stage_commands(name: str, stage: dict[str, Any], overrides: list[str], workdir: Path) -> list[list[str]]:
    """The argv lists a task runs for ``stage`` (see the module docstring)."""
    if not overrides:
        from agl_ops.pipeline.run import tool

        return [[tool("dvc"), "repro", "--single-item", name]]
    params = resolved_params(workdir, overrides)
    cmds = stage["cmd"] if isinstance(stage["cmd"], list) else [stage["cmd"]]
    return [_agl_ops_argv(interpolate(c, params), overrides) for c in cmds]


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix or "value": data}
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out.update(_flatten(v, key) if isinstance(v, dict) else {key: v})
    return out


def metrics_markdown(workdir: Path, name: str, stage: dict[str, Any], params: dict[str, Any]) -> str:
    """A markdown table of the numbers in the stage's metrics files."""
    lines = [f"## {name}", ""]
    for path in _paths(stage.get("metrics"), params):
        file = workdir / path
        if not file.exists():
            continue
        flat = {k: v for k, v in _flatten(json.loads(file.read_text())).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}
        lines += [f"**{path}**", "", "| metric | value |", "|---|---:|"]
        lines += [f"| {k} | {v:.4g} |" for k, v in flat.items()]
        lines.append("")
    return "\n".join(lines)


def _mlflow_link(workdir: Path, run_id: str | None) -> str | None:
    if not run_id:
        return None
    try:
        from agl_ops import tracking
        from agl_ops.config import load_params

        port = load_params(workdir / "params.yaml").tracking.ui_port
        experiment = tracking.client().get_run(run_id).info.experiment_id
    except Exception:  # noqa: BLE001 - a link is a nicety
        return None
    return f"http://127.0.0.1:{port}/#/experiments/{experiment}/runs/{run_id} (start the UI with `agl-ops ui`)"


@task(cache_policy=INPUTS, persist_result=True, log_prints=True)
def run_stage(name: str, workdir: str, overrides: list[str], fingerprint: str, pipeline_run_id: str | None = None) -> str:
    """Run one stage; ``fingerprint`` (its inputs' identity) keys the cache."""
    logger = get_run_logger()
    root = Path(workdir)
    stage = load_stages(root)[name]
    from agl_ops.pipeline.run import pipeline_env
    from agl_ops.subprocesses import run_in_group

    env = {**pipeline_env(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if pipeline_run_id:
        env["AGL_PIPELINE_RUN_ID"] = pipeline_run_id
    for argv in stage_commands(name, stage, overrides, root):
        logger.info("stage %s: %s", name, shlex.join(argv))
        proc = run_in_group(argv, cwd=root, env=env, capture_output=True)  # a cancel stops the stage and its servers
        tail = (proc.stdout + proc.stderr)[-4000:]
        if proc.returncode != 0:
            raise RuntimeError(f"stage {name} failed with exit code {proc.returncode}:\n{tail}")
        logger.info("stage %s: done\n%s", name, tail[-1500:])
    markdown = metrics_markdown(root, name, stage, resolved_params(root, overrides))
    link = _mlflow_link(root, pipeline_run_id)
    if link:
        markdown += f"\nMLflow pipeline run: {link}\n"
    create_markdown_artifact(markdown, key=name.replace("_", "-"), description=f"agl-ops stage {name}")
    return markdown


def _run(names: list[str], workdir: Path, overrides: list[str], pipeline_run_id: str | None) -> dict[str, str]:
    stages = load_stages(workdir)
    out: dict[str, str] = {}
    for name in names:
        if name not in stages:
            raise ValueError(f"unknown stage {name!r}; dvc.yaml has {list(stages)}")
        fp = stage_fingerprint(workdir, stages[name], overrides)
        runner = run_stage.with_options(retries=RETRIES.get(name, 0), retry_delay_seconds=5)
        out[name] = runner(name, str(workdir), overrides, fp, pipeline_run_id)
    return out


@flow(name="prompt-optimization")
def prompt_optimization(workdir: str = str(PROJECT), overrides: list[str] | None = None,
                        pipeline_run_id: str | None = None) -> dict[str, str]:
    """Sub-flow: optimize the agent's prompts (APO or the Optuna search, by params)."""
    return _run(list(PROMPT_STAGES), Path(workdir), overrides or [], pipeline_run_id)


@flow(name="training")
def training(workdir: str = str(PROJECT), overrides: list[str] | None = None,
             pipeline_run_id: str | None = None) -> dict[str, str]:
    """Sub-flow: train the weights (train.method: grpo | verl | none)."""
    return _run(list(TRAINING_STAGES), Path(workdir), overrides or [], pipeline_run_id)


def _start_mlflow(root: Path) -> str | None:
    try:
        from agl_ops import tracking
        from agl_ops.config import load_params

        params = load_params(root / "params.yaml")
        tracking.setup_tracking(params.tracking, project_dir=root)
        return tracking.start_pipeline_run(params, tags={"agl.entry": "prefect"}, project_dir=root)
    except Exception as exc:  # noqa: BLE001 - stages still run (and open their own parent run)
        get_run_logger().warning("MLflow pipeline run not started: %s", exc)
        return None


def _end_mlflow(root: Path, run_id: str | None, failed: bool) -> None:
    if run_id is None:
        return
    from agl_ops import tracking

    if tracking.client().get_run(run_id).info.status == "RUNNING":  # register closes it on success
        tracking.end_pipeline_run(run_id, status="FAILED" if failed else "FINISHED", project_dir=root)


@flow(name="agl-ops-pipeline", log_prints=True)
def pipeline(
    stages: list[str] | None = None,
    overrides: list[str] | None = None,
    workdir: str = str(PROJECT),
) -> dict[str, str]:
    """The stages of dvc.yaml (all, or the listed ones in pipeline order), optionally
    with parameter overrides such as ``train.method=none``."""
    root = Path(workdir)
    order = list(load_stages(root))
    unknown = set(stages or []) - set(order)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; dvc.yaml has {order}")
    chosen = order if not stages else [s for s in order if s in set(stages)]
    overrides = list(overrides or [])
    resolved_params(root, overrides)  # a bad override fails the flow before any stage runs
    run_id = _start_mlflow(root)
    results: dict[str, str] = {}
    failed = True
    try:
        for name in chosen:
            if name in PROMPT_STAGES:
                results.update(prompt_optimization(workdir, overrides, run_id))
            elif name in TRAINING_STAGES:
                results.update(training(workdir, overrides, run_id))
            else:
                results.update(_run([name], root, overrides, run_id))
        failed = False
    finally:
        _end_mlflow(root, run_id, failed)
    summary = "\n\n".join(results.values())
    link = _mlflow_link(root, run_id)
    create_markdown_artifact(summary + (f"\n\nMLflow pipeline run: {link}" if link else ""), key="pipeline-summary",
                             description="metrics of every stage of this run")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the agl-ops pipeline flow locally (ephemeral Prefect API).")
    parser.add_argument("--stages", nargs="*", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--workdir", default=str(PROJECT))
    args = parser.parse_args()
    pipeline(stages=args.stages, overrides=args.overrides, workdir=args.workdir)


if __name__ == "__main__":
    main()
