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

__all__ = ["train_grpo", "run_warm_start", "train_verl", "load_prompt_file", "training_agent", "model_server"]

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


def _initial_resources(cfg: Params, proxy: Any, model: str, prompts: str | Path | None) -> dict[str, Any]:
    from agl_ops.tasks.sql.prompts import default_prompts

    resources: dict[str, Any] = dict(default_prompts())
    path = prompts if prompts is not None else cfg.train.prompts
    if path and Path(path).is_file():
        loaded = load_prompt_file(path)
        resources.update(loaded)
        logger.info("starting from the prompt set %s (%s)", path, ", ".join(sorted(loaded)))
    elif prompts is not None:
        raise FileNotFoundError(f"prompt set {prompts} does not exist")
    resources["main_llm"] = proxy.llm_resource(model, temperature=cfg.train.temperature)
    return resources


def train_grpo(
    cfg: Params, *, endpoint: str | None = None, prompts: str | Path | None = None, sink: Any = None,
    resume: bool = True, show_progress: bool = True,
) -> Any:
    """Run GRPO on the SQL task as ``cfg`` says; returns the :class:`GRPOResult`."""
    from agl_ops.algorithms.grpo import GRPO
    from agl_ops.algorithms.reload import ServerReloader
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.store import MemoryStore
    from agl_ops.tasks.sql.wiring import discover_model, tasks_from_params
    from agl_ops.trainer import Trainer

    t = cfg.train
    train = tasks_from_params(cfg, "train")
    if t.train_difficulties:
        train = [task for task in train if task.get("difficulty") in set(t.train_difficulties)]
        logger.info("training on %d tasks of tiers %s", len(train), ", ".join(t.train_difficulties))
    val = tasks_from_params(cfg, "val", t.val_limit)
    store = MemoryStore()  # private to the run: no other runner can claim its rollouts; checkpoints hold the state
    with model_server(t.model_path, endpoint) as url, LLMProxy(url, store) as proxy:
        resources = _initial_resources(cfg, proxy, discover_model(url), prompts)
        policy = None
        if t.warm_start.enabled:
            policy = run_warm_start(cfg, tasks_from_params(cfg, "train"), resources, sink=sink, resume=resume)
        algorithm = GRPO(t, reloader=ServerReloader(url), sink=sink, seed=cfg.seed, resume=resume, policy=policy)
        trainer = Trainer(algorithm=algorithm, n_runners=t.n_runners, store=store, runner_backend="thread",
                          initial_resources=resources, timeout_s=cfg.runner.timeout_s, max_attempts=1,
                          show_progress=show_progress)
        return trainer.fit(training_agent(cfg), train, val)


def run_warm_start(cfg: Params, train: list[dict[str, Any]], resources: Mapping[str, Any], *, sink: Any = None,
                   resume: bool = True) -> Any:
    """Load the policy and fine-tune it on the train tasks' gold queries (train.warm_start),
    unless a GRPO checkpoint will overwrite its weights anyway; returns the policy.

    The adapter is saved to ``run_dir/warm_start`` and, with ``warm_start.output_dir``,
    exported as a model so the warm start can be evaluated on its own."""
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
    if ws.output_dir:
        export_model(policy.base_path, weights, ws.output_dir, lora=policy.lora, merge=t.merge,
                     metadata={"warm_start": result.__dict__})
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
