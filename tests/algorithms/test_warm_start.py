"""Supervised warm start: examples in the server's chat format, the loss goes down, budgets."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agl_ops.algorithms.policy import Policy
from agl_ops.algorithms.warm_start import (
    answer_ids,
    chat_prompt_ids,
    nll_loss,
    sft_rows,
    warm_start,
    warm_start_schedule,
)
from agl_ops.config import LoraParams, WarmStartParams

EXAMPLES = [
    ("Translate: how many singers?", "SELECT count(*) FROM singer;"),
    ("Translate: names of singers from France", "SELECT name FROM singer WHERE country = 'France';"),
    ("Translate: oldest singer", "SELECT name FROM singer ORDER BY age DESC LIMIT 1;"),
    ("Translate: all concerts", "SELECT * FROM concert;"),
]


@pytest.fixture
def policy(tiny_policy_dir: Path) -> Policy:
    torch.manual_seed(0)
    return Policy.load(tiny_policy_dir, LoraParams(r=8, alpha=16.0), dtype="float32")


def test_rows_use_the_chat_template_and_end_the_turn(policy: Policy) -> None:
    tok = policy.tokenizer
    rows = sft_rows(EXAMPLES, tok)
    expected = tok.apply_chat_template([{"role": "user", "content": EXAMPLES[0][0]}], add_generation_prompt=True,
                                       tokenize=True, return_dict=False)
    assert rows[0].prompt_ids == list(expected) == chat_prompt_ids(tok, EXAMPLES[0][0])
    assert tok.decode(rows[0].response_ids, skip_special_tokens=False) == "SELECT count(*) FROM singer;<|im_end|>"
    assert rows[0].response_ids == answer_ids(tok, EXAMPLES[0][1]) and rows[0].advantage == 1.0
    short = sft_rows(EXAMPLES[:1], tok, max_prompt_length=5, max_response_length=3)[0]
    assert short.prompt_ids == list(expected)[-5:] and len(short.response_ids) == 3


def test_task_examples_end_each_gold_query_once() -> None:
    tasks = [{"question": "q1", "query": "SELECT a FROM t;"}, {"question": "q2", "query": " SELECT b FROM t "}]
    from agl_ops.tasks.sql.training import sql_examples

    assert sql_examples(tasks, lambda t: f"P {t['question']}") == [("P q1", "SELECT a FROM t;"), ("P q2", "SELECT b FROM t;")]


def _loss(policy: Policy, rows) -> float:
    with torch.no_grad():
        denom = float(sum(len(r.response_ids) for r in rows))
        return float(nll_loss(policy, rows, denom)[0])


@pytest.mark.parametrize(("lora", "drop"), [(True, 0.5), (False, 4.0)])
def test_warm_start_lowers_the_loss_on_a_fixed_batch(tiny_policy_dir: Path, lora: bool, drop: float) -> None:
    """A rank-8 adapter on a random 2-layer model moves the loss less than a full fine-tune."""
    torch.manual_seed(0)
    policy = Policy.load(tiny_policy_dir, LoraParams(enabled=lora, r=8, alpha=16.0), dtype="float32")
    rows = sft_rows(EXAMPLES, policy.tokenizer)
    before_weights = {k: v.clone() for k, v in policy.trainable_state().items()}
    before = _loss(policy, rows)
    result = warm_start(policy, rows, WarmStartParams(enabled=True, steps=12, batch_size=4, micro_batch_size=2, lr=1e-2,
                                                      max_time_s=None))
    after = _loss(policy, rows)
    assert result.steps == 12 and result.seen == 48 and result.examples == 4
    assert after < before - drop, (before, after)
    assert result.last_loss < result.first_loss
    changed = [k for k, v in policy.trainable_state().items() if not torch.equal(v, before_weights[k])]
    assert changed and all(("lora_" in k) == lora for k in changed)


def test_time_limit_is_a_reported_safety_stop_and_metrics_reach_the_sink(policy: Policy) -> None:
    ticks = iter(range(0, 1000, 10))
    logged: list[tuple[int, dict]] = []
    result = warm_start(policy, sft_rows(EXAMPLES, policy.tokenizer),
                        WarmStartParams(enabled=True, steps=50, batch_size=2, micro_batch_size=2, max_time_s=25),
                        sink=lambda m, step: logged.append((step, dict(m))), clock=lambda: next(ticks))
    assert result.steps == 3 and result.planned == 50 and result.stopped and "25s" in result.stopped
    assert "safety stop" in result.stopped
    assert [s for s, _ in logged] == [1, 2, 3] and all("warm_start/loss" in m for _, m in logged)
    assert logged[-1][1]["warm_start/steps_planned"] == 50.0  # done (the step) vs planned on every row


def test_a_slower_machine_trains_the_same_model(tiny_policy_dir: Path) -> None:
    """The step budget, not the clock, decides the model: same params and seed, one run
    ten times slower (still under the safety stop), identical steps and weights."""
    params = WarmStartParams(enabled=True, steps=6, batch_size=2, micro_batch_size=1, lr=1e-2, max_time_s=1000)
    trained = []
    for tick in (1, 10):
        torch.manual_seed(0)
        policy = Policy.load(tiny_policy_dir, LoraParams(r=8, alpha=16.0), dtype="float32")
        ticks = iter(range(0, 10_000, tick))
        result = warm_start(policy, sft_rows(EXAMPLES, policy.tokenizer), params, seed=3, clock=lambda: next(ticks))
        trained.append((result.steps, result.stopped, policy.trainable_state()))
    (steps_fast, stop_fast, fast), (steps_slow, stop_slow, slow) = trained
    assert steps_fast == steps_slow == 6 and stop_fast is stop_slow is None
    assert fast.keys() == slow.keys() and all(torch.equal(fast[k], slow[k]) for k in fast)


def test_schedule_warms_up_then_decays_to_a_tenth() -> None:
    f = warm_start_schedule(100)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(50) < f(10) and f(100) == pytest.approx(0.1)
    # a function of the step alone: the LR (and so the model) does not depend on the machine's speed
    assert list(map(f, range(100))) == list(map(warm_start_schedule(100), range(100)))


def test_train_stage_warm_start_writes_adapter_and_model_and_is_skipped_on_resume(tiny_policy_dir: Path,
                                                                                    tmp_path: Path) -> None:
    """`agl-ops train`'s warm start on SQL train tasks (the agent's own write prompts):
    adapter + metrics in run_dir, an exported model, and no second warm start when a
    GRPO checkpoint will be resumed."""
    import json

    from agl_ops.tasks.sql.training import run_warm_start
    from agl_ops.config import Params
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset
    from agl_ops.tasks.sql.wiring import tasks_from_params

    generate_dataset(tmp_path / "data", SynthParams(seed=3, train_size=24, val_size=4, test_size=4))
    cfg = Params.model_validate({
        "data": {"path": str(tmp_path / "data")},
        "train": {"model_path": str(tiny_policy_dir), "run_dir": str(tmp_path / "run"),
                  "policy": {"dtype": "float32", "lora": {"r": 4, "alpha": 8.0}},
                  "warm_start": {"enabled": True, "steps": 3, "batch_size": 4, "micro_batch_size": 4,
                                 "difficulties": ["easy"], "output_dir": str(tmp_path / "sft")}},
    })
    train = tasks_from_params(cfg, "train")
    policy = run_warm_start(cfg, train, {})
    report = json.loads((tmp_path / "run" / "warm_start" / "warm_start.json").read_text())
    assert report["steps"] == 3 and report["examples"] == sum(t["difficulty"] == "easy" for t in train)
    assert (tmp_path / "sft" / "config.json").is_file() and (tmp_path / "run" / "warm_start" / "adapter_config.json").is_file()
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 3 and "warm_start/loss" in lines[0]
    assert any(p.requires_grad for p in policy.model.parameters())

    (tmp_path / "run" / "ckpt-000001").mkdir()
    (tmp_path / "run" / "ckpt-000001" / "state.json").write_text("{}")  # a complete GRPO checkpoint
    run_warm_start(cfg, train, {})
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 3  # no second warm start


@pytest.mark.parametrize("fresh_adapter", [True, False])
def test_grpo_after_the_warm_start_uses_it_as_start_and_kl_reference(tiny_policy_dir: Path, tmp_path: Path,
                                                                     fresh_adapter: bool) -> None:
    """`agl-ops train` by default: warm start -> merged model -> GRPO on a new adapter over
    it (served by the server), so the first update's KL to the reference is zero; the
    same-adapter variant's reference is the base, which the warm start moved away from."""
    import json

    from agl_ops.tasks.sql.training import train_grpo, warm_start_model_dir
    from agl_ops.config import Params
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    generate_dataset(tmp_path / "data", SynthParams(seed=3, train_size=12, val_size=2, test_size=2))
    cfg = Params.model_validate({
        "data": {"path": str(tmp_path / "data")},
        "train": {"model_path": str(tiny_policy_dir), "run_dir": str(tmp_path / "run"), "output_dir": str(tmp_path / "out"),
                  "prompts": None, "n_runners": 4, "agent_max_tokens": 8,
                  "policy": {"dtype": "float32", "lora": {"r": 4, "alpha": 8.0}},
                  "adapter": {"max_response_length": 16},
                  "grpo": {"batch_size": 2, "n_rollouts": 2, "total_steps": 1, "val_before_train": False, "val_every": 5,
                           "save_every": 1, "micro_batch_size": 2, "mini_batch_size": 4, "kl_coef": 0.1,
                           "skip_uniform_groups": False, "temperature": 1.0, "advantage": "grpo", "val_limit": None},
                  "warm_start": {"enabled": True, "steps": 3, "batch_size": 4, "micro_batch_size": 4, "lr": 1e-2,
                                 "fresh_adapter": fresh_adapter, "output_dir": None, "max_time_s": None}},
    })
    logged: list[dict[str, float]] = []
    train_grpo(cfg, sink=lambda metrics, step: logged.append(dict(metrics)), show_progress=False)
    kl = [m["train/kl"] for m in logged if "train/kl" in m]
    source = json.loads((tmp_path / "out" / "agl_source.json").read_text())
    assert kl, "the update ran and logged its KL"
    if fresh_adapter:
        assert kl[0] == pytest.approx(0.0, abs=1e-6)
        assert source["base_model"] == str(warm_start_model_dir(cfg)) and (warm_start_model_dir(cfg) / "config.json").is_file()
    else:
        assert kl[0] > 1e-4 and source["base_model"] == str(tiny_policy_dir)


def test_resuming_grpo_without_its_warm_started_model_says_how_to_recover(tiny_policy_dir: Path, tmp_path: Path) -> None:
    from agl_ops.tasks.sql.training import train_grpo
    from agl_ops.config import Params
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    generate_dataset(tmp_path / "data", SynthParams(seed=3, train_size=12, val_size=2, test_size=2))
    cfg = Params.model_validate({"data": {"path": str(tmp_path / "data")},
                                 "train": {"model_path": str(tiny_policy_dir), "run_dir": str(tmp_path / "run"),
                                           "prompts": None, "warm_start": {"enabled": True, "fresh_adapter": True,
                                                                           "output_dir": None}}})
    (tmp_path / "run" / "ckpt-000003").mkdir(parents=True)
    (tmp_path / "run" / "ckpt-000003" / "state.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="warm_start_model.*--no-resume"):
        train_grpo(cfg, show_progress=False)
    assert (tmp_path / "run" / "ckpt-000003" / "state.json").is_file()  # the checkpoint is kept
