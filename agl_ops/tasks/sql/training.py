"""Weight training of the SQL agent from params.yaml: what ``agl-ops train`` and the
pipeline call.

GRPO: a model server on the start model (started here unless an endpoint is given; it
must support ``POST /admin/reload``), the tracing proxy in front of it, runner threads
executing the agent, and :class:`~agl_ops.algorithms.grpo.GRPO` hot-reloading every new
adapter into the server. VERL: data files, config and command line for verl; training
itself needs GPUs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import agl_ops.tasks.sql.shaping  # noqa: F401 - registers the sql_* reward-shaping rules
from agl_ops.config import Params
from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.wiring import agent_from_params, prompt_resources, tasks_from_params

__all__ = ["run_warm_start", "sql_examples", "train_grpo", "train_verl", "training_agent", "warm_start_model_dir"]

logger = logging.getLogger(__name__)


def training_agent(cfg: Params) -> LitSQLAgent:
    """The SQL agent as configured, with the training overrides (turns, tokens; one query
    per step: a voted query is not the sampled transition the loss would score)."""
    return agent_from_params(cfg, max_turns=cfg.train.agent_max_turns, max_tokens=cfg.train.agent_max_tokens,
                             samples=1)


def sql_examples(tasks: Sequence[Mapping[str, Any]], render: Callable[[Mapping[str, Any]], str],
                 answer_suffix: str = ";") -> list[tuple[str, str]]:
    """Warm-start examples: (prompt, gold query + suffix) per task; ``render`` is the
    agent's write prompt."""
    return [(render(t), str(t["query"]).strip().rstrip(";") + answer_suffix) for t in tasks]


def warm_start_renderer(agent: LitSQLAgent, resources: Mapping[str, Any], pool: Sequence[Mapping[str, Any]],
                        ws: Any, seed: int) -> Callable[[Mapping[str, Any]], str]:
    """The write prompt of a warm-start example: the agent's own, and for a
    ``ws.demo_share`` of the tasks (a stable pick by task) the same prompt with the
    ``ws.demos`` train questions closest to it (other databases) as demonstrations."""
    if ws.demo_share <= 0:
        return lambda task: agent.write_prompt(task, resources)
    import hashlib

    from agl_ops.tasks.sql.agent import SETTINGS, demo_settings
    from agl_ops.types import Settings

    demos = demo_settings(pool, ws.demos, ws.demo_schema).values  # over the prompt set's own settings
    with_demos = {**resources, SETTINGS: Settings(values={**agent.settings(resources), **demos})}

    def render(task: Mapping[str, Any]) -> str:
        key = f"{seed}:{task.get('id') or task['question']}".encode()
        pick = int(hashlib.sha1(key).hexdigest()[:8], 16) / 16**8 < ws.demo_share
        return agent.write_prompt(task, with_demos if pick else resources)

    return render


def warm_start_model_dir(cfg: Params) -> Path:
    """Where the merged warm-started model goes (GRPO's start with ``fresh_adapter``)."""
    ws = cfg.train.warm_start
    return Path(ws.output_dir) if ws.output_dir else Path(cfg.train.run_dir) / "warm_start_model"


def train_grpo(
    cfg: Params, *, endpoint: str | None = None, prompts: str | Path | None = None, sink: Any = None,
    resume: bool = True, show_progress: bool = True,
) -> Any:
    """Run GRPO on the SQL task as ``cfg`` says; returns the :class:`GRPOResult`.

    ``prompts``: a prompt set file to start from (must exist; default: ``train.prompts``
    when that file exists). With ``warm_start.fresh_adapter`` (the default) the run has
    two parts: the supervised warm start on ``train.model_path``, merged and exported;
    then GRPO on a new adapter over that model, served by the model server, so the KL
    reference and every rollout start from the warm start."""
    from agl_ops.algorithms.grpo import GRPO
    from agl_ops.algorithms.reload import ServerReloader
    from agl_ops.llm.client import discover_model
    from agl_ops.llm.endpoint import model_endpoint
    from agl_ops.prompt_sets import resolve_prompt_set
    from agl_ops.store import MemoryStore
    from agl_ops.trainer import Trainer

    t = cfg.train
    all_train = tasks_from_params(cfg, "train")
    train = all_train
    if t.train_difficulties:
        train = [task for task in train if task.get("difficulty") in set(t.train_difficulties)]
        logger.info("training on %d tasks of tiers %s", len(train), ", ".join(t.train_difficulties))
    val = tasks_from_params(cfg, "val", t.grpo.val_limit)
    resources = prompt_resources(resolve_prompt_set(prompts, t.prompts))
    policy, start = None, Path(t.model_path)
    if t.warm_start.enabled:
        if t.warm_start.fresh_adapter:
            start = _warm_started_model(cfg, all_train, resources, sink=sink, resume=resume)
        else:
            policy = run_warm_start(cfg, all_train, resources, sink=sink, resume=resume)
    store = MemoryStore()  # private to the run: no other runner can claim its rollouts; checkpoints hold the state
    with model_endpoint(start, endpoint, store=store) as ep:
        reloader = ServerReloader(ep.model_url)
        if endpoint and start != Path(t.model_path):
            reloader.reload(start, "warm-start", adapter=False)  # the given server now serves the warm start
        resources["main_llm"] = ep.llm_resource(discover_model(ep.model_url), temperature=t.grpo.temperature)
        algorithm = GRPO(t.grpo, model_path=start, run_dir=t.run_dir, output_dir=t.output_dir, policy_params=t.policy,
                         adapter_params=t.adapter, merge=t.merge, reloader=reloader, sink=sink, seed=cfg.seed,
                         resume=resume, initial_policy=policy)
        trainer = Trainer(algorithm=algorithm, n_runners=t.n_runners, store=store, runner_backend="thread",
                          initial_resources=resources, timeout_s=cfg.runner.timeout_s, max_attempts=1,
                          show_progress=show_progress)
        return trainer.fit(training_agent(cfg), train, val)


