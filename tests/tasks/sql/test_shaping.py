"""Reward shaping rules on hand-made SQL episodes (a real SQLite file, no model)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from agl_ops.algorithms.shaping import shaped_reward
from agl_ops.tasks.sql.shaping import cell_f1, sql_similarity, sql_tokens
from agl_ops.types import Rollout, Span, SpanKind


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
                      "INSERT INTO customers VALUES (1, 'Ann', 'Oslo'), (2, 'Bo', 'Rome'), (3, 'Cy', 'Oslo');")
    con.commit()
    con.close()
    return str(path)


def episode(db: str, final_query: str, exec_ok: bool = True, reward: float = 0.0) -> tuple[Rollout, list[Span]]:
    task = {"db_path": db, "query": "SELECT name FROM customers WHERE city = 'Oslo'", "question": "q"}
    rollout = Rollout(rollout_id="r", input=task, created_at=time.time(), reward=reward)
    outcome = Span(rollout_id="r", attempt_id="a", name="sql.outcome", kind=SpanKind.MESSAGE,
                   attributes={"final_query": final_query, "exec_ok": exec_ok, "reward": reward})
    return rollout, [outcome]


def test_none_is_the_task_reward(db: str) -> None:
    r, spans = episode(db, "SELECT 1")
    assert shaped_reward("none", r, spans, 0.0) == 0.0


@pytest.mark.parametrize("rule", ["sql_partial", "sql_match"])
def test_exact_answers_always_beat_partial_credit(db: str, rule: str) -> None:
    close, spans_close = episode(db, "SELECT name, city FROM customers WHERE city = 'Oslo'")
    far, spans_far = episode(db, "SELECT id FROM customers")
    broken, spans_broken = episode(db, "SELEC name", exec_ok=False)
    right, spans_right = episode(db, "SELECT name FROM customers WHERE city = 'Oslo'", reward=1.0)
    scores = [shaped_reward(rule, r, s, r.reward or 0.0) for r, s in
              [(right, spans_right), (close, spans_close), (far, spans_far), (broken, spans_broken)]]
    assert scores[0] == 1.0
    assert 1.0 > scores[1] > scores[2] > scores[3] == 0.0


def test_similarities() -> None:
    assert sql_tokens("SELECT \"A\" FROM t WHERE x='Oslo'") == ["select", "'a'", "from", "t", "where", "x", "=", "'oslo'"]
    assert sql_similarity("SELECT name FROM t", "select NAME from T") == (1.0, 1.0)
    jac, ngram = sql_similarity("SELECT * FROM t WHERE id = 1", "SELECT name FROM t")
    assert jac == pytest.approx(1 / 3) and 0 < ngram < 1
    assert cell_f1([("Ann",), ("Cy",)], [("Ann",), ("Cy",)]) == 1.0
    assert cell_f1([("Ann", "Oslo")], [("Ann",)]) == pytest.approx(2 / 3)
    assert cell_f1([], []) == 1.0 and cell_f1([("x",)], []) == 0.0


def test_unknown_rule(db: str) -> None:
    r, spans = episode(db, "SELECT 1")
    with pytest.raises(ValueError, match=r"unknown reward shaping .bleu.; valid: none, .*sql_partial, sql_match"):
        shaped_reward("bleu", r, spans, 0.0)
