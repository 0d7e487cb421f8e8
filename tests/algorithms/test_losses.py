"""Policy losses, KL estimators and aggregation."""

from __future__ import annotations

import math

import pytest
import torch

from agl_ops.algorithms.losses import agg_denominator, aggregate, entropy_from_logits, kl_penalty, policy_loss


def test_on_policy_clip_loss_is_minus_advantage_and_never_clips() -> None:
    logp = torch.tensor([[-1.0, -2.0], [-0.5, -0.1]], requires_grad=True)
    out = policy_loss("clip", logp, logp.detach(), torch.tensor([2.0, -1.0]))
    assert out.per_token.tolist() == [[-2.0, -2.0], [1.0, 1.0]]
    assert not out.clipped.any()
    out.per_token.sum().backward()
    # gradient of -A * ratio at ratio 1 is -A per token
    assert logp.grad.tolist() == [[-2.0, -2.0], [1.0, 1.0]]


def test_clip_activates_outside_the_trust_region() -> None:
    old = torch.zeros(1, 2)
    logp = torch.tensor([[math.log(1.5), math.log(0.5)]])
    pos = policy_loss("clip", logp, old, torch.tensor([1.0]), clip_low=0.2, clip_high=0.28)
    assert pos.clipped.tolist() == [[True, False]]  # ratio 1.5 > 1.28 with A > 0
    assert pos.per_token[0, 0].item() == pytest.approx(-1.28)
    neg = policy_loss("clip", logp, old, torch.tensor([-1.0]), clip_low=0.2, clip_high=0.28)
    assert neg.clipped.tolist() == [[False, True]]  # ratio 0.5 < 0.8 with A < 0
    assert neg.per_token[0, 1].item() == pytest.approx(0.8)


def test_vanilla_never_clips() -> None:
    out = policy_loss("vanilla", torch.tensor([[1.0]]), torch.zeros(1, 1), torch.tensor([1.0]))
    assert out.per_token.item() == pytest.approx(-math.e)
    with pytest.raises(ValueError, match="clip, vanilla"):
        policy_loss("ppo2", torch.zeros(1, 1), torch.zeros(1, 1), torch.ones(1))


def test_kl_estimators() -> None:
    logp, ref = torch.tensor([[-1.0, -2.0]]), torch.tensor([[-1.5, -2.0]])
    assert kl_penalty("k1", logp, ref)[0].tolist() == pytest.approx([0.5, 0.0])
    assert kl_penalty("k2", logp, ref)[0].tolist() == pytest.approx([0.125, 0.0])
    assert kl_penalty("k3", logp, ref)[0].tolist() == pytest.approx([math.exp(-0.5) + 0.5 - 1, 0.0])
    assert (kl_penalty("k3", torch.randn(4, 5), torch.randn(4, 5)) >= 0).all()


def test_aggregation_modes_and_accumulation() -> None:
    v = torch.tensor([[1.0, 3.0, 0.0], [2.0, 0.0, 0.0]])
    m = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert aggregate(v, m, "token-mean").item() == pytest.approx(2.0)
    assert aggregate(v, m, "seq-mean-token-mean").item() == pytest.approx(2.0)
    assert aggregate(v, m, "seq-mean-token-sum").item() == pytest.approx(3.0)
    # split into two micro-batches with the full batch's denominator: same total
    for mode in ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum"):
        d = agg_denominator(m, mode)
        parts = aggregate(v[:1], m[:1], mode, d) + aggregate(v[1:], m[1:], mode, d)
        assert parts.item() == pytest.approx(aggregate(v, m, mode).item())


def test_entropy() -> None:
    uniform = torch.zeros(1, 4)
    assert entropy_from_logits(uniform).item() == pytest.approx(math.log(4))
    peaked = torch.tensor([[100.0, 0.0, 0.0]])
    assert entropy_from_logits(peaked).item() == pytest.approx(0.0, abs=1e-6)
