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
    for params in space.seed_trials(state):
        study.enqueue_trial(params)
    plain = space.suggest(study.ask(), state)
    rich = space.suggest(study.ask(), state)
    assert plain[1] == {"constrained": False} and plain[2]["few_shot"] == 0
    assert rich[1]["few_shot"] == 2 and rich[1]["constrained"] is True
    assert {d["question"] for d in rich[1]["demos"]} == {r["question"] for r in rows["train"]}
    assert space.settings(rich[2]) == rich[1]  # a resumed study rebuilds the same settings
