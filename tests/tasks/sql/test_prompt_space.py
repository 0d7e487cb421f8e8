"""The SQL task's prompt search space: prompt composition, instructions, trial settings."""

from __future__ import annotations

import optuna
import pytest

from agl_ops.algorithms.config import SearchParams
from agl_ops.algorithms.prompt_candidates import check_template
from agl_ops.tasks.sql.demos import Demo, render_demo
from agl_ops.tasks.sql.prompt_space import SqlPromptSpace, compose_write_prompt, parse_instructions
from tests.algorithms.prompt_env import synth_rows


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synth_rows(tmp_path_factory.mktemp("space-data"))


def test_compose_escapes_literal_braces_and_keeps_placeholders() -> None:
    for cue in ("fence", "sql_label"):
        text = compose_write_prompt("Be {careful}.", cue)
        filled = text.format(schema="<S>", question="<Q>", examples="<E>")
        assert filled.startswith("Be {careful}.") and filled.index("<E>") < filled.index("<S>") < filled.index("<Q>")
        assert check_template(text, {"schema", "question", "examples"}, max_chars=6000) is None
    assert parse_instructions("# c\nA\n---\n\nB\nmore\n---\n") == ["A", "B\nmore"]


def test_schema_view_without_rows_uses_its_own_placeholder() -> None:
    text = compose_write_prompt("Answer.", "sql_label", schema_view="no_rows")
    assert "{schema_no_rows}" in text and "{schema}" not in text
    assert check_template(text, {"schema_no_rows", "question", "examples"}, max_chars=6000) is None
    with pytest.raises(ValueError, match="schema view"):
        compose_write_prompt("Answer.", "sql_label", schema_view="sideways")


def test_demo_styles(rows: dict) -> None:
    demo = Demo(question="Odd {braces}?", query="SELECT '{x}' FROM t", db_path=rows["train"][0]["db_path"])
    assert render_demo(demo, "none") == "Question: Odd {braces}?\nSQL: SELECT '{x}' FROM t"
    assert "CREATE TABLE" in render_demo(demo, "create") and "(" in render_demo(demo, "columns").splitlines()[0]


def test_trials_carry_demos_only_from_the_pool_and_their_decoding(rows: dict) -> None:
    space = SqlPromptSpace(SearchParams(max_demos=2), pool=rows["train"])
    assert space.few_shot_counts() == [0, 1, 2]
    assert SqlPromptSpace(SearchParams(max_demos=2)).few_shot_counts() == [0]  # no pool, no demos
    study = optuna.create_study()
    state = {"instructions": ["Write SQL."]}
    seeds = space.seed_trials(state)
    for params in seeds:
        study.enqueue_trial(params)
    constrained, demos, composed = (space.suggest(study.ask(), state) for _ in seeds)
    # one change at a time from the shipped prompt (template None: the baseline's own)
    assert constrained[0] is None and constrained[1] == {"constrained": True}
    assert demos[0] is None and demos[1]["few_shot"] == 2 and "constrained" not in demos[1]
    assert {d["question"] for d in demos[1]["demos"]} == {r["question"] for r in rows["train"]}
    assert composed[0].startswith("Write SQL.") and composed[1]["constrained"] is True
    for point in (constrained, demos, composed):
        assert space.settings(point[2]) == point[1]  # a resumed study rebuilds the same settings


def test_seed_trials_never_repeat_the_baseline() -> None:
    """Without a demo pool, the shipped prompt unconstrained is the baseline itself: not seeded."""
    space = SqlPromptSpace(SearchParams(max_demos=2), constrained=(True, False))
    seeds = space.seed_trials({"instructions": ["Write SQL."]})
    assert {"layout": "shipped", "few_shot": 0, "demo_schema": "none", "constrained": True, "samples": 1} not in seeds
    assert seeds[0] == {"layout": "shipped", "few_shot": 0, "demo_schema": "none", "constrained": False, "samples": 1}
    assert space.settings(seeds[0]) == {"constrained": False}
    assert space.placeholders(seeds[0], {"schema", "question"}) == {"schema", "question"}


def test_voting_over_samples_is_tried_first_and_only_set_when_it_is_not_the_baselines(rows: dict) -> None:
    space = SqlPromptSpace(SearchParams(max_demos=1), pool=rows["train"], samples=(1, 4))
    state = {"instructions": ["Write SQL."]}
    seeds = space.seed_trials(state)
    assert seeds[0]["samples"] == 4 and seeds[0]["layout"] == "shipped" and seeds[0]["few_shot"] == 0
    assert all(s["samples"] == 1 for s in seeds[1:])  # the other seeds change one other thing
    study = optuna.create_study()
    for params in seeds:
        study.enqueue_trial(params)
    voted = space.suggest(study.ask(), state)
    assert voted[0] is None and voted[1] == {"samples": 4}
    assert space.settings({**seeds[1], "samples": 1}) == space.settings(seeds[1])
    assert "samples" not in space.settings(seeds[1])
    same = SqlPromptSpace(SearchParams(), samples=(4, 4))
    assert same.samples == (4,) and same.fingerprint()["samples"] != space.fingerprint()["samples"]


def test_the_demos_a_model_was_trained_to_read_are_the_first_seed(rows: dict) -> None:
    space = SqlPromptSpace(SearchParams(max_demos=3), pool=rows["train"], trained_demos=(2, "columns"))
    first = space.seed_trials({"instructions": ["Write SQL."]})[0]
    picked = (first["layout"], first["few_shot"], first["demo_schema"], first["constrained"])
    assert picked == ("shipped", 2, "columns", False)
    settings = space.settings(first)
    assert settings["few_shot"] == 2 and settings["demo_schema"] == "columns"
    assert SqlPromptSpace(SearchParams(), trained_demos=(2, "columns")).trained_demos is None  # no pool, no demos
