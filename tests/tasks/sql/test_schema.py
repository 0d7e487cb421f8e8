"""Schema text for prompts: CREATE TABLE statements, keys, sample rows, length budget."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from agl_ops.tasks.sql.schema import link_tables, read_schema, relevance, render_schema


def test_create_table_with_keys_and_rows(concert_db: Path) -> None:
    text = render_schema(concert_db, max_chars=5000, sample_rows=2)
    assert text.startswith("CREATE TABLE stadium (\n  Stadium_ID INTEGER PRIMARY KEY,")
    assert "  Stadium_ID INTEGER REFERENCES stadium(Stadium_ID)" in text
    assert "PRIMARY KEY (concert_ID, Singer_ID)" in text  # composite key
    assert "/* 2 example rows:\nStadium_ID | Location | Name | Capacity | Average\n1 | Raith Rovers | Stark's Park" in text
    assert text.count("CREATE TABLE") == 4
    # the rendered DDL is valid SQLite
    conn = sqlite3.connect(":memory:")
    conn.executescript(re.sub(r"/\*.*?\*/", "", text, flags=re.S))
    assert len(conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()) == 4


def test_budget_cuts_rows_then_tables(concert_db: Path) -> None:
    full = render_schema(concert_db, max_chars=5000, sample_rows=3)
    one_row = render_schema(concert_db, max_chars=len(full) - 1, sample_rows=3)
    assert "1 example row:" in one_row and "3 example rows" not in one_row
    no_rows = render_schema(concert_db, max_chars=len(full) // 2 + 150, sample_rows=3)
    assert "example row" not in no_rows
    tiny = render_schema(concert_db, max_chars=300, sample_rows=3)
    assert len(tiny) <= 300 and "more table(s) not shown" in tiny and tiny.startswith("CREATE TABLE stadium")


def test_long_values_are_shortened(tmp_path: Path) -> None:
    db = tmp_path / "long.sqlite"
    conn = sqlite3.connect(db)
    conn.execute('CREATE TABLE "odd name" (id INTEGER PRIMARY KEY, body TEXT)')
    conn.execute('INSERT INTO "odd name" VALUES (1, ?)', ("x" * 500 + "\nline",))
    conn.commit()
    conn.close()
    text = render_schema(db)
    assert 'CREATE TABLE "odd name"' in text and "x" * 37 + "..." in text and "x" * 41 not in text
    assert read_schema(db)[0].columns[0].primary_key


def test_rendering_does_not_change_the_file(concert_db: Path) -> None:
    before = concert_db.read_bytes()
    render_schema(concert_db, max_chars=1234)
    assert concert_db.read_bytes() == before


def test_linking_orders_and_cuts_tables_by_the_question(concert_db: Path) -> None:
    tables = read_schema(concert_db)
    ranked = [t.name for t in link_tables(tables, "What are the names and ages of singers from France?")]
    assert ranked[0] == "singer"
    assert relevance(tables[1], "Which concerts had a singer from France?") > relevance(tables[0], "Which concerts had a singer from France?")
    text = render_schema(concert_db, question="How many stadiums have a capacity over 5000?", max_tables=1)
    assert text.count("CREATE TABLE") == 1 and text.startswith("CREATE TABLE stadium")
    both = render_schema(concert_db, question="Show the concert name and the stadium name of each concert.", max_tables=2)
    assert both.count("CREATE TABLE") == 2 and "CREATE TABLE concert" in both and "CREATE TABLE stadium" in both
    # with no word in common the schema order is kept
    assert [t.name for t in link_tables(tables, "???")] == [t.name for t in tables]
