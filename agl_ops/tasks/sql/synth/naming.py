"""Naming styles: how one generated database spells its tables and columns.

Real schemas are not all snake_case: SQL Server shops write ``CustomerID`` and
``OrderItems``, ORMs name every key ``id``, legacy systems prefix ``tbl_`` and
abbreviate (``qty``, ``amt``, ``dob``), Spider itself mixes ``Singer_ID`` with
``name``. A model trained on one spelling learns the spelling. Each database gets
one style (seeded); the gold SQL uses the rendered names, the questions keep using
people's words for the columns (``Column.words``), and no rendered name is an SQL
keyword, so nothing needs quoting.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass

from agl_ops.tasks.sql.synth.spec import Column, Derived, Domain, Table

__all__ = ["NamingStyle", "STYLE_NAMES", "RESERVED", "choose_style", "render_domain"]

# SQLite's keywords (sqlite.org/lang_keywords.html), a few words other engines reserve,
# and the aggregate names (a column called "count" reads as a call)
RESERVED = frozenset("""
abort action add after all alter always analyze and as asc attach autoincrement before begin between by cascade
case cast check collate column commit conflict constraint create cross current current_date current_time
current_timestamp database default deferrable deferred delete desc detach distinct do drop each else end escape
except exclude exclusive exists explain fail filter first following for foreign from full generated glob group
groups having if ignore immediate in index indexed initially inner insert instead intersect into is isnull join key
last left like limit match materialized natural no not nothing notnull null nulls of offset on or order others
outer over partition plan pragma preceding primary query raise range recursive references regexp reindex release
rename replace restrict returning right rollback row rows savepoint select set table temp temporary then ties to
transaction trigger unbounded union unique update using vacuum values view virtual when where window with without
user count sum avg min max total
""".split())

# word -> abbreviation (legacy schemas); multi-word spellings first
_ABBREV_MULTI = {("date", "of", "birth"): ("dob",), ("phone", "number"): ("phone", "no"),
                 ("first", "name"): ("fname",), ("last", "name"): ("lname",)}
_ABBREV = {
    "quantity": "qty", "number": "num", "amount": "amt", "description": "descr", "identifier": "id",
    "department": "dept", "employee": "emp", "customer": "cust", "address": "addr", "minutes": "mins",
    "seconds": "secs", "average": "avg", "category": "cat", "years": "yrs", "telephone": "tel",
    "reference": "ref", "percentage": "pct", "capacity": "cap", "experience": "exp", "registration": "reg",
    "temperature": "temp", "weight": "wt", "manager": "mgr", "distance": "dist", "duration": "dur",
    "maximum": "max", "minimum": "min", "product": "prod", "count": "cnt", "total": "tot",
    "estimated": "est", "kilograms": "kg", "hectares": "ha", "certificate": "cert", "vehicle": "veh",
}

_CASES = ("snake", "camel", "pascal", "title", "flat")


@dataclass(frozen=True)
class NamingStyle:
    """One database's spelling rules (``describe()`` is what the manifest records)."""

    name: str
    table_case: str = "snake"
    column_case: str = "snake"
    number: str = "spec"  # spec | singular | plural (table names)
    abbreviate: bool = False
    table_prefix: str = ""  # "tbl" ("tbl_orders", "tblOrders")
    pk_id: bool = False  # every integer primary key is called "id" (ORM style)

    def describe(self) -> str:
        parts = [self.name, f"tables={self.table_case}/{self.number}", f"columns={self.column_case}"]
        parts += ["abbreviated"] * self.abbreviate + [f"prefix={self.table_prefix}"] * bool(self.table_prefix)
        return " ".join(parts + ["pk=id"] * self.pk_id)


def _preset(name: str, rng: random.Random) -> NamingStyle:
    number = rng.choice(("spec", "singular", "plural"))
    if name == "plain":
        return NamingStyle("plain")
    if name == "snake":
        return NamingStyle("snake", number=number, abbreviate=rng.random() < 0.4)
    if name == "camel":
        return NamingStyle("camel", rng.choice(("camel", "pascal")), "camel", number, rng.random() < 0.25)
    if name == "pascal":
        return NamingStyle("pascal", "pascal", "pascal", number, rng.random() < 0.25)
    if name == "title":  # Spider's own mix: Singer_ID, Name
        return NamingStyle("title", rng.choice(("snake", "title")), "title", number)
    if name == "rails":
        return NamingStyle("rails", number="plural", pk_id=True)
    if name == "legacy":
        case = rng.choice(("snake", "pascal"))
        return NamingStyle("legacy", case, case, number, True, "tbl")
    if name == "flat":
        return NamingStyle("flat", "flat", "flat", number, rng.random() < 0.5)
    raise ValueError(f"unknown naming style {name!r}; known: {list(STYLE_NAMES)}")


