"""A hand-written Spider-format dev set that no generator produced.

The synthetic splits share the generator's templates, so a model that memorised them
scores well there without generalising. These four databases are in domains the
generator does not know (bike share, issue tracker, utility billing, museum
collection), with mixed naming styles (snake_case, camelCase, abbreviations), and
their questions are phrased the way people ask, not the way columns are named.

The data lives beside this module (a :class:`~agl_ops.tasks.sql.packaged.PackagedSet`);
:func:`build_realistic` turns it into a folder :class:`SpiderDataset` loads with
``{"realistic": "realistic.json"}``.
"""

from __future__ import annotations

from pathlib import Path

from agl_ops.tasks.sql.packaged import TIERS, PackagedSet

__all__ = ["REALISTIC", "REALISTIC_DB_IDS", "SPLIT_FILE", "TIERS", "build_realistic", "load_questions"]

REALISTIC_DB_IDS = ("bike_share", "issue_tracker", "utility_billing", "museum_collection")
SPLIT_FILE = "realistic.json"
REALISTIC = PackagedSet(__name__, REALISTIC_DB_IDS, SPLIT_FILE)


def load_questions() -> list[dict[str, str]]:
    """The dev set's questions as Spider rows, checked for shape."""
    return REALISTIC.load_questions()


def build_realistic(out_dir: str | Path) -> Path:
    """The dev set as a Spider-format folder ``out_dir`` (see :meth:`PackagedSet.build`)."""
    return REALISTIC.build(out_dir)
