"""Few-shot demonstrations retrieved per question (BM25) and shown in the write prompt."""

from __future__ import annotations

from pathlib import Path

from agl_ops.tasks.sql.agent import SETTINGS, LitSQLAgent, demo_settings
from agl_ops.tasks.sql.demos import EXAMPLES_HEADER, DemoRetriever
from agl_ops.tasks.sql.prompts import default_prompts


def _rows(db: str) -> list[dict]:
    return [
        {"question": "How many singers are there?", "query": "SELECT count(*) FROM singer", "db_path": db, "db_id": "a"},
        {"question": "What is the average price of each product category?",
         "query": "SELECT category, avg(price) FROM product GROUP BY category", "db_path": db, "db_id": "a"},
        {"question": "List the names of stadiums in Paris.", "query": "SELECT name FROM stadium WHERE city = 'Paris'",
         "db_path": db, "db_id": "a"},
    ]


def test_retriever_picks_the_closest_questions_and_never_the_same_one(concert_db: Path) -> None:
    retriever = DemoRetriever.from_rows(_rows(str(concert_db)))
    top = retriever.top("Average price per category?", 1)
    assert [d.query for d in top] == ["SELECT category, avg(price) FROM product GROUP BY category"]
    assert all(d.question != "How many singers are there?" for d in retriever.top("How many singers are there?", 3))
    assert retriever.top("anything", 0) == []


def test_write_prompt_shows_demos_from_other_databases_only_when_asked(concert_db: Path, spider_mini: Path) -> None:
    agent = LitSQLAgent()
    task = {"question": "What is the average age of singers per country?", "db_path": str(concert_db), "query": "x"}
    plain = agent.write_prompt(task, {})
    assert EXAMPLES_HEADER not in plain
    assert plain == default_prompts()["write_prompt"].template.format(
        schema=agent.schema_text(task), schema_no_rows="", question=task["question"], examples="")
    other_db = str(spider_mini / "other.sqlite")  # demos of the task's own database are never shown
    pool = _rows(other_db) + [{**_rows(str(concert_db))[1], "question": "Average age of singers per country?"}]
    with_demos = agent.write_prompt(task, {SETTINGS: demo_settings(pool, 1)})
    assert EXAMPLES_HEADER in with_demos and "GROUP BY category" in with_demos
    assert "Average age of singers per country?" not in with_demos
    assert with_demos.index(EXAMPLES_HEADER) < with_demos.index("Question: " + task["question"])
