"""File operations the stages share."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["copy_tree_linked", "replace_tree"]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or links not allowed
        shutil.copy2(src, dst)


def copy_tree_linked(source: str | Path, target: str | Path) -> Path:
    """Copy a folder with hard links where the filesystem allows (no second copy of big
    weights or databases), plain copies elsewhere."""
    shutil.copytree(source, target, copy_function=_link_or_copy)
    return Path(target)


def replace_tree(source: str | Path, target: str | Path) -> Path:
    """Make ``target`` a (linked) copy of ``source`` via a sibling temp folder swapped in at
    the end: an interrupted copy leaves the previous ``target`` intact."""
    dst = Path(target)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    copy_tree_linked(source, tmp)
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return dst
