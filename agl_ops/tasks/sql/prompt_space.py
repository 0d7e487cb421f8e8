"""Few-shot demonstrations for the SQL agent's write prompt, and how a trial composes
that prompt from an instruction, demonstrations and a schema rendering style.

Demonstrations come from train tasks only: first the ones the agent solved itself
with the baseline prompt (bootstrapped: its own query, which returned the reference
result), then, to fill the pool, train tasks with their reference query (labeled).
The pool favours different query shapes (count, aggregate, order/limit, group, join,
nesting) and different databases, so a few demos cover the patterns, not one schema.
A demo's schema can be rendered three ways: ``none`` (question and SQL only),
``columns`` (one ``table(col, ...)`` line per table the query uses) or ``create``
(the CREATE TABLE statements of those tables, the style the agent shows for the real
database).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["Demo", "DEMO_SCHEMA_STYLES", "ANSWER_CUES", "LAYOUTS", "SCHEMA_VIEWS", "sql_shape", "build_demo_pool", "render_demo",
           "compose_write_prompt", "escape_literal", "parse_instructions", "demo_sets", "demo_counts"]

DEMO_SCHEMA_STYLES = ("none", "columns", "create")
LAYOUTS = ("demos_first", "schema_first")
# how the database itself is shown: the agent's schema with example rows, or without them
# (a small model copies sample values into filters the question never asked for)
SCHEMA_VIEWS = {"rows": "schema", "no_rows": "schema_no_rows"}
ANSWER_CUES = {
    "fence": "Reply with only the SQL query inside a ```sql code block.",
    "sql_label": "SQL:",
    "comment": "",  # the whole prompt as a SQL file: questions as -- comments, queries after them
}
_SHAPES = [("count", r"\bcount\s*\("), ("agg", r"\b(avg|min|max|sum)\s*\("), ("where", r"\bwhere\b"),
           ("order", r"\border\s+by\b"), ("limit", r"\blimit\b"), ("group", r"\bgroup\s+by\b"),
           ("having", r"\bhaving\b"), ("join", r"\bjoin\b"), ("distinct", r"\bdistinct\b"),
           ("nested", r"\(\s*select\b"), ("and", r"\band\b")]


class Demo(BaseModel):
    question: str
    query: str
    db_path: str
    db_id: str = ""
    task_id: str = ""
    source: str = "labeled"  # bootstrapped (the agent's own successful query) | labeled (train reference)


def sql_shape(query: str) -> tuple[str, ...]:
    """The clauses a query uses: its "shape" for picking diverse demos."""
    q = re.sub(r"'(?:[^']|'')*'", "''", query.lower())
    return tuple(name for name, pattern in _SHAPES if re.search(pattern, q))


def _demo(task: Mapping[str, Any], query: str, source: str) -> Demo:
    return Demo(question=str(task["question"]), query=query.strip().rstrip(";"), db_path=str(task["db_path"]),
                db_id=str(task.get("db_id", "")), task_id=str(task.get("id", "")), source=source)


def build_demo_pool(bootstrapped: Iterable[tuple[Mapping[str, Any], str]], labeled: Sequence[Mapping[str, Any]],
                    size: int, rng: random.Random, max_query_chars: int = 240) -> list[Demo]:
    """Up to ``size`` demos: bootstrapped ones first, then labeled train tasks, each time
    preferring a query shape (then a database) not in the pool yet."""
    pool: list[Demo] = []
    shapes: set[tuple[str, ...]] = set()
    dbs: dict[str, int] = {}

    def take(cands: list[Demo], strict: bool) -> None:
        for d in cands:
            if len(pool) >= size:
                return
            shape = sql_shape(d.query)
            if any(p.question == d.question for p in pool) or len(d.query) > max_query_chars:
                continue
            if strict and (shape in shapes or dbs.get(d.db_id, 0) >= max(1, size // 3)):
                continue
            pool.append(d)
            shapes.add(shape)
            dbs[d.db_id] = dbs.get(d.db_id, 0) + 1

    boot = [_demo(t, q, "bootstrapped") for t, q in bootstrapped if q]
    lab = [_demo(t, str(t["query"]), "labeled") for t in labeled if t.get("query") and t.get("db_path")]
    rng.shuffle(boot)
    rng.shuffle(lab)
    for strict in (True, False):
        take(boot, strict)
        take(lab, strict)
    return pool


def demo_sets(pool: Sequence[Demo], n_sets: int, rng: random.Random) -> list[list[int]]:
    """``n_sets`` orderings of the pool (indices) a trial picks one of and takes the first
    ``n_demos`` from: the pool's own order (diverse shapes first), then shuffles."""
    order = list(range(len(pool)))
    sets = [order]
    for _ in range(max(0, n_sets - 1)):
        shuffled = order[:]
        rng.shuffle(shuffled)
        sets.append(shuffled)
    return sets


