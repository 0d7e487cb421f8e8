"""``agl-ops train``: weight optimization of the agent's model (GRPO here, or VERL on GPUs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, exits_on, load_cli_params

METHODS = ("grpo", "verl", "none")


@app.command("train")
def train_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    method: Annotated[Optional[str], typer.Option(help="grpo (native, CPU), verl (GPUs) or none; default train.method")] = None,
    endpoint: Annotated[Optional[str], typer.Option(help="Running `agl-ops serve` to use (default: start one on train.model_path)")] = None,
    prompts: Annotated[Optional[Path], typer.Option(help="Prompt set JSON to start from (default: train.prompts if it exists)")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Update steps (overrides train.grpo.total_steps)")] = None,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget in seconds (overrides train.grpo.max_time_s)")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint in train.run_dir")] = True,
    track: Annotated[bool, typer.Option(help="Log params and step metrics to MLflow")] = True,
    store: Annotated[Optional[str], typer.Option(help="verl: store URL our runners serve verl's rollouts from (default: store.url)")] = None,
    dry_run: Annotated[bool, typer.Option(help="verl: validate and print the command line, do not launch")] = False,
    metrics: Annotated[Optional[Path], typer.Option(help="Write the run's summary here (JSON, DVC metrics)")] = None,
    plots: Annotated[Optional[Path], typer.Option(help="Write the per-step curves here (CSV, DVC plots)")] = None,
) -> None:
    """Train the agent's model on its own rollouts (LightningRL: GRPO on the matched LLM calls).

    grpo starts the model server and the tracing proxy, runs the agent with runner
    threads, updates a LoRA adapter after every batch and hot-reloads it into the
    server; checkpoints make a killed run resume. Writes the model to train.output_dir
    and metrics to train.run_dir (metrics.jsonl, metrics.csv) and MLflow.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: spinning threads collapse on a shared CPU
    extra = list(overrides or [])
    if steps is not None:
        extra.append(f"train.grpo.total_steps={steps}")
    if max_time is not None:
        extra.append(f"train.grpo.max_time_s={max_time}")
    cfg = load_cli_params(params, extra)
    chosen = method or cfg.train.method
    if chosen not in METHODS:
        raise typer.BadParameter(f"--method must be one of {', '.join(METHODS)}, got {chosen!r}")
    from agl_ops.pipeline.train_stage import no_training, run_grpo_stage

    if chosen == "verl":
        _verl(cfg, store, dry_run)
    elif chosen == "none":
        with exits_on(FileNotFoundError):
            out = no_training(cfg, metrics, plots)
        console.print(f"train.method none: {cfg.train.model_path} -> {out} unchanged")
    else:
        with exits_on(ValueError, RuntimeError, OSError):  # data, prompts, a missing model, a server that fails
            result = run_grpo_stage(cfg, endpoint=endpoint, prompts=prompts, resume=resume, track=track,
                                    metrics=metrics, plots=plots)
        _report(result)


def _verl(cfg: Any, store: str | None, dry_run: bool) -> None:
    import shlex

    from agl_ops.algorithms.verl import VerlConfigError
    from agl_ops.tasks.sql.training import train_verl

    with exits_on(VerlConfigError, RuntimeError):
        result = train_verl(cfg, store_url=store, launch=False if dry_run else None)
    console.print(shlex.join(result.command), markup=False, highlight=False)


def _report(result: Any) -> None:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    console.print(f"GRPO: {result.steps} of {result.planned_steps} steps; val accuracy start {pct(result.start_val)}, best {pct(result.best_val)} "
                  f"(step {result.best_step}), last {pct(result.final_val)}"
                  + (f"; [yellow]stopped early: {result.stopped}[/]" if result.stopped else ""))
    console.print(f"model: {result.output_dir}  metrics: {result.run_dir / 'metrics.jsonl'}")
