"""Run a small GRPO job in its own process: ``python -m tests.algorithms.grpo_job CONFIG.json``.

Used by the kill/resume test; prints a JSON result on its last line. :func:`build_grpo`
makes the algorithm from the job's JSON (shared with the in-process tests).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from agl_ops.algorithms.config import AdapterParams, PolicyParams
from agl_ops.algorithms.grpo import GRPO
from agl_ops.trainer import Trainer
from agl_ops.types import LLM
from tests.algorithms.agents import make_tasks, scripted_agent
from tests.algorithms.conftest import grpo_params


def build_grpo(job: dict[str, Any], **kwargs: Any) -> GRPO:
    """``job``: {"grpo": {...}, "model_path", "run_dir", "output_dir", "policy": {...}, "adapter": {...}}."""
    return GRPO(grpo_params(**job["grpo"]), model_path=job["model_path"], run_dir=job["run_dir"],
                output_dir=job["output_dir"], policy_params=PolicyParams.model_validate(job.get("policy", {})),
                adapter_params=AdapterParams.model_validate(job.get("adapter", {})), **kwargs)


def main(path: str) -> None:
    logging.basicConfig(level=logging.INFO)
    cfg = json.loads(open(path).read())
    tasks = make_tasks(cfg["n_tasks"], kill_after=cfg.get("kill_after"))
    trainer = Trainer(algorithm=build_grpo(cfg["job"]), n_runners=2, runner_backend="thread", show_progress=False,
                      initial_resources={"main_llm": LLM(endpoint="http://127.0.0.1:9", model="tiny", proxied=False)})
    result = trainer.fit(scripted_agent, tasks, tasks[:4])
    print(json.dumps({"steps": result.steps, "best_step": result.best_step, "stopped": result.stopped}))


if __name__ == "__main__":
    main(sys.argv[1])
