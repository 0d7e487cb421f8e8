"""Database schema as prompt text: compact CREATE TABLE statements with sample rows.

Small models invent columns; seeing every table's exact columns, keys and a few real
values is the most honest help a prompt can give. Real Spider databases can have
dozens of tables, so the text is fitted to a character budget: sample rows are cut
first (3 -> 1 -> 0), then whole trailing tables are dropped with a marker.

Given the question, tables can be ordered by lexical relevance (words shared with the
table's name, its column names and its sample values) and cut to the ``max_tables``
most relevant: simple schema linking, which keeps a small model from wandering into
unrelated tables. It reads only the question and the database, never the answer.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from agl_ops.tasks.sql.execution import readonly_connection

__all__ = ["ColumnInfo", "TableInfo", "read_schema", "render_schema", "shown_tables", "link_tables", "relevance"]

_MAX_CELL_CHARS = 40


class ColumnInfo(BaseModel):
    name: str
    type: str
    primary_key: bool = False
    references: str | None = None  # "table(column)"


class TableInfo(BaseModel):
    name: str
    columns: list[ColumnInfo]
    sample_rows: list[tuple[Any, ...]] = []


def _quote(name: str) -> str:
    return name if name.replace("_", "").isalnum() and not name[:1].isdigit() else f'"{name}"'


def read_schema(db_path: str | Path, sample_rows: int = 3) -> list[TableInfo]:
    """Tables (in creation order), their columns, keys and the first ``sample_rows`` rows."""
    conn = readonly_connection(db_path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
        return [_read_table(conn, name, sample_rows) for name in names]
    finally:
        conn.close()


def _read_table(conn: sqlite3.Connection, name: str, sample_rows: int) -> TableInfo:
    refs: dict[str, str] = {}
    for fk in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})"):
        # (id, seq, table, from, to, ...); "to" is NULL when it references the parent's primary key
        refs[fk[3]] = f"{_quote(fk[2])}({fk[4]})" if fk[4] else _quote(fk[2])
    columns = [
        ColumnInfo(name=c[1], type=c[2] or "TEXT", primary_key=bool(c[5]), references=refs.get(c[1]))
        for c in conn.execute(f"PRAGMA table_info({_quote(name)})")
    ]
    rows: list[tuple[Any, ...]] = []
    if sample_rows > 0:
        try:
            rows = list(conn.execute(f"SELECT * FROM {_quote(name)} LIMIT {int(sample_rows)}"))
        except sqlite3.Error:
            rows = []  # unreadable rows (bad encoding) should not hide the table's columns
    return TableInfo(name=name, columns=columns, sample_rows=rows)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= _MAX_CELL_CHARS else text[: _MAX_CELL_CHARS - 3] + "..."


def _render_table(table: TableInfo, n_rows: int) -> str:
    pk_cols = [c.name for c in table.columns if c.primary_key]
    lines = []
    for c in table.columns:
        line = f"  {_quote(c.name)} {c.type}"
        if c.primary_key and len(pk_cols) == 1:
            line += " PRIMARY KEY"
        if c.references:
            line += f" REFERENCES {c.references}"
        lines.append(line)
    if len(pk_cols) > 1:
        lines.append(f"  PRIMARY KEY ({', '.join(_quote(c) for c in pk_cols)})")
    text = f"CREATE TABLE {_quote(table.name)} (\n" + ",\n".join(lines) + "\n);"
    rows = table.sample_rows[:n_rows]
    if rows:
        header = " | ".join(c.name for c in table.columns)
        body = "\n".join(" | ".join(_cell(v) for v in row) for row in rows)
        text += f"\n/* {len(rows)} example row{'s' if len(rows) > 1 else ''}:\n{header}\n{body}\n*/"
    return text


def _fit(tables: list[TableInfo], max_chars: int, sample_rows: int) -> str:
    for n_rows in sorted({sample_rows, min(sample_rows, 1), 0}, reverse=True):
        text = "\n\n".join(_render_table(t, n_rows) for t in tables)
        if len(text) <= max_chars:
            return text
    parts: list[str] = []
    used = 0
    for i, t in enumerate(tables):
        block = _render_table(t, 0)
        marker = f"\n\n-- ({len(tables) - i} more table(s) not shown)"
        if used + len(block) + 2 + len(marker) > max_chars and parts:
            return "\n\n".join(parts) + marker
        parts.append(block)
        used += len(block) + 2
    return "\n\n".join(parts)[:max_chars]


def _words(text: str) -> set[str]:
    """Lower-cased words of 3+ letters, with a plural "s" dropped (players -> player)."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.findall(r"[a-z0-9]{3,}", text.lower())}


def relevance(table: TableInfo, question: str) -> int:
    """How strongly ``question`` points at ``table``: shared words with its name (x3),
    with its column names (x1), and sample text values quoted in the question (x2)."""
    q = _words(question)
    score = 3 * len(q & _words(table.name.replace("_", " ")))
    score += sum(len(q & _words(c.name.replace("_", " "))) for c in table.columns)
    lowered = question.lower()
    score += 2 * sum(1 for row in table.sample_rows for v in row if isinstance(v, str) and len(v) > 2 and v.lower() in lowered)
    return score


def tables_in_query(query: str, tables: Sequence[TableInfo]) -> list[TableInfo]:
    """The tables of ``tables`` that ``query`` names (whole-word, case-insensitive), in schema order."""
    q = query.lower()
    return [t for t in tables if re.search(r"\b" + re.escape(t.name.lower()) + r"\b", q)]


def link_tables(tables: list[TableInfo], question: str, max_tables: int | None = None,
                min_ratio: float = 0.0) -> list[TableInfo]:
    """Tables by relevance to ``question`` (ties keep schema order): at most ``max_tables``,
    and only those scoring at least ``min_ratio`` of the best (the best is always kept)."""
    scores = [relevance(t, question) for t in tables]
    ranked = sorted(range(len(tables)), key=lambda i: (-scores[i], i))
    best = scores[ranked[0]] if ranked else 0
    kept = [i for n, i in enumerate(ranked) if n == 0 or scores[i] >= min_ratio * best]
    return [tables[i] for i in kept[: max_tables or len(tables)]]


@functools.lru_cache(maxsize=256)
def _read_cached(path: str, mtime_ns: int, sample_rows: int) -> tuple[TableInfo, ...]:
    return tuple(read_schema(path, sample_rows))


def shown_tables(db_path: str | Path, sample_rows: int = 3, *, question: str | None = None,
                 max_tables: int | None = None, min_ratio: float = 0.0) -> list[TableInfo]:
    """The tables :func:`render_schema` shows, in its order (the schema read is cached per
    file version). With ``question``, most relevant first (see :func:`link_tables`)."""
    path = str(Path(db_path).resolve())
    tables = list(_read_cached(path, os.stat(path).st_mtime_ns, sample_rows))
    if question is not None:
        tables = link_tables(tables, question, max_tables, min_ratio)
    return tables


def render_schema(db_path: str | Path, max_chars: int = 2000, sample_rows: int = 3, *,
                  question: str | None = None, max_tables: int | None = None, min_ratio: float = 0.0) -> str:
    """Prompt text for the database at ``db_path``: :func:`shown_tables` fitted to ``max_chars``."""
    tables = shown_tables(db_path, sample_rows, question=question, max_tables=max_tables, min_ratio=min_ratio)
    return _fit(tables, max_chars, sample_rows)
