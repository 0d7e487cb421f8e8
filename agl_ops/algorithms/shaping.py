"""Training-reward shaping: what GRPO optimises, when the task reward alone is too sparse.

A weak model rarely earns the exact-match reward, so most GRPO groups have no reward
variance and teach nothing. A shaped reward keeps the task reward on top (an exact
answer always beats any partial credit) and adds a little credit for being closer;
evaluation still uses the task reward alone. Rules are pure functions keyed by name:

- ``none``: the episode reward.
- ``sql_partial``: for text-to-SQL episodes (tasks with ``db_path`` and a gold
  ``query``; the agent's ``sql.outcome`` span holds the final query): a wrong answer
  earns ``exec_bonus`` if its query runs, plus ``overlap_weight`` x the F1 of its result
  cells against the gold result's cells.
- ``sql_match``: a wrong answer that runs earns ``exec_bonus`` plus ``schema_weight`` x
  the Jaccard similarity of the identifiers (tables, columns) it uses with the gold
  query's, plus ``ngram_weight`` x the F1 of their token bigrams: the schema-linking and
  n-gram rewards of text-to-SQL RL work (Reasoning-SQL), computed against the train
  split's gold query only. At most 0.6 by default, so an exact answer always wins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from agl_ops.types import Rollout, Span

__all__ = ["RewardShaping", "SHAPING_RULES", "shaped_reward", "cell_f1", "sql_tokens", "sql_similarity"]

OUTCOME_SPAN = "sql.outcome"  # written by agl_ops.tasks.sql.agent (final_query, exec_ok, reward)


class RewardShaping(str, Enum):
    NONE = "none"
    SQL_PARTIAL = "sql_partial"
    SQL_MATCH = "sql_match"


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


ShapingFn = Callable[[Rollout, Sequence[Span], float, Mapping[str, float]], float]


def cell_f1(pred_rows: Sequence[Sequence[Any]], gold_rows: Sequence[Sequence[Any]]) -> float:
    """F1 of the multisets of result cells (normalised values): partial credit for the
    right table with extra columns, the right column with a wrong filter, and so on."""
    from agl_ops.tasks.sql.reward import normalize_value

    pred = Counter(normalize_value(v) for row in pred_rows for v in row)
    gold = Counter(normalize_value(v) for row in gold_rows for v in row)
    if not pred or not gold:
        return 1.0 if not pred and not gold else 0.0
    common = sum((pred & gold).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def _outcome(spans: Sequence[Span]) -> Mapping[str, Any] | None:
    for s in sorted(spans, key=lambda s: s.sequence_id, reverse=True):
        if s.name == OUTCOME_SPAN:
            return s.attributes
    return None


def _none(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Mapping[str, float]) -> float:
    return reward


def _sql_partial(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Mapping[str, float]) -> float:
    if reward >= 1.0:
        return reward
    task, outcome = rollout.input, _outcome(spans)
    if not isinstance(task, Mapping) or outcome is None or not outcome.get("exec_ok"):
        return reward
    from agl_ops.tasks.sql.execution import execute_sql

    pred = execute_sql(task["db_path"], str(outcome.get("final_query") or ""))
    if not pred.ok:
        return reward
    gold = execute_sql(task["db_path"], task["query"])
    overlap = cell_f1(pred.rows, gold.rows) if gold.ok else 0.0
    return reward + opts.get("exec_bonus", 0.1) + opts.get("overlap_weight", 0.3) * overlap


def _sql_match(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Mapping[str, float]) -> float:
    if reward >= 1.0:
        return reward
    task, outcome = rollout.input, _outcome(spans)
    if not isinstance(task, Mapping) or outcome is None or not outcome.get("exec_ok"):
        return reward
    jaccard, ngram = sql_similarity(str(outcome.get("final_query") or ""), str(task.get("query") or ""))
    return (reward + opts.get("exec_bonus", 0.1) + opts.get("schema_weight", 0.25) * jaccard
            + opts.get("ngram_weight", 0.25) * ngram)


SHAPING_RULES: dict[RewardShaping, ShapingFn] = {
    RewardShaping.NONE: _none,
    RewardShaping.SQL_PARTIAL: _sql_partial,
    RewardShaping.SQL_MATCH: _sql_match,
}


def shaped_reward(
    rule: RewardShaping | str, rollout: Rollout, spans: Sequence[Span], reward: float,
    options: Mapping[str, float] | None = None,
) -> float:
    """The training reward of an episode whose task reward is ``reward``."""
    try:
        key = RewardShaping(rule)
    except ValueError:
        valid = ", ".join(r.value for r in RewardShaping)
        raise ValueError(f"unknown reward shaping {rule!r}; valid: {valid}") from None
    return SHAPING_RULES[key](rollout, spans, reward, options or {})
