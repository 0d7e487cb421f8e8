"""Few-shot demonstrations for the SQL agent: train tasks shown as worked examples.

A :class:`Demo` is a train question with its reference query. A demo is shown
with its schema rendered three ways: ``none`` (question and SQL only), ``columns``
(one ``table(col, ...)`` line per table the query uses) or ``create`` (the CREATE TABLE
statements of those tables, the style the agent shows for the real database).

:class:`DemoRetriever` picks the demos per question: BM25 (bm25s) over the train
questions, so a question about "the average price per category" is shown examples of
averages and grouping, from other databases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from agl_ops.tasks.sql.schema import read_schema, tables_in_query

__all__ = ["DEMO_SCHEMA_STYLES", "Demo", "DemoRetriever", "render_demo", "render_examples"]

DEMO_SCHEMA_STYLES = ("none", "columns", "create")
EXAMPLES_HEADER = "Examples from other databases:"


class Demo(BaseModel):
    question: str
    query: str
    db_path: str
    db_id: str = ""
    task_id: str = ""


def _used_tables(query: str, tables: Sequence[Any]) -> list[Any]:
    return tables_in_query(query, tables) or list(tables)


def _create_table(table: Any) -> str:
    cols = []
    for c in table.columns:
        extra = " PRIMARY KEY" if c.primary_key else ""
        extra += f" REFERENCES {c.references}" if c.references else ""
        cols.append(f"  {c.name} {c.type}{extra}")
    return f"CREATE TABLE {table.name} (\n" + ",\n".join(cols) + "\n);"


def _schema_head(demo: Demo, schema_style: str) -> str:
    if schema_style == "none":
        return ""
    tables = _used_tables(demo.query, _tables(demo.db_path))
    if schema_style == "columns":
        lines = [f"{t.name}({', '.join(c.name for c in t.columns)})" for t in tables]
        return "\n".join(lines) + "\n"
    return "\n".join(_create_table(t) for t in tables) + "\n"


def render_demo(demo: Demo, schema_style: str) -> str:
    """One demo as prompt text (literal text: escape it before putting it in a template)."""
    if schema_style not in DEMO_SCHEMA_STYLES:
        raise ValueError(f"unknown demo schema style {schema_style!r}; choose from {DEMO_SCHEMA_STYLES}")
    head = _schema_head(demo, schema_style)
    return f"{head}Question: {demo.question}\nSQL: {demo.query}"


@lru_cache(maxsize=256)
def _tables(db_path: str) -> list[Any]:
    return read_schema(db_path, 0)


def render_examples(demos: Sequence[Demo], schema_style: str = "none") -> str:
    """The ``{examples}`` block of a prompt: a header and the demos, then a blank line;
    empty when there are none (the prompt is then the same as without the block)."""
    if not demos:
        return ""
    return EXAMPLES_HEADER + "\n\n" + "\n\n".join(render_demo(d, schema_style) for d in demos) + "\n\n"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class DemoRetriever:
    """The ``k`` pool demos whose questions are closest to a question (BM25 over the
    questions' words, English stopwords removed); a demo with the same question is never
    its own example."""

    def __init__(self, demos: Sequence[Demo]) -> None:
        import bm25s

        self.demos = list(demos)
        self._index = bm25s.BM25()
        if self.demos:
            corpus = bm25s.tokenize([d.question for d in self.demos], stopwords="en", show_progress=False)
            self._index.index(corpus, show_progress=False)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> DemoRetriever:
        """A retriever over task rows (``question``, ``query``, ``db_path``...)."""
        return cls([Demo(question=str(r["question"]), query=str(r["query"]).strip().rstrip(";"),
                         db_path=str(r["db_path"]), db_id=str(r.get("db_id", "")), task_id=str(r.get("id", "")))
                    for r in rows])

    def top(self, question: str, k: int) -> list[Demo]:
        import bm25s

        if k <= 0 or not self.demos:
            return []
        want = min(len(self.demos), k + 1)
        query = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not query.vocab:  # nothing but stopwords: the first demos
            return [d for d in self.demos if d.question != question][:k]
        idx, _ = self._index.retrieve(query, k=want, show_progress=False)
        found = [self.demos[int(i)] for i in idx[0]]
        return [d for d in found if d.question != question][:k]
