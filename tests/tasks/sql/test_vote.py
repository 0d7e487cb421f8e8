"""Execution-guided self-consistency: which candidate query the vote keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from agl_ops.tasks.sql.vote import vote_by_execution

FRANCE = "SELECT name FROM singer WHERE country = 'France'"
FRANCE_SORTED = "SELECT name FROM singer WHERE country = 'France' ORDER BY name DESC"
ALL = "SELECT name FROM singer"
NOTHING = "SELECT name FROM singer WHERE country = 'Atlantis'"
BAD = "SELECT singer_name FROM singer"


def test_the_result_most_candidates_share_wins_over_the_first(concert_db: Path) -> None:
    vote = vote_by_execution(str(concert_db), [ALL, FRANCE, FRANCE_SORTED])
    assert (vote.index, vote.votes, vote.ran) == (1, 2, 3)  # row order does not split a group


def test_errors_are_dropped_and_ties_go_to_the_earliest(concert_db: Path) -> None:
    assert vote_by_execution(str(concert_db), [BAD, BAD, ALL, FRANCE]).index == 2
    assert vote_by_execution(str(concert_db), [BAD, "", FRANCE]).query == FRANCE


def test_a_non_empty_result_beats_a_larger_group_of_empty_ones(concert_db: Path) -> None:
    assert vote_by_execution(str(concert_db), [NOTHING, NOTHING, ALL]).query == ALL


def test_when_nothing_runs_the_first_written_query_is_kept(concert_db: Path) -> None:
    vote = vote_by_execution(str(concert_db), ["", BAD, "SELECT nope FROM singer"])
    assert (vote.index, vote.ran, vote.votes) == (1, 0, 0)
    with pytest.raises(ValueError, match="at least one"):
        vote_by_execution(str(concert_db), [])
