"""The SQL task's prompt search space: the demo pool, prompt composition, instructions."""

from __future__ import annotations

import pytest

from agl_ops.tasks.sql.demos import Demo, sql_shape
from agl_ops.tasks.sql.prompt_space import (
    build_demo_pool,
    compose_write_prompt,
    demo_counts,
    demo_sets,
    parse_instructions,
)
from tests.algorithms.prompt_env import synth_rows


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synth_rows(tmp_path_factory.mktemp("space-data"))


def test_demo_pool_prefers_bootstrapped_and_diverse_shapes(rows: dict) -> None:
    import random

    train = rows["train"]
    boot = [(train[0], "SELECT 1"), (train[1], "")]  # an empty query is not a demo
    pool = build_demo_pool(boot, train[2:], 5, random.Random(0))
    assert pool[0].source == "bootstrapped" and pool[0].query == "SELECT 1"
    assert len(pool) == 5 and len({d.question for d in pool}) == 5
    assert len({sql_shape(d.query) for d in pool}) >= 4


def test_compose_escapes_literal_braces_and_keeps_placeholders(rows: dict) -> None:
    demo = Demo(question="Odd {braces}?", query="SELECT '{x}' FROM t", db_path=rows["train"][0]["db_path"])
    for style in ("none", "columns", "create"):
        text = compose_write_prompt("Be {careful}.", [demo], style, "sql_label")
        filled = text.format(schema="<S>", question="<Q>")
        assert "Be {careful}." in filled and "SELECT '{x}' FROM t" in filled and filled.rstrip().endswith("SQL:")
        assert filled.index("<S>") < filled.index("<Q>")
    assert "CREATE TABLE" in compose_write_prompt("x", [demo], "create", "fence")
    sql_file = compose_write_prompt("One query per question.", [demo], "columns", "comment").format(schema="<S>", question="<Q>")
    assert sql_file.startswith("-- One query per question.") and "-- Odd {braces}?\nSELECT '{x}' FROM t;" in sql_file
    assert sql_file.rstrip().endswith("<S>\n\n-- <Q>")
    assert parse_instructions("# c\nA\n---\n\nB\nmore\n---\n") == ["A", "B\nmore"]


def test_demo_counts_and_sets() -> None:
    import random

    assert demo_counts(16, 24) == [0, 1, 2, 4, 8, 16]
    assert demo_counts(16, 5) == [0, 1, 2, 4, 5]
    assert demo_counts(0, 5) == [0] and demo_counts(4, 0) == [0]
    sets = demo_sets([Demo(question=str(i), query="SELECT 1", db_path="x") for i in range(6)], 3, random.Random(0))
    assert sets[0] == list(range(6)) and len(sets) == 3 and all(sorted(s) == list(range(6)) for s in sets)


def test_schema_view_without_rows_uses_its_own_placeholder() -> None:
    from agl_ops.algorithms.prompt_candidates import check_template

    text = compose_write_prompt("Answer.", [], "none", "sql_label", schema_view="no_rows")
    assert "{schema_no_rows}" in text and "{schema}" not in text
    assert check_template(text, {"schema_no_rows", "question"}, max_chars=6000) is None
    with pytest.raises(ValueError, match="schema view"):
        compose_write_prompt("Answer.", [], "none", "sql_label", schema_view="sideways")
