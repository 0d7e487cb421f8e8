"""The synthetic generator: deterministic by seed, database-disjoint splits, valid gold,
and the loader reads its output (one path for real and synthetic data)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from agl_ops.tasks.sql.execution import execute_sql
from agl_ops.tasks.sql.spider import DIFFICULTIES, SpiderDataset
from agl_ops.tasks.sql.synth import SynthParams, generate_dataset, split_databases
from agl_ops.tasks.sql.synth.domains import DOMAINS


def _table_dump(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return [(t, conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables]
    finally:
        conn.close()


def _split_digest(root: Path) -> str:
    return hashlib.sha256(b"".join((root / f"{s}.json").read_bytes() for s in ("train", "val", "test"))).hexdigest()


def test_deterministic_by_seed(tmp_path: Path) -> None:
    cfg = SynthParams(seed=7, train_size=150, val_size=30, test_size=30)
    a, b = generate_dataset(tmp_path / "a", cfg), generate_dataset(tmp_path / "b", cfg)
    assert a.databases == b.databases and a.counts == b.counts
    assert _split_digest(tmp_path / "a") == _split_digest(tmp_path / "b")
    for d in DOMAINS:
        rel = Path("database") / d.db_id / f"{d.db_id}.sqlite"
        assert _table_dump(tmp_path / "a" / rel) == _table_dump(tmp_path / "b" / rel)
    generate_dataset(tmp_path / "c", cfg.model_copy(update={"seed": 8}))
    assert _split_digest(tmp_path / "c") != _split_digest(tmp_path / "a")


def test_handwritten_train_joins_train_only(tmp_path: Path) -> None:
    from agl_ops.tasks.sql.handwritten import HANDWRITTEN

    cfg = SynthParams(seed=3, train_size=40, val_size=10, test_size=10)
    plain = generate_dataset(tmp_path / "plain", cfg)
    mixed = generate_dataset(tmp_path / "mixed", cfg.model_copy(update={"handwritten_train": True}))
    for split in ("val", "test"):  # the synthetic splits are the same; only train grows
        assert (tmp_path / "plain" / f"{split}.json").read_bytes() == (tmp_path / "mixed" / f"{split}.json").read_bytes()
    train = json.loads((tmp_path / "mixed" / "train.json").read_text())
    hand = [r for r in train if r["db_id"] in HANDWRITTEN.db_ids]
    assert len(train) == 40 + len(hand) and len(hand) == len(HANDWRITTEN.load_questions())
    assert mixed.databases["train"] == [*plain.databases["train"], *HANDWRITTEN.db_ids]
    ds = SpiderDataset(tmp_path / "mixed", {"train": "train.json"})
    tasks = [t for t in ds.load("train") if t.db_id in HANDWRITTEN.db_ids]
    assert len(tasks) == len(hand) and all(execute_sql(t.db_path, t.query).ok for t in tasks)


def test_splits_are_database_disjoint(synth_dir: Path) -> None:
    data = {s: json.loads((synth_dir / f"{s}.json").read_text()) for s in ("train", "val", "test")}
    dbs = {s: {r["db_id"] for r in rows} for s, rows in data.items()}
    assert not dbs["train"] & dbs["test"] and not dbs["train"] & dbs["val"] and not dbs["val"] & dbs["test"]
    assert len(dbs["train"]) >= 6
    questions = {s: {r["question"] for r in rows} for s, rows in data.items()}
    assert not questions["train"] & questions["test"]
    ids = [r["id"] for rows in data.values() for r in rows]
    assert len(ids) == len(set(ids))


def test_sizes_and_difficulty_quotas(synth_dir: Path) -> None:
    train = json.loads((synth_dir / "train.json").read_text())
    assert len(train) == 120
    counts = Counter(r["difficulty"] for r in train)
    assert set(counts) == set(DIFFICULTIES)
    assert counts == {"easy": 42, "medium": 36, "hard": 24, "extra": 18}


def test_every_gold_query_runs_and_returns_rows(synth_dir: Path) -> None:
    ds = SpiderDataset(synth_dir)
    for split in ("train", "val", "test"):
        for task in ds.load(split):
            result = execute_sql(task.db_path, task.query)
            assert result.ok and result.rows, (task.id, task.query, result.error)
            assert result.rows not in ([(0,)], [(1,)]), (task.id, task.query)  # a guessable answer


def test_schemas_have_foreign_keys_and_tables_json(synth_dir: Path) -> None:
    tables = json.loads((synth_dir / "tables.json").read_text())
    assert len(tables) == len(DOMAINS) >= 6
    for entry in tables:
        assert entry["foreign_keys"], entry["db_id"]
        db = synth_dir / "database" / entry["db_id"] / f"{entry['db_id']}.sqlite"
        conn = sqlite3.connect(db)
        fks = [r for t in entry["table_names_original"] for r in conn.execute(f"PRAGMA foreign_key_list({t})")]
        conn.close()
        assert len(fks) == len(entry["foreign_keys"])


def _pattern(wording: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", wording)
    return re.compile("(?is)" + ".+".join(re.escape(p) for p in parts))


def test_heldout_wording_only_in_test(synth_dir: Path) -> None:
    from agl_ops.tasks.sql.synth.context import TEMPLATES

    assert TEMPLATES and all(len(t.wordings) >= 3 for t in TEMPLATES)
    assert {t.tier for t in TEMPLATES} == set(DIFFICULTIES)
    by_name = {t.name: t for t in TEMPLATES}

    def heldout(row: dict) -> bool:
        tpl = by_name[row["template"]]
        return bool(_pattern(tpl.wordings[-1]).fullmatch(row["question"])) and not any(
            _pattern(w).fullmatch(row["question"]) for w in tpl.wordings[:-1])

    for split in ("train", "val"):
        assert not any(heldout(r) for r in json.loads((synth_dir / f"{split}.json").read_text()))
    assert any(heldout(r) for r in json.loads((synth_dir / "test.json").read_text()))


def test_split_databases_validates() -> None:
    with pytest.raises(ValueError, match="keep some for train"):
        split_databases(0, len(DOMAINS) // 2, len(DOMAINS) - len(DOMAINS) // 2)
    a = split_databases(1, 2, 2)
    assert sorted(a["train"] + a["val"] + a["test"]) == sorted(d.db_id for d in DOMAINS)


def test_fast(tmp_path: Path) -> None:
    report = generate_dataset(tmp_path / "full", SynthParams())
    assert report.counts["train"] == {"easy": 700, "extra": 300, "hard": 400, "medium": 600}
    assert report.elapsed_s < 10
