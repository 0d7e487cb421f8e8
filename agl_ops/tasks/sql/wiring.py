"""Build the SQL task's pieces from params.yaml: agent, tasks, resources, endpoint.

One place that turns ``Params`` into objects, shared by ``agl-ops eval`` and
``agl-ops dev`` (and by pipelines that want the same defaults).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agl_ops.config import Params
from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.execution import ExecLimits
from agl_ops.tasks.sql.prompts import default_resources
from agl_ops.tasks.sql.spider import SpiderDataset
from agl_ops.types import LLM, PromptTemplate

__all__ = ["agent_from_params", "tasks_from_params", "resources_from_params", "discover_model", "model_endpoint"]

logger = logging.getLogger(__name__)


def agent_from_params(cfg: Params) -> LitSQLAgent:
    a = cfg.agent
    return LitSQLAgent(
        max_turns=a.max_turns, truncate_length=a.truncate_length, schema_max_chars=a.schema_max_chars,
        sample_rows=a.sample_rows, max_tokens=a.max_tokens, request_timeout_s=a.request_timeout_s,
        limits=ExecLimits(timeout_s=a.exec_timeout_s, max_rows=a.max_rows), query_stop=tuple(a.query_stop),
        schema_linking=a.schema_linking, schema_max_tables=a.schema_max_tables, schema_min_ratio=a.schema_min_ratio,
    )


def tasks_from_params(cfg: Params, split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``split`` from ``data.path`` (raises DataError with a clear message)."""
    d = cfg.data
    ds = SpiderDataset(d.path, d.splits, d.tables_file, d.database_dir)
    return [t.to_row() for t in ds.load(split, limit)]


def discover_model(endpoint: str, timeout_s: float = 10.0) -> str:
    """The first model an OpenAI-compatible endpoint lists (``GET /v1/models``)."""
    import httpx

    url = endpoint.rstrip("/").removesuffix("/v1") + "/v1/models"
    try:
        response = httpx.get(url, timeout=timeout_s)
        response.raise_for_status()
        models = response.json().get("data") or []
    except (httpx.HTTPError, ValueError) as exc:
        raise ConnectionError(f"cannot list models at {url}: {exc}") from exc
    if not models:
        raise ConnectionError(f"{url} lists no models")
    return str(models[0]["id"])


def resources_from_params(cfg: Params, endpoint: str, model: str | None = None, *, temperature: float | None = None,
                          proxied: bool = False) -> dict[str, LLM | PromptTemplate]:
    """The prompts (the shipped ones, overridden by ``eval.prompts`` when that file exists)
    plus ``main_llm`` for ``endpoint`` (model discovered if not given)."""
    name = model or cfg.eval.model or discover_model(endpoint)
    temp = cfg.eval.temperature if temperature is None else temperature
    resources = default_resources(endpoint, name, proxied=proxied, sampling_parameters={"temperature": temp})
    if cfg.eval.prompts and Path(cfg.eval.prompts).is_file():
        from agl_ops.algorithms.training import load_prompt_file

        resources.update(load_prompt_file(cfg.eval.prompts))
        logger.info("prompts from %s", cfg.eval.prompts)
    return resources


@contextmanager
def model_endpoint(cfg: Params, endpoint: str | None = None, *, params_path: str | None = None) -> Iterator[str]:
    """Yield the model endpoint URL: ``endpoint``, else ``eval.endpoint``, else a local
    ``agl-ops serve`` on ``eval.model_path`` started for the block (and stopped after)."""
    url = endpoint or cfg.eval.endpoint
    if url:
        yield url
        return
    from agl_ops.llm.client import ModelServerProcess
    from agl_ops.llm.prepare import check_model_dir

    check_model_dir(cfg.eval.model_path)  # a clear error (run `agl-ops model prepare`) before a slow start
    extra = ["--params", params_path] if params_path else []
    logger.info("starting a local model server on %s", cfg.eval.model_path)
    with ModelServerProcess(cfg.eval.model_path, extra_args=extra) as server:
        yield server.url
