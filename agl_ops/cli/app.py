"""The typer app, shared console and helpers every command module uses."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler

__all__ = ["app", "console", "ParamsOption", "SetOption", "load_cli_params", "setup_logging"]

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


def load_cli_params(params: Path, overrides: list[str] | None):  # -> Params
    """Load params.yaml for a command, turning a ConfigError into a clean exit 2."""
    from agl_ops.config import ConfigError, load_params

    try:
        return load_params(params, overrides or [])
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.callback()
def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging")] = False) -> None:
    setup_logging(verbose)
