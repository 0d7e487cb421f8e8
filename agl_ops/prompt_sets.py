"""Prompt sets on disk: the one reader and writer of ``{"resources": {name: template}}`` files.

The prompt-optimization stage writes its best prompts (and the agent settings found
with them: demos, decoding) this way; training and evaluation start from them. One
strictness everywhere: a missing file, a file that is not JSON, or an entry that is
neither a template string, a ``prompt_template`` nor a ``settings`` resource is an error
naming the file and the entry (a stage would otherwise report the shipped prompts'
numbers under the optimized name). Other resource types in the file (an ``llm``
endpoint) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agl_ops.types import SETTINGS_RESOURCE, PromptTemplate, Settings

__all__ = ["PromptSetError", "read_prompt_set", "resolve_prompt_set", "write_prompt_set"]


class PromptSetError(ValueError):
    """A prompt set file is missing or malformed; the message says where."""


def write_prompt_set(path: str | Path, prompts: Mapping[str, str], settings: Mapping[str, Any] | None = None,
                     **info: Any) -> Path:
    """``{"resources": {name: PromptTemplate, agent_settings: Settings}, ...info}`` at
    ``path`` (parents made; no settings entry when there are none)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    resources: dict[str, Any] = {k: PromptTemplate(template=v).model_dump() for k, v in sorted(prompts.items())}
    if settings:
        resources[SETTINGS_RESOURCE] = Settings(values=dict(settings)).model_dump()
    body = {"resources": resources, **info}
    out.write_text(json.dumps(body, indent=2, default=str, ensure_ascii=False) + "\n")
    return out


def _entry(path: Path, name: str, value: Any) -> PromptTemplate | Settings | None:
    if isinstance(value, str):
        return PromptTemplate(template=value)
    if isinstance(value, Mapping):
        kind = value.get("resource_type", "prompt_template")
        model = {"prompt_template": PromptTemplate, "settings": Settings}.get(kind)
        if model is None:
            return None  # another resource (an LLM endpoint): not part of the set
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            raise PromptSetError(f"prompt set {path}: entry {name!r} is not a prompt template: "
                                 f"{exc.errors()[0]['msg']}") from None
    raise PromptSetError(f"prompt set {path}: entry {name!r} is a {type(value).__name__}, not a template")


def read_prompt_set(path: str | Path) -> dict[str, PromptTemplate | Settings]:
    """The prompt templates (and agent settings) of a prompt set file: ``{"resources":
    {...}}`` as :func:`write_prompt_set` writes it, or a bare ``{name: template}`` mapping."""
    p = Path(path)
    if not p.is_file():
        raise PromptSetError(f"prompt set {p} does not exist (run `agl-ops optimize prompt`, or do not pass it)")
    try:
        data = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PromptSetError(f"prompt set {p} is not readable JSON: {exc}") from None
    if isinstance(data, Mapping) and isinstance(data.get("resources"), Mapping):
        data = data["resources"]
    if not isinstance(data, Mapping):
        raise PromptSetError(f"prompt set {p} must hold a mapping of prompt templates, got {type(data).__name__}")
    out = {str(name): t for name, value in data.items() if (t := _entry(p, str(name), value)) is not None}
    if not any(isinstance(t, PromptTemplate) for t in out.values()):
        raise PromptSetError(f"prompt set {p} holds no prompt templates")
    return out


def resolve_prompt_set(explicit: str | Path | None, configured: str | Path | None) -> Path | None:
    """The prompt set a stage starts from: ``explicit`` (a command-line path: it must
    exist), else ``configured`` (params.yaml's ``train.prompts`` / ``eval.prompts``: used
    when the file exists, since the prompt-optimization stage may not have run), else
    None (the shipped prompts)."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise PromptSetError(f"prompt set {path} does not exist (run `agl-ops optimize prompt`, or do not pass it)")
        return path
    if configured and Path(configured).is_file():
        return Path(configured)
    return None
