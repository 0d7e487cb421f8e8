"""Schema-linking recall: how often the agent's prompt hides a table the gold query needs.

A question whose gold table is not shown cannot be answered (the model can only invent
a name), so this recall is a ceiling on accuracy per split. No model is run: for each
task, the tables the agent shows (its own ``shown_tables``, the agent built from
params.yaml with each setting) are compared with the tables the gold query names.

    python bench/linking_recall.py [--split prompt_dev --split val ...] [--limit 200]
        [--setting 3:0.5 --setting none:0]    # max_tables:min_ratio; "none": linking off
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from agl_ops.config import load_params
from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.schema import shown_tables, tables_in_query
from agl_ops.tasks.sql.wiring import agent_from_params, tasks_from_params

def hidden_count(agent: LitSQLAgent, tasks: list[dict]) -> int:
    """Tasks with a gold table that ``agent`` does not show."""
    hidden = 0
    for task in tasks:
        gold = {t.name for t in tables_in_query(task["query"], shown_tables(task["db_path"], 0))}
        hidden += bool(gold - {t.name for t in agent.shown_tables(task)})
    return hidden


def agent_for(params: str, setting: str) -> LitSQLAgent:
    top, ratio = setting.split(":")
    linking = ["agent.schema_linking=false"] if top == "none" else [
        "agent.schema_linking=true", f"agent.schema_max_tables={top}", f"agent.schema_min_ratio={ratio}"]
    return agent_from_params(load_params(params, linking))


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
    agents = [agent_for(args.params, s) for s in settings]
    table = Table("split", "n", *[f"hidden ({s})" for s in settings], title="tasks whose gold table the prompt hides")
    for split in args.split or ["prompt_dev", "val", "test", "realistic"]:
        tasks = tasks_from_params(cfg, split, args.limit)
        counts = [hidden_count(a, tasks) for a in agents]
        table.add_row(split, str(len(tasks)), *[f"{c} ({100 * c / max(1, len(tasks)):.1f}%)" for c in counts])
    Console().print(table)


if __name__ == "__main__":
    main()
