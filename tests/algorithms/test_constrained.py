"""GRPO on grammar-constrained rollouts: the loss is over the masked distribution the
server sampled from (tiny random model, real SmolLM2 tokenizer, llguidance)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest
import torch

from agl_ops.algorithms.constrained import ConstraintMasks
from agl_ops.algorithms.grpo import build_rows
from agl_ops.algorithms.policy import Policy, TrainRow, collate, mask_logits, response_logprobs
from agl_ops.algorithms.update import make_optimizer, make_scheduler, policy_update
from agl_ops.config import LoraParams
from agl_ops.llm.constraint import Constraint
from agl_ops.types import Triplet
from tests.algorithms.conftest import grpo_params

GRAMMAR = '''root ::= "SELECT " cols " FROM " table ";"
cols ::= col | col ", " cols
col ::= "name" | "age" | "country"
table ::= "singer" | "concert"
'''
TEXTS = ["SELECT name FROM singer;", "SELECT name, age FROM concert;", "SELECT country, name, age FROM singer;",
         "SELECT age FROM concert;"]
CONSTRAINT = {"type": "grammar", "sha256": Constraint("grammar", GRAMMAR).sha256, "text": GRAMMAR}


@pytest.fixture
def policy(tiny_policy_dir: Path) -> Policy:
    torch.manual_seed(0)
    return Policy.load(tiny_policy_dir, LoraParams(r=4, alpha=8.0), dtype="float32")


def _triplet(policy: Policy, text: str, prompt: list[int], *, eos: bool = True, constrained: bool = True) -> Triplet:
    tok = policy.tokenizer
    response = tok.encode(text, add_special_tokens=False) + ([tok.eos_token_id] if eos else [])
    return Triplet(rollout_id=text, attempt_id="a", span_name="write", turn=0, prompt_ids=prompt, response_ids=response,
                   reward=1.0, metadata={"credit": 1.0, "episode_reward": 1.0,
                                         "constraint": CONSTRAINT if constrained else None})


def _plain_logprobs(policy: Policy, row: TrainRow, allowed: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(masked, unmasked) logprobs of the row's tokens from one unbatched forward."""
    from agl_ops.llm.sampling import bitmask_to_bool

    ids = torch.tensor([row.prompt_ids + row.response_ids])
    with torch.no_grad():
        logits = policy.model(input_ids=ids).logits[0, len(row.prompt_ids) - 1 : -1].float()
    tokens = torch.tensor(row.response_ids)[:, None]
    unmasked = torch.log_softmax(logits, -1).gather(1, tokens).flatten()
    if allowed is None:
        return unmasked, unmasked
    keep = bitmask_to_bool(allowed, logits.shape[-1])
    masked = torch.log_softmax(logits.masked_fill(~keep, float("-inf")), -1).gather(1, tokens).flatten()
    return masked, unmasked


def test_masked_logprobs_are_a_distribution_over_the_allowed_tokens(policy: Policy) -> None:
    masks = ConstraintMasks.for_policy(policy.model, policy.tokenizer)
    prompt = [5, 6, 7, 8]
    triplets = [_triplet(policy, TEXTS[1], prompt), _triplet(policy, TEXTS[0], [9, 10], constrained=False),
                _triplet(policy, TEXTS[3], [11], eos=False)]
    rows = [TrainRow(t.prompt_ids, t.response_ids, 1.0, allowed=masks.bitmask(t)) for t in triplets]
    assert rows[0].allowed is not None and rows[0].allowed.dtype == torch.int32
    assert rows[0].allowed.shape == (len(rows[0].response_ids), math.ceil(masks.vocab_size / 32))
    assert rows[1].allowed is None and masks.reset_stats().constrained_rows == 2
    batch = collate(rows, policy.pad_id)
    policy.model.eval()
    with torch.no_grad():
        logp, entropy = response_logprobs(policy.model, batch, with_entropy=True)
        out = policy.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=batch.position_ids)
        logits = out.logits[:, -batch.response_len - 1 : -1].float()
    masked, keep = mask_logits(logits, batch.allowed)
    probs = torch.softmax(masked, -1)
    assert keep is not None and probs.sum(-1).flatten().tolist() == pytest.approx([1.0] * probs[..., 0].numel(), abs=1e-5)
    assert float(probs[~keep].abs().sum()) == 0.0  # no mass where the grammar forbids
    assert int(keep[0, 0].sum()) < 10 and bool(keep[1].all())  # 'SELECT' first; the free row allows everything
    n0 = len(rows[0].response_ids)
    assert bool(keep[0, n0:].all())  # padding positions untouched
    for i, row in enumerate(rows):
        want, unmasked = _plain_logprobs(policy, row, row.allowed)
        assert logp[i, : len(want)].tolist() == pytest.approx(want.tolist(), abs=1e-4)
        if row.allowed is not None:
            assert float((want - unmasked).min()) > 1.0  # the masks matter: the raw distribution is spread over 49k tokens
    assert entropy is not None and torch.isfinite(entropy).all() and (entropy >= 0).all()
    n_allowed = keep.sum(-1).clamp(min=1).float()
    assert (entropy[0, :n0] <= n_allowed[0, :n0].log() + 1e-4).all()  # at most log(#allowed)


