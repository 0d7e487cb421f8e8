"""What a question template sees: one generated database, and the template registry.

A template picks tables, columns and values from the live data (so filters select
something), returns the fields for its wordings and the gold SQL, and the generator
checks the SQL on the database before keeping it.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agl_ops.tasks.sql.synth.spec import CAT_KINDS, DATE_KINDS, NUM_KINDS, Column, Domain, Table

__all__ = [
    "DbContext", "Draft", "Template", "TEMPLATES", "template", "FkLink", "fmt_value", "threshold", "sql_literal",
    "a_an", "plural_phrase", "phrase", "nouns", "table_words", "fmt_date", "MONTHS",
]


@dataclass(frozen=True)
class FkLink:
    child: Table
    fk: Column
    parent: Table

    @property
    def rel(self) -> str:
        return self.fk.phrase if self.fk.words else self.parent.singular


@dataclass
class Draft:
    fields: dict[str, Any]
    sql: str
    tie_sql: str | None = None  # returns the ordering key of the ordered rows: must be all distinct
    max_rows: int = 60


@dataclass(frozen=True)
class Template:
    name: str
    tier: str
    wordings: tuple[str, ...]  # the last one is the held-out wording, seen only in test
    fn: Callable[[random.Random, DbContext], Draft | None]
    nps: tuple[str, ...] = ()  # noun phrases put into the frames of ``frames`` (phrasing.FRAMES); last held out
    frames: str = "rows"
    weight: float = 1.0  # how often the generator tries it, relative to the other templates of its tier


TEMPLATES: list[Template] = []


def template(tier: str, *wordings: str, nps: tuple[str, ...] = (), frames: str = "rows", weight: float = 1.0,
             ) -> Callable[[Callable[..., Draft | None]], Callable[..., Draft | None]]:
    """Register a template function under a difficulty tier with its wordings (and
    noun phrases for the request frames of family ``frames``)."""

    def register(fn: Callable[..., Draft | None]) -> Callable[..., Draft | None]:
        TEMPLATES.append(Template(fn.__name__, tier, tuple(wordings), fn, tuple(nps), frames, weight))
        return fn

    return register


@dataclass
class DbContext:
    domain: Domain
    conn: sqlite3.Connection
    rows: dict[str, list[dict[str, Any]]]
    links: list[FkLink] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.links = [
            FkLink(t, c, self.domain.table(c.ref))
            for t in self.domain.tables for c in t.columns if c.kind == "fk" and c.ref
        ]

    def cat_cols(self, t: Table) -> list[Column]:
        return [c for c in t.columns if c.kind in CAT_KINDS]

    def num_cols(self, t: Table) -> list[Column]:
        return [c for c in t.columns if c.kind in NUM_KINDS]

    def date_cols(self, t: Table, kinds: frozenset[str] = DATE_KINDS) -> list[Column]:
        return [c for c in t.columns if c.kind in kinds]

    def bool_cols(self, t: Table) -> list[Column]:
        return [c for c in t.columns if c.kind == "bool" and c.words and c.neg]

    def null_cols(self, t: Table) -> list[Column]:
        """Optional columns that really have some NULLs (and some values)."""
        return [c for c in t.columns if c.null_frac and 0 < len(self.values(t, c)) < self.n_rows(t)]

    def tables(self, need: Callable[[Table], bool] = lambda t: True) -> list[Table]:
        return [t for t in self.domain.tables if need(t)]

    def values(self, t: Table, col: Column) -> list[Any]:
        return [r[col.name] for r in self.rows[t.name] if r[col.name] is not None]

    def n_rows(self, t: Table) -> int:
        return len(self.rows[t.name])

    def single_link(self, link: FkLink) -> bool:
        """True when the child references the parent through one column only, so
        "X with no Y" is unambiguous."""
        return sum(1 for ln in self.links if ln.child == link.child and ln.parent == link.parent) == 1

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql).fetchall()


def fmt_value(value: Any) -> str:
    """A value as people write it in a question."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def threshold(rng: random.Random, values: list[Any], col: Column) -> Any:
    """A comparison constant that splits ``values`` (taken between the 20th and 80th
    percentile, rounded the way a person would)."""
    ordered = sorted(values)
    x = ordered[int(len(ordered) * rng.uniform(0.2, 0.8))]
    if col.kind == "money" and x >= 10_000:
        return int(round(x, -3))
    if col.kind == "money" and x >= 100:
        return int(round(x, -1))
    if isinstance(x, float):
        return round(x, 1)
    return x


def sql_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return fmt_value(value)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def fmt_date(rng: random.Random, iso: str) -> str:
    """An ISO date as people write it: 2023-05-17, May 17, 2023 or 17 May 2023."""
    year, month, day = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    return rng.choice((iso[:10], f"{MONTHS[month - 1]} {day}, {year}", f"{day} {MONTHS[month - 1]} {year}"))


def a_an(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _plural_word(word: str) -> str:
    if word.isupper() or word.endswith("s") and not word.endswith(("ss", "us")):
        return word + ("s" if word.isupper() else "")
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def plural_phrase(text: str) -> str:
    """"name" -> "names", "year of birth" -> "years of birth", "GPA" -> "GPAs"."""
    head, sep, tail = text.partition(" of ")
    words = head.split(" ")
    words[-1] = _plural_word(words[-1])
    return " ".join(words) + (sep + tail if sep else "")


def phrase(rng: random.Random, col: Column) -> str:
    return rng.choice(col.phrases)


def nouns(rng: random.Random, t: Table) -> tuple[str, str]:
    """(singular, plural) for the rows of ``t``: its main name most of the time, else a synonym."""
    pairs = t.noun_pairs
    return pairs[0] if len(pairs) == 1 or rng.random() < 0.6 else rng.choice(pairs[1:])


def table_words(rng: random.Random, t: Table) -> dict[str, str]:
    """The fields every one-table wording may use."""
    one, many = nouns(rng, t)
    label = phrase(rng, t.label_col)
    return {"singular": one, "plural": many, "a_singular": a_an(one), "label": label, "labels": plural_phrase(label)}
