"""Execution-match reward: ordering, duplicates, NULLs, floats, column order."""

from __future__ import annotations

from pathlib import Path

import pytest

from agl_ops.tasks.sql.reward import execution_reward, has_top_level_order_by, results_match


def test_order_insensitive_without_order_by() -> None:
    assert results_match([(1,), (2,), (3,)], [(3,), (1,), (2,)])
    assert not results_match([(1,), (2,), (3,)], [(3,), (1,), (2,)], ordered=True)
    assert results_match([(1,), (2,)], [(1,), (2,)], ordered=True)


def test_duplicates_count() -> None:
    assert not results_match([(1,), (1,), (2,)], [(1,), (2,), (2,)])
    assert not results_match([(1,), (2,)], [(1,), (1,), (2,)])
    assert results_match([("a",), ("a",)], [("a",), ("a",)])


def test_nulls() -> None:
    assert results_match([(None,)], [(None,)])
    assert not results_match([(None,)], [(0,)])
    assert not results_match([(None,)], [("",)])
    assert results_match([(None, 1), (2, None)], [(2, None), (None, 1)])


def test_floats_and_ints() -> None:
    assert results_match([(3.3333333333,)], [(10 / 3,)])
    assert results_match([(2,)], [(2.0,)])
    assert not results_match([(2.5,)], [(2.6,)])
    assert results_match([(0.1 + 0.2,)], [(0.3,)])
    assert not results_match([("2",)], [(2,)])  # text is not a number


def test_shape_and_column_permutation() -> None:
    assert not results_match([(1, 2)], [(1,)])
    assert not results_match([], [(1,)])
    assert results_match([], [])
    assert results_match([("a", 1), ("b", 2)], [(1, "a"), (2, "b")])
    assert not results_match([("a", 2), ("b", 1)], [(1, "a"), (2, "b")])  # pairs differ, not just columns


@pytest.mark.parametrize(("sql", "ordered"), [
    ("SELECT a FROM t ORDER BY a", True),
    ("select a from t order  by a desc limit 3", True),
    ("SELECT a FROM (SELECT a FROM t ORDER BY a) AS s", False),
    ("SELECT a FROM t WHERE b = 'order by'", False),
    ("SELECT a FROM t -- order by a", False),
    ("SELECT a FROM t WHERE a IN (SELECT a FROM u ORDER BY a LIMIT 2) ORDER BY a", True),
    ("SELECT count(*) FROM t", False),
])
def test_top_level_order_by(sql: str, ordered: bool) -> None:
    assert has_top_level_order_by(sql) is ordered


def test_execution_reward(concert_db: Path) -> None:
    gold = "SELECT Name FROM singer WHERE Country = 'France'"
    assert execution_reward(concert_db, "SELECT Name FROM singer WHERE Country = 'France' ORDER BY Age", gold) == 1.0
    assert execution_reward(concert_db, "SELECT name FROM singer WHERE country LIKE 'fr%'", gold) == 1.0
    assert execution_reward(concert_db, "SELECT Name FROM singer", gold) == 0.0
    assert execution_reward(concert_db, "SELECT Nam FROM singer", gold) == 0.0
    assert execution_reward(concert_db, "", gold) == 0.0
    assert execution_reward(concert_db, None, gold) == 0.0
    ordered_gold = "SELECT Name FROM singer ORDER BY Age DESC"
    assert execution_reward(concert_db, "SELECT Name FROM singer ORDER BY Age DESC", ordered_gold) == 1.0
    assert execution_reward(concert_db, "SELECT Name FROM singer ORDER BY Age ASC", ordered_gold) == 0.0
    assert execution_reward(concert_db, "SELECT avg(Age) FROM singer", "SELECT sum(Age) * 1.0 / count(*) FROM singer") == 1.0
    assert execution_reward(concert_db, "DROP TABLE singer", gold) == 0.0


def test_broken_gold_is_a_data_error(concert_db: Path) -> None:
    with pytest.raises(ValueError, match="gold query fails"):
        execution_reward(concert_db, "SELECT 1", "SELECT missing FROM singer")
