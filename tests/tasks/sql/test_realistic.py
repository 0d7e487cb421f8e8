"""The hand-written sets (the realistic dev set, the train set): each builds a folder
the Spider loader reads, its databases are outside the generator's domains (and the
train set's outside the dev set's), and every gold answer is sound (executes, is
non-empty, does not depend on how ties are broken; the dev set's are not guessable)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from agl_ops.tasks.sql.execution import execute_sql
from agl_ops.tasks.sql.handwritten import HANDWRITTEN
from agl_ops.tasks.sql.packaged import TIERS, PackagedSet
from agl_ops.tasks.sql.realistic import REALISTIC, REALISTIC_DB_IDS, SPLIT_FILE, build_realistic, load_questions
from agl_ops.tasks.sql.reward import has_top_level_order_by
from agl_ops.tasks.sql.schema import read_schema, render_schema
from agl_ops.tasks.sql.spider import SpiderDataset, SqlTask
from agl_ops.tasks.sql.synth.domains import DOMAINS

SQL_DIR = Path(__file__).resolve().parents[3] / "agl_ops" / "tasks" / "sql"


@pytest.fixture(scope="module", params=[REALISTIC, HANDWRITTEN], ids=["realistic", "handwritten"])
def packaged(request: pytest.FixtureRequest) -> PackagedSet:
    return request.param


@pytest.fixture(scope="module")
def built(packaged: PackagedSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return packaged.build(tmp_path_factory.mktemp("packaged") / "data")


@pytest.fixture(scope="module")
def tasks(packaged: PackagedSet, built: Path) -> list[SqlTask]:
    return SpiderDataset(built, {"split": packaged.split_file}, "tables.json", "database").load("split")


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_realistic(tmp_path_factory.mktemp("realistic") / "data")


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _sqlite_tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
    finally:
        conn.close()


def test_loads_with_the_spider_loader(packaged: PackagedSet, built: Path, tasks: list[SqlTask]) -> None:
    assert len(tasks) >= 90
    assert {t.db_id for t in tasks} == set(packaged.db_ids) and len(packaged.db_ids) >= 3
    assert all(Path(t.db_path).is_file() for t in tasks)
    assert sorted(p.name for p in built.iterdir()) == sorted(["database", "tables.json", packaged.split_file])
    assert json.loads((built / packaged.split_file).read_text()) == packaged.load_questions()


def test_the_dev_set_helpers_are_its_packaged_set(realistic: Path) -> None:
    assert load_questions() == REALISTIC.load_questions() and REALISTIC.split_file == SPLIT_FILE
    assert sorted(p.name for p in realistic.iterdir()) == sorted(["database", "tables.json", SPLIT_FILE])


def test_tiers_are_balanced(packaged: PackagedSet, tasks: list[SqlTask]) -> None:
    tiers = Counter(t.difficulty for t in tasks)
    assert set(tiers) == set(TIERS)
    for tier in TIERS:
        assert 0.28 <= tiers[tier] / len(tasks) <= 0.39, (tier, tiers)
    per_db = Counter((t.db_id, t.difficulty) for t in tasks)
    assert all(per_db[(db, tier)] >= 5 for db in packaged.db_ids for tier in TIERS), per_db


def test_questions_are_unique(tasks: list[SqlTask]) -> None:
    normal = Counter(re.sub(r"\W+", " ", t.question.lower()).strip() for t in tasks)
    assert [q for q, n in normal.items() if n > 1] == []


def test_every_gold_query_returns_a_real_answer(packaged: PackagedSet, tasks: list[SqlTask]) -> None:
    for t in tasks:
        result = execute_sql(t.db_path, t.query)
        assert result.ok, (t.question, t.query, result.error)
        assert result.rows, (t.question, t.query)
        assert not all(v is None for row in result.rows for v in row), (t.question, t.query)
        if packaged is REALISTIC:  # an evaluation answer must not be guessable; a train answer may be 0 or 1
            lone = len(result.rows) == 1 and len(result.rows[0]) == 1 and result.rows[0][0] in (0, 1)
            assert not lone, f"a lone 0/1 answer is guessable: {t.question}"


def _with_tiebreak(sql: str, width: int, descending: bool) -> str:
    """``sql`` with every output column appended to its top-level ORDER BY."""
    tail = ", ".join(f"{i} {'DESC' if descending else 'ASC'}" for i in range(1, width + 1))
    limit = re.search(r"\s+LIMIT\s+\d+\s*$", sql, re.I)
    cut = limit.start() if limit else len(sql)
    return f"{sql[:cut]}, {tail}{sql[cut:]}"


def test_ordered_answers_do_not_depend_on_ties(tasks: list[SqlTask]) -> None:
    ordered = [t for t in tasks if has_top_level_order_by(t.query)]
    assert len(ordered) >= 10
    for t in ordered:
        gold = execute_sql(t.db_path, t.query)
        width = len(gold.rows[0])
        a, b = (execute_sql(t.db_path, _with_tiebreak(t.query, width, d)) for d in (False, True))
        assert a.ok and b.ok, (t.query, a.error, b.error)
        assert a.rows == b.rows == gold.rows, f"answer depends on how ties are broken: {t.question}"


def test_tiebreak_check_catches_a_tie(realistic: Path) -> None:
    db = realistic / "database" / "issue_tracker" / "issue_tracker.sqlite"
    sql = "SELECT title, storyPoints FROM issues ORDER BY storyPoints DESC LIMIT 1"  # two issues have 13
    rows = [execute_sql(db, _with_tiebreak(sql, 2, d)).rows for d in (False, True)]
    assert rows[0] != rows[1]


def test_no_two_dev_questions_on_a_database_share_an_answer(realistic: Path) -> None:
    answers: dict[tuple[str, str], str] = {}
    for t in SpiderDataset(realistic, {"realistic": SPLIT_FILE}).load("realistic"):
        rows = execute_sql(t.db_path, t.query).rows
        key = (t.db_id, repr(sorted(map(repr, rows))))
        assert key not in answers, f"{t.question!r} has the same answer as {answers[key]!r}"
        answers[key] = t.question


def test_outside_the_generator_domains(packaged: PackagedSet, built: Path, realistic: Path) -> None:
    generator_ids = {d.db_id for d in DOMAINS}
    generator_tables = {t.name.lower() for d in DOMAINS for t in d.tables}
    assert not generator_ids & set(packaged.db_ids)
    dev_tables = {n.lower() for db in REALISTIC_DB_IDS for n in _sqlite_tables(realistic / "database" / db / f"{db}.sqlite")}
    for db_id in packaged.db_ids:
        tables = {name.lower() for name in _sqlite_tables(built / "database" / db_id / f"{db_id}.sqlite")}
        assert 3 <= len(tables) <= 6
        assert not tables & generator_tables, (db_id, tables & generator_tables)
        if packaged is HANDWRITTEN:  # what the model trains on must not be the dev set's schemas
            assert db_id not in REALISTIC_DB_IDS and not tables & dev_tables, (db_id, tables & dev_tables)


def test_tables_json_matches_the_databases(packaged: PackagedSet, built: Path) -> None:
    entries = {e["db_id"]: e for e in json.loads((built / "tables.json").read_text())}
    assert list(entries) == list(packaged.db_ids)
    for db_id, entry in entries.items():
        path = built / "database" / db_id / f"{db_id}.sqlite"
        schema = read_schema(path, sample_rows=0)
        assert entry["table_names_original"] == [t.name for t in schema]
        columns = [[ti, c.name] for ti, t in enumerate(schema) for c in t.columns]
        assert entry["column_names_original"] == [[-1, "*"], *columns]
        assert len(entry["column_types"]) == len(columns) + 1
        assert len(entry["primary_keys"]) == len(schema)
        assert len(entry["foreign_keys"]) == sum(c.references is not None for t in schema for c in t.columns)
        assert {"time", "boolean", "number", "text"} <= set(entry["column_types"])


def test_the_agent_schema_reader_renders_every_database(packaged: PackagedSet, built: Path) -> None:
    for db_id in packaged.db_ids:
        path = built / "database" / db_id / f"{db_id}.sqlite"
        tables = read_schema(path)
        assert all(any(c.primary_key for c in t.columns) and len(t.sample_rows) == 3 for t in tables)
        assert any(c.references for t in tables for c in t.columns)
        text = render_schema(path, max_chars=20_000)
        assert all(f"CREATE TABLE {t.name} (" in text for t in tables)


def test_each_database_has_its_sql_file(packaged: PackagedSet) -> None:
    folder = SQL_DIR / packaged.package.rsplit(".", 1)[-1]
    assert sorted(p.stem for p in folder.glob("*.sql")) == sorted(packaged.db_ids)


def test_build_is_deterministic_and_idempotent(packaged: PackagedSet, built: Path, tmp_path: Path) -> None:
    again = packaged.build(tmp_path / "again")
    packaged.build(again)  # rebuilding in place replaces it whole
    for name in ("tables.json", packaged.split_file):
        assert (again / name).read_bytes() == (built / name).read_bytes()
    for db_id in packaged.db_ids:
        rel = Path("database") / db_id / f"{db_id}.sqlite"
        assert _dump(again / rel) == _dump(built / rel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]  # no staging folders left behind


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    target = tmp_path / "sql"
    target.mkdir()
    (target / "val.json").write_text("[]")
    with pytest.raises(ValueError, match="refusing"):
        build_realistic(target)
    assert (target / "val.json").read_text() == "[]"
