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
    split: Annotated[Optional[list[str]], typer.Option(help="Split to evaluate, repeatable (default: eval.split)")] = None,
    endpoint: Annotated[Optional[str], typer.Option(help="OpenAI-compatible model endpoint (default: eval.endpoint)")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name (default: eval.model, else the endpoint's first model)")] = None,
    model_path: Annotated[Optional[Path], typer.Option(help="Model directory the local server loads (default: eval.model_path)")] = None,
    prompts: Annotated[Optional[Path], typer.Option(help="Prompt set from `agl-ops optimize prompt` (default: the shipped prompts)")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N tasks of each split (default: eval.limit)")] = None,
    n_runners: Annotated[Optional[int], typer.Option(help="Rollouts in flight (default: eval.n_runners)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder, one subfolder per split (default: eval.output_dir/<time>)")] = None,
    metrics: Annotated[Optional[Path], typer.Option(help="Also write {split: accuracy, per tier, ...} here (DVC metrics)")] = None,
    plots: Annotated[Optional[Path], typer.Option(help="Also write split x tier accuracy rows here (CSV, DVC plots)")] = None,
    stage: Annotated[str, typer.Option(help="Name of the MLflow stage run (metrics, example tables, traces)")] = "eval",
    track: Annotated[bool, typer.Option(help="Log to MLflow (tracking section of params.yaml)")] = True,
) -> None:
    """Execution accuracy of the SQL agent on one or more splits (per tier, turns, errors).

    Runs the agent through the Trainer's runners (one model server for all splits) and
    writes metrics.json, examples.csv and examples.jsonl per split to the output folder.
    """
    from agl_ops.pipeline.evaluation import (
        evaluation_run,
        load_prompt_set,
        log_evaluation,
        run_evaluation,
        write_outputs,
    )
    from agl_ops.tasks.sql.spider import DataError

    extra = list(overrides or []) + ([f"eval.model_path={model_path}"] if model_path else [])
    cfg = load_cli_params(params, extra)
    splits = list(dict.fromkeys(split or [cfg.eval.split]))
    tags = {"agl.eval.splits": ",".join(splits), "agl.eval.model_path": cfg.eval.model_path,
            "agl.eval.prompts": str(prompts) if prompts else "default"}
    try:
        prompt_set = load_prompt_set(prompts)
        with evaluation_run(cfg, stage if track else None, tags=tags) as run:
            evals = run_evaluation(cfg, splits, endpoint=endpoint, model=model, prompts=prompt_set, limit=limit,
                                   n_runners=n_runners, params_path=str(params))
            if run is not None:
                log_evaluation(cfg, run, evals)
    except (DataError, ValueError, RuntimeError, OSError) as exc:  # data, prompts, server start, model missing
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    results = {s: ev.result for s, ev in evals.items()}
    target = out or Path(cfg.eval.output_dir) / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    written = write_outputs(results, target, metrics, plots)
    for result in results.values():
        console.print(result.table())
    if run is not None:
        console.print(f"MLflow run {run.run_id} (stage {stage})")
    console.print("wrote " + ", ".join(str(p) for p in written.values()))


def sql_dev(*, endpoint: str | None, model: str | None, limit: int, n_runners: int, split: str = "val",
            params: Path = Path("params.yaml")) -> None:
    """``agl-ops dev`` without ``--agent``: the SQL agent on the first ``limit`` tasks of
    ``split``, printing the Trainer's dry-run table (exit 1 if every rollout failed)."""
    from agl_ops.tasks.sql.spider import DataError
    from agl_ops.tasks.sql.wiring import (
        agent_from_params,
        model_endpoint,
        resources_from_params,
        tasks_from_params,
    )
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.store import MemoryStore
    from agl_ops.trainer import Trainer

    cfg = load_cli_params(params, None)
    store = MemoryStore()
    try:
        tasks = tasks_from_params(cfg, split, limit)
        # the tracing proxy in front of the model, so the table shows the LLM spans a
        # trainer would get (the point of a dry run is to check the traces too)
        with model_endpoint(cfg, endpoint, params_path=str(params)) as url, LLMProxy(url, store) as proxy:
            resources = resources_from_params(cfg, url, model)
            plain = resources["main_llm"]
            resources["main_llm"] = proxy.llm_resource(plain.model, **plain.sampling_parameters)
            console.print(f"SQL agent on {len(tasks)} {split} tasks with {plain.model} at {url} (traced by {proxy.url})")
            report = Trainer(n_runners=n_runners, initial_resources=resources, store=store,
                             timeout_s=cfg.runner.timeout_s).dev(agent_from_params(cfg), tasks, limit=limit, console=console)
    except (DataError, RuntimeError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if report.all_failed:
        console.print("[red]every rollout failed[/red]: see the error column")
        raise typer.Exit(1)
