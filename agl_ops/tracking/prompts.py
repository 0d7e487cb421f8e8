"""Prompt registry: optimized prompts as versions in MLflow's prompt registry.

The project's prompts are :class:`~agl_ops.types.PromptTemplate` f-strings
(``{question}``, literal braces doubled); MLflow's are ``{{question}}`` templates with
literal braces as they are. :func:`to_mlflow_template` / :func:`from_mlflow_template`
are the only place that converts, and conversion is checked by a round trip: a
template that would not come back unchanged is refused instead of silently altered.

A prompt *set* (the SQL agent's write / check / rewrite prompts) is stored as one
MLflow prompt per role, named ``<prefix>-<role>``: each reads as plain text with its
variables in the UI and keeps its own history, and a role the optimizer did not change
keeps its version instead of gaining an identical copy. What ties a set together is
the ``{role: version}`` mapping, recorded on the optimizing run and on the model
version that uses it (see :func:`prompt_set_tag`). Aliases move per role, together.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agl_ops.tracking.backend import disable_telemetry
from agl_ops.types import SETTINGS_RESOURCE, PromptTemplate

SETTINGS_KEY = SETTINGS_RESOURCE  # where a version's agent settings sit in its model config's extra_params

__all__ = [
    "PromptConversionError",
    "RegisteredPrompt",
    "to_mlflow_template",
    "from_mlflow_template",
    "prompt_name",
    "register_prompt",
    "load_prompt",
    "set_prompt_alias",
    "register_prompt_set",
    "load_prompt_set",
    "set_prompt_set_alias",
    "prompt_set_versions",
    "prompt_set_tag",
    "parse_prompt_set_tag",
]

logger = logging.getLogger(__name__)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MLFLOW_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class PromptConversionError(ValueError):
    """The template cannot be stored in MLflow's format without changing its meaning."""


def to_mlflow_template(template: str) -> str:
    """f-string template -> MLflow template: ``{x}`` -> ``{{x}}``, ``{{`` -> ``{``.

    Only plain named fields convert; format specs, conversions, attribute or index
    access and positional ``{}`` have no MLflow equivalent and raise.
    """
    parts: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise PromptConversionError(f"not a valid f-string template: {exc}") from exc
    for literal, field_name, spec, conversion in parsed:
        parts.append(literal)
        if field_name is None:
            continue
        if not _IDENT.fullmatch(field_name) or spec or conversion:
            shown = "{" + field_name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise PromptConversionError(
                f"placeholder {shown} cannot be stored in MLflow's prompt format: use plain named fields like {{question}}"
            )
        parts.append("{{" + field_name + "}}")
    converted = "".join(parts)
    back = from_mlflow_template(converted)
    if back != _normalize(template):
        raise PromptConversionError(
            "template has literal braces next to placeholders (e.g. '{{{{' or '{{{x}}}') that MLflow would read as "
            f"variables; it would come back as {back!r}"
        )
    return converted


def from_mlflow_template(template: str) -> str:
    """MLflow template -> f-string template: ``{{ x }}`` -> ``{x}``, ``{`` -> ``{{``."""
    out: list[str] = []
    pos = 0
    for match in _MLFLOW_VAR.finditer(template):
        out.append(_escape(template[pos:match.start()]))
        out.append("{" + match.group(1) + "}")
        pos = match.end()
    out.append(_escape(template[pos:]))
    return "".join(out)


def _escape(literal: str) -> str:
    return literal.replace("{", "{{").replace("}", "}}")


def _normalize(template: str) -> str:
    """The canonical spelling of an f-string template (what a round trip gives)."""
    parts = []
    for literal, field_name, _, _ in string.Formatter().parse(template):
        parts.append(_escape(literal))
        if field_name is not None:
            parts.append("{" + field_name + "}")
    return "".join(parts)


def prompt_name(prefix: str, role: str) -> str:
    """MLflow prompt name of one role of a prompt set."""
    return f"{prefix}-{role}"


@dataclass(frozen=True)
class RegisteredPrompt:
    name: str
    version: int
    template: PromptTemplate
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # the agent settings the prompt was chosen with

    @property
    def uri(self) -> str:
        return f"prompts:/{self.name}/{self.version}"


def _from_mlflow(pv: Any) -> RegisteredPrompt:
    if not isinstance(pv.template, str):
        raise PromptConversionError(f"prompt {pv.name} v{pv.version} is a chat prompt; agl-ops stores text prompts")
    tags = {k: v for k, v in (pv.tags or {}).items() if not k.startswith("mlflow.") and not k.startswith("_mlflow")}
    return RegisteredPrompt(
        name=pv.name, version=int(pv.version), template=PromptTemplate(template=from_mlflow_template(pv.template)),
        tags=tags, aliases=tuple(getattr(pv, "aliases", None) or ()), settings=_settings_of(pv),
    )


def _settings_of(pv: Any) -> dict[str, Any]:
    config = getattr(pv, "model_config", None) or {}
    extra = config.get("extra_params") if isinstance(config, Mapping) else getattr(config, "extra_params", None)
    return dict((extra or {}).get(SETTINGS_KEY) or {})


def _template_text(prompt: PromptTemplate | str) -> str:
    return prompt.template if isinstance(prompt, PromptTemplate) else prompt


def _latest(name: str) -> Any | None:
    import mlflow

    return mlflow.genai.load_prompt(f"prompts:/{name}@latest", allow_missing=True, link_to_model=False,
                                    cache_ttl_seconds=0)


