"""Pull the SQL query out of a model's reply, and read the checker's verdict.

Small models wrap queries in code fences (sometimes unclosed), prefix them with
"Here is the query:", trail them with explanations, or repeat them. The rules, in
order: the first fenced block that holds a query; else the text from the first
SELECT/WITH keyword up to a semicolon, a blank line or a line of prose.
"""

from __future__ import annotations

import re

__all__ = ["extract_sql", "is_correct_verdict", "CORRECT_VERDICT"]

CORRECT_VERDICT = "THE QUERY IS CORRECT"

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n?(.*?)(?:```|\Z)", re.S)
# a query starts at SELECT, or at WITH that opens a common table expression ("with the ..." is prose)
_START = re.compile(r"\bSELECT\b|\bWITH\s+(?:RECURSIVE\s+)?[\w\"`\[\]]+\s*(?:\([^)]*\)\s*)?AS\s*\(", re.I)
_PROSE = re.compile(
    r"^\s*(this|the|here|note|explanation|it|which|where\s+\w+\s+is|in this|output|result|answer|i\s|we\s|\*\*|#|-\s"
    r"|```|problem:|question:|feedback:|query:|previous)",
    re.I,
)
_SQL_LINE = re.compile(
    r"^\s*(from|where|join|inner|left|right|cross|on|and|or|group|order|having|limit|union|intersect|except|select|"
    r"with|as|not|in|case|when|then|else|end|offset|\(|\)|,)\b",
    re.I,
)


def _cut_at_semicolon(text: str) -> str:
    """Everything before the first semicolon outside a string literal."""
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == ";":
            return text[:i]
    return text


def _from_plain(text: str) -> str:
    match = _START.search(text)
    if not match:
        return ""
    body = _cut_at_semicolon(text[match.start():])
    lines: list[str] = []
    for i, line in enumerate(body.splitlines()):
        if i and not line.strip():
            break  # a blank line ends the query; what follows is prose or a second attempt
        if i and _PROSE.match(line) and not _SQL_LINE.match(line):
            break
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def extract_sql(reply: str | None) -> str:
    """The query in ``reply`` (without a trailing semicolon), or "" when there is none."""
    if not reply:
        return ""
    for match in _FENCE.finditer(reply):
        lang, block = match.group(1).lower(), match.group(2)
        if lang and lang not in ("sql", "sqlite", "postgresql", "mysql"):
            if not _START.search(block):
                continue
        sql = _cut_at_semicolon(block).strip() if _START.match(block.lstrip()) else _from_plain(block)
        if sql:
            return sql.rstrip(";").strip()
    return _from_plain(reply).rstrip(";").strip()


def is_correct_verdict(reply: str | None) -> bool:
    """True when the checker says the query is correct (and does not negate it)."""
    if not reply:
        return False
    text = reply.upper()
    if CORRECT_VERDICT not in text:
        return False
    return not re.search(r"\b(NOT|ISN'T|IN)\s*CORRECT\b|\bINCORRECT\b", text.replace(CORRECT_VERDICT, ""))