def demo_counts(max_demos: int, pool_size: int) -> list[int]:
    """The demo counts a trial chooses from: 0 and powers of two up to the limit (and the
    limit itself), so the search covers "none", "a few" and "many" with few choices."""
    top = min(max_demos, pool_size)
    counts = [0] + [n for n in (1, 2, 4, 8, 16, 32, 64) if n < top] + ([top] if top > 0 else [])
    return sorted(set(counts))


def _used_tables(query: str, tables: Sequence[Any]) -> list[Any]:
    q = query.lower()
    used = [t for t in tables if re.search(r"\b" + re.escape(t.name.lower()) + r"\b", q)]
    return used or list(tables)


def _create_table(table: Any) -> str:
    cols = []
    for c in table.columns:
        extra = " PRIMARY KEY" if c.primary_key else ""
        extra += f" REFERENCES {c.references}" if c.references else ""
        cols.append(f"  {c.name} {c.type}{extra}")
    return f"CREATE TABLE {table.name} (\n" + ",\n".join(cols) + "\n);"


def _schema_head(demo: Demo, schema_style: str, comment: bool) -> str:
    if schema_style == "none":
        return ""
    from agl_ops.tasks.sql.schema import read_schema

    tables = _used_tables(demo.query, read_schema(demo.db_path, 0))
    if schema_style == "columns":
        lines = [f"{t.name}({', '.join(c.name for c in t.columns)})" for t in tables]
        return "\n".join(("-- " if comment else "") + line for line in lines) + "\n"
    return "\n".join(_create_table(t) for t in tables) + "\n"


def render_demo(demo: Demo, schema_style: str, comment: bool = False) -> str:
    """One demo as prompt text (literal text: escape it before putting it in a template).
    ``comment``: SQL-file style, the question as a ``--`` comment above the query."""
    if schema_style not in DEMO_SCHEMA_STYLES:
        raise ValueError(f"unknown demo schema style {schema_style!r}; choose from {DEMO_SCHEMA_STYLES}")
    head = _schema_head(demo, schema_style, comment)
    if comment:
        return f"{head}-- {demo.question}\n{demo.query};"
    return f"{head}Question: {demo.question}\nSQL: {demo.query}"


def escape_literal(text: str) -> str:
    """Literal text inside an f-string template."""
    return text.replace("{", "{{").replace("}", "}}")


def compose_write_prompt(instruction: str, demos: Sequence[Demo], demo_schema: str, cue: str,
                         layout: str = "demos_first", schema_view: str = "rows") -> str:
    """The write prompt of one trial. ``demos_first``: instruction and demos, then the
    database and the question (the fixed part first, so the server's prefix cache reuses
    it across tasks); ``schema_first``: the database, then the demos right before the
    question (closer to where a small model looks)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose from {LAYOUTS}")
    if schema_view not in SCHEMA_VIEWS:
        raise ValueError(f"unknown schema view {schema_view!r}; choose from {sorted(SCHEMA_VIEWS)}")
    field = "{" + SCHEMA_VIEWS[schema_view] + "}"
    comment = cue == "comment"
    text = instruction.strip()
    intro = escape_literal("\n".join(f"-- {line}" for line in text.splitlines()) if comment else text)
    examples = ""
    if demos:
        shown = "\n\n".join(render_demo(d, demo_schema, comment) for d in demos)
        header = "-- Examples from other databases:" if comment else "Examples from other databases:"
        examples = header + "\n\n" + escape_literal(shown)
    ask = "-- {question}" if comment else "Question: {question}\n" + escape_literal(ANSWER_CUES[cue])
    database = field if comment else "Now the database to query:\n\n" + field
    if layout == "demos_first":
        parts = [intro, examples, database, ask]
    else:
        parts = [intro, database, examples, ask]
    return "\n\n".join(p for p in parts if p) + "\n"


def parse_instructions(text: str) -> list[str]:
    """Blocks separated by a line holding only ``---``; ``#`` lines are comments."""
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip() == "---":
            blocks.append("\n".join(current).strip())
            current = []
        elif not line.lstrip().startswith("#"):
            current.append(line)
    blocks.append("\n".join(current).strip())
    return [b for b in blocks if b]
