"""Declarative schema specs for the synthetic databases.

A column says what kind of value it holds (which also tells the question templates
how it may be used: filtered, grouped, aggregated, joined) and how people talk about
it. Kinds: ``pk``, ``fk``, ``person``, ``title`` (joined word parts), ``choice``,
``city``, ``country``, ``nationality``, ``int``, ``money``, ``real``, ``year``,
``date``, ``bool``, ``code``, ``address``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Column", "Table", "Domain", "C", "CAT_KINDS", "NUM_KINDS", "TEXT_LABEL_KINDS"]

CAT_KINDS = frozenset({"choice", "city", "country", "nationality"})
NUM_KINDS = frozenset({"int", "money", "real", "year"})
TEXT_LABEL_KINDS = frozenset({"person", "title", "code", "address", "choice_unique"})

_SQL_TYPES = {
    "pk": "INTEGER", "fk": "INTEGER", "int": "INTEGER", "year": "INTEGER", "bool": "INTEGER",
    "money": "REAL", "real": "REAL", "date": "TEXT",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    words: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    parts: tuple[tuple[str, ...], ...] = ()
    lo: float = 0
    hi: float = 0
    ref: str | None = None  # referenced table (its primary key) for kind "fk"
    null_frac: float = 0.0
    text_key: bool = False  # a TEXT primary key / foreign key (airport codes)

    @property
    def sql_type(self) -> str:
        if self.text_key:
            return "TEXT"
        return _SQL_TYPES.get(self.kind, "TEXT")

    @property
    def phrase(self) -> str:
        return self.words[0] if self.words else self.name.replace("_", " ")

    @property
    def phrases(self) -> tuple[str, ...]:
        return self.words or (self.phrase,)


@dataclass(frozen=True)
class Table:
    name: str
    singular: str
    plural: str
    label: str
    rows: tuple[int, int]
    columns: tuple[Column, ...]
    child_share: float = 0.8  # share of parent rows referenced at least once (leaves some childless)

    def col(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def pk(self) -> Column:
        return next(c for c in self.columns if c.kind == "pk")

    @property
    def label_col(self) -> Column:
        return self.col(self.label)

    @property
    def has_text_label(self) -> bool:
        return self.label_col.kind != "pk"


@dataclass(frozen=True)
class Domain:
    db_id: str
    tables: tuple[Table, ...]
    notes: str = field(default="", compare=False)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"{self.db_id} has no table {name}")


def C(name: str, kind: str, words: str = "", **kw: object) -> Column:
    """Compact column constructor: ``words`` is a ``|``-separated list of phrases."""
    return Column(name=name, kind=kind, words=tuple(w for w in words.split("|") if w), **kw)  # type: ignore[arg-type]
