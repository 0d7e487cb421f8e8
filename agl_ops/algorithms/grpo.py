"""Native GRPO (LightningRL on transformers + peft): runs on a CPU.

Each step: ``batch_size`` tasks, ``n_rollouts`` rollouts each through the runners (the
agent calls the model server through the proxy, which records token ids); the adapter
turns matched LLM calls into transitions (a grammar-constrained call's response is
replayed under its grammar, so its loss is over the masked distribution it was sampled
from: :mod:`agl_ops.algorithms.constrained`); advantages are normalised within each
task's group of episodes; groups whose episodes all got the same reward are skipped (zero
advantage: compute for nothing); one clipped policy-gradient update; the new adapter is
saved, hot-reloaded into the server, and a new resources version is published so the
next rollouts use it. Validation, checkpoints, early stop and metrics ride along.
"""

from __future__ import annotations

import logging
import math
import random
import shutil
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import torch

from agl_ops.adapter import TripletAdapter
from agl_ops.algorithms.advantages import compute_advantages, informative_mask
from agl_ops.algorithms.base import AlgorithmContext
from agl_ops.algorithms.constrained import ConstraintMasks
from agl_ops.algorithms.checkpoint import LoopState, latest_checkpoint, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from agl_ops.metrics import MetricSink, as_sink, default_sinks
from agl_ops.algorithms.policy import Policy, TrainRow, export_model
from agl_ops.algorithms.reload import NoReload, Reloader, version_id
from agl_ops.algorithms.shaping import shaping_rule
from agl_ops.algorithms.update import make_optimizer, make_scheduler, optimizer_steps_per_update, policy_update
from agl_ops.algorithms.config import AdapterParams, GRPOParams, PolicyParams
from agl_ops.types import LLM, Resource, Rollout, Triplet

__all__ = ["GRPO", "GRPOResult", "task_batch", "build_rows", "rollout_metrics"]

logger = logging.getLogger(__name__)


@dataclass
class GRPOResult:
    output_dir: Path | None
    steps: int
    start_val: float | None
    best_val: float | None
    best_step: int | None
    final_val: float | None
    stopped: str | None
    run_dir: Path
    val_history: list[dict[str, Any]] = field(default_factory=list)
    planned_steps: int = 0  # what the params ask for; steps < planned_steps only after a stop


def task_key(task: Any) -> Hashable:
    """Group key of a task: its content, so the n rollouts of one task form one group."""
    return orjson.dumps(task, option=orjson.OPT_SORT_KEYS, default=str)


def task_batch(n_tasks: int, batch_size: int, step: int, seed: int) -> list[int]:
    """Task indices of ``step``: a fresh seeded permutation per epoch, read in order.

    A pure function of the step, so a resumed run draws exactly the batches it would
    have drawn without the interruption.
    """
    out: list[int] = []
    pos = step * batch_size
    while len(out) < batch_size:
        epoch, offset = divmod(pos, n_tasks)
        perm = torch.randperm(n_tasks, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch)).tolist()
        take = perm[offset : offset + batch_size - len(out)]
        out.extend(take)
        pos += len(take)
    return out


def build_rows(
    episodes: Sequence[tuple[Hashable, float, list[Triplet]]],
    params: GRPOParams,
    masks: Callable[[Triplet], torch.Tensor | None] | None = None,
) -> tuple[list[TrainRow], dict[str, float]]:
    """Transitions with advantages from (group key, episode reward, triplets) per episode.

    Advantages are computed over episodes (one score per rollout, grouped by task), then
    every transition of an episode gets its episode's advantage times its credit weight.
    ``masks`` gives a transition's allowed-token bitmask (constrained rollouts, e.g.
    :meth:`ConstraintMasks.bitmask`); it is asked only for the rows that are trained.
    """
    if not episodes:
        return [], {"train/groups": 0.0, "train/informative_groups": 0.0}
    keys = [k for k, _, _ in episodes]
    scores = [r for _, r, _ in episodes]
    adv = compute_advantages(scores, keys, params.advantage)
    keep = informative_mask(scores, keys) if params.skip_uniform_groups else torch.ones(len(episodes), dtype=torch.bool)
    rows: list[TrainRow] = []
    for (_, _, triplets), a, k in zip(episodes, adv.tolist(), keep.tolist()):
        if not k:
            continue
        for t in triplets:
            rows.append(TrainRow(t.prompt_ids, t.response_ids, a * float(t.metadata.get("credit", 1.0)), t.response_logprobs,
                                 allowed=masks(t) if masks is not None else None))
    groups = {key for key in keys}
    informative = {key for key, k in zip(keys, keep.tolist()) if k}
    return rows, {"train/groups": float(len(groups)), "train/informative_groups": float(len(informative)),
                  "train/advantage_abs_mean": float(adv.abs().mean()) if adv.numel() else 0.0}


