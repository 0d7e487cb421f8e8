"""The ``optimize_prompt`` stage: better prompts and agent settings for the SQL agent
on the model the pipeline ships (APO or Optuna search).

Candidates are scored on train tasks from the held-out train databases (split
``prompt_dev``: the shipped model was not trained on them, so scores discriminate) and
the final pick between the baseline and the best trials is made there too; val, test
and the realistic dev set are only reported (baseline vs best, per tier, side by side
in this run). Reads params.yaml (``prompt_opt``), the data and the model (with no
endpoint it starts the local model server and the tracing proxy itself); writes
``prompt_opt.output`` (the best prompt set with its settings) and
``prompt_opt.metrics_file``, and logs everything to MLflow. ``agl-ops optimize prompt``
calls it.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from agl_ops.config import Params

__all__ = ["PROMPT_OPTIMIZERS", "REPORT_SPLITS", "optimize_prompts", "tier_accuracy"]

REPORT_SPLITS = ("selection", "val", "test", "realistic")  # selection: the held-out train tasks the pick was made on


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
    """The report as MLflow metrics (``val_best_accuracy_easy``...)."""
    out: dict[str, float] = {}
    for split in REPORT_SPLITS:
        if split not in report:
            continue
        for who in ("baseline", "best"):
            r = report[split][who]
            out[f"{split}_{who}_accuracy"] = r["accuracy"]
            out.update({f"{split}_{who}_accuracy_{t}": m["accuracy"] for t, m in r["per_difficulty"].items()})
        out[f"{split}_gain"] = report[split]["gain"]
    return out


def _apo(cfg: Params, optimizer: Any, sink: Any, baseline: Mapping[str, Any]) -> Any:
    from agl_ops.algorithms.apo import APO
    from agl_ops.tasks.sql.prompt_space import describe_sql_failure
    from agl_ops.tasks.sql.prompts import OPTIONAL_FIELDS

    return APO(cfg.prompt_opt, optimizer=optimizer, sink=sink, seed=cfg.seed, describe=describe_sql_failure,
               optional_fields=OPTIONAL_FIELDS)


def _search(cfg: Params, optimizer: Any, sink: Any, baseline: Mapping[str, Any]) -> Any:
    from agl_ops.algorithms.prompt_search import PromptSearch
    from agl_ops.tasks.sql.prompt_space import SqlPromptSpace

    from agl_ops.tasks.sql.wiring import tasks_from_params

    po = cfg.prompt_opt  # demos come from the tasks the model learned from: train (never val or test)
    space = SqlPromptSpace(po.search, pool=tasks_from_params(cfg, "train"), prompts_dir=po.optimizer.prompts_dir,
                           constrained=(baseline["constrained"], not baseline["constrained"]),
                           samples=(baseline["samples"], po.search.samples), trained_demos=_trained_demos(cfg))
    return PromptSearch(po, space=space, optimizer=optimizer, sink=sink, seed=cfg.seed)


def _trained_demos(cfg: Params) -> tuple[int, str] | None:
    """The demos the shipped model was warm-started to read (count, schema style), if any."""
    ws = cfg.train.warm_start
    trained = cfg.train.method != "none" and ws.enabled and ws.demo_share > 0
    return (ws.demos, ws.demo_schema) if trained else None


# prompt_opt.algorithm -> the algorithm, built for the SQL agent (the last argument: the
# baseline's decoding settings, constrained and samples)
PROMPT_OPTIMIZERS: dict[str, Callable[[Params, Any, Any, Mapping[str, Any]], Any]] = {"apo": _apo, "search": _search}


def _report_splits(cfg: Params, with_test: bool) -> dict[str, list[dict[str, Any]]]:
    """The tasks of the baseline-vs-best report: val and test (their limits) and the
    realistic dev set (whole). Report only: nothing here chooses."""
    from agl_ops.tasks.sql.wiring import REALISTIC_SPLIT, tasks_from_params

    if not with_test:
        return {}
    po = cfg.prompt_opt
    return {"val": tasks_from_params(cfg, "val", po.val_limit), "test": tasks_from_params(cfg, "test", po.test_limit),
            REALISTIC_SPLIT: tasks_from_params(cfg, REALISTIC_SPLIT)}


def _side_by_side(cfg: Params, result: Any, splits: Mapping[str, list[dict[str, Any]]], model_url: str,
                  model: str) -> dict[str, Any]:
    """Baseline and best on every report split, all at once through one runner pool."""
    from agl_ops.algorithms.prompt_candidates import ScoreCandidates
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.prompts import default_resources
    from agl_ops.tasks.sql.wiring import agent_from_params
    from agl_ops.trainer import Trainer

    po = cfg.prompt_opt
    tasks = [t for rows in splits.values() for t in rows]
    if not tasks:
        return {}
    resources = default_resources(model_url, model, proxied=False, sampling_parameters={"temperature": po.temperature})
    pool = [result.baseline] if result.best.id == result.baseline.id else [result.baseline, result.best]
    scorer = ScoreCandidates(pool, sampling={"max_tokens": po.max_tokens, "temperature": po.temperature},
                             description=f"report: baseline + best on {len(tasks)} tasks ({', '.join(splits)})")
    rewards = Trainer(algorithm=scorer, n_runners=po.n_runners, initial_resources=resources, store=MemoryStore(),
                      runner_backend="thread", timeout_s=cfg.runner.timeout_s).fit(agent_from_params(cfg), tasks)
    out, start = {}, 0
    for split, rows in splits.items():
        end = start + len(rows)
        out[split] = _compare(tier_accuracy(rows, rewards[0][start:end]), tier_accuracy(rows, rewards[-1][start:end]))
        start = end
    return out


def _start_prompts(cfg: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    """The baseline: the prompt set the shipped model was trained with (``train.prompts``
    when the file exists, else the shipped prompts), and its decoding: whether under the
    schema grammar and how many queries a step votes over (its own ``constrained`` /
    ``samples`` settings, else ``agent.constrained`` / ``agent.samples``)."""
    from agl_ops.prompt_sets import resolve_prompt_set
    from agl_ops.types import SETTINGS_RESOURCE, Settings
    from agl_ops.tasks.sql.wiring import prompt_resources

    resources = prompt_resources(resolve_prompt_set(None, cfg.train.prompts))
    settings = resources.get(SETTINGS_RESOURCE)
    values = settings.values if isinstance(settings, Settings) else {}
    return resources, {"constrained": bool(values.get("constrained", cfg.agent.constrained)),
                       "samples": int(values.get("samples", cfg.agent.samples))}


def _scoring_tasks(cfg: Params) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(minibatch tasks, selection tasks) from the held-out train databases (split
    prompt_dev), shuffled by the seed: the shipped model never trained on them."""
    import random

    from agl_ops.tasks.sql.wiring import PROMPT_DEV_SPLIT, tasks_from_params

    po = cfg.prompt_opt
    held = tasks_from_params(cfg, PROMPT_DEV_SPLIT)
    if len(held) < po.select_limit + po.minibatch_size:
        raise ValueError(f"the held-out train databases (data.prompt_dev_databases) have {len(held)} tasks; prompt "
                         f"optimization needs select_limit + minibatch_size = {po.select_limit + po.minibatch_size}")
    random.Random(cfg.seed if po.seed is None else po.seed).shuffle(held)
    return held[po.select_limit:], held[: po.select_limit]


