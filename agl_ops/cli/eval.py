"""``agl-ops eval``: execution accuracy of the SQL agent on a split."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, load_cli_params


@app.command("eval")
def eval_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    split: Annotated[Optional[str], typer.Option(help="Split to evaluate (default: eval.split)")] = None,
    endpoint: Annotated[Optional[str], typer.Option(help="OpenAI-compatible model endpoint (default: eval.endpoint)")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name (default: eval.model, else the endpoint's first model)")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N tasks (default: eval.limit)")] = None,
    n_runners: Annotated[Optional[int], typer.Option(help="Rollouts in flight (default: eval.n_runners)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: eval.output_dir/<split>-<time>)")] = None,
) -> None:
    """Execution accuracy of the SQL agent on a split (per tier, turns, errors).

    Runs the agent through the Trainer's runners with the default prompts and writes
    metrics.json, examples.csv and examples.jsonl to the output folder.
    """
    from agl_ops.tasks.sql.evaluate import evaluate
    from agl_ops.tasks.sql.spider import DataError
    from agl_ops.tasks.sql.wiring import agent_from_params, model_endpoint, resources_from_params, tasks_from_params

    cfg = load_cli_params(params, overrides)
    split = split or cfg.eval.split
    try:
        tasks = tasks_from_params(cfg, split, limit or cfg.eval.limit)
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        with model_endpoint(cfg, endpoint, params_path=str(params)) as url:
            resources = resources_from_params(cfg, url, model)
            console.print(f"evaluating {len(tasks)} {split} tasks with {resources['main_llm'].model} at {url}")
            result = evaluate(tasks, resources, agent=agent_from_params(cfg), split=split,
                              n_runners=n_runners or cfg.eval.n_runners, timeout_s=cfg.runner.timeout_s)
    except (RuntimeError, OSError) as exc:  # no endpoint, server failed to start, model missing, unreachable
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = out or Path(cfg.eval.output_dir) / f"{split}-{stamp}"
    paths = result.write(target)
    console.print(result.table())
    console.print(f"wrote {paths['metrics']}, {paths['csv'].name}, {paths['jsonl'].name}")


def sql_dev(*, endpoint: str | None, model: str | None, limit: int, n_runners: int, split: str = "val",
            params: Path = Path("params.yaml")) -> None:
    """``agl-ops dev`` without ``--agent``: the SQL agent on the first ``limit`` tasks of
    ``split``, printing the Trainer's dry-run table (exit 1 if every rollout failed)."""
    from agl_ops.tasks.sql.spider import DataError
    from agl_ops.tasks.sql.wiring import agent_from_params, model_endpoint, resources_from_params, tasks_from_params
    from agl_ops.trainer import Trainer

    cfg = load_cli_params(params, None)
    try:
        tasks = tasks_from_params(cfg, split, limit)
        with model_endpoint(cfg, endpoint, params_path=str(params)) as url:
            resources = resources_from_params(cfg, url, model)
            console.print(f"SQL agent on {len(tasks)} {split} tasks with {resources['main_llm'].model} at {url}")
            report = Trainer(n_runners=n_runners, initial_resources=resources, timeout_s=cfg.runner.timeout_s).dev(
                agent_from_params(cfg), tasks, limit=limit, console=console)
    except (DataError, RuntimeError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if report.all_failed:
        console.print("[red]every rollout failed[/red]: see the error column")
        raise typer.Exit(1)
