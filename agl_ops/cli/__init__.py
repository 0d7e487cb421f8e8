"""``agl-ops`` command line. Each command group lives in its own module of this package
and registers itself on ``app``; heavy imports happen inside the commands."""

from __future__ import annotations

from agl_ops.cli.app import app, console

# command modules register on import (keep this list sorted)
from agl_ops.cli import data  # noqa: E402,F401
from agl_ops.cli import eval as _eval  # noqa: E402,F401
from agl_ops.cli import model  # noqa: E402,F401
from agl_ops.cli import optimize  # noqa: E402,F401
from agl_ops.cli import pipeline, runtime  # noqa: E402,F401
from agl_ops.cli import registry  # noqa: E402,F401
from agl_ops.cli import train  # noqa: E402,F401

__all__ = ["app", "console", "main"]


def main() -> None:
    app()
