"""The SQL task's reward-shaping rules, registered into :mod:`agl_ops.algorithms.shaping`.

For text-to-SQL episodes (tasks with ``db_path`` and a gold ``query``; the agent's
``sql.outcome`` span holds the final query):

- ``sql_partial``: a wrong answer earns ``exec_bonus`` if its query runs, plus
  ``overlap_weight`` x the F1 of its result cells against the gold result's cells.
- ``sql_match``: a wrong answer that runs earns ``exec_bonus`` plus ``schema_weight`` x
  the Jaccard similarity of the identifiers (tables, columns) it uses with the gold
  query's, plus ``ngram_weight`` x the F1 of their token bigrams: the schema-linking and
  n-gram rewards of text-to-SQL RL work (Reasoning-SQL), computed against the train
  split's gold query only. At most 0.6 by default, so an exact answer always wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from agl_ops.algorithms.shaping import register_shaping
from agl_ops.tasks.sql.agent import OUTCOME_SPAN
from agl_ops.tasks.sql.execution import execute_sql
from agl_ops.tasks.sql.reward import normalize_value
from agl_ops.types import Rollout, Span

__all__ = ["cell_f1", "sql_tokens", "sql_similarity"]

_SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|<=|>=|<>|!=|[^\sA-Za-z0-9_]")
_KEYWORDS = frozenset("""select from where group by order having limit offset join inner left right outer cross on as
and or not in is null like between distinct count sum avg min max asc desc union intersect except case when then else
end exists all any with""".split())


def sql_tokens(sql: str) -> list[str]:
    """Lower-cased SQL tokens (string literals kept whole, quotes normalised)."""
    out = []
    for tok in _SQL_TOKEN.findall(sql or ""):
        if tok[0] in "'\"":
            tok = "'" + tok[1:-1].lower() + "'"
        out.append(tok.lower())
    return out


def _f1(a: Counter, b: Counter) -> float:
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def sql_similarity(pred: str, gold: str) -> tuple[float, float]:
    """(Jaccard of identifiers, F1 of token bigrams) between two queries."""
    pt, gt = sql_tokens(pred), sql_tokens(gold)
    ident = lambda toks: {t for t in toks if t[0].isalpha() and t not in _KEYWORDS}  # noqa: E731
    pi, gi = ident(pt), ident(gt)
    jaccard = len(pi & gi) / len(pi | gi) if pi | gi else 1.0
    bigrams = lambda toks: Counter(zip(toks, toks[1:]))  # noqa: E731
    return jaccard, _f1(bigrams(pt), bigrams(gt))


def cell_f1(pred_rows: Sequence[Sequence[Any]], gold_rows: Sequence[Sequence[Any]]) -> float:
    """F1 of the multisets of result cells (normalised values): partial credit for the
    right table with extra columns, the right column with a wrong filter, and so on."""
    pred = Counter(normalize_value(v) for row in pred_rows for v in row)
    gold = Counter(normalize_value(v) for row in gold_rows for v in row)
    if not pred or not gold:
        return 1.0 if not pred and not gold else 0.0
    return _f1(pred, gold)


def _outcome(spans: Sequence[Span]) -> Mapping[str, Any] | None:
    for s in sorted(spans, key=lambda s: s.sequence_id, reverse=True):
        if s.name == OUTCOME_SPAN:
            return s.attributes
    return None


def _wrong_but_ran(rollout: Rollout, spans: Sequence[Span], reward: float) -> tuple[Mapping[str, Any], str] | None:
    """(task, final query) of an episode that earns partial credit: not solved, and its
    final query ran; None otherwise."""
    if reward >= 1.0:
        return None
    task, outcome = rollout.input, _outcome(spans)
    if not isinstance(task, Mapping) or outcome is None or not outcome.get("exec_ok"):
        return None
    return task, str(outcome.get("final_query") or "")


@register_shaping("sql_partial")
def _sql_partial(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Mapping[str, float]) -> float:
    found = _wrong_but_ran(rollout, spans, reward)
    if found is None:
        return reward
    task, query = found
    pred = execute_sql(task["db_path"], query)
    if not pred.ok:
        return reward
    gold = execute_sql(task["db_path"], task["query"])
    overlap = cell_f1(pred.rows, gold.rows) if gold.ok else 0.0
    return reward + opts.get("exec_bonus", 0.1) + opts.get("overlap_weight", 0.3) * overlap


@register_shaping("sql_match")
def _sql_match(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Mapping[str, float]) -> float:
    found = _wrong_but_ran(rollout, spans, reward)
    if found is None:
        return reward
    task, query = found
    jaccard, ngram = sql_similarity(query, str(task.get("query") or ""))
    return (reward + opts.get("exec_bonus", 0.1) + opts.get("schema_weight", 0.25) * jaccard
            + opts.get("ngram_weight", 0.25) * ngram)
