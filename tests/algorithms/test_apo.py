"""APO mechanics against a scripted model: critiques see train failures only, invalid
edits are refused, the beam stays bounded, a better prompt wins on val and a worse one
never replaces the baseline."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from agl_ops.algorithms.apo import APO, extract_prompt, repair_placeholders, ucb_pick, update_beam
from agl_ops.algorithms.prompt_candidates import Candidate, check_template
from agl_ops.config import PromptOptParams
from agl_ops.tasks.sql.prompt_space import describe_sql_failure
from agl_ops.tasks.sql.prompts import OPTIONAL_FIELDS
from tests.algorithms.prompt_env import ScriptedModel, fit, synth_rows

MARK = "Use the real column names."


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synth_rows(tmp_path_factory.mktemp("apo-data"))


def _params(**apo) -> PromptOptParams:
    return PromptOptParams.model_validate({
        "minibatch_size": 8, "val_limit": 8, "max_tokens": 64, "min_improvement": 0.0,
        "apo": {"rounds": 2, "beam_width": 2, "expand": 2, "branch_factor": 3, "n_failures": 2, **apo}})


def _edits(good: str, bad: str):
    """Optimizer replies: a critique, then edits cycling through good / no {question} / bad."""
    cycle = itertools.cycle([
        f"Here it is:\n<prompt>\n{good}\n</prompt>",
        "<prompt>Answer the question about {schema} in SQL.</prompt>",  # drops {question}: refused
        f"<prompt>{bad}</prompt>",
    ])

    def reply(prompt: str) -> str:
        if "short bullet points" in prompt:
            return f"- The prompt should say: {MARK}"
        return next(cycle)

    return reply


GOOD_EDIT = f"{MARK} Write one SQLite query.\n{{schema}}\nQuestion: {{question}}\nSQL only."
BAD_EDIT = "BAD. Write anything.\n{schema}\nQuestion: {question}"


def test_apo_keeps_the_better_edit_and_bounds_the_beam(rows: dict) -> None:
    model = ScriptedModel(rows, good=lambda prompt, row: MARK in prompt, optimizer=_edits(GOOD_EDIT, BAD_EDIT))
    with model.fake.serve() as server:
        result = fit(APO(_params(), seed=1, describe=describe_sql_failure, optional_fields=OPTIONAL_FIELDS), server.url, rows)

    assert result.improved and result.best.prompts["write_prompt"] == GOOD_EDIT
    assert result.baseline.val_score == 0.0 and result.best.val_score == 1.0
    assert result.best.parent_id == result.baseline.id and result.best.origin == "edit"
    # the other prompts of the set are untouched
    assert result.best.prompts["check_prompt"] == result.baseline.prompts["check_prompt"]
    # every round: the beam never grows past beam_width
    sizes = [h["apo/beam_size"] for h in result.history if "apo/beam_size" in h]
    assert len(sizes) == 3 and max(sizes) <= 2
    # refused edits are recorded with the reason and never scored
    refused = [c for c in result.candidates if c.rejected]
    assert refused and all(not c.minibatch_scores for c in refused)
    assert any("{question}" in c.rejected for c in refused)
    assert any(c.rejected == "same as an earlier prompt" for c in refused)
    ids = {c.id for c in result.candidates}
    assert all(c.parent_id in ids for c in result.candidates if c.parent_id)
    # critiques showed failed train rollouts with their reference query, never a val answer
    critiques = [p for p in model.optimizer_prompts if "short bullet points" in p]
    assert critiques and all("A correct query:" in p and "Query that ran:" in p for p in critiques)
    train_questions = {r["question"] for r in rows["train"]}
    assert any(q in critiques[0] for q in train_questions)
    for prompt in model.optimizer_prompts:
        assert not any(r["query"] in prompt for r in rows["val"] + rows["test"])


def test_a_worse_edit_never_replaces_the_baseline(rows: dict) -> None:
    def easy(prompt: str, row: dict) -> bool:
        return "BAD" not in prompt and row["difficulty"] == "easy"

    model = ScriptedModel(rows, good=easy, optimizer=_edits(BAD_EDIT, BAD_EDIT))
    with model.fake.serve() as server:
        result = fit(APO(_params(rounds=1), seed=2, describe=describe_sql_failure, optional_fields=OPTIONAL_FIELDS), server.url, rows)

    assert not result.improved and result.best.id == result.baseline.id
    edits = [c for c in result.candidates if c.origin == "edit" and not c.rejected]
    assert edits and all(c.mean_score == 0.0 for c in edits)
    assert result.baseline.val_score > 0
    assert all(c.val_score is None or c.val_score <= result.baseline.val_score for c in result.candidates)


def test_check_template_rules() -> None:
    req = {"schema", "question"}
    assert check_template("Schema {schema}\nQ: {question}", req, max_chars=100) is None
    assert "missing" in check_template("Schema {schema} and nothing else here", req, max_chars=100)
    assert "unknown" in check_template("{schema} {question} {answer}", req | set(), max_chars=100, min_chars=1)
    assert "too long" in check_template("{schema} {question}" + "x" * 100, req, max_chars=50)
    assert "not a plain field" in check_template("{schema} {question!r} and more text", req, max_chars=100)
    assert "valid template" in check_template("{schema} {question} and a { brace", req, max_chars=100)


def test_repair_and_extract() -> None:
    req = {"schema", "question"}
    text = extract_prompt("Sure!\n<prompt>\nTables: {{schema}}\nQ: { question }\nUse {table_name}.\n</prompt> bye")
    fixed = repair_placeholders(text, req)
    assert fixed == "Tables: {schema}\nQ: {question}\nUse {{table_name}}."
    assert fixed.format(schema="S", question="Q") == "Tables: S\nQ: Q\nUse {table_name}."
    assert extract_prompt("```\nA {schema} {question}\n```") == "A {schema} {question}"
    assert extract_prompt("<prompt>unterminated {schema}") == "unterminated {schema}"


def test_ucb_and_beam_update() -> None:
    a = Candidate(id="a", prompts={}, minibatch_scores=[0.5, 0.5, 0.5, 0.5])
    b = Candidate(id="b", prompts={}, minibatch_scores=[0.4])
    new = Candidate(id="n", prompts={})
    # greedy (c=0) takes the best mean; exploration favours the less-tried prompt; unscored first
    assert [c.id for c in ucb_pick([a, b], 1, 0.0)] == ["a"]
    assert [c.id for c in ucb_pick([a, b], 1, 2.0)] == ["b"]
    assert ucb_pick([a, new], 1, 0.0)[0].id == "n"
    # a child equal to the incumbent does not displace it; a better one does; width holds
    tie = Candidate(id="tie", prompts={}, minibatch_scores=[0.5])
    better = Candidate(id="better", prompts={}, minibatch_scores=[0.9])
    assert [c.id for c in update_beam([a, b], [tie], 2)] == ["a", "tie"]
    assert [c.id for c in update_beam([a, b], [tie, better], 2)] == ["better", "a"]
    assert len(update_beam([a, b], [tie, better, new], 3)) == 3
    assert not math.isnan(ucb_pick([a, b], 2, 1.0)[0].mean_score)


def test_apo_refuses_unknown_targets(rows: dict, tmp_path: Path) -> None:
    model = ScriptedModel(rows, good=lambda p, r: False)
    with model.fake.serve() as server, pytest.raises(ValueError, match="not prompt resources"):
        fit(APO(_params(targets=["nope_prompt"])), server.url, rows)
