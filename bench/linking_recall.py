"""Schema-linking recall: how often the agent's prompt hides a table the gold query needs.

A question whose gold table is not shown cannot be answered (the model can only invent
a name), so this recall is a ceiling on accuracy per split. No model is run: for each
task, the tables the agent shows (``shown_tables`` with the agent's linking params)
are compared with the tables the gold query names.

    python bench/linking_recall.py [--split prompt_dev --split val ...] [--limit 200]
        [--setting 3:0.5 --setting none:0]    # max_tables:min_ratio; "none": all tables
"""

from __future__ import annotations

import argparse
import re

from rich.console import Console
from rich.table import Table

from agl_ops.config import load_params
from agl_ops.tasks.sql.schema import read_schema, shown_tables
from agl_ops.tasks.sql.wiring import tasks_from_params

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def gold_tables(query: str, tables: set[str]) -> set[str]:
    """Table names (lower-cased) the query mentions."""
    return {w.lower() for w in _IDENT.findall(query) if w.lower() in tables}


def hidden_share(tasks: list[dict], max_tables: int | None, min_ratio: float, sample_rows: int) -> tuple[int, int]:
    """(tasks with a gold table not shown, tasks)."""
    hidden = 0
    for task in tasks:
        db = task["db_path"]
        names = {t.name.lower() for t in read_schema(db, 0)}
        shown = {t.name.lower() for t in shown_tables(db, sample_rows, question=task["question"],
                                                       max_tables=max_tables, min_ratio=min_ratio)}
        hidden += bool(gold_tables(task["query"], names) - shown)
    return hidden, len(tasks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--split", action="append", help="default: prompt_dev, val, test, realistic")
    ap.add_argument("--limit", type=int, default=None, help="first N tasks per split (default: all)")
    ap.add_argument("--setting", action="append", help="max_tables:min_ratio (default: the agent's, 4:0.3, none:0)")
    args = ap.parse_args()
    cfg = load_params(args.params)
    agent = cfg.agent
    settings = args.setting or [f"{agent.schema_max_tables}:{agent.schema_min_ratio}", "4:0.3", "none:0"]
    table = Table("split", "n", *[f"hidden ({s})" for s in settings], title="tasks whose gold table the prompt hides")
    for split in args.split or ["prompt_dev", "val", "test", "realistic"]:
        tasks = tasks_from_params(cfg, split, args.limit)
        cells = []
        for s in settings:
            top, ratio = s.split(":")
            hidden, n = hidden_share(tasks, None if top == "none" else int(top), float(ratio), agent.sample_rows)
            cells.append(f"{hidden} ({100 * hidden / max(1, n):.1f}%)")
        table.add_row(split, str(len(tasks)), *cells)
    Console().print(table)


if __name__ == "__main__":
    main()
