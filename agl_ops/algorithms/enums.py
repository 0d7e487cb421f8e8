"""The string enums that key the training registries (advantages, losses, KL).

Kept apart from the torch code that registers the functions, so the config models
(``agl_ops.config``) can type their fields with them without importing torch.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["AdvantageEstimator", "PolicyLoss", "LossAgg", "KLEstimator"]


class AdvantageEstimator(str, Enum):
    GRPO = "grpo"  # (r - group mean) / (group std + eps)
    DR_GRPO = "dr_grpo"  # r - group mean (Dr. GRPO: no std scaling)
    RLOO = "rloo"  # r - mean of the other samples of the group


class PolicyLoss(str, Enum):
    CLIP = "clip"  # PPO/GRPO clipped surrogate (with DAPO's asymmetric clip-higher)
    VANILLA = "vanilla"  # plain REINFORCE surrogate -A * ratio, no clipping


class LossAgg(str, Enum):
    TOKEN_MEAN = "token-mean"  # every token of the batch weighs the same (DAPO, verl default)
    SEQ_MEAN_TOKEN_MEAN = "seq-mean-token-mean"  # mean per sequence, then over sequences (GRPO paper)
    SEQ_MEAN_TOKEN_SUM = "seq-mean-token-sum"  # sum per sequence, then mean over sequences (Dr. GRPO)


class KLEstimator(str, Enum):
    K1 = "k1"  # log p - log ref
    K2 = "k2"  # 0.5 * (log p - log ref)^2
    K3 = "k3"  # exp(ref - p) - (ref - p) - 1: unbiased, low variance, >= 0 (verl's low_var_kl)
