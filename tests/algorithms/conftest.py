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
