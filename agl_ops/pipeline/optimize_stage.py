"""The ``optimize_prompt`` stage: better prompts for the SQL agent (APO or Optuna search).

Reads params.yaml (``prompt_opt``), the data folder and the model; with no endpoint it
starts the local model server and the tracing proxy itself; writes
``prompt_opt.output`` (the best prompt set) and ``prompt_opt.metrics_file`` (val and
test accuracy of the baseline vs the best prompt, per difficulty tier, measured side by
side in this run), and logs everything to MLflow. ``agl-ops optimize prompt`` calls it.
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

__all__ = ["PROMPT_OPTIMIZERS", "optimize_prompts", "tier_accuracy"]


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
    for split in ("val", "test"):
        if split not in report:
            continue
        for who in ("baseline", "best"):
            r = report[split][who]
            out[f"{split}_{who}_accuracy"] = r["accuracy"]
            out.update({f"{split}_{who}_accuracy_{t}": m["accuracy"] for t, m in r["per_difficulty"].items()})
        out[f"{split}_gain"] = report[split]["gain"]
    return out


def _apo(cfg: Params, optimizer: Any, sink: Any) -> Any:
    from agl_ops.algorithms.apo import APO
    from agl_ops.tasks.sql.prompt_space import describe_sql_failure
    from agl_ops.tasks.sql.prompts import OPTIONAL_FIELDS

    return APO(cfg.prompt_opt, optimizer=optimizer, sink=sink, seed=cfg.seed, describe=describe_sql_failure,
               optional_fields=OPTIONAL_FIELDS)


def _search(cfg: Params, optimizer: Any, sink: Any) -> Any:
    from agl_ops.algorithms.prompt_search import PromptSearch
    from agl_ops.tasks.sql.prompt_space import SqlPromptSpace

    po = cfg.prompt_opt
    space = SqlPromptSpace(po.search, prompts_dir=po.optimizer.prompts_dir)
    return PromptSearch(po, space=space, optimizer=optimizer, sink=sink, seed=cfg.seed)


# prompt_opt.algorithm -> the algorithm, built for the SQL agent
PROMPT_OPTIMIZERS: dict[str, Callable[[Params, Any, Any], Any]] = {"apo": _apo, "search": _search}


def _test_report(cfg: Params, result: Any, tasks: list[dict[str, Any]], model_url: str, model: str) -> dict[str, Any]:
    """Baseline and best prompt on the test tasks, both at once through one runner pool."""
    from agl_ops.algorithms.prompt_candidates import ScoreCandidates
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.prompts import default_resources
    from agl_ops.tasks.sql.wiring import agent_from_params
    from agl_ops.trainer import Trainer

    po = cfg.prompt_opt
    resources = default_resources(model_url, model, proxied=False, sampling_parameters={"temperature": po.temperature})
    pool = [result.baseline] if result.best.id == result.baseline.id else [result.baseline, result.best]
    scorer = ScoreCandidates(pool, sampling={"max_tokens": po.max_tokens, "temperature": po.temperature},
                             description=f"test: baseline + best on {len(tasks)} tasks")
    rewards = Trainer(algorithm=scorer, n_runners=po.n_runners, initial_resources=resources, store=MemoryStore(),
                      runner_backend="thread", timeout_s=cfg.runner.timeout_s).fit(agent_from_params(cfg), tasks)
    return _compare(tier_accuracy(tasks, rewards[0]), tier_accuracy(tasks, rewards[-1]))


def optimize_prompts(cfg: Params, *, endpoint: str | None = None, model: str | None = None, with_test: bool = True,
                     track: bool = True, announce: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the stage as ``cfg.prompt_opt`` says; returns the report written to
    ``prompt_opt.metrics_file``. ``announce`` receives one line saying what runs where."""
    from agl_ops.algorithms.prompt_candidates import OptimizerLLM
    from agl_ops.llm.client import discover_model
    from agl_ops.llm.endpoint import model_endpoint
    from agl_ops.prompt_sets import write_prompt_set
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.prompts import default_prompts
    from agl_ops.tasks.sql.wiring import agent_from_params, tasks_from_params
    from agl_ops.trainer import Trainer

    po = cfg.prompt_opt
    if po.algorithm not in PROMPT_OPTIMIZERS:
        raise ValueError(f"unknown prompt optimizer {po.algorithm!r}; valid: {', '.join(PROMPT_OPTIMIZERS)}")
    train = tasks_from_params(cfg, "train")
    val = tasks_from_params(cfg, "val", po.val_limit)
    test_tasks = tasks_from_params(cfg, "test", po.test_limit) if with_test else []
    store = MemoryStore()
    start = time.perf_counter()
    run_ctx: Any = nullcontext(None)
    if track:
        from agl_ops import tracking

        tracking.setup_tracking(cfg.tracking)
        run_ctx = tracking.stage_run("optimize_prompt", cfg, tags={"agl.algorithm": po.algorithm})
    given = endpoint or po.endpoint
    # a given endpoint is used as it is (it may not be ours); a local server gets the tracing proxy
    with run_ctx as run, model_endpoint(po.model_path or cfg.model.path, given, store=None if given else store) as ep:
        name = model or po.model or discover_model(ep.model_url)
        resources = {**default_prompts(), "main_llm": ep.llm_resource(name, temperature=po.temperature)}
        optimizer = OptimizerLLM.from_params(po.optimizer, ep.model_url, name)
        algo = PROMPT_OPTIMIZERS[po.algorithm](cfg, optimizer, run.metrics if run is not None else None)
        if announce is not None:
            announce(f"optimizing prompts ({po.algorithm}) with {name} at {ep.url}; optimizer LLM "
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
            report["test"] = _test_report(cfg, result, test_tasks, ep.model_url, name)
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
    write_prompt_set(po.output, result.best.prompts, algorithm=result.algorithm, candidate=result.best.id,
                     improved=result.improved, val_accuracy=result.best.val_score,
                     baseline_val_accuracy=result.baseline.val_score, run_id=report.get("run_id"),
                     registry={"prefix": cfg.tracking.prompt_name, "versions": versions})
    metrics_path = Path(po.metrics_file)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return report
