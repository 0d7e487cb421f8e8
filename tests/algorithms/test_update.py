"""The GRPO update on a tiny random LlamaForCausalLM (+ LoRA)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agl_ops.algorithms.losses import aggregate, policy_loss
from agl_ops.algorithms.policy import Policy, TrainRow, collate, response_logprobs
from agl_ops.algorithms.update import make_optimizer, make_scheduler, micro_batches, policy_update
from agl_ops.config import LoraParams
from tests.algorithms.conftest import grpo_params, random_rows


def _surrogate(policy: Policy, rows: list[TrainRow], old: torch.Tensor | None = None) -> tuple[float, torch.Tensor]:
    """The clipped surrogate of the whole batch, with ``old`` as the ratio baseline."""
    batch = collate(rows, policy.pad_id)
    with torch.no_grad():
        logp, _ = response_logprobs(policy.model, batch)
    base = logp if old is None else old
    out = policy_loss("clip", logp, base, batch.advantages)
    return float(aggregate(out.per_token, batch.response_mask, "token-mean")), logp


def test_collate_aligns_responses_at_the_end() -> None:
    rows = [TrainRow([5, 6, 7], [8, 9], 1.0, [-0.1, -0.2]), TrainRow([5], [8, 9, 10], -1.0, [-0.3, -0.4, -0.5])]
    b = collate(rows, pad_id=0)
    assert b.input_ids.tolist() == [[5, 6, 7, 8, 9, 0], [0, 0, 5, 8, 9, 10]]
    assert b.attention_mask.tolist() == [[1, 1, 1, 1, 1, 0], [0, 0, 1, 1, 1, 1]]
    assert b.position_ids[1].tolist() == [0, 0, 0, 1, 2, 3]
    assert b.response_mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert b.responses.tolist() == [[8, 9, 0], [8, 9, 10]]
    assert b.old_logprobs is not None and b.old_logprobs[0].tolist() == pytest.approx([-0.1, -0.2, 0.0])
    assert b.n_tokens == 9


def test_response_logprobs_match_a_plain_forward(tiny_policy_dir: Path) -> None:
    policy = Policy.load(tiny_policy_dir, LoraParams(enabled=False))
    policy.model.eval()
    rows = [TrainRow([5, 6, 7], [8, 9], 1.0), TrainRow([11], [12, 13, 14], 1.0)]
    with torch.no_grad():
        logp, ent = response_logprobs(policy.model, collate(rows, policy.pad_id), with_entropy=True)
        for i, r in enumerate(rows):
            ids = torch.tensor([r.prompt_ids + r.response_ids])
            full = torch.log_softmax(policy.model(input_ids=ids).logits[0].float(), -1)
            p = len(r.prompt_ids)
            want = [full[p - 1 + t, tok].item() for t, tok in enumerate(r.response_ids)]
            assert logp[i, : len(want)].tolist() == pytest.approx(want, abs=1e-4)
    assert ent is not None and (ent >= 0).all()


def test_one_step_changes_the_adapter_and_lowers_the_loss(tiny_policy_dir: Path) -> None:
    params = grpo_params(lr=5e-3, micro_batch_size=3)
    policy = Policy.load(tiny_policy_dir, LoraParams(), dtype="float32")
    rows = random_rows(8, len(policy.tokenizer))
    before_state = policy.trainable_state()
    frozen_before = {n: p.detach().clone() for n, p in policy.model.named_parameters() if not p.requires_grad}
    loss_before, logp_before = _surrogate(policy, rows)
    opt = make_optimizer(policy, params)
    metrics = policy_update(policy, opt, make_scheduler(opt, params, 1), rows, params)
    loss_after, _ = _surrogate(policy, rows, old=logp_before)
    assert loss_after < loss_before - 1e-4
    changed = [n for n, t in policy.trainable_state().items() if not torch.equal(t, before_state[n])]
    assert changed and all("lora_" in n for n in changed)
    assert all(torch.equal(p, frozen_before[n]) for n, p in policy.model.named_parameters() if not p.requires_grad)
    assert metrics["train/transitions"] == 8 and metrics["train/tokens_per_s"] > 0
    assert metrics["train/clipfrac"] == 0.0  # on-policy single step: ratio 1


@pytest.mark.parametrize("agg", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"])
def test_micro_batch_split_gives_the_same_update(tiny_policy_dir: Path, agg: str) -> None:
    states = []
    for micro in (1, 3, 8):
        params = grpo_params(lr=1e-2, micro_batch_size=micro, loss_agg=agg, max_grad_norm=1e9)
        torch.manual_seed(0)
        policy = Policy.load(tiny_policy_dir, LoraParams(), dtype="float32")
        opt = torch.optim.SGD(policy.trainable_parameters(), lr=1.0)
        policy_update(policy, opt, make_scheduler(opt, params, 1), random_rows(8, len(policy.tokenizer), seed=1), params)
        states.append(policy.trainable_state())
    for other in states[1:]:
        for name, value in states[0].items():
            torch.testing.assert_close(other[name], value, rtol=1e-4, atol=1e-6)


def test_full_finetune_kl_and_minibatches(tiny_policy_dir: Path) -> None:
    params = grpo_params(lr=1e-3, kl_coef=0.1, mini_batch_size=4, micro_batch_size=2, ppo_epochs=2, entropy_coef=0.01)
    policy = Policy.load(tiny_policy_dir, LoraParams(enabled=False), dtype="bfloat16")  # full fine-tune: fp32 weights, bf16 autocast
    before = {n: p.detach().clone() for n, p in policy.model.named_parameters()}
    opt = make_optimizer(policy, params)
    rows = random_rows(8, len(policy.tokenizer), seed=2)
    m = policy_update(policy, opt, make_scheduler(opt, params, 4), rows, params)
    assert all(r.old_logprobs is not None for r in rows)  # several optimizer steps: baseline recomputed
    assert m["train/kl"] >= 0 and "train/entropy" in m and 0 <= m["train/clipfrac"] <= 1
    assert any(not torch.equal(p, before[n]) for n, p in policy.model.named_parameters())


def test_lora_reference_is_the_base_model(tiny_policy_dir: Path) -> None:
    params = grpo_params(lr=1e-2, kl_coef=0.5)
    policy = Policy.load(tiny_policy_dir, LoraParams(), dtype="float32")
    rows = random_rows(4, len(policy.tokenizer), seed=4)
    opt = make_optimizer(policy, params)
    m1 = policy_update(policy, opt, make_scheduler(opt, params, 2), rows, params)
    assert m1["train/kl"] == pytest.approx(0.0, abs=1e-6)  # LoRA B starts at 0: policy == reference
    m2 = policy_update(policy, opt, make_scheduler(opt, params, 2), rows, params)
    assert m2["train/kl"] > 0


def _grouped_rows(vocab: int) -> list[TrainRow]:
    """Two GRPO groups of 4 samples (one prompt each) plus two lone rows."""
    rows = random_rows(10, vocab, seed=5)
    for i in range(4):
        rows[i].prompt_ids = list(rows[0].prompt_ids)
        rows[4 + i].prompt_ids = list(rows[4].prompt_ids)
    return rows


def test_shared_prefix_update_equals_the_padded_one(tiny_policy_dir: Path) -> None:
    states, metrics = [], []
    for share in (False, True):
        params = grpo_params(lr=1e-2, micro_batch_size=3, share_prefix=share, max_grad_norm=1e9)
        torch.manual_seed(0)
        policy = Policy.load(tiny_policy_dir, LoraParams(), dtype="float32")
        opt = torch.optim.SGD(policy.trainable_parameters(), lr=1.0)
        metrics.append(policy_update(policy, opt, make_scheduler(opt, params, 1), _grouped_rows(len(policy.tokenizer)), params))
        states.append(policy.trainable_state())
    for name, value in states[0].items():
        torch.testing.assert_close(states[1][name], value, rtol=1e-4, atol=1e-6)
    assert metrics[1]["train/tokens"] == metrics[0]["train/tokens"]
    assert metrics[1]["train/computed_tokens"] < metrics[0]["train/computed_tokens"]  # each group's prompt ran once


def test_micro_batches_group_shared_prompts() -> None:
    rows = _grouped_rows(50)
    units = micro_batches(rows, 2, share_prefix=True)
    assert sorted(len(u) for u in units) == [2, 4, 4]  # the two lone rows share a padded chunk
    assert all(len({tuple(r.prompt_ids) for r in u}) == 1 for u in units if len(u) == 4)


def test_micro_batches_sort_by_length() -> None:
    rows = [TrainRow([1] * n, [2], 0.0) for n in (3, 9, 1, 5)]
    assert [[r.length for r in mb] for mb in micro_batches(rows, 2)] == [[10, 6], [4, 2]]
