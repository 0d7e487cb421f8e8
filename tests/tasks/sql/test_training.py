"""The SQL task's warm-start prompts: the agent's own, some with retrieved demos."""

from __future__ import annotations

import pytest

from agl_ops.algorithms.config import WarmStartParams
from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.demos import EXAMPLES_HEADER
from agl_ops.tasks.sql.prompts import default_resources
from agl_ops.tasks.sql.training import warm_start_renderer
from tests.algorithms.prompt_env import synth_rows


@pytest.fixture(scope="module")
def train(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return synth_rows(tmp_path_factory.mktemp("ws-demos"))["train"]


def test_without_demo_share_the_warm_start_trains_on_the_agents_own_prompt(train: list[dict]) -> None:
    agent, resources = LitSQLAgent(), default_resources("http://unused/v1", "m")
    render = warm_start_renderer(agent, resources, train, WarmStartParams(demo_share=0), seed=0)
    assert all(render(t) == agent.write_prompt(t, resources) for t in train)


def test_a_share_of_prompts_shows_demos_from_other_databases_the_same_way_each_run(train: list[dict]) -> None:
    agent, resources = LitSQLAgent(), default_resources("http://unused/v1", "m")
    params = WarmStartParams(demo_share=0.5, demos=2, demo_schema="none")
    prompts = [warm_start_renderer(agent, resources, train, params, seed=0)(t) for t in train]
    with_demos = [(t, p) for t, p in zip(train, prompts) if EXAMPLES_HEADER in p]
    assert 0.25 * len(train) < len(with_demos) < 0.75 * len(train)
    by_question = {t["question"]: t for t in train}
    for task, prompt in with_demos:
        block = prompt.split(EXAMPLES_HEADER, 1)[1].split("Question: " + task["question"], 1)[0]
        shown = [line[len("Question: "):] for line in block.splitlines() if line.startswith("Question: ")]
        assert 1 <= len(shown) <= 2
        assert all(by_question[q]["db_id"] != task["db_id"] for q in shown)  # never the task's own database
    assert [warm_start_renderer(agent, resources, train, params, seed=0)(t) for t in train] == prompts
    reordered = warm_start_renderer(agent, resources, list(reversed(train)), params, seed=0)
    picked = [EXAMPLES_HEADER in reordered(t) for t in train]
    assert picked == [EXAMPLES_HEADER in p for p in prompts]  # which tasks: by task, whatever the pool's order
    other_seed = warm_start_renderer(agent, resources, train, params, seed=1)
    assert [EXAMPLES_HEADER in other_seed(t) for t in train] != picked
