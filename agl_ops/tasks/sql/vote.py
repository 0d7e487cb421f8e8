"""Execution-guided self-consistency: pick one query out of several candidates by running
them all and keeping the answer most of them agree on.

A 135M model's single greedy query often names a column that does not exist or returns
nothing; a few sampled alternatives usually include one that runs, and queries that
agree on their result are more often right than one that stands alone (the
self-consistency of Wang et al., applied to SQL results as in execution-guided
decoding). Errors are dropped, non-empty results beat empty ones, the largest group of
equal results wins, and ties go to the earliest candidate (the greedy one comes first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agl_ops.tasks.sql.execution import ExecLimits, ExecResult, execute_sql
from agl_ops.tasks.sql.reward import normalize_rows

__all__ = ["Vote", "result_key", "vote_by_execution"]


@dataclass(frozen=True)
class Vote:
    """The chosen candidate (its index in the list given) and how the vote went."""

    index: int
    query: str
    votes: int  # candidates that returned the chosen result
    ran: int  # candidates that ran without error


def result_key(result: ExecResult) -> tuple[str, ...]:
    """Equal for results with the same rows in any order (values normalized as the
    reward compares them: 3 and 3.0 are one value)."""
    return tuple(sorted(repr(row) for row in normalize_rows(result.rows)))


def vote_by_execution(db_path: str, queries: Sequence[str], limits: ExecLimits | None = None) -> Vote:
    """The candidate whose result most candidates share (see the module docstring);
    the first non-empty query when none of them runs."""
    if not queries:
        raise ValueError("vote_by_execution needs at least one candidate query")
    groups: dict[tuple[str, ...], list[int]] = {}
    empty: set[tuple[str, ...]] = set()
    for i, query in enumerate(queries):
        if not query.strip():
            continue
        result = execute_sql(db_path, query, limits)
        if not result.ok:
            continue
        key = result_key(result)
        groups.setdefault(key, []).append(i)
        if not result.rows:
            empty.add(key)
    if not groups:
        first = next((i for i, q in enumerate(queries) if q.strip()), 0)
        return Vote(index=first, query=queries[first], votes=0, ran=0)
    key = max(groups, key=lambda k: (k not in empty, len(groups[k]), -groups[k][0]))
    index = groups[key][0]
    return Vote(index=index, query=queries[index], votes=len(groups[key]), ran=sum(map(len, groups.values())))
