"""Advantage estimators: hand-computed values and the cross-check against verl."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agl_ops.algorithms.advantages import compute_advantages, group_ids, informative_mask


def test_grpo_by_hand() -> None:
    adv = compute_advantages([1.0, 0.0, 1.0, 0.0, 0.5, 0.5], ["a", "a", "a", "a", "b", "b"], "grpo")
    std = float(np.std([1, 0, 1, 0], ddof=1))
    assert adv[:4].tolist() == pytest.approx([0.5 / std, -0.5 / std, 0.5 / std, -0.5 / std], rel=1e-5)
    assert adv[4:].tolist() == [0.0, 0.0]  # no variance: no signal


def test_single_sample_group_passes_score_through() -> None:
    assert compute_advantages([0.7], ["x"], "grpo").tolist() == pytest.approx([0.7 / (1 + 1e-6)])


def test_dr_grpo_and_rloo() -> None:
    scores, idx = [1.0, 0.0, 0.0], ["g", "g", "g"]
    assert compute_advantages(scores, idx, "dr_grpo").tolist() == pytest.approx([2 / 3, -1 / 3, -1 / 3])
    # rloo: r_i - mean(others)
    assert compute_advantages(scores, idx, "rloo").tolist() == pytest.approx([1.0, -0.5, -0.5])


def test_unknown_estimator_lists_valid() -> None:
    with pytest.raises(ValueError, match="grpo, dr_grpo, rloo"):
        compute_advantages([1.0], ["a"], "gae")


def test_group_ids_and_informative_mask() -> None:
    assert group_ids(["b", "a", "b", "c"]).tolist() == [0, 1, 0, 2]
    mask = informative_mask([1, 1, 0, 1, 0, 0, 1], ["a", "a", "b", "b", "c", "c", "d"])
    assert mask.tolist() == [False, False, True, True, False, False, False]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.sampled_from([0.0, 0.5, 1.0, -1.0, 0.25])), min_size=1, max_size=24),
    st.booleans(),
)
def test_matches_verl_grpo_outcome_advantage(samples: list[tuple[int, float]], norm_by_std: bool) -> None:
    core_algos = pytest.importorskip("verl.trainer.ppo.core_algos")
    index = np.array([f"task-{g}" for g, _ in samples], dtype=object)
    scores = torch.tensor([r for _, r in samples])
    resp_len = 5
    token_rewards = torch.zeros(len(samples), resp_len)
    token_rewards[:, -1] = scores  # outcome reward on the last response token
    mask = torch.ones(len(samples), resp_len)
    verl_adv, _ = core_algos.compute_grpo_outcome_advantage(
        token_rewards, mask, index, epsilon=1e-6, norm_adv_by_std_in_grpo=norm_by_std
    )
    ours = compute_advantages(scores, list(index), "grpo" if norm_by_std else "dr_grpo", eps=1e-6)
    torch.testing.assert_close(ours.unsqueeze(-1).expand(-1, resp_len), verl_adv, rtol=1e-5, atol=1e-5)
