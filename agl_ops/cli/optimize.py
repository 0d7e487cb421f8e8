"""``agl-ops optimize prompt``: better prompts for the SQL agent (APO or Optuna search).

Works as a DVC stage: reads params.yaml (``prompt_opt``), the data folder and the
model; with no endpoint it starts the local model server and the tracing proxy itself;
writes ``outputs/prompts/best.json`` (the prompt resources) and
``metrics/prompt_opt.json`` (val and test accuracy of the baseline vs the best prompt,
per difficulty tier, measured side by side in this run), and logs everything to MLflow.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, load_cli_params

optimize_app = typer.Typer(help="Optimize the agent from its rollouts (prompts; weights: `agl-ops train`).",
                           no_args_is_help=True)
app.add_typer(optimize_app, name="optimize")


@contextmanager
def agent_endpoints(cfg: Any, endpoint: str | None, store: Any) -> Iterator[tuple[str, str, bool]]:
    """``(agent_url, model_url, proxied)``. A given endpoint is used as it is; without one
    the local model server starts on ``prompt_opt.model_path`` (default ``model.path``)
    with the tracing proxy in front of it, recording LLM spans into ``store``."""
    url = endpoint or cfg.prompt_opt.endpoint
    if url:
        yield url, url, False
        return
    from agl_ops.llm.client import ModelServerProcess
    from agl_ops.llm.proxy import LLMProxy

    model_path = cfg.prompt_opt.model_path or cfg.model.path
    if not Path(model_path).is_dir():
        raise RuntimeError(f"no model at {model_path}: run `agl-ops model prepare` or pass --endpoint")
    with console.status(f"starting the model server on {model_path}"):
        server = ModelServerProcess(model_path).start()
    try:
        with LLMProxy(server.url, store) as proxy:
            yield proxy.url, server.url, True
    finally:
        server.stop()


def tier_accuracy(tasks: Sequence[Mapping[str, Any]], rewards: Sequence[float]) -> dict[str, Any]:
    """Accuracy overall and per ``difficulty`` of one prompt on ``tasks``."""
    tiers: dict[str, list[float]] = defaultdict(list)
    for t, r in zip(tasks, rewards):
        tiers[str(t.get("difficulty", "all"))].append(r)
    n = len(rewards)
    return {"accuracy": sum(rewards) / n if n else 0.0, "n": n,
            "per_difficulty": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(tiers.items())}}


def _compare(baseline: Mapping[str, Any], best: Mapping[str, Any]) -> dict[str, Any]:
    return {"baseline": baseline, "best": best, "gain": best["accuracy"] - baseline["accuracy"]}


def _flat(report: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for split in ("val", "test"):
        if split not in report:
            continue
        for who in ("baseline", "best"):
            r = report[split][who]
            out[f"{split}_{who}_accuracy"] = r["accuracy"]
            out.update({f"{split}_{who}_accuracy_{t}": m["accuracy"] for t, m in r["per_difficulty"].items()})
        out[f"{split}_gain"] = report[split]["gain"]
    return out


def _table(report: Mapping[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"prompt optimization ({report['algorithm']}): execution accuracy, baseline vs best")
    for col in ("split", "tier", "tasks", "baseline", "best", "gain"):
        table.add_column(col, justify="left" if col in ("split", "tier") else "right")
    for split in ("val", "test"):
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


def _test_report(cfg: Any, result: Any, tasks: list[dict[str, Any]], model_url: str, model: str) -> dict[str, Any]:
    """Baseline and best prompt on the test tasks, both at once through one runner pool."""
    from agl_ops.algorithms.base import AlgorithmContext
    from agl_ops.algorithms.prompt_candidates import CandidateScorer
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.prompts import default_resources
    from agl_ops.tasks.sql.wiring import agent_from_params
    from agl_ops.trainer import Trainer

    po = cfg.prompt_opt
    resources = default_resources(model_url, model, proxied=False, sampling_parameters={"temperature": po.temperature})

    class _Both:
        def run(self, ctx: AlgorithmContext, train: Sequence[Any], val: Any) -> Any:
            scorer = CandidateScorer(ctx, sampling={"max_tokens": po.max_tokens, "temperature": po.temperature},
                                     keep_digests=False)
            pool = [result.baseline] if result.best.id == result.baseline.id else [result.baseline, result.best]
            evals = scorer.score_many(pool, train, mode="test", description=f"test: baseline + best on {len(train)} tasks")
            return [ev.rewards for ev in evals]

    rewards = Trainer(algorithm=_Both(), n_runners=po.n_runners, initial_resources=resources, store=MemoryStore(),
                      runner_backend="thread", timeout_s=cfg.runner.timeout_s).fit(agent_from_params(cfg), tasks)
    base = tier_accuracy(tasks, rewards[0])
    return _compare(base, tier_accuracy(tasks, rewards[-1]))


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
    from agl_ops.tasks.sql.spider import DataError
    from agl_ops.tasks.sql.wiring import tasks_from_params

    cfg = load_cli_params(params, [*(overrides or []), *([f"prompt_opt.algorithm={algorithm}"] if algorithm else [])])
    po = cfg.prompt_opt
    try:
        train = tasks_from_params(cfg, "train")
        val = tasks_from_params(cfg, "val", po.val_limit)
        test_tasks = tasks_from_params(cfg, "test", po.test_limit) if test else []
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    start = time.perf_counter()
    try:
        report = _optimize(cfg, train, val, test_tasks, endpoint, model, tracking)
    except (RuntimeError, ConnectionError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(_table(report))
    console.print(f"best prompt: {po.output} ({report['best_candidate']}, "
                  f"{'improved' if report['improved'] else 'baseline kept'}); metrics: {po.metrics_file}; "
                  f"{time.perf_counter() - start:.0f}s")


def _optimize(cfg: Any, train: list[dict[str, Any]], val: list[dict[str, Any]], test_tasks: list[dict[str, Any]],
              endpoint: str | None, model: str | None, use_tracking: bool) -> dict[str, Any]:
    from contextlib import nullcontext

    from agl_ops.algorithms.prompt_candidates import OptimizerLLM, save_best_prompts
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.prompts import default_resources
    from agl_ops.tasks.sql.wiring import agent_from_params, discover_model
    from agl_ops.trainer import Trainer

    po = cfg.prompt_opt
    store = MemoryStore()
    start = time.perf_counter()
    run_ctx: Any = nullcontext(None)
    if use_tracking:
        from agl_ops import tracking

        tracking.setup_tracking(cfg.tracking)
        run_ctx = tracking.stage_run("optimize_prompt", cfg, tags={"agl.algorithm": po.algorithm})
    with run_ctx as run, agent_endpoints(cfg, endpoint, store) as (agent_url, model_url, proxied):
        name = model or po.model or discover_model(model_url)
        resources = default_resources(agent_url, name, proxied=proxied, sampling_parameters={"temperature": po.temperature})
        optimizer = OptimizerLLM.from_params(po.optimizer, model_url, name)
        sink = run.metrics if run is not None else None
        if po.algorithm == "apo":
            from agl_ops.algorithms.apo import APO

            algo: Any = APO(po, optimizer=optimizer, sink=sink, seed=cfg.seed)
        else:
            from agl_ops.algorithms.prompt_search import PromptSearch

            algo = PromptSearch(po, optimizer=optimizer, sink=sink, seed=cfg.seed)
        console.print(f"optimizing prompts ({po.algorithm}) with {name} at {agent_url}; optimizer LLM "
                      f"{optimizer.model or '?'} at {optimizer.endpoint}; {len(train)} train, {len(val)} val tasks")
        result = Trainer(algorithm=algo, n_runners=po.n_runners, initial_resources=resources, store=store,
                         runner_backend="thread", timeout_s=cfg.runner.timeout_s).fit(agent_from_params(cfg), train, val)
        report: dict[str, Any] = {"algorithm": result.algorithm, "improved": result.improved,
                                  "best_candidate": result.best.id, "stopped": result.stopped,
                                  "optimize_s": result.elapsed_s, "candidates": len(result.candidates)}
        if val:
            report["val"] = _compare(tier_accuracy(val, result.val_rewards[result.baseline.id]),
                                     tier_accuracy(val, result.val_rewards[result.best.id]))
        if test_tasks:
            report["test"] = _test_report(cfg, result, test_tasks, model_url, name)
        report["elapsed_s"] = round(time.perf_counter() - start, 1)
        versions: dict[str, int] = {}
        if run is not None:
            from agl_ops import tracking
            from agl_ops.algorithms.prompt_records import record_result

            versions = record_result(result, run_id=run.run_id, prompt_prefix=cfg.tracking.prompt_name,
                                     register=po.register_best, tags={"val_gain": report.get("val", {}).get("gain")})
            run.metrics.log_metrics({**_flat(report), "elapsed_s": report["elapsed_s"]})
            tracking.log_json(report, "prompt_opt/report.json", run_id=run.run_id)
            report["run_id"] = run.run_id
        report["prompt_versions"] = versions
    save_best_prompts(po.output, result.best.prompts, algorithm=result.algorithm, candidate=result.best.id,
                      improved=result.improved, val_accuracy=result.best.val_score,
                      baseline_val_accuracy=result.baseline.val_score, run_id=report.get("run_id"),
                      registry={"prefix": cfg.tracking.prompt_name, "versions": versions})
    metrics_path = Path(po.metrics_file)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return report
