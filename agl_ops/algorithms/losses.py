"""Policy-gradient losses, KL estimators and loss aggregation (pure functions).

Tensors are ``(batch, response_len)`` with a 0/1 ``mask`` over real response tokens.
Aggregation takes an explicit denominator so gradient accumulation over micro-batches
gives exactly the loss of the whole mini-batch (a per-micro-batch mean would weight a
short micro-batch's tokens more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import torch

from agl_ops.algorithms.enums import KLEstimator, LossAgg, PolicyLoss

__all__ = [
    "PolicyLoss",
    "LossAgg",
    "KLEstimator",
    "POLICY_LOSSES",
    "KL_ESTIMATORS",
    "PolicyLossOutput",
    "policy_loss",
    "kl_penalty",
    "aggregate",
    "agg_denominator",
    "entropy_from_logits",
]


@dataclass
class PolicyLossOutput:
    per_token: torch.Tensor  # (B, T) loss of each token before aggregation
    clipped: torch.Tensor  # (B, T) bool: the clip was active on this token
    approx_kl: torch.Tensor  # (B, T) k3 estimate of KL(old || new)


PolicyLossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float, float], PolicyLossOutput]
POLICY_LOSSES: dict[PolicyLoss, PolicyLossFn] = {}
KL_ESTIMATORS: dict[KLEstimator, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {}


def _register(registry: dict, name: Enum) -> Callable:
    def deco(fn: Callable) -> Callable:
        registry[name] = fn
        return fn

    return deco


def _parse(enum: type[Enum], name: object, what: str) -> Enum:
    try:
        return enum(name)
    except ValueError:
        valid = ", ".join(e.value for e in enum)  # type: ignore[attr-defined]
        raise ValueError(f"unknown {what} {name!r}; valid: {valid}") from None


def _lookup(registry: dict, enum: type[Enum], name: object, what: str) -> Callable:
    return registry[_parse(enum, name, what)]


def _approx_kl(log_ratio: torch.Tensor) -> torch.Tensor:
    return torch.expm1(-log_ratio) + log_ratio  # exp(old - new) - 1 - (old - new)


@_register(POLICY_LOSSES, PolicyLoss.CLIP)
def clip_loss(logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, clip_low: float, clip_high: float) -> PolicyLossOutput:
    log_ratio = (logp - old_logp).clamp(-20.0, 20.0)
    ratio = torch.exp(log_ratio)
    unclipped = -adv * ratio
    clipped = -adv * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = torch.maximum(unclipped, clipped)
    return PolicyLossOutput(per_token, (clipped > unclipped).detach(), _approx_kl(log_ratio.detach()))


@_register(POLICY_LOSSES, PolicyLoss.VANILLA)
def vanilla_loss(logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, clip_low: float, clip_high: float) -> PolicyLossOutput:
    log_ratio = (logp - old_logp).clamp(-20.0, 20.0)
    per_token = -adv * torch.exp(log_ratio)
    return PolicyLossOutput(per_token, torch.zeros_like(per_token, dtype=torch.bool), _approx_kl(log_ratio.detach()))


def policy_loss(
    name: PolicyLoss | str,
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    *,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
) -> PolicyLossOutput:
    """Per-token surrogate loss; ``advantages`` is (B,) or (B, T)."""
    adv = advantages.unsqueeze(-1) if advantages.dim() == 1 else advantages
    fn = _lookup(POLICY_LOSSES, PolicyLoss, name, "policy loss")
    return fn(logp, old_logp, adv.to(logp.dtype), clip_low, clip_high)


@_register(KL_ESTIMATORS, KLEstimator.K1)
def _k1(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    return logp - ref_logp


@_register(KL_ESTIMATORS, KLEstimator.K2)
def _k2(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    return 0.5 * (logp - ref_logp) ** 2


@_register(KL_ESTIMATORS, KLEstimator.K3)
def _k3(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    d = (ref_logp - logp).clamp(-20.0, 20.0)
    return (torch.exp(d) - d - 1.0).clamp(max=10.0)


def kl_penalty(name: KLEstimator | str, logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Per-token estimate of KL(policy || reference) from sampled tokens' logprobs."""
    return _lookup(KL_ESTIMATORS, KLEstimator, name, "KL estimator")(logp, ref_logp)


def agg_denominator(mask: torch.Tensor, mode: LossAgg | str) -> float:
    """The normaliser of ``aggregate`` for a whole mini-batch (tokens or sequences)."""
    m = _parse(LossAgg, mode, "loss aggregation")
    return float(mask.sum()) if m is LossAgg.TOKEN_MEAN else float(mask.shape[0])


def aggregate(
    values: torch.Tensor, mask: torch.Tensor, mode: LossAgg | str, denominator: float | None = None
) -> torch.Tensor:
    """Reduce (B, T) per-token values to a scalar.

    ``denominator`` (from :func:`agg_denominator` of the full mini-batch) makes the sum
    over micro-batches equal the mini-batch loss; None normalises by this batch alone.
    """
    m = _parse(LossAgg, mode, "loss aggregation")
    mask = mask.to(values.dtype)
    if m is LossAgg.TOKEN_MEAN:
        total = (values * mask).sum()
    elif m is LossAgg.SEQ_MEAN_TOKEN_MEAN:
        total = ((values * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).sum()
    else:
        total = (values * mask).sum(-1).sum()
    denom = denominator if denominator is not None else agg_denominator(mask, m)
    return total / max(denom, 1.0)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the softmax over the last axis: logsumexp(l) - sum(p * l)."""
    p = torch.softmax(logits, dim=-1)
    return torch.logsumexp(logits, dim=-1) - (p * logits).sum(-1)
