"""Training checkpoints: trainable weights, optimizer and scheduler state, step, RNG
states and the loop's own counters, written atomically.

A checkpoint directory is complete once its ``state.json`` exists (it is written last
and the directory is renamed into place), so a run killed mid-save resumes from the
previous complete one.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

__all__ = ["LoopState", "save_checkpoint", "load_checkpoint", "latest_checkpoint", "rng_state", "set_rng_state"]

logger = logging.getLogger(__name__)

_PREFIX = "ckpt-"


@dataclass
class LoopState:
    """Everything besides tensors that the loop needs to continue where it stopped."""

    step: int = 0  # completed update steps
    optimizer_steps: int = 0
    best_val: float | None = None
    best_step: int | None = None
    bad_validations: int = 0  # validations since the last improvement (early stop)
    val_history: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0
    stopped: str | None = None  # why the run ended early, when it did
    early_stopped: bool = False  # stopped for lack of val improvement (final; a time-budget stop is not)


def rng_state(generator: torch.Generator | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if generator is not None:
        state["generator"] = generator.get_state()
    try:
        import numpy as np

        state["numpy"] = np.random.get_state()
    except ImportError:  # pragma: no cover - numpy comes with torch
        pass
    return state


def set_rng_state(state: dict[str, Any], generator: torch.Generator | None = None) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])
    if "numpy" in state:
        import numpy as np

        np.random.set_state(state["numpy"])


def save_checkpoint(
    run_dir: str | Path,
    loop: LoopState,
    trainable: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rng: dict[str, Any],
    keep: int = 2,
) -> Path:
    run = Path(run_dir)
    final = run / f"{_PREFIX}{loop.step:06d}"
    tmp = run / f".{final.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(trainable, tmp / "trainable.pt")
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng}, tmp / "optim.pt")
    (tmp / "state.json").write_text(json.dumps(asdict(loop), indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in _complete(run)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("checkpoint %s", final)
    return final


def _complete(run: Path) -> list[Path]:
    if not run.is_dir():
        return []
    return sorted(p for p in run.iterdir() if p.name.startswith(_PREFIX) and (p / "state.json").is_file())


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    found = _complete(Path(run_dir))
    return found[-1] if found else None


def load_checkpoint(path: str | Path) -> tuple[LoopState, dict[str, torch.Tensor], dict[str, Any]]:
    """(loop state, trainable tensors, {"optimizer", "scheduler", "rng"})."""
    p = Path(path)
    loop = LoopState(**json.loads((p / "state.json").read_text()))
    trainable = torch.load(p / "trainable.pt", weights_only=True)
    rest = torch.load(p / "optim.pt", weights_only=False)  # our own file: RNG states are tuples/ndarrays
    return loop, trainable, rest