def register_prompt(
    name: str,
    prompt: PromptTemplate | str,
    *,
    score: float | None = None,
    algorithm: str | None = None,
    run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    commit_message: str | None = None,
    alias: str | None = None,
    reuse_identical: bool = True,
    settings: Mapping[str, Any] | None = None,
) -> int:
    """Register ``prompt`` as a new version of ``name`` (tags: score, algorithm, run id)
    and point ``alias`` at it. ``settings``: the agent settings it goes with (JSON values,
    kept in the version's model config: a prompt chosen with 2 demos per question is not
    the same prompt without them). With ``reuse_identical``, a template and settings equal
    to the latest version's are not registered again: that version is returned (and aliased)."""
    disable_telemetry()
    import mlflow

    converted = to_mlflow_template(_template_text(prompt))
    latest = _latest(name) if reuse_identical else None
    settings = dict(settings or {})
    if latest is not None and latest.template == converted and _settings_of(latest) == settings:
        version = int(latest.version)
        logger.info("prompt %s unchanged: reusing version %d", name, version)
    else:
        all_tags = {"score": score, "algorithm": algorithm, "run_id": run_id, **(tags or {})}
        pv = mlflow.genai.register_prompt(
            name=name, template=converted, commit_message=commit_message,
            tags={k: str(v) for k, v in all_tags.items() if v is not None},
            model_config={"extra_params": {SETTINGS_KEY: settings}} if settings else None,
        )
        version = int(pv.version)
    if alias:
        set_prompt_alias(name, alias, version)
    return version


def set_prompt_alias(name: str, alias: str, version: int) -> None:
    import mlflow

    mlflow.genai.set_prompt_alias(name, alias=alias, version=int(version))


def load_prompt(name: str, alias_or_version: str | int = "champion") -> RegisteredPrompt:
    """``prompts:/name@alias`` (a str) or ``prompts:/name/version`` (an int) -> the
    prompt as an f-string :class:`PromptTemplate` with its version and tags."""
    disable_telemetry()
    import mlflow

    if isinstance(alias_or_version, int) or str(alias_or_version).isdigit():
        uri = f"prompts:/{name}/{int(alias_or_version)}"
    else:
        uri = f"prompts:/{name}@{alias_or_version}"
    return _from_mlflow(mlflow.genai.load_prompt(uri, link_to_model=False, cache_ttl_seconds=0))


def register_prompt_set(
    prompts: Mapping[str, PromptTemplate | str],
    prefix: str,
    *,
    score: float | None = None,
    algorithm: str | None = None,
    run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    alias: str | None = "challenger",
    settings: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Register every role of a prompt set (unchanged roles keep their version) and
    move ``alias`` on all of them. Returns ``{role: version}``. Every template is
    converted before anything is registered, so a bad one registers nothing."""
    for role, prompt in prompts.items():
        try:
            to_mlflow_template(_template_text(prompt))
        except PromptConversionError as exc:
            raise PromptConversionError(f"prompt {role!r}: {exc}") from None
    return {
        role: register_prompt(prompt_name(prefix, role), prompt, score=score, algorithm=algorithm, run_id=run_id,
                              tags={"prompt_set": prefix, "role": role, **(tags or {})}, alias=alias,
                              settings=settings)
        for role, prompt in prompts.items()
    }


def _roles(prefix: str) -> list[str]:
    import mlflow

    found = mlflow.genai.search_prompts(filter_string=f"name LIKE '{prefix}-%'", max_results=1000)
    # LIKE treats _ in the prefix as a wildcard: keep exact prefix matches only
    return sorted(p.name[len(prefix) + 1:] for p in found if p.name.startswith(f"{prefix}-"))


def load_prompt_set(
    prefix: str, alias_or_version: str | Mapping[str, int] = "champion", roles: Iterable[str] | None = None,
) -> dict[str, PromptTemplate]:
    """The prompt set at an alias (or at explicit ``{role: version}``) as templates."""
    if isinstance(alias_or_version, Mapping):
        return {role: load_prompt(prompt_name(prefix, role), int(v)).template for role, v in alias_or_version.items()}
    names = list(roles) if roles is not None else _roles(prefix)
    return {role: load_prompt(prompt_name(prefix, role), alias_or_version).template for role in names}


def prompt_set_versions(prefix: str, alias: str) -> dict[str, int]:
    """``{role: version}`` of the roles of ``prefix`` that have ``alias`` ({} if none)."""
    import mlflow

    versions: dict[str, int] = {}
    for role in _roles(prefix):
        pv = mlflow.genai.load_prompt(f"prompts:/{prompt_name(prefix, role)}@{alias}", allow_missing=True,
                                      link_to_model=False, cache_ttl_seconds=0)
        if pv is not None:
            versions[role] = int(pv.version)
    return versions


def set_prompt_set_alias(prefix: str, alias: str, versions: Mapping[str, int]) -> None:
    for role, version in versions.items():
        set_prompt_alias(prompt_name(prefix, role), alias, version)


def prompt_set_tag(versions: Mapping[str, int]) -> str:
    """``{role: version}`` as the compact JSON stored in run and model-version tags."""
    return json.dumps({role: int(v) for role, v in sorted(versions.items())}, separators=(",", ":"))


def parse_prompt_set_tag(text: str | None) -> dict[str, int]:
    if not text:
        return {}
    return {role: int(v) for role, v in json.loads(text).items()}
