"""The Spider-format loader on a hand-made fixture: json and parquet, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agl_ops.tasks.sql.spider import DataError, SpiderDataset, load_split, spider_hardness

SPLITS = {"train": "train_spider.json", "val": "dev.json"}


def test_loads_spider_json(spider_mini: Path) -> None:
    tasks = load_split(spider_mini, "train", SPLITS)
    assert [t.id for t in tasks] == ["train-0", "train-1", "train-2"]
    first = tasks[0]
    assert first.db_id == "concert_singer" and first.query == "SELECT count(*) FROM singer"
    assert Path(first.db_path).is_file()
    assert first.difficulty == "easy"  # derived from the SQL when the data has none
    assert tasks[2].difficulty in ("medium", "hard")
    row = first.to_row()
    assert set(row) == {"id", "db_id", "question", "query", "difficulty", "db_path"}
    json.dumps(row)  # rollout inputs go through the store as JSON


def test_loads_parquet(spider_mini: Path) -> None:
    pd = pytest.importorskip("pandas")
    pd.DataFrame(json.loads((spider_mini / "dev.json").read_text())).to_parquet(spider_mini / "test_dev.parquet")
    tasks = load_split(spider_mini, "test", {"test": "test_dev.parquet"})
    assert [t.question for t in tasks] == [t.question for t in load_split(spider_mini, "val", SPLITS)]


def test_missing_folder_and_files(spider_mini: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        SpiderDataset(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"split 'test'.*does not exist.*dev.json"):
        load_split(spider_mini, "test", {"test": "test.json"})
    with pytest.raises(DataError, match="unknown split 'holdout'"):
        load_split(spider_mini, "holdout", SPLITS)


def _write_rows(root: Path, rows: object) -> None:
    (root / "dev.json").write_text(json.dumps(rows))


@pytest.mark.parametrize(("rows", "message"), [
    ([{"db_id": "concert_singer", "question": "q?"}], r"row 0: query: Field required"),
    ([{"db_id": "concert_singer", "question": "q?", "query": 3}], r"row 0: query"),
    (["just a string"], r"row 0: expected an object"),
    ({"not": "a list"}, r"must hold a JSON list"),
    ([{"db_id": "concert_singer", "question": " ", "query": "SELECT 1"}], r"empty question"),
    ([{"db_id": "car_1", "question": "q?", "query": "SELECT 1"}], r"unknown db_id 'car_1'"),
    ([{"db_id": "concert_singer", "question": "q?", "query": "SELECT 1", "difficulty": "trivial"}], r"difficulty 'trivial'"),
])
def test_bad_rows(spider_mini: Path, rows: object, message: str) -> None:
    _write_rows(spider_mini, rows)
    with pytest.raises(DataError, match=message):
        load_split(spider_mini, "val", SPLITS)


def test_bad_json(spider_mini: Path) -> None:
    (spider_mini / "dev.json").write_text("[{")
    with pytest.raises(DataError, match="not valid JSON"):
        load_split(spider_mini, "val", SPLITS)


def test_missing_database_file(spider_mini: Path) -> None:
    (spider_mini / "database" / "concert_singer" / "concert_singer.sqlite").unlink()
    with pytest.raises(DataError, match=r"database file .*concert_singer.sqlite does not exist"):
        load_split(spider_mini, "val", SPLITS)


def test_without_tables_json_uses_database_folders(spider_mini: Path) -> None:
    (spider_mini / "tables.json").unlink()
    assert len(load_split(spider_mini, "val", SPLITS)) == 2


def test_limit(spider_mini: Path) -> None:
    assert len(load_split(spider_mini, "train", SPLITS, limit=2)) == 2


@pytest.mark.parametrize(("sql", "level"), [
    ("SELECT count(*) FROM singer", "easy"),
    ("SELECT name FROM singer WHERE age > 3 ORDER BY age", "medium"),
    ("SELECT T2.name, count(*) FROM concert AS T1 JOIN stadium AS T2 ON T1.id = T2.id GROUP BY T1.id", "hard"),
    ("SELECT name FROM singer WHERE id NOT IN (SELECT id FROM sc) AND age > (SELECT avg(age) FROM singer)", "extra"),
])
def test_spider_hardness(sql: str, level: str) -> None:
    assert spider_hardness(sql) == level
