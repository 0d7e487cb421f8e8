"""File operations the stages share."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["copy_tree_linked", "replace_tree", "replaced_atomically"]


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


@contextmanager
def replaced_atomically(target: str | Path) -> Iterator[Path]:
    """A sibling folder to write into that replaces ``target`` only when the block
    completes: a failed or interrupted run (Ctrl-C, SIGTERM) leaves the previous
    ``target`` whole, and the swap itself is two renames."""
    dst = Path(target)
    tmp = dst.with_name(f".{dst.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)  # left by a run that was killed
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = dst.with_name(f".{dst.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if dst.exists():
        dst.rename(old)
    tmp.rename(dst)
    shutil.rmtree(old, ignore_errors=True)


def replace_tree(source: str | Path, target: str | Path) -> Path:
    """Make ``target`` a (linked) copy of ``source``, swapped in only once complete."""
    with replaced_atomically(target) as tmp:
        copy_tree_linked(source, tmp)
    return Path(target)
