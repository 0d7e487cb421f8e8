"""The VERL backend: GRPO on GPUs through verl + vLLM, rollouts by agl-ops runners."""

from agl_ops.algorithms.verl.algorithm import VERL, VerlRunResult
from agl_ops.algorithms.verl.config import SEED_CONFIG, VerlConfigError

__all__ = ["VERL", "VerlRunResult", "SEED_CONFIG", "VerlConfigError"]
