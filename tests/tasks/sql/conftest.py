"""Fixtures of the SQL task: a hand-made Spider folder and a small synthetic dataset."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def build_spider_mini(dest: Path) -> Path:
    """Copy the hand-made Spider fixture to ``dest`` and build its SQLite file."""
    src = FIXTURES / "spider_mini"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("tables.json", "train_spider.json", "dev.json"):
        shutil.copy(src / name, dest / name)
    db = dest / "database" / "concert_singer" / "concert_singer.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.executescript((src / "concert_singer.sql").read_text())
    conn.close()
    return dest


@pytest.fixture
def spider_mini(tmp_path: Path) -> Path:
    return build_spider_mini(tmp_path / "spider")


@pytest.fixture
def concert_db(spider_mini: Path) -> Path:
    return spider_mini / "database" / "concert_singer" / "concert_singer.sqlite"


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    out = tmp_path_factory.mktemp("synth")
    generate_dataset(out, SynthParams(seed=3, train_size=120, val_size=40, test_size=40))
    return out
