"""Execution-match reward: 1.0 when the predicted query returns the gold result.

Pure functions over result rows. Rows compare as a multiset (duplicates count)
unless the gold query orders its output (a top-level ORDER BY), in which case the
order must match too. Floats match to 6 significant digits (``avg`` written two ways
differs in the last bits), ints equal integral floats, NULL equals NULL. A result
whose columns are a permutation of the gold columns also matches (``SELECT a, b``
answers the same question as ``SELECT b, a``), as in Spider's execution metric.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agl_ops.tasks.sql.execution import ExecLimits, ExecResult, execute_sql

__all__ = ["results_match", "has_top_level_order_by", "execution_reward", "normalize_value", "normalize_rows"]

_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/", re.S)
_MAX_PERMUTATIONS = 5040


def normalize_value(value: Any) -> Any:
    """A hashable, comparison-friendly form of one cell."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "NaN"
        if value.is_integer():
            return int(value)
        return float(f"{value:.6g}")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return value


def normalize_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows with every value as the comparison sees it (:func:`normalize_value`)."""
    return [tuple(normalize_value(v) for v in row) for row in rows]


def has_top_level_order_by(sql: str) -> bool:
    """True when the outermost query has ORDER BY (ordering inside a subquery does not
    constrain the final row order)."""
    text = _STRING_OR_COMMENT.sub(" ", sql)
    depth = 0
    for match in re.finditer(r"\(|\)|\border\s+by\b", text, re.I):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            return True
    return False


def _rows_equal(pred: list[tuple[Any, ...]], gold: list[tuple[Any, ...]], ordered: bool) -> bool:
    return pred == gold if ordered else Counter(pred) == Counter(gold)


def results_match(pred_rows: Sequence[Sequence[Any]], gold_rows: Sequence[Sequence[Any]], *, ordered: bool = False) -> bool:
    """Compare two results; see the module docstring for the rules."""
    pred, gold = normalize_rows(pred_rows), normalize_rows(gold_rows)
    if len(pred) != len(gold):
        return False
    if not gold:
        return True
    width = len(gold[0])
    if any(len(r) != width for r in pred):
        return False
    if _rows_equal(pred, gold, ordered):
        return True
    return any(_rows_equal([tuple(r[i] for i in perm) for r in pred], gold, ordered) for perm in _column_permutations(pred, gold, width))


def _column_permutations(pred: list[tuple[Any, ...]], gold: list[tuple[Any, ...]], width: int) -> Any:
    """Orders of the predicted columns that could match: each gold column is paired
    only with a predicted column holding the same multiset of values."""
    if width < 2:
        return
    signature = lambda rows, i: Counter(r[i] for r in rows)  # noqa: E731
    candidates = [[j for j in range(width) if signature(pred, j) == signature(gold, i)] for i in range(width)]
    if any(not c for c in candidates):
        return
    for n, perm in enumerate(itertools.product(*candidates)):
        if n >= _MAX_PERMUTATIONS:
            return
        if len(set(perm)) == width and perm != tuple(range(width)):
            yield perm


def execution_reward(
    db_path: str | Path, predicted_sql: str | None, gold_sql: str, limits: ExecLimits | None = None,
    *, gold_result: ExecResult | None = None,
) -> float:
    """1.0 if ``predicted_sql`` returns the gold query's result on ``db_path``, else 0.0.

    A predicted query that fails scores 0. A gold query that fails is a data error
    and raises ``ValueError`` (it must not be silently scored).
    """
    gold = gold_result or execute_sql(db_path, gold_sql, limits)
    if not gold.ok:
        raise ValueError(f"gold query fails on {db_path}: {gold.error}\n  {gold_sql}")
    if not predicted_sql or not predicted_sql.strip():
        return 0.0
    pred = execute_sql(db_path, predicted_sql, limits)
    if not pred.ok:
        return 0.0
    return 1.0 if results_match(pred.rows, gold.rows, ordered=has_top_level_order_by(gold_sql)) else 0.0
