"""The typer app, shared console and helpers every command module uses."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler

__all__ = ["app", "console", "ParamsOption", "SetOption", "exits_on", "fail", "load_cli_params", "setup_logging",
           "stop_on_sigterm"]

app = typer.Typer(
    name="agl-ops",
    help="Make LLM agents better from their own experience: rollouts, traces, prompt and weight optimization, tracked as an MLOps pipeline.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
# wide when not a terminal (CI logs, pipes): tables stay readable instead of squeezed
console = Console(width=None if sys.stdout.isatty() else 160)

ParamsOption = Annotated[Path, typer.Option("--params", "-p", help="params.yaml to read")]
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", help="Override a parameter: --set train.lr=1e-5 (repeatable)"),
]


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("httpx", "httpx2", "httpcore", "urllib3", "alembic", "mlflow", "prefect", "filelock"):  # openai uses httpx2
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(message: object, code: int = 2) -> NoReturn:
    """Print ``error: message`` and exit with ``code`` (2: bad input or set-up; 1: the
    command ran and its outcome is a failure)."""
    from rich.markup import escape

    console.print(f"[red]error:[/red] {escape(str(message))}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def exits_on(*errors: type[BaseException], code: int = 2) -> Iterator[None]:
    """Inside the block, the expected errors of a command (bad data, a missing model, a
    server that does not start) become one clean error line and exit ``code``, not a
    traceback."""
    try:
        yield
    except errors as exc:
        fail(exc, code)


def stop_on_sigterm() -> None:
    """Make SIGTERM (``kill``, Prefect cancel, CI timeouts) unwind like Ctrl-C, so the
    model servers and proxies a command started are stopped by their ``finally`` blocks
    instead of being left running as orphans."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def load_cli_params(params: Path, overrides: list[str] | None):  # -> Params
    """Load params.yaml for a command, turning a ConfigError into a clean exit 2."""
    from agl_ops.config import ConfigError, load_params

    with exits_on(ConfigError):
        return load_params(params, overrides or [])


@app.callback()
def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging")] = False) -> None:
    setup_logging(verbose)
    stop_on_sigterm()