@pytest.mark.parametrize("share_prefix", [True, False])
def test_first_update_with_recompute_has_ratio_one_on_masked_rows(policy: Policy, share_prefix: bool) -> None:
    """old_logprobs=recompute over two mini-batches (so the recompute pass runs), KL to the
    reference and an entropy bonus: the masks are in every pass, so the first update's
    ratio is exactly 1 and the KL 0, and the recomputed baseline is the masked logprob
    (not the unmasked one, which differs by > 1 nat on every token)."""
    masks = ConstraintMasks.for_policy(policy.model, policy.tokenizer)
    prompts = [[5, 6, 7, 8, 9], [20, 21, 22]]  # two groups of 4 rows sharing a prompt
    triplets = [_triplet(policy, TEXTS[(g + i) % 4], prompts[g], eos=i % 2 == 0) for g in range(2) for i in range(4)]
    rows = [TrainRow(t.prompt_ids, t.response_ids, 1.0 if i % 2 else -1.0, allowed=masks.bitmask(t))
            for i, t in enumerate(triplets)]
    expected = [_plain_logprobs(policy, r, r.allowed) for r in rows]
    params = grpo_params(old_logprobs="recompute", mini_batch_size=4, micro_batch_size=4, lr=1e-9, kl_coef=0.1,
                         entropy_coef=0.01, share_prefix=share_prefix, temperature=1.0)
    opt = make_optimizer(policy, params)
    metrics = policy_update(policy, opt, make_scheduler(opt, params, 2), rows, params)
    assert metrics["train/clipfrac"] == 0.0
    assert metrics["train/approx_kl"] == pytest.approx(0.0, abs=1e-9)
    assert metrics["train/kl"] == pytest.approx(0.0, abs=1e-9)
    assert math.isfinite(metrics["train/entropy"]) and math.isfinite(metrics["train/grad_norm"])
    assert metrics["train/grad_norm"] > 0
    for row, (masked, unmasked) in zip(rows, expected):
        assert row.old_logprobs == pytest.approx(masked.tolist(), abs=1e-4)
        assert float((masked - unmasked).min()) > 1.0


def test_failed_replay_trains_the_row_unmasked_and_is_counted(policy: Policy, caplog: pytest.LogCaptureFixture) -> None:
    masks = ConstraintMasks.for_policy(policy.model, policy.tokenizer)
    good = _triplet(policy, TEXTS[0], [5, 6])
    foreign = _triplet(policy, "DROP TABLE singer;", [5, 7])  # not a sentence of the grammar
    free = _triplet(policy, "anything", [5, 8], constrained=False)
    bad_reward = Triplet(**{**good.model_dump(), "rollout_id": "low", "reward": 0.0,
                            "metadata": {**good.metadata, "episode_reward": 0.0}})
    params = grpo_params(skip_uniform_groups=True)
    episodes = [("g", 1.0, [good, foreign, free]), ("g", 0.0, [bad_reward]), ("uniform", 1.0, [good]), ("uniform", 1.0, [good])]
    rows, _ = build_rows(episodes, params, masks.bitmask)
    assert [r.allowed is not None for r in rows] == [True, False, False, True]  # the uniform group is never replayed
    with caplog.at_level(logging.WARNING, logger="agl_ops.algorithms.constrained"):
        stats = masks.reset_stats().as_metrics()
    assert stats["train/constrained_rows"] == 2.0 and stats["train/mask_replay_failed"] == 1.0
    assert "could not be replayed" in caplog.text and "not allowed" in caplog.text
    assert masks.reset_stats().as_metrics()["train/mask_replay_failed"] == 0.0


