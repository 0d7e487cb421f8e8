"""Weight training of the SQL agent from params.yaml: what ``agl-ops train`` and the
pipeline call.

GRPO: a model server on ``train.model_path`` (started here unless an endpoint is given;
it must support ``POST /admin/reload``), the tracing proxy in front of it, runner
threads executing the agent, and :class:`~agl_ops.algorithms.grpo.GRPO` hot-reloading
every new adapter into the server. VERL: data files, config and command line for verl;
training itself needs GPUs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agl_ops.config import Params

__all__ = ["load_prompt_file", "model_server", "run_warm_start", "train_grpo", "train_verl", "training_agent", "warm_start_model_dir"]

logger = logging.getLogger(__name__)


def load_prompt_file(path: str | Path) -> dict[str, Any]:
    """A prompt set saved as JSON: ``{name: template}`` or ``{name: {"template": ...}}``
    (resources as the prompt-optimization stage writes them); non-prompt entries are
    ignored."""
    from agl_ops.types import PromptTemplate

    data = json.loads(Path(path).read_text())
    if isinstance(data, Mapping) and isinstance(data.get("resources"), Mapping):
        data = data["resources"]
    out: dict[str, Any] = {}
    for name, value in (data or {}).items():
        if isinstance(value, str):
            out[name] = PromptTemplate(template=value)
        elif isinstance(value, Mapping) and "template" in value and value.get("resource_type", "prompt_template") == "prompt_template":
            out[name] = PromptTemplate(template=value["template"])
    return out


def training_agent(cfg: Params) -> Any:
    """The SQL agent as configured, with the training overrides (turns, tokens)."""
    from agl_ops.tasks.sql.wiring import agent_from_params

    t = cfg.train
    update = {k: v for k, v in (("max_turns", t.agent_max_turns), ("max_tokens", t.agent_max_tokens)) if v is not None}
    return agent_from_params(cfg.model_copy(update={"agent": cfg.agent.model_copy(update=update)}))


@contextmanager
def model_server(model_path: str, endpoint: str | None = None) -> Iterator[str]:
    """``endpoint`` as given, else a local ``agl-ops serve`` on ``model_path`` for the block."""
    if endpoint:
        yield endpoint
        return
    from agl_ops.llm.client import ModelServerProcess
    from agl_ops.llm.prepare import check_model_dir

    check_model_dir(model_path)
    with ModelServerProcess(model_path) as server:
        yield server.url


def _prompt_resources(cfg: Params, prompts: str | Path | None) -> dict[str, Any]:
    """The agent's prompt templates: the defaults, overridden by the prompt set file."""
    from agl_ops.tasks.sql.prompts import default_prompts

    resources: dict[str, Any] = dict(default_prompts())
    path = prompts if prompts is not None else cfg.train.prompts
    if path and Path(path).is_file():
        loaded = load_prompt_file(path)
        resources.update(loaded)
        logger.info("starting from the prompt set %s (%s)", path, ", ".join(sorted(loaded)))
    elif prompts is not None:
        raise FileNotFoundError(f"prompt set {prompts} does not exist")
    return resources


def warm_start_model_dir(cfg: Params) -> Path:
    """Where the merged warm-started model goes (GRPO's start with ``fresh_adapter``)."""
    ws = cfg.train.warm_start
    return Path(ws.output_dir) if ws.output_dir else Path(cfg.train.run_dir) / "warm_start_model"


def train_grpo(
    cfg: Params, *, endpoint: str | None = None, prompts: str | Path | None = None, sink: Any = None,
    resume: bool = True, show_progress: bool = True,
) -> Any:
    """Run GRPO on the SQL task as ``cfg`` says; returns the :class:`GRPOResult`.

    With ``warm_start.fresh_adapter`` (the default) the run has two parts: the
    supervised warm start on ``train.model_path``, merged and exported; then GRPO on a
    new adapter over that model, served by the model server, so the KL reference and
    every rollout start from the warm start."""
    from agl_ops.algorithms.grpo import GRPO
    from agl_ops.algorithms.reload import ServerReloader
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.wiring import discover_model, tasks_from_params
    from agl_ops.trainer import Trainer

    t = cfg.train
    all_train = tasks_from_params(cfg, "train")
    train = all_train
    if t.train_difficulties:
        train = [task for task in train if task.get("difficulty") in set(t.train_difficulties)]
        logger.info("training on %d tasks of tiers %s", len(train), ", ".join(t.train_difficulties))
    val = tasks_from_params(cfg, "val", t.val_limit)
    prompt_resources = _prompt_resources(cfg, prompts)
    policy, start = None, Path(t.model_path)
    if t.warm_start.enabled:
        if t.warm_start.fresh_adapter:
            start = _warm_started_model(cfg, all_train, prompt_resources, sink=sink, resume=resume)
        else:
            policy = run_warm_start(cfg, all_train, prompt_resources, sink=sink, resume=resume)
    store = MemoryStore()  # private to the run: no other runner can claim its rollouts; checkpoints hold the state
    with model_server(str(start), endpoint) as url, LLMProxy(url, store) as proxy:
        reloader = ServerReloader(url)
        if endpoint and start != Path(t.model_path):
            reloader.reload(start, "warm-start", adapter=False)  # the given server now serves the warm start
        resources = {**prompt_resources,
                     "main_llm": proxy.llm_resource(discover_model(url), temperature=t.temperature)}
        algorithm = GRPO(t.model_copy(update={"model_path": str(start)}), reloader=reloader, sink=sink,
                         seed=cfg.seed, resume=resume, policy=policy)
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
    from agl_ops.algorithms.metrics import CsvSink, JsonlSink, LoggingSink, as_sink
    from agl_ops.algorithms.policy import Policy, export_model
    from agl_ops.algorithms.warm_start import sft_rows, task_examples, warm_start

    t, ws = cfg.train, cfg.train.warm_start
    policy = Policy.load(t.model_path, t.lora, dtype=t.dtype, attn_implementation=t.attn_implementation)
    run_dir = Path(t.run_dir)
    if resume and latest_checkpoint(run_dir) is not None:
        logger.info("warm start skipped: resuming GRPO from its checkpoint")
        return policy
    tasks = [x for x in train if not ws.difficulties or x.get("difficulty") in set(ws.difficulties)]
    agent = training_agent(cfg)
    rows = sft_rows(task_examples(tasks, lambda task: agent.write_prompt(task, resources)), policy.tokenizer,
                    max_prompt_length=t.max_prompt_length, max_response_length=t.max_response_length)
    sinks = [LoggingSink(("warm_start/loss", "warm_start/lr", "warm_start/elapsed_s")),
             JsonlSink(run_dir / "metrics.jsonl"), CsvSink(run_dir / "metrics.csv")] + ([sink] if sink is not None else [])
    result = warm_start(policy, rows, ws, sink=as_sink(sinks), seed=cfg.seed, dtype=t.dtype)
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
    from agl_ops.tasks.sql.wiring import tasks_from_params

    params = cfg.train if launch is None else cfg.train.model_copy(
        update={"verl": cfg.train.verl.model_copy(update={"launch": launch})})
    algo = VERL(params=params)
    store = open_store(store_url or cfg.store.url)
    try:
        return algo.run(AlgorithmContext(store=store, resources=store.get_resources()),
                        tasks_from_params(cfg, "train"), tasks_from_params(cfg, "val"))
    finally:
        store.close()
