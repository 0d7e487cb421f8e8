"""``agl.VERL(config)``: weight training on GPUs through verl, rollouts by our runners.

What runs where: verl (launched with its own ``verl.trainer.main_ppo`` entry point)
owns the GPUs: FSDP actor, reference, vLLM rollout servers, weight sync, checkpoints.
Our :class:`~agl_ops.algorithms.verl.manager.AglAgentLoopManager` takes the place of
verl's agent loop: it queues each task row as a rollout in our store, our runners run
the agent (unchanged) against an LLM proxy in front of verl's vLLM servers, and the
adapter hands the transitions back to verl. Needs CUDA GPUs; everything up to the
launch (config merge and validation, data files, command line) runs anywhere.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agl_ops.algorithms.base import AlgorithmContext
from agl_ops.algorithms.verl.config import (
    AGL_MANAGER_CLASS,
    SEED_CONFIG,
    TASK_FIELD,
    deep_merge,
    load_config_file,
    validate_verl_config,
    verl_command,
)
from agl_ops.algorithms.config import AdapterParams, VerlParams
from agl_ops.store import store_url

__all__ = ["VERL", "VerlRunResult", "write_verl_data"]

logger = logging.getLogger(__name__)


@dataclass
class VerlRunResult:
    returncode: int
    command: list[str]
    config: dict[str, Any]


def write_verl_data(tasks: Sequence[Any], path: str | Path, question_key: str = "question") -> Path:
    """Tasks as the parquet rows verl's RLHF dataset reads; the task itself travels as
    JSON in ``extra_info`` (the prompt column only satisfies verl's loader)."""
    import pandas as pd

    rows = []
    for i, task in enumerate(tasks):
        text = str(task.get(question_key, "")) if isinstance(task, Mapping) else str(task)
        rows.append({
            "data_source": "agl-ops", "prompt": [{"role": "user", "content": text or "task"}],
            "ability": "agent", "reward_model": {"style": "rule", "ground_truth": ""},
            "extra_info": {"index": i, TASK_FIELD: json.dumps(task, default=str)},
        })
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(out)
    return out


class VERL:
    """The VERL algorithm. ``config`` is a verl config dict in verl's own nesting (merged
    over the seed config and ``params.config``), or a path to params.yaml / a YAML file.
    ``model_path`` is the policy verl trains; ``run_dir`` gets the data files;
    ``adapter_params`` say which LLM calls become transitions."""

    def __init__(self, config: Mapping[str, Any] | str | Path | None = None, *, params: VerlParams | None = None,
                 model_path: str | Path = "models/base", run_dir: str | Path = ".agl/train",
                 adapter_params: AdapterParams | None = None) -> None:
        self.params = params or VerlParams()
        self.run_dir = Path(run_dir)
        self.adapter_params = adapter_params or AdapterParams()
        user = load_config_file(config) if isinstance(config, (str, Path)) else dict(config or {})
        ours = {"actor_rollout_ref": {"model": {"path": str(Path(model_path).resolve())}}}
        self.config = deep_merge(SEED_CONFIG, ours, self.params.config, user)

    def full_config(self, store: str | None = None, train_file: str | None = None, val_file: str | None = None) -> dict[str, Any]:
        """The config verl is launched with: ours plus the rollout-manager plug and the
        ``agl`` section the manager reads."""
        p, a = self.params, self.adapter_params
        plug: dict[str, Any] = {
            "trainer": {"use_v1": False},
            "actor_rollout_ref": {"rollout": {"mode": "async", "agent": {"agent_loop_manager_class": AGL_MANAGER_CLASS}}},
            "agl": {"store_url": store or "", "agent_match": a.agent_match, "credit": a.credit, "pick": p.pick,
                    "rollout_timeout_s": p.rollout_timeout_s},
        }
        if train_file:
            plug["data"] = {"train_files": train_file, "val_files": val_file or train_file}
        return deep_merge(self.config, plug)

    def validate(self, **kwargs: Any) -> dict[str, Any]:
        """verl's full config (its defaults with ours applied); raises VerlConfigError."""
        return validate_verl_config(self.full_config(**kwargs))

    def command(self, **kwargs: Any) -> list[str]:
        return verl_command(self.full_config(**kwargs))

    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None = None) -> VerlRunResult:
        """Write the data, validate, and run verl until it finishes (our runners serve it
        rollouts meanwhile, from ``Trainer.fit``)."""
        url = store_url(ctx.store)
        if not url:
            raise RuntimeError("VERL runs in other processes: give the Trainer a store they can reach "
                               "(sqlite:///path.db or http://host:port), not the in-memory store")
        data_dir = self.run_dir / "verl_data"
        train_file = write_verl_data(list(train_dataset), data_dir / "train.parquet")
        val_file = write_verl_data(list(val_dataset or train_dataset), data_dir / "val.parquet")
        kwargs = {"store": url, "train_file": str(train_file), "val_file": str(val_file)}
        self.validate(**kwargs)
        cmd = self.command(**kwargs)
        if not self.params.launch:
            logger.info("verl command (not launched): %s", " ".join(cmd))
            return VerlRunResult(0, cmd, self.full_config(**kwargs))
        _require_gpus(self.config)
        logger.info("launching verl: %s", " ".join(cmd))
        proc = subprocess.run(cmd, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"verl exited with code {proc.returncode}")
        return VerlRunResult(proc.returncode, cmd, self.full_config(**kwargs))


def _require_gpus(config: Mapping[str, Any]) -> None:
    import torch

    wanted = int(config.get("trainer", {}).get("n_gpus_per_node", 1))
    have = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if have < wanted:
        raise RuntimeError(f"VERL needs {wanted} CUDA GPU(s) per node, this machine has {have}; "
                           "train on CPU with `agl-ops train --method grpo`, or run this on a GPU machine")
