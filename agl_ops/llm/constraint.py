"""The decoding constraint a request asks for, read from vLLM's request fields.

Light on purpose (no torch, no llguidance): the tracing proxy reads it too.

Accepted, as vLLM accepts them in chat and completion requests (extra body fields):
``structured_outputs: {"grammar": "..."}`` or ``{"regex": "..."}`` (vLLM >= 0.10) and
the older ``guided_grammar: "..."`` / ``guided_regex: "..."``. Grammars are GBNF
(``root ::= ...``) or Lark, as llguidance reads them (vLLM's guidance backend reads
them the same way; its xgrammar backend takes both too, Lark being a subset there:
write GBNF to be safe everywhere). The other vLLM kinds (json, choice, structural
tags) are refused with a clear :class:`ConstraintError`, never silently ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Constraint", "ConstraintError", "parse_constraint", "SUPPORTED_KINDS"]

SUPPORTED_KINDS = ("grammar", "regex")
_LEGACY = {"guided_grammar": "grammar", "guided_regex": "regex"}
_LEGACY_UNSUPPORTED = ("guided_json", "guided_choice", "structural_tag")
_OPTIONS = frozenset({"disable_fallback", "disable_any_whitespace", "disable_additional_properties",
                      "whitespace_pattern", "backend"})  # vLLM knobs with no effect on a grammar: ignored


class ConstraintError(ValueError):
    """A constraint the server cannot apply (unsupported kind, bad grammar): a 400."""


@dataclass(frozen=True)
class Constraint:
    """One request's constraint: ``kind`` (grammar | regex) and its source ``text``."""

    kind: str
    text: str
    sha256: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.text.encode()).hexdigest())

    def describe(self) -> dict[str, str]:
        """What responses report (the ``constraint`` field and, as ``kind sha256=...``, the header)."""
        return {"type": self.kind, "sha256": self.sha256}

    @property
    def header_value(self) -> str:
        return f"{self.kind} sha256={self.sha256}"


def _one(kind: str, value: Any, where: str) -> Constraint:
    if not isinstance(value, str) or not value.strip():
        raise ConstraintError(f"{where} must be a non-empty string")
    return Constraint(kind, value)


def parse_constraint(body: Mapping[str, Any]) -> Constraint | None:
    """The constraint in a request body (or its extra fields), or None when it asks for none."""
    found: list[Constraint] = []
    so = body.get("structured_outputs")
    if so is not None:
        if not isinstance(so, Mapping):
            raise ConstraintError("structured_outputs must be an object, e.g. {\"grammar\": \"root ::= ...\"}")
        for key, value in so.items():
            if value is None or value is False or key in _OPTIONS:
                continue
            if key not in SUPPORTED_KINDS:
                raise ConstraintError(f"structured_outputs.{key} is not supported by this server; "
                                      f"supported: {', '.join(SUPPORTED_KINDS)}")
            found.append(_one(key, value, f"structured_outputs.{key}"))
    for key, kind in _LEGACY.items():
        if body.get(key) is not None:
            found.append(_one(kind, body[key], key))
    for key in _LEGACY_UNSUPPORTED:
        if body.get(key) is not None:
            raise ConstraintError(f"{key} is not supported by this server; use structured_outputs.grammar "
                                  f"or structured_outputs.regex")
    if len(found) > 1:
        raise ConstraintError("give one constraint per request (structured_outputs.grammar, structured_outputs.regex, "
                              "guided_grammar or guided_regex)")
    return found[0] if found else None