def _warm_started_model(cfg: Params, train: list[dict[str, Any]], resources: Mapping[str, Any], *,
                        sink: Any, resume: bool) -> Path:
    """The merged warm-started model dir: made now, or kept when a GRPO checkpoint on it
    will be resumed."""
    import gc

    from agl_ops.algorithms.checkpoint import latest_checkpoint
    from agl_ops.llm.prepare import ModelSourceError, check_model_dir

    out = warm_start_model_dir(cfg)
    if resume and latest_checkpoint(Path(cfg.train.run_dir)) is not None:
        try:
            check_model_dir(out)
        except ModelSourceError as exc:
            raise FileNotFoundError(
                f"the GRPO checkpoint in {cfg.train.run_dir} trains an adapter over the warm-started model {out}, "
                "which is missing or incomplete; run again without resuming (--no-resume) to redo the warm start"
            ) from exc
        logger.info("warm start skipped: resuming GRPO on %s", out)
        return out
    policy = run_warm_start(cfg, train, resources, sink=sink, resume=False)
    del policy  # GRPO loads the merged model with a new adapter; free this copy first
    gc.collect()
    return out


def run_warm_start(cfg: Params, train: list[dict[str, Any]], resources: Mapping[str, Any], *, sink: Any = None,
                   resume: bool = True) -> Any:
    """Load the policy and fine-tune it on the train tasks' gold queries (train.warm_start),
    unless a GRPO checkpoint will overwrite its weights anyway; returns the policy.

    The adapter is saved to ``run_dir/warm_start``; with ``warm_start.output_dir`` or
    ``fresh_adapter`` the merged model is exported (:func:`warm_start_model_dir`)."""
    from agl_ops.algorithms.checkpoint import latest_checkpoint
    from agl_ops.metrics import CsvSink, JsonlSink, LoggingSink, as_sink
    from agl_ops.algorithms.policy import Policy, export_model
    from agl_ops.algorithms.warm_start import sft_rows, warm_start

    t, ws, pp = cfg.train, cfg.train.warm_start, cfg.train.policy
    policy = Policy.load(t.model_path, pp.lora, dtype=pp.dtype, attn_implementation=pp.attn_implementation)
    run_dir = Path(t.run_dir)
    if resume and latest_checkpoint(run_dir) is not None:
        logger.info("warm start skipped: resuming GRPO from its checkpoint")
        return policy
    tasks = [x for x in train if not ws.difficulties or x.get("difficulty") in set(ws.difficulties)]
    agent = training_agent(cfg)
    rows = sft_rows(sql_examples(tasks, warm_start_renderer(agent, resources, train, ws, cfg.seed)), policy.tokenizer,
                    max_prompt_length=t.adapter.max_prompt_length, max_response_length=t.adapter.max_response_length)
    sinks = [LoggingSink(("warm_start/loss", "warm_start/lr", "warm_start/elapsed_s")),
             JsonlSink(run_dir / "metrics.jsonl"), CsvSink(run_dir / "metrics.csv")] + ([sink] if sink is not None else [])
    result = warm_start(policy, rows, ws, sink=as_sink(sinks), seed=cfg.seed)
    weights = policy.save_weights(run_dir / "warm_start")
    (run_dir / "warm_start" / "warm_start.json").write_text(json.dumps(result.__dict__, indent=1))
    if ws.output_dir or ws.fresh_adapter:  # GRPO on a fresh adapter needs a full model dir: always merged
        export_model(policy.base_path, weights, warm_start_model_dir(cfg), lora=policy.lora,
                     merge=t.merge or ws.fresh_adapter, metadata={"warm_start": result.__dict__})
    return policy


def train_verl(cfg: Params, *, store_url: str | None = None, launch: bool | None = None) -> Any:
    """Validate the verl config and (on a GPU machine) launch verl; our runners must run
    beside it (``agl-ops runner --store ...``) to serve its rollouts."""
    from agl_ops.algorithms.base import AlgorithmContext
    from agl_ops.algorithms.verl import VERL
    from agl_ops.store import open_store

    t = cfg.train
    params = t.verl if launch is None else t.verl.model_copy(update={"launch": launch})
    algo = VERL(params=params, model_path=t.model_path, run_dir=t.run_dir, adapter_params=t.adapter)
    store = open_store(store_url or cfg.store.url)
    try:
        return algo.run(AlgorithmContext(store=store, resources=store.get_resources()),
                        tasks_from_params(cfg, "train"), tasks_from_params(cfg, "val"))
    finally:
        store.close()
