"""Declarative schema specs for the synthetic databases.

A column says what kind of value it holds (which also tells the question templates
how it may be used: filtered, grouped, aggregated, joined) and how people talk about
it. Kinds: ``pk``, ``fk``, ``person``, ``title`` (joined word parts), ``choice``,
``choice_unique``, ``city``, ``country``, ``nationality``, ``int``, ``money``,
``real``, ``year``, ``date`` (ISO ``YYYY-MM-DD`` text), ``timestamp`` (ISO
``YYYY-MM-DD HH:MM:SS`` text), ``bool`` (0/1), ``code``, ``address``, ``email``,
``phone``, ``note`` (free text from ``choices``).

Spec names are snake_case; :mod:`agl_ops.tasks.sql.synth.naming` renders them in a
database's naming style and keeps the spec name in ``logical`` (people's words for a
column come from ``words``, never from its rendered name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Column", "Derived", "Table", "Domain", "C", "D", "CAT_KINDS", "NUM_KINDS", "DATE_KINDS", "TEXT_LABEL_KINDS"]

CAT_KINDS = frozenset({"choice", "city", "country", "nationality"})
NUM_KINDS = frozenset({"int", "money", "real", "year"})
DATE_KINDS = frozenset({"date", "timestamp"})
TEXT_LABEL_KINDS = frozenset({"person", "title", "code", "address", "choice_unique"})

_SQL_TYPES = {
    "pk": "INTEGER", "fk": "INTEGER", "int": "INTEGER", "year": "INTEGER", "bool": "INTEGER",
    "money": "REAL", "real": "REAL", "date": "TEXT", "timestamp": "TEXT",
}


def _split(words: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in words.split("|") if w) if isinstance(words, str) else tuple(words)


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
    neg: tuple[str, ...] = ()  # bool: predicates of the false state ("are not available"); words: of the true one
    verbs: tuple[str, ...] = ()  # date: what the date records, as a plural predicate ("were hired")
    logical: str = ""  # the spec name once rendered under a naming style

    @property
    def sql_type(self) -> str:
        if self.text_key:
            return "TEXT"
        return _SQL_TYPES.get(self.kind, "TEXT")

    @property
    def spec_name(self) -> str:
        return self.logical or self.name

    @property
    def phrase(self) -> str:
        return self.words[0] if self.words else self.spec_name.replace("_", " ")

    @property
    def phrases(self) -> tuple[str, ...]:
        return self.words or (self.phrase,)


@dataclass(frozen=True)
class Derived:
    """A value computed from two columns of one table (``unit_price * stock_qty``), or
    from a column and a constant (``duration_min / 60.0``): what arithmetic questions
    ask about."""

    words: tuple[str, ...]
    left: str
    op: str
    right: str
    kind: str = "real"  # how a threshold on it is rounded (money, int, real)

    @property
    def right_is_column(self) -> bool:
        try:
            float(self.right)
        except ValueError:
            return True
        return False

    def sql(self, qualifier: str = "") -> str:
        right = f"{qualifier}{self.right}" if self.right_is_column else self.right
        return f"{qualifier}{self.left} {self.op} {right}"


@dataclass(frozen=True)
class Table:
    name: str
    singular: str
    plural: str
    label: str
    rows: tuple[int, int]
    columns: tuple[Column, ...]
    child_share: float = 0.8  # share of parent rows referenced at least once (leaves some childless)
    nouns: tuple[str, ...] = ()  # other names for the rows, "singular/plural" ("client/clients")
    derived: tuple[Derived, ...] = ()
    logical: str = ""  # the spec name once rendered under a naming style

    def col(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def spec_name(self) -> str:
        return self.logical or self.name

    @property
    def pk(self) -> Column:
        return next(c for c in self.columns if c.kind == "pk")

    @property
    def label_col(self) -> Column:
        return self.col(self.label)

    @property
    def has_text_label(self) -> bool:
        return self.label_col.kind != "pk"

    @property
    def noun_pairs(self) -> list[tuple[str, str]]:
        """(singular, plural) names of the rows: the main one first, then the synonyms."""
        pairs = [(self.singular, self.plural)]
        for n in self.nouns:
            one, _, many = n.partition("/")
            pairs.append((one, many or one + "s"))
        return pairs


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
    """Compact column constructor: ``words`` (and ``neg``, ``verbs``) are ``|``-separated phrases."""
    for key in ("neg", "verbs"):
        if key in kw:
            kw[key] = _split(kw[key])  # type: ignore[arg-type]
    return Column(name=name, kind=kind, words=_split(words), **kw)  # type: ignore[arg-type]


def D(words: str, left: str, op: str, right: str, kind: str = "real") -> Derived:
    """Compact derived-value constructor (``words`` ``|``-separated)."""
    return Derived(_split(words), left, op, right, kind)
