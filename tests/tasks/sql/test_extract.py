"""SQL extraction from model replies, and the checker's verdict."""

from __future__ import annotations

import pytest

from agl_ops.tasks.sql.extract import extract_sql, is_correct_verdict


@pytest.mark.parametrize(("reply", "sql"), [
    ("```sql\nSELECT name FROM t;\n```\nThis returns names.", "SELECT name FROM t"),
    ("```sql\nSELECT x FROM y", "SELECT x FROM y"),  # unclosed fence
    ("```\nSELECT 1\n```", "SELECT 1"),
    ("```SQL\nselect a\nfrom t\n```", "select a\nfrom t"),
    ("```python\nprint(1)\n```\n```sql\nSELECT 2\n```", "SELECT 2"),
    ("Here is the query:\nSELECT a\nFROM t\nWHERE b = 1\n\nThis query selects a.", "SELECT a\nFROM t\nWHERE b = 1"),
    ("SELECT count(*) FROM singer; SELECT 2", "SELECT count(*) FROM singer"),
    ("The answer is SELECT a FROM b", "SELECT a FROM b"),
    ("select a from t where b = 'x;y';", "select a from t where b = 'x;y'"),
    ("SELECT name FROM t\nThis query returns the names.", "SELECT name FROM t"),
    ("SELECT name\nFROM t\nWHERE age > 3\nORDER BY age", "SELECT name\nFROM t\nWHERE age > 3\nORDER BY age"),
    ("WITH a AS (SELECT 1) SELECT * FROM a", "WITH a AS (SELECT 1) SELECT * FROM a"),
    ("The player with the nationality of Australia is Sydney.", ""),
    ("CREATE TABLE team (id INTEGER)", ""),
    ("no sql here", ""),
    ("", ""),
    (None, ""),
])
def test_extract_sql(reply: str | None, sql: str) -> None:
    assert extract_sql(reply) == sql


@pytest.mark.parametrize(("reply", "verdict"), [
    ("THE QUERY IS CORRECT.", True),
    ("The query is correct", True),
    ("THE QUERY IS NOT CORRECT", False),
    ("It is incorrect. THE QUERY IS CORRECT", False),
    ("The query is wrong: no such column.", False),
    ("", False),
])
def test_verdict(reply: str, verdict: bool) -> None:
    assert is_correct_verdict(reply) is verdict


@pytest.mark.parametrize(("reply", "sql"), [
    ("SELECT a\nFROM t\nWHERE b = 1\n```", "SELECT a\nFROM t\nWHERE b = 1"),  # a closing fence without an opening one
    ("SELECT a FROM t\nProblem: no such column", "SELECT a FROM t"),  # the model echoing the prompt
    ("SELECT a FROM t\nQuestion: what else?", "SELECT a FROM t"),
])
def test_extract_stops_at_echoes(reply: str, sql: str) -> None:
    assert extract_sql(reply) == sql
