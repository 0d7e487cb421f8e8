"""The text-to-SQL task: Spider-format data, safe execution, reward, the LangGraph agent
and its evaluation. Names load on first use so importing the package stays cheap."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "SqlTask": "agl_ops.tasks.sql.spider",
    "SpiderDataset": "agl_ops.tasks.sql.spider",
    "DataError": "agl_ops.tasks.sql.spider",
    "load_split": "agl_ops.tasks.sql.spider",
    "execute_sql": "agl_ops.tasks.sql.execution",
    "ExecLimits": "agl_ops.tasks.sql.execution",
    "ExecResult": "agl_ops.tasks.sql.execution",
    "execution_reward": "agl_ops.tasks.sql.reward",
    "results_match": "agl_ops.tasks.sql.reward",
    "render_schema": "agl_ops.tasks.sql.schema",
    "extract_sql": "agl_ops.tasks.sql.extract",
    "default_resources": "agl_ops.tasks.sql.prompts",
    "default_prompts": "agl_ops.tasks.sql.prompts",
    "LitSQLAgent": "agl_ops.tasks.sql.agent",
    "evaluate": "agl_ops.tasks.sql.evaluate",
    "EvalResult": "agl_ops.tasks.sql.evaluate",
    "generate_dataset": "agl_ops.tasks.sql.synth",
    "SynthParams": "agl_ops.config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agl_ops.tasks.sql' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