def optimize_prompts(cfg: Params, *, endpoint: str | None = None, model: str | None = None, with_test: bool = True,
                     track: bool = True, announce: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the stage as ``cfg.prompt_opt`` says; returns the report written to
    ``prompt_opt.metrics_file``. ``announce`` receives one line saying what runs where."""
    from agl_ops.algorithms.prompt_candidates import OptimizerLLM
    from agl_ops.llm.client import discover_model
    from agl_ops.llm.endpoint import model_endpoint
    from agl_ops.prompt_sets import write_prompt_set
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.wiring import agent_from_params
    from agl_ops.trainer import Trainer

    po = cfg.prompt_opt
    if po.algorithm not in PROMPT_OPTIMIZERS:
        raise ValueError(f"unknown prompt optimizer {po.algorithm!r}; valid: {', '.join(PROMPT_OPTIMIZERS)}")
    search_tasks, select_tasks = _scoring_tasks(cfg)
    start_prompts, baseline_decoding = _start_prompts(cfg)
    report_splits = _report_splits(cfg, with_test)  # data errors before a slow start
    store = MemoryStore()
    start = time.perf_counter()
    run_ctx: Any = nullcontext(None)
    if track:
        from agl_ops import tracking

        tracking.setup_tracking(cfg.tracking)
        run_ctx = tracking.stage_run("optimize_prompt", cfg, tags={"agl.algorithm": po.algorithm})
    given = endpoint or po.endpoint
    # a given endpoint is used as it is (it may not be ours); a local server gets the tracing proxy
    model_path = po.model_path or cfg.train.output_dir  # the model the pipeline ships
    with run_ctx as run, model_endpoint(model_path, given, store=None if given else store) as ep:
        name = model or po.model or discover_model(ep.model_url)
        resources = {**start_prompts, "main_llm": ep.llm_resource(name, temperature=po.temperature)}
        optimizer = OptimizerLLM.from_params(po.optimizer, ep.model_url, name)
        algo = PROMPT_OPTIMIZERS[po.algorithm](cfg, optimizer, run.metrics if run is not None else None,
                                               baseline_decoding)
        if announce is not None:
            announce(f"optimizing prompts ({po.algorithm}) of {name} ({given or model_path}) at {ep.url}; optimizer "
                     f"LLM {optimizer.model or '?'} at {optimizer.endpoint}; scoring on {len(search_tasks)} + "
                     f"{len(select_tasks)} tasks of held-out train databases")
        result = Trainer(algorithm=algo, n_runners=po.n_runners, initial_resources=resources, store=store,
                         runner_backend="thread", timeout_s=cfg.runner.timeout_s).fit(
            agent_from_params(cfg), search_tasks, select_tasks)
        report: dict[str, Any] = {"algorithm": result.algorithm, "improved": result.improved,
                                  "best_candidate": result.best.id, "stopped": result.stopped,
                                  "optimize_s": result.elapsed_s, "candidates": len(result.candidates)}
        report["selection"] = _compare(tier_accuracy(select_tasks, result.val_rewards[result.baseline.id]),
                                       tier_accuracy(select_tasks, result.val_rewards[result.best.id]))
        report.update(_side_by_side(cfg, result, report_splits, ep.model_url, name))
        report["best_settings"] = {k: v for k, v in result.best.settings.items() if k != "demos"}
        report["elapsed_s"] = round(time.perf_counter() - start, 1)
        versions: dict[str, int] = {}
        if run is not None:
            from agl_ops import tracking
            from agl_ops.algorithms.prompt_records import record_result

            versions = record_result(result, run_id=run.run_id, prompt_prefix=cfg.tracking.prompt_name,
                                     register=po.register_best, tags={"selection_gain": report["selection"]["gain"],
                                                                      "test_gain": report.get("test", {}).get("gain")})
            run.metrics.log_metrics({**_flat(report), "elapsed_s": report["elapsed_s"]})
            tracking.log_json(report, "prompt_opt/report.json", run_id=run.run_id)
            report["run_id"] = run.run_id
        report["prompt_versions"] = versions
    write_prompt_set(po.output, result.best.prompts, result.best.settings, algorithm=result.algorithm,
                     candidate=result.best.id, improved=result.improved, selection_accuracy=result.best.val_score,
                     baseline_selection_accuracy=result.baseline.val_score, run_id=report.get("run_id"),
                     registry={"prefix": cfg.tracking.prompt_name, "versions": versions})
    metrics_path = Path(po.metrics_file)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return report