STYLE_NAMES = ("plain", "snake", "camel", "pascal", "title", "rails", "legacy", "flat")


def choose_style(rng: random.Random, allowed: Sequence[str]) -> NamingStyle:
    """One style for one database, drawn from the allowed preset names."""
    if not allowed:
        raise ValueError(f"naming_styles needs at least one of {list(STYLE_NAMES)}")
    return _preset(rng.choice(list(allowed)), rng)


def _abbreviate(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for seq, short in _ABBREV_MULTI.items():
            if tuple(tokens[i:i + len(seq)]) == seq:
                out += short
                i += len(seq)
                break
        else:
            out.append(_ABBREV.get(tokens[i], tokens[i]))
            i += 1
    return out


def _case(tokens: list[str], case: str) -> str:
    if case == "snake":
        return "_".join(tokens)
    if case == "flat":
        return "".join(tokens)
    cap = [t.upper() if t == "id" else t.capitalize() for t in tokens]
    if case == "title":
        return "_".join(cap)
    if case == "pascal":
        return "".join(cap)
    if case == "camel":
        return tokens[0] + "".join("Id" if t == "id" else t.capitalize() for t in tokens[1:])
    raise ValueError(f"unknown case {case!r}; known: {list(_CASES)}")


def _ok(name: str, taken: set[str]) -> bool:
    return name.lower() not in RESERVED and name.lower() not in taken


def _table_candidates(t: Table, style: NamingStyle) -> list[list[str]]:
    one, many = t.singular.replace(" ", "_"), t.plural.replace(" ", "_")
    forms = {"spec": t.name, "singular": one, "plural": many} if t.name in (one, many) else {"spec": t.name}
    order = [style.number, "spec", "plural", "singular"]
    return [forms[k].split("_") for k in dict.fromkeys(order) if k in forms]


def _table_name(t: Table, style: NamingStyle, taken: set[str]) -> str:
    for tokens in _table_candidates(t, style):
        name = _case(tokens, style.table_case)
        if style.table_prefix:  # the prefix stays lowercase: tbl_orders, tblOrders, tblorders
            sep = "_" if style.table_case in ("snake", "title") else ""
            rest = _case(tokens, "pascal") if style.table_case == "camel" else name
            name = f"{style.table_prefix}{sep}{rest}"
        if _ok(name, taken):
            return name
    raise ValueError(f"table {t.name}: every spelling is reserved or taken")


def _column_name(c: Column, style: NamingStyle, taken: set[str]) -> str:
    tokens = c.name.split("_")
    candidates = []
    if style.pk_id and c.kind == "pk" and not c.text_key:
        candidates.append(["id"])
    if style.abbreviate:
        candidates.append(_abbreviate(tokens))
    candidates.append(tokens)
    for cand in candidates:
        name = _case(cand, style.column_case)
        if _ok(name, taken):
            return name
    raise ValueError(f"column {c.name}: every spelling is reserved or taken")


def render_domain(domain: Domain, style: NamingStyle) -> Domain:
    """The domain with its tables and columns spelled in ``style``; ``logical`` keeps
    the spec names (natural-language names in tables.json come from them)."""
    table_names: dict[str, str] = {}
    for t in domain.tables:
        table_names[t.name] = _table_name(t, style, {n.lower() for n in table_names.values()})
    tables = []
    for t in domain.tables:
        names: dict[str, str] = {}
        for c in t.columns:
            names[c.name] = _column_name(c, style, {n.lower() for n in names.values()})
        columns = tuple(dataclasses.replace(
            c, name=names[c.name], logical=c.name, ref=table_names[c.ref] if c.ref else None) for c in t.columns)
        derived = tuple(Derived(d.words, names[d.left], d.op, names.get(d.right, d.right), d.kind) for d in t.derived)
        tables.append(dataclasses.replace(t, name=table_names[t.name], logical=t.name, label=names[t.label],
                                          columns=columns, derived=derived))
    return dataclasses.replace(domain, tables=tuple(tables))
