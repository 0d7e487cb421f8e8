"""Spider-format data written by hand and shipped in the package: one readable
``<db_id>.sql`` file per database (CREATE TABLE + INSERT) and ``questions.json``
(Spider rows with a difficulty) beside the module that names them.

:class:`PackagedSet` checks the rows' shape, builds each database in memory (dangling
foreign keys fail), derives its ``tables.json`` entry through the generator's own
writer, and writes the databases where a Spider folder wants them. The realistic dev
set (evaluation only) and the hand-written train set both are one.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from agl_ops.pipeline.files import replace_tree
from agl_ops.tasks.sql.synth.build import tables_json_entry, write_database
from agl_ops.tasks.sql.synth.spec import Column, Domain, Table

__all__ = ["TIERS", "PackagedSet"]

TIERS = ("easy", "medium", "hard")
_ROW_KEYS = frozenset({"db_id", "question", "query", "difficulty"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?Z?)?$")


def _package_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _load_database(package: str, db_id: str) -> sqlite3.Connection:
    """The database in memory, built from its .sql file; dangling foreign keys fail."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(_package_text(package, f"{db_id}.sql"))
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise ValueError(f"{db_id}.sql: rows with dangling foreign keys (table, rowid, parent): {broken[:5]}")
    except BaseException:
        conn.close()
        raise
    return conn


def _affinity(decl: str) -> str:
    t = decl.upper()
    if "INT" in t:
        return "integer"
    if not t or any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    return "real" if any(k in t for k in ("REAL", "FLOA", "DOUB")) else "numeric"


def _value_kind(decl: str, values: list[Any]) -> str:
    """The synth column kind that gives the right Spider type: the declared type where
    it says (BOOLEAN, DATE, DATETIME), else the values (0/1 only: boolean; ISO dates as
    text: time), else the type's affinity."""
    t, present = decl.upper(), [v for v in values if v is not None]
    if "BOOL" in t:
        return "bool"
    if "DATE" in t or "TIME" in t or (present and all(isinstance(v, str) and _ISO_DATE.match(v) for v in present)):
        return "date"
    if present and all(type(v) is int for v in present) and set(present) <= {0, 1}:
        return "bool"
    return {"integer": "int", "text": "choice"}.get(_affinity(decl), "real")


def _table(conn: sqlite3.Connection, db_id: str, name: str) -> Table:
    info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()  # (cid, name, type, notnull, default, pk)
    pks = [c[1] for c in info if c[5]]
    if len(pks) != 1:
        raise ValueError(f"{db_id}.{name}: needs exactly one primary-key column for tables.json, has {pks}")
    refs = {fk[3]: (fk[2], fk[4]) for fk in conn.execute(f'PRAGMA foreign_key_list("{name}")')}  # col -> (parent, to)
    for col, (parent, target) in refs.items():  # tables.json can only point a foreign key at a primary key
        parent_pk = [c[1] for c in conn.execute(f'PRAGMA table_info("{parent}")') if c[5]]
        if target not in (None, *parent_pk):
            raise ValueError(f"{db_id}.{name}.{col} references {parent}.{target}, not the primary key {parent_pk}")
    columns = []
    for _, col, decl, _, _, pk in info:
        text_key = _affinity(decl) == "text"
        if pk:
            columns.append(Column(col, "pk", text_key=text_key))
        elif col in refs:
            columns.append(Column(col, "fk", ref=refs[col][0], text_key=text_key))
        else:
            values = [r[0] for r in conn.execute(f'SELECT "{col}" FROM "{name}"')]
            columns.append(Column(col, _value_kind(decl, values)))
    n = conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
    return Table(name, name, name, pks[0], (n, n), tuple(columns))


def _domain(conn: sqlite3.Connection, db_id: str) -> Domain:
    """The database's schema as a synth :class:`Domain`, so the generator's
    ``tables_json_entry`` writes its tables.json entry (one writer for both)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    return Domain(db_id, tuple(_table(conn, db_id, n) for n in names))



@dataclass(frozen=True)
class PackagedSet:
    """A hand-written set: the module ``package`` holds ``<db_id>.sql`` for each of
    ``db_ids`` and ``questions.json``; ``split_file`` is its split's file name in a
    built folder."""

    package: str
    db_ids: tuple[str, ...]
    split_file: str

    def load_questions(self) -> list[dict[str, str]]:
        """The questions as Spider rows, checked for shape (a malformed row fails here,
        not halfway through an evaluation or a training run)."""
        rows = json.loads(_package_text(self.package, "questions.json"))
        for i, row in enumerate(rows):
            if set(row) != _ROW_KEYS:
                raise ValueError(f"{self.package} questions.json row {i}: keys {sorted(row)}, expected {sorted(_ROW_KEYS)}")
            if row["db_id"] not in self.db_ids or row["difficulty"] not in TIERS:
                raise ValueError(f"{self.package} questions.json row {i}: unknown db_id {row['db_id']!r} "
                                 f"or difficulty {row['difficulty']!r}")
        return rows

    def write_databases(self, folder: str | Path) -> list[dict[str, Any]]:
        """``folder/database/<db_id>/<db_id>.sqlite`` for every database; returns their
        ``tables.json`` entries."""
        entries = []
        for db_id in self.db_ids:
            conn = _load_database(self.package, db_id)
            try:
                entries.append(tables_json_entry(_domain(conn, db_id)))
                write_database(conn, Path(folder) / "database" / db_id / f"{db_id}.sqlite")
            finally:
                conn.close()
        return entries

    def build(self, out_dir: str | Path) -> Path:
        """Write the Spider-format folder ``out_dir``: ``database/<db_id>/<db_id>.sqlite``,
        ``tables.json`` and the split file; returns ``out_dir``.

        Deterministic (same files from the same package data) and idempotent: the folder
        is staged beside ``out_dir`` and swapped in whole at the end, so an interrupted
        build leaves the previous one intact. A folder holding anything else is refused
        rather than replaced.
        """
        out = Path(out_dir)
        self._check_target(out)
        questions = self.load_questions()
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
            staged = Path(tmp) / out.name  # a plain subfolder: the temp folder itself is private (0700)
            staged.mkdir()
            entries = self.write_databases(staged)
            (staged / "tables.json").write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            (staged / self.split_file).write_text(json.dumps(questions, indent=1, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
            replace_tree(staged, out)
        return out

    def _check_target(self, out: Path) -> None:
        if out.is_dir():
            ours = {"database", "tables.json", self.split_file}
            foreign = sorted(p.name for p in out.iterdir() if p.name not in ours)
            if foreign:
                raise ValueError(f"{out} holds files this build did not write ({foreign[:5]}); "
                                 "refusing to replace it (build into its own folder)")
        elif out.exists():
            raise ValueError(f"{out} exists and is not a folder")
