"""Run untrusted SQL against a SQLite database file without being able to harm it.

The agent's query is model output: it may be malformed, hostile or endless. Layers:
the file is opened read-only (``mode=ro`` URI) with ``query_only`` on; an authorizer
allows reading only (no writes, ATTACH, PRAGMA changes, extension loading); only a
single SELECT / WITH / VALUES statement is accepted (VACUUM INTO, for one, is not
seen by the authorizer); a progress handler enforces a time limit; rows, result
size and string length are capped. Every failure comes back as an error string in
:class:`ExecResult`, never as an exception, so one bad query cannot kill a runner.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ExecLimits", "ExecResult", "execute_sql", "readonly_connection", "format_result"]

_READ_PRAGMAS = frozenset({"table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"})
_DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer"})
_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
_LEADING_NOISE = re.compile(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/|\()*", re.S)
_FIRST_WORD = re.compile(r"[A-Za-z]+")


class ExecLimits(BaseModel):
    """Bounds on one query; the defaults suit Spider-sized databases."""

    model_config = ConfigDict(frozen=True)

    timeout_s: float = 5.0
    max_rows: int = 10_000
    max_result_chars: int = 2_000_000
    max_value_chars: int = 100_000


class ExecResult(BaseModel):
    """Outcome of one query: rows (as tuples) or an error message for the agent."""

    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def readonly_connection(db_path: str | Path, limits: ExecLimits | None = None) -> sqlite3.Connection:
    """Open ``db_path`` read-only with the authorizer and limits installed.

    Raises ``FileNotFoundError`` for a missing file (a data error, not a query error).
    """
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"database file {path} does not exist")
    limits = limits or ExecLimits()
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limits.max_value_chars)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
    conn.set_authorizer(_authorizer)
    return conn


def _statement_error(sql: str) -> str | None:
    """Accept one read statement; name what is wrong otherwise."""
    if not sql.strip():
        return "empty query"
    if "\x00" in sql:
        return "query contains a NUL character"
    body = _LEADING_NOISE.sub("", sql)
    word = _FIRST_WORD.match(body)
    first = word.group(0).upper() if word else ""
    if first not in ("SELECT", "WITH", "VALUES"):
        return f"only SELECT queries may run (got {first or body[:20]!r})"
    return None


def _deadline_handler(deadline: float) -> Any:
    def check() -> int:
        return 1 if time.monotonic() > deadline else 0  # non-zero interrupts the statement

    return check


def execute_sql(db_path: str | Path, sql: str, limits: ExecLimits | None = None) -> ExecResult:
    """Run ``sql`` read-only on ``db_path``; all failures become ``ExecResult.error``."""
    limits = limits or ExecLimits()
    start = time.monotonic()
    sql = sql.strip().rstrip(";").strip()
    problem = _statement_error(sql)
    if problem is not None:
        return ExecResult(error=problem)
    try:
        conn = readonly_connection(db_path, limits)
    except (FileNotFoundError, sqlite3.Error) as exc:
        return ExecResult(error=f"cannot open database: {exc}")
    try:
        conn.set_progress_handler(_deadline_handler(start + limits.timeout_s), 1000)
        return _fetch(conn, sql, limits, start)
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            return ExecResult(error=f"query timed out after {limits.timeout_s:g}s", elapsed_s=time.monotonic() - start)
        return ExecResult(error=_clean(exc), elapsed_s=time.monotonic() - start)
    except sqlite3.DatabaseError as exc:
        return ExecResult(error=_clean(exc), elapsed_s=time.monotonic() - start)
    except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError, MemoryError, RecursionError) as exc:
        return ExecResult(error=f"{type(exc).__name__}: {exc}", elapsed_s=time.monotonic() - start)
    finally:
        conn.close()


def _fetch(conn: sqlite3.Connection, sql: str, limits: ExecLimits, start: float) -> ExecResult:
    cursor = conn.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    rows: list[tuple[Any, ...]] = []
    size = 0
    while True:
        batch = cursor.fetchmany(500)
        if not batch:
            break
        for row in batch:
            size += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
        rows.extend(batch)
        if len(rows) > limits.max_rows:
            return ExecResult(columns=columns, error=f"result has more than {limits.max_rows} rows; add a filter or LIMIT",
                              elapsed_s=time.monotonic() - start)
        if size > limits.max_result_chars:
            return ExecResult(columns=columns, error=f"result is larger than {limits.max_result_chars} characters",
                              elapsed_s=time.monotonic() - start)
    return ExecResult(columns=columns, rows=rows, elapsed_s=time.monotonic() - start)


def _clean(exc: BaseException) -> str:
    text = str(exc)
    if text == "not authorized":
        return "not authorized: only reading the database is allowed"
    return text


def format_result(result: ExecResult, max_chars: int = 1024) -> str:
    """The result as the agent sees it: an error line or a small table, truncated."""
    if not result.ok:
        return f"Error: {result.error}"
    if not result.rows:
        return "The query returned no rows."
    header = " | ".join(result.columns)
    lines = [header] + [" | ".join("NULL" if v is None else str(v) for v in row) for row in result.rows]
    text = f"{len(result.rows)} row(s):\n" + "\n".join(lines)
    if len(text) > max_chars:
        text = text[: max(0, max_chars - 20)].rstrip() + "\n... (truncated)"
    return text
