"""Build the SQL task's pieces from params.yaml: agent, tasks, resources.

One place that turns ``Params`` into objects, shared by every stage that runs the SQL
agent (eval, dev, prompt optimization, training).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agl_ops.config import Params
from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.execution import ExecLimits
from agl_ops.tasks.sql.prompts import default_prompts
from agl_ops.tasks.sql.spider import SpiderDataset
from agl_ops.types import LLM, PromptTemplate

__all__ = ["REALISTIC_SPLIT", "agent_from_params", "tasks_from_params", "prompt_resources"]

logger = logging.getLogger(__name__)


def agent_from_params(cfg: Params, *, max_turns: int | None = None, max_tokens: int | None = None) -> LitSQLAgent:
    """The SQL agent as ``agent`` says; ``max_turns`` / ``max_tokens`` override (training)."""
    a = cfg.agent
    return LitSQLAgent(
        max_turns=max_turns or a.max_turns, truncate_length=a.truncate_length, schema_max_chars=a.schema_max_chars,
        sample_rows=a.sample_rows, max_tokens=max_tokens or a.max_tokens, request_timeout_s=a.request_timeout_s,
        limits=ExecLimits(timeout_s=a.exec_timeout_s, max_rows=a.max_rows), query_stop=tuple(a.query_stop),
        schema_linking=a.schema_linking, schema_max_tables=a.schema_max_tables, schema_min_ratio=a.schema_min_ratio,
        constrained=a.constrained,
    )


REALISTIC_SPLIT = "realistic"


def tasks_from_params(cfg: Params, split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``split`` from ``data.path``; ``realistic`` (unless the data has a split of
    that name) is the shipped hand-written dev set in ``data.realistic_path``. Raises
    DataError with a clear message."""
    d = cfg.data
    if split == REALISTIC_SPLIT and split not in d.splits:
        from agl_ops.tasks.sql.realistic import SPLIT_FILE
        from agl_ops.tasks.sql.spider import DataError

        if not Path(d.realistic_path).is_dir():
            raise DataError(f"the realistic dev set {d.realistic_path} does not exist: run `agl-ops data prepare` "
                            "(it builds the shipped set there)")
        ds = SpiderDataset(d.realistic_path, {split: SPLIT_FILE})
    else:
        ds = SpiderDataset(d.path, d.splits, d.tables_file, d.database_dir)
    return [t.to_row() for t in ds.load(split, limit)]


def prompt_resources(prompts: str | Path | None = None, *,
                     loaded: Mapping[str, PromptTemplate] | None = None) -> dict[str, LLM | PromptTemplate]:
    """The agent's prompt templates: the shipped ones, overridden by the prompt set file
    ``prompts`` (read strictly: a missing or malformed file is an error) or by ``loaded``."""
    resources: dict[str, LLM | PromptTemplate] = dict(default_prompts())
    if prompts is not None:
        from agl_ops.prompt_sets import read_prompt_set

        loaded = read_prompt_set(prompts)
        logger.info("prompts from %s (%s)", prompts, ", ".join(sorted(loaded)))
    resources.update(loaded or {})
    return resources
