"""Safe execution: hostile or broken SQL returns an error and never changes the file."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from agl_ops.tasks.sql.execution import ExecLimits, execute_sql, format_result, readonly_connection


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


HOSTILE = [
    "DROP TABLE singer",
    "DELETE FROM singer",
    "UPDATE singer SET Age = 0",
    "INSERT INTO singer VALUES (99, 'x', 'y', 1, 'T')",
    "CREATE TABLE t (a)",
    "ATTACH DATABASE '{attach}' AS other",
    "PRAGMA writable_schema = ON",
    "PRAGMA journal_mode = DELETE",
    "VACUUM INTO '{attach}'",
    "SELECT 1; DROP TABLE singer",
    "SELECT load_extension('/tmp/evil.so')",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "SELECT count(*) FROM singer a, singer b, singer c, singer d, singer e, singer f, singer g, singer h, singer i, singer j",
    "SELECT * FROM singer a, singer b, singer c, singer d, singer e, singer f",
    "WITH RECURSIVE r(x) AS (SELECT 'ab' UNION ALL SELECT x || x FROM r) SELECT x FROM r",
    "SELECT zeroblob(2000000000)",
    "SELEC Name FROM singer",
    "",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_sql_returns_error_and_leaves_file_unchanged(concert_db: Path, tmp_path: Path, sql: str) -> None:
    attach = tmp_path / "other.db"
    before = _digest(concert_db)
    result = execute_sql(concert_db, sql.format(attach=attach), ExecLimits(timeout_s=0.5, max_rows=1000))
    assert not result.ok and result.error
    assert result.elapsed_s < 5
    assert _digest(concert_db) == before
    assert not attach.exists()
    # the database still answers afterwards
    assert execute_sql(concert_db, "SELECT count(*) FROM singer").rows == [(6,)]


@pytest.mark.parametrize("sql", [
    "DROP TABLE singer", "DELETE FROM singer", "ATTACH DATABASE ':memory:' AS x", "PRAGMA writable_schema = ON",
    "CREATE TEMP TABLE t (a)", "SELECT load_extension('x')",
])
def test_authorizer_alone_denies_writes(concert_db: Path, sql: str) -> None:
    """Second layer: even past the SELECT-only check, the connection refuses."""
    before = _digest(concert_db)
    conn = readonly_connection(concert_db)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(sql)
    finally:
        conn.close()
    assert _digest(concert_db) == before


def test_timeout_is_reported(concert_db: Path) -> None:
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    result = execute_sql(concert_db, sql, ExecLimits(timeout_s=0.2))
    assert result.error and "timed out" in result.error


def test_row_cap(concert_db: Path) -> None:
    result = execute_sql(concert_db, "SELECT * FROM singer a, singer b", ExecLimits(max_rows=10))
    assert result.error and "more than 10 rows" in result.error
    assert execute_sql(concert_db, "SELECT * FROM singer a, singer b", ExecLimits(max_rows=36)).ok


def test_result_size_cap(concert_db: Path) -> None:
    sql = "SELECT printf('%.500c', 'x') FROM singer a, singer b"
    result = execute_sql(concert_db, sql, ExecLimits(max_result_chars=5000))
    assert result.error and "larger than" in result.error


def test_plain_queries_work(concert_db: Path) -> None:
    result = execute_sql(concert_db, "  SELECT Name, Age FROM singer WHERE Age > 40 ORDER BY Age;  ")
    assert result.ok
    assert result.columns == ["Name", "Age"]
    assert result.rows == [("Rose White", 41), ("John Nizinik", 43), ("Joe Sharp", 52)]
    with_cte = execute_sql(concert_db, "-- comment\nWITH a AS (SELECT Age FROM singer) SELECT max(Age) FROM a")
    assert with_cte.rows == [(52,)]


def test_errors_are_messages(concert_db: Path, tmp_path: Path) -> None:
    assert "no such column" in (execute_sql(concert_db, "SELECT height FROM singer").error or "")
    assert "no such table" in (execute_sql(concert_db, "SELECT * FROM singers").error or "")
    assert "cannot open" in (execute_sql(tmp_path / "missing.sqlite", "SELECT 1").error or "")


def test_format_result_truncates(concert_db: Path) -> None:
    result = execute_sql(concert_db, "SELECT * FROM singer")
    text = format_result(result, max_chars=80)
    assert len(text) <= 80 and text.endswith("(truncated)")
    assert format_result(execute_sql(concert_db, "SELECT Name FROM singer WHERE Age > 100")) == "The query returned no rows."
    assert format_result(execute_sql(concert_db, "SELECT nope FROM singer")).startswith("Error: no such column")
