"""``agl-ops optimize prompt``: the prompt-optimization stage (:mod:`agl_ops.pipeline.optimize_stage`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, exits_on, load_cli_params

optimize_app = typer.Typer(help="Optimize the agent from its rollouts (prompts; weights: `agl-ops train`).",
                           no_args_is_help=True)
app.add_typer(optimize_app, name="optimize")


def _table(report: Mapping[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"prompt optimization ({report['algorithm']}): execution accuracy, baseline vs best")
    for col in ("split", "tier", "tasks", "baseline", "best", "gain"):
        table.add_column(col, justify="left" if col in ("split", "tier") else "right")
    from agl_ops.pipeline.optimize_stage import REPORT_SPLITS

    for split in REPORT_SPLITS:
        if split not in report:
            continue
        base, best = report[split]["baseline"], report[split]["best"]
        rows = [("all", base, best)] + [(t, base["per_difficulty"][t], best["per_difficulty"].get(t, {"accuracy": 0.0}))
                                        for t in base["per_difficulty"]]
        for tier, b, x in rows:
            gain = x["accuracy"] - b["accuracy"]
            table.add_row(split, tier, str(b["n"]), f"{b['accuracy']:.1%}", f"{x['accuracy']:.1%}",
                          f"[{'green' if gain > 0 else 'red' if gain < 0 else 'white'}]{gain:+.1%}[/]")
    return table


@optimize_app.command("prompt")
def prompt_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    algorithm: Annotated[Optional[str], typer.Option(help="apo or search (default: prompt_opt.algorithm)")] = None,
    endpoint: Annotated[Optional[str], typer.Option(help="Agent's OpenAI-compatible endpoint (default: start the local server)")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name at the endpoint (default: its first model)")] = None,
    test: Annotated[bool, typer.Option("--test/--no-test", help="Also compare baseline and best on the test split")] = True,
    tracking: Annotated[bool, typer.Option("--tracking/--no-tracking", help="Log to MLflow and register the best prompt")] = True,
) -> None:
    """Optimize the SQL agent's prompts (APO or Optuna search) and compare with the baseline.

    Writes prompt_opt.output (best prompt resources) and prompt_opt.metrics_file (val
    and test accuracy of baseline vs best, per tier); logs candidates, scores per
    round and a plot to MLflow and registers the best prompt set (alias challenger).
    """
    from agl_ops.pipeline.optimize_stage import optimize_prompts

    cfg = load_cli_params(params, [*(overrides or []), *([f"prompt_opt.algorithm={algorithm}"] if algorithm else [])])
    start = time.perf_counter()
    with exits_on(ValueError, RuntimeError, OSError):  # data, model, endpoint, optimizer set-up
        report = optimize_prompts(cfg, endpoint=endpoint, model=model, with_test=test, track=tracking,
                                  announce=console.print)
    console.print(_table(report))
    po = cfg.prompt_opt
    console.print(f"best prompt: {po.output} ({report['best_candidate']}, "
                  f"{'improved' if report['improved'] else 'baseline kept'}); metrics: {po.metrics_file}; "
                  f"{time.perf_counter() - start:.0f}s")
