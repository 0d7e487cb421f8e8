"""Outcome advantage estimators for group-based policy gradient (pure functions).

Each estimator maps one scalar score per sample and a group key per sample (the task
the sample answers) to one advantage per sample. They follow verl's definitions, so a
run here and a run on verl see the same numbers (checked in the tests against
``verl.trainer.ppo.core_algos``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
import torch

from agl_ops.algorithms.enums import AdvantageEstimator

__all__ = [
    "AdvantageEstimator",
    "ADVANTAGE_ESTIMATORS",
    "register_advantage",
    "compute_advantages",
    "group_ids",
    "group_mean_std",
    "informative_mask",
]

AdvantageFn = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]


ADVANTAGE_ESTIMATORS: dict[AdvantageEstimator, AdvantageFn] = {}


def register_advantage(name: AdvantageEstimator) -> Callable[[AdvantageFn], AdvantageFn]:
    def deco(fn: AdvantageFn) -> AdvantageFn:
        ADVANTAGE_ESTIMATORS[name] = fn
        return fn

    return deco


def group_ids(index: Sequence[Hashable]) -> torch.Tensor:
    """Dense integer ids (0..G-1, in order of first appearance) for arbitrary group keys."""
    seen: dict[Hashable, int] = {}
    return torch.tensor([seen.setdefault(k, len(seen)) for k in index], dtype=torch.long)


def group_mean_std(scores: torch.Tensor, gid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample group mean, unbiased group std and group size.

    A group of one gets mean 0 and std 1 (verl's convention: its score passes through).
    """
    n_groups = int(gid.max()) + 1 if gid.numel() else 0
    scores = scores.to(torch.float32)
    count = torch.zeros(n_groups).index_add_(0, gid, torch.ones_like(scores))
    mean = torch.zeros(n_groups).index_add_(0, gid, scores) / count
    sq = torch.zeros(n_groups).index_add_(0, gid, (scores - mean[gid]) ** 2)
    std = torch.sqrt(sq / (count - 1).clamp(min=1))
    single = count == 1
    mean = torch.where(single, torch.zeros_like(mean), mean)
    std = torch.where(single, torch.ones_like(std), std)
    return mean[gid], std[gid], count[gid]


@register_advantage(AdvantageEstimator.GRPO)
def grpo_advantage(scores: torch.Tensor, gid: torch.Tensor, eps: float) -> torch.Tensor:
    mean, std, _ = group_mean_std(scores, gid)
    return (scores - mean) / (std + eps)


@register_advantage(AdvantageEstimator.DR_GRPO)
def dr_grpo_advantage(scores: torch.Tensor, gid: torch.Tensor, eps: float) -> torch.Tensor:
    mean, _, _ = group_mean_std(scores, gid)
    return scores - mean


@register_advantage(AdvantageEstimator.RLOO)
def rloo_advantage(scores: torch.Tensor, gid: torch.Tensor, eps: float) -> torch.Tensor:
    mean, _, count = group_mean_std(scores, gid)
    # mean of the others = (n * mean - r) / (n - 1); r - that = n / (n - 1) * (r - mean)
    scale = torch.where(count > 1, count / (count - 1).clamp(min=1), torch.zeros_like(count))
    centred = torch.where(count > 1, scores - mean, torch.zeros_like(scores))
    return scale * centred


def compute_advantages(
    scores: Sequence[float] | torch.Tensor,
    index: Sequence[Hashable],
    estimator: AdvantageEstimator | str = AdvantageEstimator.GRPO,
    eps: float = 1e-6,
) -> torch.Tensor:
    """One advantage per sample; ``index[i]`` is the group (task) of sample ``i``."""
    try:
        fn = ADVANTAGE_ESTIMATORS[AdvantageEstimator(estimator)]
    except ValueError:
        valid = ", ".join(e.value for e in AdvantageEstimator)
        raise ValueError(f"unknown advantage estimator {estimator!r}; valid: {valid}") from None
    s = torch.as_tensor(scores, dtype=torch.float32).flatten()
    if len(index) != s.numel():
        raise ValueError(f"{s.numel()} scores but {len(index)} group keys")
    if s.numel() == 0:
        return s
    return fn(s, group_ids(index), eps)


def informative_mask(scores: Sequence[float] | torch.Tensor, index: Sequence[Hashable], min_std: float = 0.0) -> torch.Tensor:
    """True for samples whose group's rewards vary (std > ``min_std``).

    A group where every sample got the same reward has zero advantage everywhere: it
    costs a forward and backward pass and teaches nothing, so GRPO can skip it.
    """
    s = torch.as_tensor(scores, dtype=torch.float32).flatten()
    if s.numel() == 0:
        return torch.zeros(0, dtype=torch.bool)
    gid = group_ids(index)
    _, std, count = group_mean_std(s, gid)
    return (count > 1) & (std > min_std)
