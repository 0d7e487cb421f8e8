"""Promotion gate: refuses a worse challenger with both numbers, accepts a better one,
and records forced promotions with their reason."""

from __future__ import annotations

import pytest

from agl_ops.tracking import (
    CHAMPION,
    PromotionError,
    beats,
    client,
    get_model_version,
    promote,
    prompt_set_versions,
    register_model,
    register_prompt_set,
    stage_run,
)


@pytest.mark.parametrize(("cand", "champ", "margin", "greater", "expected"), [
    (0.50, 0.40, 0.0, True, True),
    (0.40, 0.40, 0.0, True, False),   # a tie keeps the champion
    (0.41, 0.40, 0.02, True, False),  # better, but not by the margin
    (0.42, 0.40, 0.02, True, True),   # exactly the margin (despite float error in 0.42 - 0.40)
    (0.30, 0.40, 0.05, False, True),  # lower is better
    (0.50, 0.40, 0.0, False, False),
])
def test_beats(cand, champ, margin, greater, expected):
    assert beats(cand, champ, margin, greater) is expected


def _register(model_dir, name, score, prompt_versions=None):
    return register_model(model_dir, name, metrics={"test_accuracy": score} if score is not None else {},
                          prompt_versions=prompt_versions, prompt_prefix=f"p-{name}" if prompt_versions else None,
                          reference_only=True)


def test_gate_refuses_worse_accepts_better_and_logs_force(tracking, stub_model, unique):
    base = stub_model
    name = f"gate-{unique}"
    prompts = register_prompt_set({"write": "Write SQL for {question}"}, f"p-{name}", score=0.4)
    with stage_run("register"):
        _register(base, name, 0.40, prompts)
    with stage_run("promote"):
        first = promote(name)
    assert first.promoted and first.champion_version is None and "no champion yet" in first.message
    assert get_model_version(name, CHAMPION).version == 1
    assert prompt_set_versions(f"p-{name}", CHAMPION) == {"write": 1}  # the model's prompts follow it

    with stage_run("register"):
        _register(base, name, 0.35)
    with stage_run("promote") as run:
        refused = promote(name, margin=0.0)
    assert not refused.promoted
    assert "0.3500" in refused.message and "0.4000" in refused.message
    assert (refused.candidate_score, refused.champion_score) == (0.35, 0.40)
    assert get_model_version(name, CHAMPION).version == 1
    assert client().get_run(run.run_id).data.tags["agl.promotion.outcome"] == "refused"
    assert get_model_version(name, 2).tags["agl.promotion.outcome"] == "refused"

    with stage_run("register"):
        _register(base, name, 0.45)
    assert not promote(name, margin=0.1).promoted  # better, not by 0.1
    accepted = promote(name, margin=0.02)
    assert accepted.promoted and accepted.champion_version == 1 and accepted.candidate_version == 3
    assert "0.4500" in accepted.message and "0.4000" in accepted.message
    champion = get_model_version(name, CHAMPION)
    assert champion.version == 3 and champion.tags["agl.promotion.previous_champion"] == "1"
    assert champion.tags["agl.promotion.forced"] == "false"

    with stage_run("promote") as run:
        forced = promote(name, 2, force=True, reason="rollback: v3 misbehaves in production")
    assert forced.promoted and forced.forced and get_model_version(name, CHAMPION).version == 2
    tags = get_model_version(name, 2).tags
    assert tags["agl.promotion.forced"] == "true"
    assert tags["agl.promotion.reason"] == "rollback: v3 misbehaves in production"
    run_data = client().get_run(run.run_id).data
    assert run_data.tags["agl.promotion.forced"] == "true" and run_data.tags["agl.promotion.reason"].startswith("rollback")
    assert run_data.metrics == {"candidate_score": 0.35, "champion_score": 0.45}

    again = promote(name, 2)  # already the champion: nothing moves, its record is kept
    assert not again.promoted and again.outcome == "unchanged" and "already the champion" in again.message
    assert get_model_version(name, 2).tags["agl.promotion.forced"] == "true"
    assert (refused.outcome, accepted.outcome) == ("refused", "promoted")


def test_missing_metric_or_version(tracking, stub_model, unique):
    base = stub_model
    name = f"gate-{unique}"
    with pytest.raises(PromotionError, match="no version"):
        promote(name)
    with stage_run("register"):
        _register(base, name, None)
    decision = promote(name)
    assert not decision.promoted and "has no test_accuracy" in decision.message
    assert promote(name, metric="test_accuracy", force=True).promoted
    with pytest.raises(PromotionError, match="margin"):
        promote(name, margin=-1)
