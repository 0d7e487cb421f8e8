"""One GRPO policy update on a batch of transitions: micro-batched forward/backward with
gradient accumulation, clipping, one optimizer step per mini-batch.

Micro-batches are formed from rows sorted by length, so little compute goes to padding.
With one mini-batch and one epoch (the default) the update is exactly on-policy: the
ratio's baseline is the current policy's own detached logprobs, and no separate
"old logprob" forward pass is needed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import torch

from agl_ops.algorithms.losses import agg_denominator, aggregate, kl_penalty, policy_loss
from agl_ops.algorithms.policy import Policy, TrainRow, autocast, batch_logprobs, collate, shares_prompt
from agl_ops.algorithms.config import GRPOParams

__all__ = ["make_optimizer", "make_scheduler", "micro_batches", "policy_update", "optimizer_steps_per_update"]

logger = logging.getLogger(__name__)

_MAX_GROUP_UNIT = 16  # rows of one shared-prompt forward at most (bounds the logits' memory)


def make_optimizer(policy: Policy, params: GRPOParams) -> torch.optim.Optimizer:
    return torch.optim.AdamW(policy.trainable_parameters(), lr=params.lr, weight_decay=params.weight_decay,
                             betas=(0.9, 0.99), eps=1e-8)


def make_scheduler(optimizer: torch.optim.Optimizer, params: GRPOParams, total_optimizer_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up, then constant, linear or cosine decay to zero at the last step."""
    warm = params.warmup_steps
    total = max(total_optimizer_steps, warm + 1)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / (warm + 1)
        progress = min(1.0, (step - warm) / max(1, total - warm))
        if params.lr_schedule == "linear":
            return 1.0 - progress
        if params.lr_schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def optimizer_steps_per_update(n_rows: int, params: GRPOParams) -> int:
    per_epoch = 1 if params.mini_batch_size is None else math.ceil(n_rows / params.mini_batch_size)
    return per_epoch * params.ppo_epochs


