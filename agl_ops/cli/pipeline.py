"""``agl-ops run``: the main job behind ``make run`` (the whole DVC pipeline)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from agl_ops.cli.app import app, console, fail, load_cli_params


@app.command("run")
def run_cmd(
    stages: Annotated[Optional[list[str]], typer.Argument(help="Only these stages (and what they need); default: all")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun stages even if DVC finds them up to date")] = False,
    track: Annotated[bool, typer.Option(help="One MLflow pipeline run around the stages")] = True,
    project: Annotated[Path, typer.Option(help="Project folder (dvc.yaml, params.yaml)")] = Path("."),
) -> None:
    """Run the whole pipeline with the defaults of params.yaml (no servers to start by hand).

    prepare_model -> prepare_data -> baseline_eval -> train -> optimize_prompt -> evaluate
    -> register (+ promotion), as `dvc repro` runs dvc.yaml: stages whose inputs did not
    change are skipped. Prints the metrics of every stage and where to look next.
    """
    from rich.table import Table

    from agl_ops.pipeline.run import ensure_repo, run_pipeline, summary_rows

    root = project.resolve()
    if not (root / "dvc.yaml").is_file():
        fail(f"no dvc.yaml in {root}: run from the project folder or pass --project")
    load_cli_params(root / "params.yaml", None)  # a bad params.yaml stops here, with the key named
    console.rule("agl-ops run")
    for step in ensure_repo(root):
        console.print(f"set up: {step}")
    started = time.perf_counter()
    code = run_pipeline(root, stages or [], force=force, track=track)
    minutes = (time.perf_counter() - started) / 60
    table = Table(title=f"agl-ops pipeline ({minutes:.1f} min)")
    for col in ("stage", "what", "val accuracy", "test accuracy", "realistic accuracy"):
        table.add_column(col)
    for row in summary_rows(root):
        table.add_row(*row)
    console.print(table)
    if code != 0:
        console.print(f"[red]pipeline failed[/red] (dvc repro exit code {code}); fix it and run again: "
                      "finished stages are not rerun")
        raise typer.Exit(code)
    console.print("next: [bold]agl-ops ui[/] (MLflow runs, prompts, models, traces) | "
                  "[bold]dvc metrics show[/] | [bold]dvc plots show[/] | [bold]agl-ops models[/]")
