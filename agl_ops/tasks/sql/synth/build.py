"""Fill a domain's tables with plausible rows and write them as a SQLite database.

Values are drawn from the domain spec with one seeded ``random.Random``: skewed
categories (so GROUP BY counts differ), unique row labels (so a question can name a
row), a few NULLs where the spec asks, and foreign keys that leave some parents
without children (so "which X have no Y" has an answer).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import string
from pathlib import Path
from typing import Any

from agl_ops.tasks.sql.synth import vocab as V
from agl_ops.tasks.sql.synth.spec import Column, Domain, Table

__all__ = ["generate_rows", "create_database", "write_database", "tables_json_entry"]

Rows = dict[str, list[dict[str, Any]]]


def _money(rng: random.Random, col: Column) -> float:
    x = rng.uniform(col.lo, col.hi)
    if col.hi >= 100_000:
        return float(round(x, -3))
    if col.hi >= 5_000:
        return float(round(x, -1))
    return round(x, 2)


def _code(rng: random.Random, col: Column) -> str:
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
    if "plate" in col.name:
        return f"{letters}-{rng.randint(100, 999)}-{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}"
    return f"{letters}{rng.randint(100, 9999)}"


def _value(rng: random.Random, col: Column, weights: dict[str, list[float]]) -> Any:
    kind = col.kind
    if kind in ("choice", "city", "country", "nationality"):
        pool = col.choices or {"city": V.CITIES, "country": V.COUNTRIES, "nationality": V.NATIONALITIES}[kind]
        w = weights.setdefault(col.name, [rng.uniform(0.4, 3.0) for _ in pool])
        return rng.choices(pool, weights=w)[0]
    if kind == "person":
        return f"{rng.choice(V.FIRST_NAMES)} {rng.choice(V.LAST_NAMES)}"
    if kind == "title":
        return " ".join(rng.choice(part) for part in col.parts)
    if kind == "address":
        return f"{rng.randint(1, 480)} {rng.choice(V.STREETS)}"
    if kind == "code":
        return _code(rng, col)
    if kind in ("int", "year"):
        return rng.randint(int(col.lo), int(col.hi))
    if kind == "money":
        return _money(rng, col)
    if kind == "real":
        return round(rng.uniform(col.lo, col.hi), 2 if col.hi <= 10 else 1)
    if kind in ("date", "timestamp"):
        start = dt.date(int(col.lo), 1, 1)
        span = (dt.date(int(col.hi), 12, 31) - start).days
        day = (start + dt.timedelta(days=rng.randint(0, span))).isoformat()
        if kind == "date":
            return day
        return f"{day} {rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if kind == "bool":
        return int(rng.random() < 0.6)
    if kind == "email":
        user = f"{rng.choice(V.FIRST_NAMES)}.{rng.choice(V.LAST_NAMES)}".lower().replace("ü", "u")
        return f"{user}{rng.randint(1, 99) if rng.random() < 0.3 else ''}@{rng.choice(V.MAIL_DOMAINS)}"
    if kind == "phone":
        return f"+{rng.choice((1, 44, 49, 351))} {rng.randint(200, 989)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if kind == "note":
        return rng.choice(col.choices)
    raise ValueError(f"column {col.name}: unknown kind {kind!r}")


def _table_rows(rng: random.Random, table: Table, rows: Rows, pk_names: dict[str, str]) -> list[dict[str, Any]]:
    n = rng.randint(*table.rows)
    pk = table.pk
    if pk.choices:
        n = min(n, len(pk.choices))
        keys: list[Any] = rng.sample(pk.choices, n)
    else:
        keys = list(range(1, n + 1))
    unique_choices = {c.name: rng.sample(c.choices, n) for c in table.columns if c.kind == "choice_unique"}
    parents = {
        c.name: rng.sample(pool, max(1, round(len(pool) * table.child_share)))
        for c in table.columns if c.kind == "fk"
        for pool in [[r[pk_names[c.ref]] for r in rows[c.ref or '']]]
    }
    fk_weights = {name: [rng.uniform(0.3, 3.0) for _ in cands] for name, cands in parents.items()}
    weights: dict[str, list[float]] = {}
    seen_labels: set[Any] = set()
    out = []
    for i, key in enumerate(keys):
        row: dict[str, Any] = {}
        for col in table.columns:
            if col.kind == "pk":
                row[col.name] = key
            elif col.kind == "choice_unique":
                row[col.name] = unique_choices[col.name][i]
            elif col.kind == "fk":
                row[col.name] = _fk_value(rng, col, row, table, parents, fk_weights)
            elif col.null_frac and rng.random() < col.null_frac:
                row[col.name] = None
            else:
                row[col.name] = _value(rng, col, weights)
                if col.name == table.label:
                    for _ in range(200):
                        if row[col.name] not in seen_labels:
                            break
                        row[col.name] = _value(rng, col, weights)
                    seen_labels.add(row[col.name])
        out.append(row)
    return out


def _fk_value(rng: random.Random, col: Column, row: dict[str, Any], table: Table,
              parents: dict[str, list[Any]], fk_weights: dict[str, list[float]]) -> Any:
    taken = {row.get(c.name) for c in table.columns if c.kind == "fk" and c.ref == col.ref and c.name != col.name}
    value = None
    for _ in range(20):  # two references to one table (origin/destination) should differ
        value = rng.choices(parents[col.name], weights=fk_weights[col.name])[0]
        if value not in taken:
            break
    return value


def generate_rows(domain: Domain, rng: random.Random) -> Rows:
    rows: Rows = {}
    pk_names = {t.name: t.pk.name for t in domain.tables}
    for table in domain.tables:
        rows[table.name] = _table_rows(rng, table, rows, pk_names)
    return rows


def _create_sql(domain: Domain, table: Table) -> str:
    lines = []
    for col in table.columns:
        line = f"  {col.name} {col.sql_type}"
        if col.kind == "pk":
            line += " PRIMARY KEY"
        elif col.name == table.label:
            line += " NOT NULL"
        if col.kind == "fk" and col.ref:
            ref = domain.table(col.ref)
            line += f" REFERENCES {ref.name}({ref.pk.name})"
        lines.append(line)
    return f"CREATE TABLE {table.name} (\n" + ",\n".join(lines) + "\n)"


def create_database(domain: Domain, rows: Rows, conn: sqlite3.Connection | None = None) -> sqlite3.Connection:
    """Create and fill the tables (in memory unless ``conn`` is given)."""
    conn = conn or sqlite3.connect(":memory:")
    with conn:
        for table in domain.tables:
            conn.execute(_create_sql(domain, table))
            names = [c.name for c in table.columns]
            conn.executemany(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [tuple(r[n] for n in names) for r in rows[table.name]],
            )
    return conn


def write_database(conn: sqlite3.Connection, path: Path) -> None:
    """Copy an in-memory database to ``path`` (replacing an older file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    target = sqlite3.connect(path)
    try:
        conn.backup(target)
    finally:
        target.close()


def _spider_type(col: Column) -> str:
    if col.sql_type in ("INTEGER", "REAL"):
        return "boolean" if col.kind == "bool" else "number"
    return "time" if col.kind in ("date", "timestamp") else "text"


def tables_json_entry(domain: Domain) -> dict[str, Any]:
    """The domain's entry in Spider's ``tables.json``."""
    col_names: list[list[Any]] = [[-1, "*"]]
    col_orig: list[list[Any]] = [[-1, "*"]]
    types = ["text"]
    index: dict[tuple[str, str], int] = {}
    for ti, table in enumerate(domain.tables):
        for col in table.columns:
            index[(table.name, col.name)] = len(col_orig)
            col_orig.append([ti, col.name])
            col_names.append([ti, col.spec_name.replace("_", " ")])
            types.append(_spider_type(col))
    fks = []
    for table in domain.tables:
        for col in table.columns:
            if col.kind == "fk" and col.ref:
                ref = domain.table(col.ref)
                fks.append([index[(table.name, col.name)], index[(ref.name, ref.pk.name)]])
    return {
        "db_id": domain.db_id,
        "table_names_original": [t.name for t in domain.tables],
        "table_names": [t.spec_name.replace("_", " ") for t in domain.tables],
        "column_names_original": col_orig,
        "column_names": col_names,
        "column_types": types,
        "primary_keys": [index[(t.name, t.pk.name)] for t in domain.tables],
        "foreign_keys": fks,
    }
