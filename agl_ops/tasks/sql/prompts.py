"""Default prompt templates of the SQL agent, shipped as package files, and the
default resources dict an optimizer starts from.

Templates are ``str.format`` strings. Fields: ``{schema}`` (or ``{schema_no_rows}``, the
same tables without example rows) and ``{question}`` everywhere; ``{examples}`` in
write (the retrieved demonstrations, empty unless the agent's settings ask for some);
``{query}`` and ``{execution}`` in check and rewrite; ``{feedback}`` in rewrite. The
gold query is never a field.
"""

from __future__ import annotations

from importlib import resources as importlib_resources
from typing import Any

from agl_ops.types import LLM, PromptTemplate

__all__ = ["PROMPT_NAMES", "PROMPT_FIELDS", "OPTIONAL_FIELDS", "default_prompts", "default_resources", "load_prompt_file"]

PROMPT_NAMES = {"write": "write_prompt", "check": "check_prompt", "rewrite": "rewrite_prompt"}
PROMPT_FIELDS = {
    "write_prompt": frozenset({"schema", "schema_no_rows", "question", "examples"}),
    "check_prompt": frozenset({"schema", "schema_no_rows", "question", "query", "execution"}),
    "rewrite_prompt": frozenset({"schema", "schema_no_rows", "question", "query", "execution", "feedback"}),
}


# placeholders a rewritten prompt may leave out: without {examples} it shows no demos
OPTIONAL_FIELDS = {"write_prompt": frozenset({"examples"})}


def load_prompt_file(step: str) -> str:
    """The shipped text of ``write``, ``check`` or ``rewrite``."""
    if step not in PROMPT_NAMES:
        raise KeyError(f"unknown prompt {step!r}; choose from {sorted(PROMPT_NAMES)}")
    return importlib_resources.files("agl_ops.tasks.sql").joinpath("prompts", f"{step}.txt").read_text(encoding="utf-8")


def default_prompts() -> dict[str, PromptTemplate]:
    """``{"write_prompt": ..., "check_prompt": ..., "rewrite_prompt": ...}``."""
    return {name: PromptTemplate(template=load_prompt_file(step)) for step, name in PROMPT_NAMES.items()}


def default_resources(
    endpoint: str | None = None, model: str = "default", *, proxied: bool = False,
    sampling_parameters: dict[str, Any] | None = None, api_key: str = "agl-ops",
) -> dict[str, LLM | PromptTemplate]:
    """The prompts plus, when ``endpoint`` is given, ``main_llm``: what a Trainer's
    ``initial_resources`` needs to run :class:`~agl_ops.tasks.sql.agent.LitSQLAgent`."""
    resources: dict[str, LLM | PromptTemplate] = dict(default_prompts())
    if endpoint is not None:
        resources["main_llm"] = LLM(endpoint=endpoint, model=model, proxied=proxied,
                                    sampling_parameters=dict(sampling_parameters or {}), api_key=api_key)
    return resources
