"""Tiny-model fixtures for training tests (the model builder is shared with tests/llm)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.llm.conftest import build_tiny_model, engine, model_server, tiny_model_dir  # noqa: F401 (fixtures)


def random_rows(n: int, vocab: int, seed: int = 0, prompt: tuple[int, int] = (3, 9), response: tuple[int, int] = (2, 6)):
    """``n`` transitions with random ids and alternating +1/-1 advantages."""
    from agl_ops.algorithms.policy import TrainRow

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        p = [rng.randrange(3, vocab) for _ in range(rng.randint(*prompt))]
        r = [rng.randrange(3, vocab) for _ in range(rng.randint(*response))]
        rows.append(TrainRow(p, r, 1.0 if i % 2 == 0 else -1.0))
    return rows


@pytest.fixture(scope="session")
def tiny_policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-policy") / "model", seed=3)


# The GRPO values the algorithm tests were written against (the code defaults before
# params.yaml's values became the defaults): small groups, no KL, no time budget.
TEST_GRPO = {"n_rollouts": 4, "total_steps": None, "max_time_s": None, "lr": 2e-4, "mini_batch_size": None, "advantage": "grpo",
             "kl_coef": 0.0, "temperature": 1.0, "val_limit": None, "select": "best"}


def grpo_params(**overrides: object):
    """A :class:`GRPOParams` for tests: TEST_GRPO with ``overrides``."""
    from agl_ops.algorithms.config import GRPOParams

    return GRPOParams.model_validate({**TEST_GRPO, **overrides})
