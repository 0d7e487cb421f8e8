"""``agl-ops train``: weight optimization of the agent's model (GRPO here, or VERL on GPUs)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, load_cli_params


@app.command("train")
def train_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    method: Annotated[Optional[str], typer.Option(help="grpo (native, CPU) or verl (GPUs); default train.method")] = None,
    endpoint: Annotated[Optional[str], typer.Option(help="Running `agl-ops serve` to use (default: start one on train.model_path)")] = None,
    prompts: Annotated[Optional[Path], typer.Option(help="Prompt set JSON to start from (default: train.prompts if it exists)")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Update steps (overrides train.total_steps)")] = None,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget in seconds (overrides train.max_time_s)")] = None,
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
    # SIGTERM unwinds like Ctrl-C, so the model server we started is stopped with us
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    extra = list(overrides or [])
    if steps is not None:
        extra.append(f"train.total_steps={steps}")
    if max_time is not None:
        extra.append(f"train.max_time_s={max_time}")
    cfg = load_cli_params(params, extra)
    chosen = method or cfg.train.method
    if chosen == "verl":
        _verl(cfg, store, dry_run)
        return
    if chosen == "none":
        _no_training(cfg, metrics, plots)
        return
    if chosen != "grpo":
        raise typer.BadParameter(f"--method must be grpo, verl or none, got {chosen!r}")
    from agl_ops.algorithms.training import train_grpo
    from agl_ops.pipeline.train_stage import prepare_run_dir, run_identity, write_train_outputs

    start_prompts = prompts if prompts is not None else (Path(cfg.train.prompts) if Path(cfg.train.prompts).is_file() else None)
    resume = prepare_run_dir(cfg.train.run_dir, run_identity(cfg, start_prompts), resume)
    with _tracking(cfg, track) as sink:
        try:
            result = train_grpo(cfg, endpoint=endpoint, prompts=prompts, sink=sink, resume=resume)
        except (FileNotFoundError, RuntimeError, ConnectionError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    _report(result)
    summary = {"method": "grpo", "steps": result.steps, "start_val_accuracy": result.start_val,
               "best_val_accuracy": result.best_val, "best_step": result.best_step,
               "final_val_accuracy": result.final_val, "stopped": result.stopped,
               "output_dir": str(result.output_dir) if result.output_dir else None}
    write_train_outputs(summary, metrics, plots, result.run_dir)


def _no_training(cfg, metrics: Path | None, plots: Path | None) -> None:  # noqa: ANN001
    """method none: the start model is the output, so later stages read one path."""
    from agl_ops.pipeline.train_stage import copy_model, write_train_outputs

    try:
        out = copy_model(cfg.train.model_path, cfg.train.output_dir)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"train.method none: {cfg.train.model_path} -> {out} unchanged")
    write_train_outputs({"method": "none", "steps": 0, "output_dir": str(out)}, metrics, plots, cfg.train.run_dir)


def _verl(cfg, store: str | None, dry_run: bool) -> None:  # noqa: ANN001
    import shlex

    from agl_ops.algorithms.training import train_verl
    from agl_ops.algorithms.verl import VerlConfigError

    try:
        result = train_verl(cfg, store_url=store, launch=False if dry_run else None)
    except (VerlConfigError, RuntimeError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(shlex.join(result.command), markup=False, highlight=False)


class _tracking:
    """An MLflow stage run whose metric sink GRPO logs to; nothing when off or failing."""

    def __init__(self, cfg, enabled: bool) -> None:  # noqa: ANN001
        self.cfg, self.enabled, self._ctx = cfg, enabled, None

    def __enter__(self):  # noqa: ANN204
        if not self.enabled:
            return None
        try:
            from agl_ops import tracking

            tracking.setup_tracking(self.cfg.tracking)
            self._ctx = tracking.stage_run("train", self.cfg.train)
            return self._ctx.__enter__().metrics
        except Exception as exc:  # noqa: BLE001 - tracking must not stop training
            console.print(f"[yellow]MLflow tracking off:[/yellow] {exc}")
            self._ctx = None
            return None

    def __exit__(self, *exc: object) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


def _report(result) -> None:  # noqa: ANN001
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    console.print(f"GRPO: {result.steps} steps; val accuracy start {pct(result.start_val)}, best {pct(result.best_val)} "
                  f"(step {result.best_step}), last {pct(result.final_val)}"
                  + (f"; stopped early: {result.stopped}" if result.stopped else ""))
    console.print(f"model: {result.output_dir}  metrics: {result.run_dir / 'metrics.jsonl'}")