def test_rollout_logprobs_of_the_server_match_the_masked_policy(model_server, tiny_model_dir: Path) -> None:
    """With old_logprobs=rollout the ratio's baseline is what the server returned for a
    constrained call: the masked logprobs, which the masked policy reproduces (float32 on
    both sides), so the first update's ratio is 1; the unmasked ones are far off."""
    import httpx

    from agl_ops.adapter import TripletAdapter
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.store import MemoryStore

    store = MemoryStore()
    store.enqueue_rollouts([{"q": i} for i in range(3)])
    attempts = [store.claim_rollout("w1") for _ in range(3)]
    with LLMProxy(model_server.url, store) as proxy:
        for seed, at in enumerate(attempts):
            url = f"{proxy.url}/rollout/{at.rollout_id}/attempt/{at.attempt_id}/v1/chat/completions"
            r = httpx.post(url, timeout=120, json={
                "messages": [{"role": "user", "content": "Names of the singers?"}], "max_tokens": 12 + seed,
                "temperature": 1.0, "seed": seed, "structured_outputs": {"grammar": GRAMMAR}})
            assert r.status_code == 200, r.text
        proxy.flush()
    adapter = TripletAdapter(None, missing_reward=1.0)
    triplets = [t for at in attempts for t in adapter.adapt(at.rollout, store.query_spans(at.rollout_id, at.attempt_id))]
    assert len(triplets) == 3 and all(t.metadata["constraint"]["text"] == GRAMMAR for t in triplets)
    policy = Policy.load(tiny_model_dir, LoraParams(r=4, alpha=8.0), dtype="float32")
    masks = ConstraintMasks.for_policy(policy.model, policy.tokenizer)
    rows = [TrainRow(t.prompt_ids, t.response_ids, 1.0 if i else -1.0, t.response_logprobs, allowed=masks.bitmask(t))
            for i, t in enumerate(triplets)]
    assert all(r.allowed is not None and r.old_logprobs for r in rows)
    policy.model.eval()
    with torch.no_grad():
        logp, _ = response_logprobs(policy.model, collate(rows, policy.pad_id))
        unmasked, _ = response_logprobs(policy.model, collate([TrainRow(r.prompt_ids, r.response_ids, 0.0) for r in rows],
                                                              policy.pad_id))
    for i, row in enumerate(rows):
        n = len(row.response_ids)
        assert logp[i, :n].tolist() == pytest.approx(row.old_logprobs, abs=2e-3)
        assert float((logp[i, :n] - unmasked[i, :n]).min()) > 1.0
    params = grpo_params(old_logprobs="rollout", lr=1e-9, temperature=1.0)
    opt = make_optimizer(policy, params)
    metrics = policy_update(policy, opt, make_scheduler(opt, params, 1), rows, params)
    assert metrics["train/clipfrac"] == 0.0 and metrics["train/approx_kl"] == pytest.approx(0.0, abs=1e-5)


def test_grpo_step_with_the_constrained_sql_agent(tiny_policy_dir: Path, tmp_path: Path) -> None:
    """`agl-ops train` with agent.constrained: the write/rewrite calls carry the schema's
    grammar, GRPO replays every one of them (none fails: same tokenizer as the server)."""
    from agl_ops.config import Params
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset
    from agl_ops.tasks.sql.training import train_grpo

    generate_dataset(tmp_path / "data", SynthParams(seed=3, train_size=12, val_size=2, test_size=2))
    cfg = Params.model_validate({
        "data": {"path": str(tmp_path / "data")},
        "agent": {"constrained": True},
        "train": {"model_path": str(tiny_policy_dir), "run_dir": str(tmp_path / "run"), "output_dir": str(tmp_path / "out"),
                  "prompts": None, "n_runners": 4, "agent_max_tokens": 8, "merge": False,
                  "policy": {"dtype": "float32", "lora": {"r": 4, "alpha": 8.0}},
                  "adapter": {"max_response_length": 16},
                  "grpo": {"batch_size": 2, "n_rollouts": 2, "total_steps": 1, "val_before_train": False, "val_every": 0,
                           "save_every": 1, "micro_batch_size": 2, "mini_batch_size": 2, "kl_coef": 0.1,
                           "skip_uniform_groups": False, "temperature": 1.0, "advantage": "grpo", "val_limit": None},
                  "warm_start": {"enabled": False}},
    })
    logged: list[dict[str, float]] = []
    train_grpo(cfg, sink=lambda metrics, step: logged.append(dict(metrics)), show_progress=False)
    (step,) = [m for m in logged if "train/loss" in m]
    assert step["train/constrained_rows"] > 0 and step["train/mask_replay_failed"] == 0.0
    assert step["train/constrained_rows"] == step["train/transitions"]  # every write/rewrite call was constrained
    assert step["train/clipfrac"] == 0.0 and math.isfinite(step["train/entropy"])
    assert step["train/kl"] == pytest.approx(0.0, abs=1e-6)  # fresh adapter: the masked reference equals the policy
