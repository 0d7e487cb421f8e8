"""Spider-format data: ``tables.json``, split files, ``database/<db_id>/<db_id>.sqlite``.

One loader for the real Spider release (``train_spider.json``, ``dev.json``), the
parquet files of Agent Lightning's example, and our synthetic generator's output,
which is written in the same format. Rows become :class:`SqlTask`; problems in the
data fail loudly with the file, the row and what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["DataError", "SqlTask", "SpiderDataset", "load_split", "release_splits", "tasks_as_rows", "spider_hardness",
           "DIFFICULTIES"]

DIFFICULTIES = ("easy", "medium", "hard", "extra")


class DataError(ValueError):
    """The data on disk is missing or malformed; the message says where."""


class SqlTask(BaseModel):
    """One question over one database. ``query`` is the gold SQL: the agent must never
    show it to the model; only the reward reads it."""

    id: str
    db_id: str
    question: str
    query: str
    difficulty: str
    db_path: str

    def to_row(self) -> dict[str, Any]:
        """The rollout input: a plain dict (JSON-serialisable for the store)."""
        return self.model_dump()


def spider_hardness(sql: str) -> str:
    """Approximate Spider's hardness levels from SQL components (for data that does not
    carry a difficulty). Counts joins, grouping, nesting, set operations and clauses."""
    s = re.sub(r"'(?:[^']|'')*'|\"[^\"]*\"", "''", sql.lower())
    nested = max(0, s.count("select") - 1)
    set_ops = len(re.findall(r"\b(union|intersect|except)\b", s))
    joins = len(re.findall(r"\bjoin\b", s)) + max(0, len(re.findall(r"\bfrom\s+\w+\s*(?:as\s+\w+\s*)?,", s)))
    clauses = sum(bool(re.search(p, s)) for p in (r"\bgroup\s+by\b", r"\border\s+by\b", r"\bhaving\b", r"\blimit\b"))
    conds = len(re.findall(r"\b(and|or)\b", s)) + len(re.findall(r"\blike\b", s))
    aggs = len(re.findall(r"\b(count|sum|avg|min|max)\s*\(", s))
    if nested + set_ops >= 2 or (nested + set_ops == 1 and (joins or clauses >= 2)):
        return "extra"
    if nested + set_ops == 1 or (joins and clauses) or clauses >= 3 or (joins >= 2):
        return "hard"
    if joins or clauses or conds >= 2 or aggs > 1:
        return "medium"
    return "easy"


class _Row(BaseModel):
    db_id: str
    question: str
    query: str
    difficulty: str | None = None
    id: str | None = None


def _read_rows(path: Path) -> list[Any]:
    if path.suffix == ".parquet":
        import pandas as pd

        try:
            return pd.read_parquet(path).to_dict(orient="records")
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise DataError(f"{path} is not a readable parquet file: {exc}") from exc
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise DataError(f"{path} must hold a JSON list of examples, got {type(data).__name__}")
    return data


class SpiderDataset:
    """A Spider-format folder. ``split_files`` maps our split names to its files."""

    def __init__(
        self, root: str | Path, split_files: Mapping[str, str] | None = None,
        tables_file: str = "tables.json", database_dir: str = "database",
    ) -> None:
        self.root = Path(root)
        self.split_files = dict(split_files or {"train": "train.json", "val": "val.json", "test": "test.json"})
        self.tables_path = self.root / tables_file
        self.database_dir = self.root / database_dir
        if not self.root.is_dir():
            raise DataError(f"data folder {self.root} does not exist (make synthetic data with `agl-ops data synth`)")
        self._known: set[str] | None = None

    def db_path(self, db_id: str) -> Path:
        return self.database_dir / db_id / f"{db_id}.sqlite"

    def known_db_ids(self) -> set[str]:
        """db_ids listed in tables.json (or, without one, the database folders present)."""
        if self._known is None:
            if self.tables_path.is_file():
                try:
                    tables = json.loads(self.tables_path.read_text())
                    self._known = {str(t["db_id"]) for t in tables}
                except (json.JSONDecodeError, TypeError, KeyError) as exc:
                    raise DataError(f"{self.tables_path} is not a Spider tables file: {exc!r}") from exc
            elif self.database_dir.is_dir():
                self._known = {p.name for p in self.database_dir.iterdir() if p.is_dir()}
            else:
                raise DataError(f"neither {self.tables_path} nor {self.database_dir}/ exists under {self.root}")
        return self._known

    def split_path(self, split: str) -> Path:
        if split not in self.split_files:
            raise DataError(f"unknown split {split!r}; configured splits: {sorted(self.split_files)}")
        path = self.root / self.split_files[split]
        if not path.is_file():
            present = sorted(p.name for p in self.root.iterdir() if p.suffix in (".json", ".parquet"))
            raise DataError(f"split {split!r}: file {path} does not exist (files here: {present})")
        return path

    def load(self, split: str, limit: int | None = None) -> list[SqlTask]:
        path = self.split_path(split)
        raw = _read_rows(path)
        known = self.known_db_ids()
        tasks: list[SqlTask] = []
        for i, item in enumerate(raw[:limit] if limit else raw):
            tasks.append(self._task(item, i, split, path, known))
        return tasks

    def _task(self, item: Any, index: int, split: str, path: Path, known: set[str]) -> SqlTask:
        if not isinstance(item, Mapping):
            raise DataError(f"{path} row {index}: expected an object, got {type(item).__name__}")
        try:
            row = _Row.model_validate({k: item[k] for k in ("db_id", "question", "query", "difficulty", "id") if k in item})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise DataError(f"{path} row {index}: {problems}") from None
        if not row.question.strip() or not row.query.strip():
            raise DataError(f"{path} row {index}: empty question or query")
        if row.db_id not in known:
            raise DataError(f"{path} row {index}: unknown db_id {row.db_id!r} (not in {self.tables_path.name}; "
                            f"{len(known)} databases known)")
        db = self.db_path(row.db_id)
        if not db.is_file():
            raise DataError(f"{path} row {index}: database file {db} does not exist")
        difficulty = row.difficulty or spider_hardness(row.query)
        if difficulty not in DIFFICULTIES:
            raise DataError(f"{path} row {index}: difficulty {difficulty!r} is not one of {DIFFICULTIES}")
        return SqlTask(id=row.id or f"{split}-{index}", db_id=row.db_id, question=row.question.strip(),
                       query=row.query.strip(), difficulty=difficulty, db_path=str(db.resolve()))


def load_split(
    root: str | Path, split: str, split_files: Mapping[str, str] | None = None, limit: int | None = None,
    **kwargs: Any,
) -> list[SqlTask]:
    """Shortcut: ``SpiderDataset(root, split_files).load(split)``."""
    return SpiderDataset(root, split_files, **kwargs).load(split, limit)


def release_splits(root: str | Path) -> dict[str, list[Any]] | None:
    """Spider's own release layout (``train_spider.json`` [+ ``train_others.json``],
    ``dev.json``, ``database/``) as train/val/test rows, or None for another layout.

    Spider ships no labelled test split, so its dev set becomes ours by database: every
    other dev database (sorted by id) goes to val, the rest to test. Both are databases
    never seen in train, as in Spider, and val/test never share one."""
    base = Path(root)
    if not (base / "train_spider.json").is_file() or not (base / "dev.json").is_file():
        return None
    train = _read_rows(base / "train_spider.json")
    if (base / "train_others.json").is_file():
        train += _read_rows(base / "train_others.json")
    dev = _read_rows(base / "dev.json")
    db_ids = sorted({str(r.get("db_id")) for r in dev if isinstance(r, Mapping)})
    val_dbs = set(db_ids[0::2])
    val = [r for r in dev if isinstance(r, Mapping) and str(r.get("db_id")) in val_dbs]
    test = [r for r in dev if not (isinstance(r, Mapping) and str(r.get("db_id")) in val_dbs)]
    if not test:
        raise DataError(f"{base / 'dev.json'} has {len(db_ids)} database(s): val and test need at least two")
    return {"train": train, "val": val, "test": test}


def tasks_as_rows(tasks: Sequence[SqlTask]) -> list[dict[str, Any]]:
    return [t.to_row() for t in tasks]