def micro_batches(rows: Sequence[TrainRow], size: int, share_prefix: bool = False) -> list[list[TrainRow]]:
    """Forward units: with ``share_prefix``, the rows of each prompt shared by several
    rows (one GRPO group) form one unit, run with the prompt once; the other rows go in
    chunks of ``size`` rows of similar length (longest first: memory peaks early)."""
    units: list[list[TrainRow]] = []
    rest = list(rows)
    if share_prefix:
        by_prompt: dict[tuple[int, ...], list[TrainRow]] = {}
        for r in rows:
            by_prompt.setdefault(tuple(r.prompt_ids), []).append(r)
        groups = [g for g in by_prompt.values() if len(g) > 1]
        units = [g[i : i + _MAX_GROUP_UNIT] for g in groups for i in range(0, len(g), _MAX_GROUP_UNIT)]
        grouped = {id(r) for g in groups for r in g}
        rest = [r for r in rows if id(r) not in grouped]
    ordered = sorted(rest, key=lambda r: r.length, reverse=True)
    units.sort(key=lambda u: max(r.length for r in u), reverse=True)
    return units + [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _mini_batches(rows: list[TrainRow], params: GRPOParams, gen: torch.Generator) -> list[list[TrainRow]]:
    if params.mini_batch_size is None or params.mini_batch_size >= len(rows):
        return [rows]
    perm = torch.randperm(len(rows), generator=gen).tolist()
    shuffled = [rows[i] for i in perm]
    return [shuffled[i : i + params.mini_batch_size] for i in range(0, len(shuffled), params.mini_batch_size)]


@torch.no_grad()
def _fill_old_logprobs(policy: Policy, rows: list[TrainRow], params: GRPOParams) -> None:
    """Logprobs of the policy before this update (the ratio's denominator)."""
    for micro in micro_batches(rows, params.micro_batch_size, params.share_prefix):
        batch = collate(micro, policy.pad_id)
        with autocast(policy.dtype):
            logp, _ = batch_logprobs(policy.model, batch, share_prefix=params.share_prefix, temperature=params.temperature)
        for row, lp, n in zip(micro, logp, batch.response_mask.sum(-1).long()):
            row.old_logprobs = lp[: int(n)].tolist()


class _Sums:
    """Token-weighted running sums of per-token statistics."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.tokens = 0.0

    def add(self, mask: torch.Tensor, **per_token: torch.Tensor) -> None:
        for k, v in per_token.items():
            self.values[k] = self.values.get(k, 0.0) + float((v.detach().float() * mask).sum())
        self.tokens += float(mask.sum())

    def means(self) -> dict[str, float]:
        return {k: v / max(self.tokens, 1.0) for k, v in self.values.items()}


def _denominator(rows: Sequence[TrainRow], mode: str) -> float:
    """``agg_denominator`` of the whole mini-batch, without building its tensors."""
    lengths = [len(r.response_ids) for r in rows]
    mask = torch.zeros(len(rows), max(lengths))
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    return agg_denominator(mask, mode)


def _micro_step(policy: Policy, micro: list[TrainRow], params: GRPOParams, denom: float, sums: _Sums) -> tuple[float, int]:
    """Forward/backward of one micro-batch; returns its loss share and the number of
    tokens that went through the model (a shared prompt counts once)."""
    batch = collate(micro, policy.pad_id)
    mask = batch.response_mask
    with autocast(policy.dtype):
        logp, entropy = batch_logprobs(policy.model, batch, share_prefix=params.share_prefix, temperature=params.temperature,
                                       with_entropy=True, entropy_grad=params.entropy_coef != 0)
        old = batch.old_logprobs if batch.old_logprobs is not None else logp.detach()
        out = policy_loss(params.loss, logp, old, batch.advantages, clip_low=params.clip_low, clip_high=params.clip_high)
        loss = aggregate(out.per_token, mask, params.loss_agg, denom)
        stats: dict[str, torch.Tensor] = {"pg_loss": out.per_token, "clipfrac": out.clipped.float(), "approx_kl": out.approx_kl}
        if params.kl_coef > 0:
            with torch.no_grad(), policy.reference() as ref:
                ref_logp, _ = batch_logprobs(ref, batch, share_prefix=params.share_prefix, temperature=params.temperature)
            kl = kl_penalty(params.kl_estimator, logp, ref_logp)
            loss = loss + params.kl_coef * aggregate(kl, mask, params.loss_agg, denom)
            stats["kl"] = kl
        if entropy is not None:
            if params.entropy_coef != 0:
                loss = loss - params.entropy_coef * aggregate(entropy, mask, params.loss_agg, denom)
            stats["entropy"] = entropy
    loss.backward()
    sums.add(mask, **stats)
    computed = batch.n_tokens
    if params.share_prefix and shares_prompt(batch):
        computed -= (len(micro) - 1) * len(micro[0].prompt_ids)
    return float(loss.detach()), computed


def policy_update(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rows: Sequence[TrainRow],
    params: GRPOParams,
    *,
    generator: torch.Generator | None = None,
) -> dict[str, float]:
    """Train on ``rows`` (each carrying its advantage); returns the step's metrics."""
    rows = list(rows)
    if not rows:
        return {}
    start = time.perf_counter()
    gen = generator or torch.Generator().manual_seed(0)
    minis = _mini_batches(rows, params, gen)
    multi_step = len(minis) > 1 or params.ppo_epochs > 1
    if params.old_logprobs == "rollout" and any(r.old_logprobs is None for r in rows):
        logger.warning("some transitions lack rollout logprobs; recomputing them with the policy")
        _fill_old_logprobs(policy, rows, params)
    elif params.old_logprobs == "recompute":
        if multi_step:
            _fill_old_logprobs(policy, rows, params)
        else:
            for r in rows:
                r.old_logprobs = None  # on-policy: the detached current logprobs are exact
    policy.model.train()
    sums, computed, losses, norms = _Sums(), 0, [], []
    trainable = policy.trainable_parameters()
    for _ in range(params.ppo_epochs):
        for mini in minis:
            denom = _denominator(mini, params.loss_agg)
            total = 0.0
            for micro in micro_batches(mini, params.micro_batch_size, params.share_prefix):
                loss, n = _micro_step(policy, micro, params, denom, sums)
                total += loss
                computed += n
            norms.append(float(torch.nn.utils.clip_grad_norm_(trainable, params.max_grad_norm)))
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(total)
    elapsed = time.perf_counter() - start
    tokens = sum(r.length for r in rows) * params.ppo_epochs
    metrics = {f"train/{k}": v for k, v in sums.means().items()}
    metrics.update({
        "train/loss": sum(losses) / len(losses),
        "train/grad_norm": sum(norms) / len(norms),
        "train/lr": float(scheduler.get_last_lr()[0]),
        "train/transitions": float(len(rows)),
        "train/response_tokens": float(sum(len(r.response_ids) for r in rows)),
        "train/tokens": float(tokens),  # prompt + response of every transition, per pass
        "train/computed_tokens": float(computed),  # what the model ran (shared prompts once)
        "train/tokens_per_s": tokens / elapsed if elapsed > 0 else 0.0,
        "time/update_s": elapsed,
    })
    return metrics