def rollout_metrics(rollouts: Sequence[Rollout], prefix: str, threshold: float, tier_key: str | None = "difficulty") -> dict[str, float]:
    """Reward mean/std and accuracy (reward >= threshold; failed rollouts count as 0),
    overall and per tier when tasks carry ``tier_key``."""
    if not rollouts:
        return {}
    rewards = torch.tensor([r.reward if r.reward is not None else 0.0 for r in rollouts], dtype=torch.float64)
    out = {
        f"{prefix}/reward_mean": float(rewards.mean()),
        f"{prefix}/reward_std": float(rewards.std(unbiased=False)),
        f"{prefix}/accuracy": float((rewards >= threshold).double().mean()),
        f"{prefix}/failed": float(sum(r.reward is None for r in rollouts)),
        f"{prefix}/n": float(len(rollouts)),
    }
    if tier_key:
        tiers: dict[str, list[float]] = {}
        for r, x in zip(rollouts, rewards.tolist()):
            if isinstance(r.input, Mapping) and tier_key in r.input:
                tiers.setdefault(str(r.input[tier_key]), []).append(float(x >= threshold))
        for tier, hits in sorted(tiers.items()):
            out[f"{prefix}/accuracy_{tier}"] = sum(hits) / len(hits)
    return out


class GRPO:
    """The native GRPO algorithm; ``Trainer(algorithm=GRPO(params, model_path=..., reloader=...)).fit(...)``.

    ``model_path`` is the policy to start from; ``run_dir`` holds checkpoints and
    metrics; the final model is exported to ``output_dir`` (merged unless ``merge`` is
    off). ``reloader`` puts new weights into the model server (default: none, for
    rollouts that do not sample from the policy); ``sink`` is a metrics sink, a callable
    ``(metrics, step)`` or a list of them, added to the default logging + JSONL + CSV
    sinks under ``run_dir``. ``initial_policy`` is an already loaded policy to train
    (e.g. after a warm start on the same adapter).
    """

    def __init__(
        self,
        params: GRPOParams | None = None,
        *,
        model_path: str | Path,
        run_dir: str | Path = ".agl/train",
        output_dir: str | Path = "models/grpo",
        policy_params: PolicyParams | None = None,
        adapter_params: AdapterParams | None = None,
        merge: bool = True,
        reloader: Reloader | None = None,
        sink: MetricSink | Any = None,
        seed: int = 0,
        llm_resource: str = "main_llm",
        success_threshold: float = 1.0,
        resume: bool = True,
        initial_policy: Policy | None = None,
    ) -> None:
        self.params = params or GRPOParams()
        self.shaping = shaping_rule(self.params.reward_shaping)  # an unknown rule fails here, listing the valid ones
        self.model_path, self.output_dir, self.merge = Path(model_path), Path(output_dir), merge
        self.policy_params = policy_params or PolicyParams()
        self.adapter_params = adapter_params or AdapterParams()
        self.reloader = reloader or NoReload()
        self.run_dir = Path(run_dir)
        extra = [] if sink is None else (list(sink) if isinstance(sink, (list, tuple)) else [sink])
        self.sink = as_sink([default_sinks(self.run_dir), *extra])
        self.seed = seed
        self.llm_resource = llm_resource
        self.success_threshold = success_threshold
        self.resume = resume
        self.initial_policy = initial_policy
        self._train_rid: str | None = None

    # -- set-up --------------------------------------------------------------------
    def _adapter(self, ctx: AlgorithmContext) -> TripletAdapter:
        if isinstance(ctx.adapter, TripletAdapter):
            return ctx.adapter
        p = self.adapter_params
        return TripletAdapter(p.agent_match, credit=p.credit, gamma=p.gamma, max_prompt_length=p.max_prompt_length,
                              max_response_length=p.max_response_length, overlong=p.overlong)  # type: ignore[arg-type]

    def total_steps(self, n_train: int) -> int:
        p = self.params
        return p.total_steps or p.epochs * max(1, math.ceil(n_train / p.batch_size))

    def _resources(self, ctx: AlgorithmContext, temperature: float) -> dict[str, Resource]:
        if ctx.resources is None or self.llm_resource not in ctx.resources.resources:
            raise ValueError(f"GRPO needs an LLM resource named {self.llm_resource!r} in the initial resources")
        base = dict(self._base_resources)
        llm = base[self.llm_resource]
        if not isinstance(llm, LLM):
            raise ValueError(f"resource {self.llm_resource!r} is a {type(llm).__name__}, not an LLM")
        base[self.llm_resource] = llm.model_copy(
            update={"sampling_parameters": {**llm.sampling_parameters, "temperature": temperature}})
        return base

    # -- the loop ------------------------------------------------------------------
    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None = None) -> GRPOResult:
        p = self.params
        train, val = list(train_dataset), list(val_dataset or [])
        if not train:
            raise ValueError("GRPO needs a non-empty train dataset")
        if ctx.resources is None:
            raise ValueError(f"GRPO needs initial resources with an LLM named {self.llm_resource!r}")
        self._base_resources = dict(ctx.resources.resources)
        if p.val_limit is not None:
            val = val[: p.val_limit]
        self.run_dir.mkdir(parents=True, exist_ok=True)
        adapter = self._adapter(ctx)
        pp = self.policy_params
        policy = self.initial_policy or Policy.load(self.model_path, pp.lora, dtype=pp.dtype,
                                                    attn_implementation=pp.attn_implementation)
        self._masks = ConstraintMasks.for_policy(policy.model, policy.tokenizer)  # compiles nothing until needed
        total = self.total_steps(len(train))
        rows_per_step = p.batch_size * p.n_rollouts
        optimizer = make_optimizer(policy, p)
        scheduler = make_scheduler(optimizer, p, total * optimizer_steps_per_update(rows_per_step, p))
        gen = torch.Generator().manual_seed(self.seed)
        loop = self._restore(policy, optimizer, scheduler, gen)
        self._publish_weights(ctx, policy, loop.step)
        if loop.step == 0 and p.val_before_train and val and not loop.val_history:
            self._validate(ctx, val, loop, policy)
        started = time.perf_counter() - loop.elapsed_s
        logger.info("GRPO: steps %d..%d of %d, %d tasks x %d rollouts per step", loop.step + 1, total, total,
                    p.batch_size, p.n_rollouts)
        while loop.step < total and loop.stopped is None:
            self._step(ctx, train, adapter, policy, optimizer, scheduler, gen, loop, total)
            loop.elapsed_s = time.perf_counter() - started
            last = loop.step >= total
            if p.max_time_s is not None and loop.elapsed_s >= p.max_time_s and not last:
                loop.stopped = f"time limit {p.max_time_s:.0f}s (safety stop) reached after step {loop.step} of {total}"
            if val and ((p.val_every and loop.step % p.val_every == 0) or last or loop.stopped):
                self._validate(ctx, val, loop, policy)
            if loop.step % p.save_every == 0 or last or loop.stopped:
                save_checkpoint(self.run_dir, loop, policy.trainable_state(), optimizer, scheduler,
                                rng_state(gen), keep=p.keep_checkpoints)
        if loop.stopped:
            logger.warning("GRPO stopped early: %s", loop.stopped)
        return self._finish(policy, loop, total)

    def _restore(self, policy: Policy, optimizer: Any, scheduler: Any, gen: torch.Generator) -> LoopState:
        ckpt = latest_checkpoint(self.run_dir) if self.resume else None
        if ckpt is None:
            random.seed(self.seed)
            torch.manual_seed(self.seed)
            return LoopState()
        loop, trainable, rest = load_checkpoint(ckpt)
        policy.load_trainable_state(trainable)
        optimizer.load_state_dict(rest["optimizer"])
        scheduler.load_state_dict(rest["scheduler"])
        set_rng_state(rest["rng"], gen)
        if not loop.early_stopped:
            loop.stopped = None  # a time-budget stop continues when the run is started again
        logger.info("resumed from %s (step %d)", ckpt, loop.step)
        return loop

    def _weights_dir(self, step: int) -> Path:
        return self.run_dir / "weights" / f"step-{step:06d}"

    def _publish_weights(self, ctx: AlgorithmContext, policy: Policy, step: int) -> float:
        """Save the policy, reload it into the server, publish a new resources version."""
        start = time.perf_counter()
        path = policy.save_weights(self._weights_dir(step))
        self.reloader.reload(path, version_id(step), adapter=policy.lora)
        update = ctx.publish(self._resources(ctx, self.params.temperature))
        self._train_rid = update.resources_id
        self._prune_weights(keep={step})
        return time.perf_counter() - start

    def _prune_weights(self, keep: set[int]) -> None:
        root = self.run_dir / "weights"
        for d in sorted(root.glob("step-*"))[:-2]:
            if int(d.name.split("-")[1]) not in keep:
                shutil.rmtree(d, ignore_errors=True)

    def _step(self, ctx: AlgorithmContext, train: list[Any], adapter: TripletAdapter, policy: Policy,
              optimizer: Any, scheduler: Any, gen: torch.Generator, loop: LoopState, total: int) -> None:
        p = self.params
        step_start = time.perf_counter()
        tasks = [train[i] for i in task_batch(len(train), p.batch_size, loop.step, self.seed)]
        expanded = [t for t in tasks for _ in range(p.n_rollouts)]
        rollouts = ctx.run_rollouts(expanded, mode="train", resources_id=self._train_rid,
                                    description=f"step {loop.step + 1}/{total} rollouts")
        rollout_s = time.perf_counter() - step_start
        episodes = []
        for r in rollouts:
            spans = ctx.spans(r)
            triplets = adapter.adapt(r, spans)
            if triplets:
                reward = float(triplets[0].metadata["episode_reward"])
                episodes.append((task_key(r.input), self.shaping(r, spans, reward, p.shaping_options), triplets))
        rows, group_metrics = build_rows(episodes, p, self._masks.bitmask)
        metrics = {**rollout_metrics(rollouts, "train", self.success_threshold), **group_metrics,
                   **adapter.reset_stats().as_metrics(), **self._masks.reset_stats().as_metrics(),
                   "time/rollout_s": rollout_s}
        if episodes:
            metrics["train/shaped_reward_mean"] = sum(e[1] for e in episodes) / len(episodes)
        if rows:
            metrics.update(policy_update(policy, optimizer, scheduler, rows, p, generator=gen))
            loop.optimizer_steps += optimizer_steps_per_update(len(rows), p)
        else:
            logger.warning("step %d: no group with reward variance; no update", loop.step + 1)
        loop.step += 1
        metrics["time/reload_s"] = self._publish_weights(ctx, policy, loop.step) if rows else 0.0
        if not rows:
            self._copy_weights(loop.step - 1, loop.step)
        metrics["time/step_s"] = time.perf_counter() - step_start
        metrics["train/steps_planned"] = float(total)  # done = the step; both on every row
        metrics["train/resources_version"] = float(ctx.resources.version) if ctx.resources else 0.0
        self.sink.log_metrics(metrics, loop.step)

    def _copy_weights(self, src_step: int, dst_step: int) -> None:
        src, dst = self._weights_dir(src_step), self._weights_dir(dst_step)
        if src.exists() and not dst.exists():
            shutil.copytree(src, dst)

    def _validate(self, ctx: AlgorithmContext, val: list[Any], loop: LoopState, policy: Policy) -> float:
        p = self.params
        update = ctx.publish(self._resources(ctx, p.val_temperature))
        rollouts = ctx.run_rollouts(val, mode="val", resources_id=update.resources_id,
                                    description=f"val after step {loop.step}")
        metrics = rollout_metrics(rollouts, "val", self.success_threshold)
        acc = metrics.get("val/accuracy", 0.0)
        loop.val_history.append({"step": loop.step, **metrics})
        if loop.best_val is None or acc > loop.best_val + p.early_stop_min_delta:
            loop.best_val, loop.best_step, loop.bad_validations = acc, loop.step, 0
            best = self.run_dir / "best"
            shutil.rmtree(best, ignore_errors=True)
            shutil.copytree(self._weights_dir(loop.step), best)
        else:
            loop.bad_validations += 1
            if p.early_stop_patience and loop.bad_validations >= p.early_stop_patience:
                loop.early_stopped = True
                loop.stopped = f"no val improvement in {loop.bad_validations} validations (best {loop.best_val:.3f} at step {loop.best_step})"
        metrics["val/best_accuracy"] = loop.best_val
        self.sink.log_metrics(metrics, loop.step)
        return acc

    def _finish(self, policy: Policy, loop: LoopState, total: int) -> GRPOResult:
        p = self.params
        use_best = p.select == "best" and (self.run_dir / "best").exists()
        weights = self.run_dir / "best" if use_best else self._weights_dir(loop.step)
        out = export_model(policy.base_path, weights, self.output_dir, lora=policy.lora, merge=self.merge, metadata={
            "step": loop.best_step if use_best else loop.step, "val_accuracy": loop.best_val if use_best else None,
            "selected": "best" if use_best else "last",
        })
        hist = loop.val_history
        return GRPOResult(
            output_dir=out, steps=loop.step, start_val=hist[0].get("val/accuracy") if hist and hist[0]["step"] == 0 else None,
            best_val=loop.best_val, best_step=loop.best_step, final_val=hist[-1].get("val/accuracy") if hist else None,
            stopped=loop.stopped, run_dir=self.run_dir, val_history=hist, planned_steps=total,
        )
