"""Build the SQL task's pieces from params.yaml: agent, tasks, resources.

One place that turns ``Params`` into objects, shared by every stage that runs the SQL
agent (eval, dev, prompt optimization, training).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agl_ops.config import Params
from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.execution import ExecLimits
from agl_ops.tasks.sql.prompts import default_prompts
from agl_ops.tasks.sql.spider import DataError, SpiderDataset
from agl_ops.types import Resource

__all__ = ["PROMPT_DEV_SPLIT", "REALISTIC_SPLIT", "agent_from_params", "prompt_dev_databases", "tasks_from_params", "prompt_resources"]

logger = logging.getLogger(__name__)


def agent_from_params(cfg: Params, *, max_turns: int | None = None, max_tokens: int | None = None,
                      samples: int | None = None) -> LitSQLAgent:
    """The SQL agent as ``agent`` says; ``max_turns`` / ``max_tokens`` / ``samples``
    override (training)."""
    a = cfg.agent
    return LitSQLAgent(
        max_turns=max_turns or a.max_turns, truncate_length=a.truncate_length, schema_max_chars=a.schema_max_chars,
        sample_rows=a.sample_rows, max_tokens=max_tokens or a.max_tokens, request_timeout_s=a.request_timeout_s,
        limits=ExecLimits(timeout_s=a.exec_timeout_s, max_rows=a.max_rows), query_stop=tuple(a.query_stop),
        schema_linking=a.schema_linking, schema_max_tables=a.schema_max_tables, schema_min_ratio=a.schema_min_ratio,
        constrained=a.constrained, check_results=a.check_results, samples=samples or a.samples,
        sample_temperature=a.sample_temperature,
    )


REALISTIC_SPLIT = "realistic"
PROMPT_DEV_SPLIT = "prompt_dev"


def prompt_dev_databases(db_ids: Iterable[str], n: int) -> set[str]:
    """The ``n`` train databases held out for prompt optimization: a stable pick by hash
    of the id (the same databases whatever the data size or order)."""
    return set(sorted(set(db_ids), key=lambda d: hashlib.sha1(d.encode()).hexdigest())[:n])


def tasks_from_params(cfg: Params, split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``split`` from ``data.path``. ``train`` leaves out the databases held out
    for prompt optimization (``data.prompt_dev_databases``), which form the split
    ``prompt_dev``; ``realistic`` (unless the data has a split of that name) is the
    shipped hand-written dev set in ``data.realistic_path``. Raises DataError with a
    clear message."""
    d = cfg.data
    if split == REALISTIC_SPLIT and split not in d.splits:
        from agl_ops.tasks.sql.realistic import SPLIT_FILE

        if not Path(d.realistic_path).is_dir():
            raise DataError(f"the realistic dev set {d.realistic_path} does not exist: run `agl-ops data prepare` "
                            "(it builds the shipped set there)")
        return [t.to_row() for t in SpiderDataset(d.realistic_path, {split: SPLIT_FILE}).load(split, limit)]
    dataset = SpiderDataset(d.path, d.splits, d.tables_file, d.database_dir)
    held_out = split == PROMPT_DEV_SPLIT and split not in d.splits
    if not held_out and not (split == "train" and d.prompt_dev_databases):
        return [t.to_row() for t in dataset.load(split, limit)]
    rows = [t.to_row() for t in dataset.load("train")]
    db_ids = {r["db_id"] for r in rows}
    held = prompt_dev_databases(db_ids, d.prompt_dev_databases)
    if held and held == db_ids:
        raise DataError(f"data.prompt_dev_databases={d.prompt_dev_databases} would hold out all {len(db_ids)} "
                        "train databases; lower it")
    kept = [r for r in rows if (r["db_id"] in held) == held_out]
    return kept[:limit] if limit else kept


def prompt_resources(prompts: str | Path | None = None) -> dict[str, Resource]:
    """The agent's prompt templates: the shipped ones, overridden by the prompt set file
    ``prompts`` (its templates and agent settings; read strictly: a missing or malformed
    file is an error)."""
    resources: dict[str, Resource] = dict(default_prompts())
    if prompts is not None:
        from agl_ops.prompt_sets import read_prompt_set

        loaded = read_prompt_set(prompts)
        logger.info("prompts from %s (%s)", prompts, ", ".join(sorted(loaded)))
        resources.update(loaded)
    return resources
