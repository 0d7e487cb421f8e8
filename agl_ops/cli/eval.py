"""``agl-ops eval``: execution accuracy of the SQL agent on a split; and the SQL dry run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, exits_on, fail, load_cli_params

# what a command's user can cause and fix: bad data, prompts or params, a missing model, a server that fails
USER_ERRORS = (ValueError, RuntimeError, OSError, ConnectionError)


@app.command("eval")
def eval_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    split: Annotated[Optional[list[str]], typer.Option(help="Split to evaluate, repeatable (default: eval.split)")] = None,
    endpoint: Annotated[Optional[str], typer.Option(help="OpenAI-compatible model endpoint (default: eval.endpoint)")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name (default: eval.model, else the endpoint's first model)")] = None,
    model_path: Annotated[Optional[Path], typer.Option(help="Model directory the local server loads (default: eval.model_path)")] = None,
    prompts: Annotated[Optional[Path], typer.Option(help="Prompt set from `agl-ops optimize prompt` (default: eval.prompts if it exists, else the shipped prompts)")] = None,
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
    from agl_ops.pipeline.evaluation import evaluation_run, log_evaluation, run_evaluation, write_outputs

    extra = list(overrides or []) + ([f"eval.model_path={model_path}"] if model_path else [])
    cfg = load_cli_params(params, extra)
    splits = list(dict.fromkeys(split or [cfg.eval.split]))
    tags = {"agl.eval.splits": ",".join(splits), "agl.eval.model_path": cfg.eval.model_path,
            "agl.eval.prompts": str(prompts) if prompts else "default"}
    with exits_on(*USER_ERRORS), evaluation_run(cfg, stage if track else None, tags=tags) as run:
        evals = run_evaluation(cfg, splits, endpoint=endpoint, model=model, prompts=prompts, limit=limit,
                               n_runners=n_runners, params_path=str(params))
        if run is not None:
            log_evaluation(cfg, run, evals)
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
    from agl_ops.llm.client import discover_model
    from agl_ops.llm.endpoint import model_endpoint
    from agl_ops.prompt_sets import resolve_prompt_set
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.wiring import agent_from_params, prompt_resources, tasks_from_params
    from agl_ops.trainer import Trainer

    cfg = load_cli_params(params, None)
    store = MemoryStore()
    with exits_on(*USER_ERRORS):
        tasks = tasks_from_params(cfg, split, limit)
        resources = prompt_resources(resolve_prompt_set(None, cfg.eval.prompts))
        # the tracing proxy in front of the model, so the table shows the LLM spans a
        # trainer would get (the point of a dry run is to check the traces too)
        with model_endpoint(cfg.eval.model_path, endpoint or cfg.eval.endpoint, store=store,
                            server_args=["--params", str(params)]) as ep:
            name = model or cfg.eval.model or discover_model(ep.model_url)
            resources["main_llm"] = ep.llm_resource(name, temperature=cfg.eval.temperature)
            console.print(f"SQL agent on {len(tasks)} {split} tasks with {name} at {ep.model_url} (traced by {ep.url})")
            report = Trainer(n_runners=n_runners, initial_resources=resources, store=store,
                             timeout_s=cfg.runner.timeout_s).dev(agent_from_params(cfg), tasks, limit=limit, console=console)
    if report.all_failed:
        fail("every rollout failed: see the error column", code=1)
